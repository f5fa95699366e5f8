"""What the Generate tab runs: jobs that load trained models, generate with streaming, and measure the outputs.

The top layer of the core: it uses the families' generators and the metrics,
and nothing in the core imports it. ``text`` and ``text_explore`` serve the
Text section; ``image``, ``image_drawers`` and ``guidance_sweep`` the Images
section; ``audio`` and ``keyboard`` the Sound section; ``media`` and
``saved_files`` what the last two share (model lists, nearest training items,
files with receipts); ``streaming`` turns a generator's per-step callback into
events for any modality.
"""
