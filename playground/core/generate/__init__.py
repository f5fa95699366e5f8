"""What the Generate tab runs: jobs that load trained models, generate with streaming, and measure the outputs.

The top layer of the core: it uses the families' generators and the metrics,
and nothing in the core imports it. ``text`` and ``text_explore`` serve the
Text section; ``streaming`` turns a generator's per-step callback into events
for any modality.
"""
