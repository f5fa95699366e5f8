"""Diffusion apart from any network: the noise schedule and the samplers.

``schedule`` holds the forward (noising) process in closed form; ``samplers``
runs the reverse process over any noise-predicting function ``eps_fn(x, t, cond)``,
so neither imports a model (diffusers keeps its schedulers apart the same way).
"""
