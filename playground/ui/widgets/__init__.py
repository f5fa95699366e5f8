"""Reusable views: image grid, label histogram, waveform, loss plot, token view."""
