"""Generative AI Playground: watch data turn into a generative model."""

__version__ = "0.1.0"
