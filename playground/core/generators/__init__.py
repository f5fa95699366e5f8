"""Generators: load a trained model, then ``generate(request, *, on_step, cancel)``."""
