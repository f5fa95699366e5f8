"""What a training run leaves behind: metric and sample history, and checkpoints (any family)."""
