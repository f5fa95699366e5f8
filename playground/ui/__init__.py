"""The Qt skin: widgets turn user input into config objects and core events into pixels."""
