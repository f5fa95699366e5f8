"""One tab per module."""
