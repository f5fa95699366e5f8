"""The Generate tab's sections, one module per modality (Text now; Images and Sound to come)."""
