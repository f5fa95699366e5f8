"""GAN training: config, the step procedure, the loop job, checkpoints and history."""

import importlib
from typing import Any

# Names re-exported lazily (PEP 562): importing the package must not import
# torch, so the window can show before torch has loaded.
_EXPORTS = {
    "CheckpointError": "checkpoint", "GANCheckpoint": "checkpoint", "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint", "GAN_PRESETS": "gan_config", "GANConfig": "gan_config",
    "GANTrainResult": "gan_loop", "train_gan_job": "gan_loop", "GANTrainer": "gan_trainer",
    "d_loss_fn": "gan_trainer", "g_loss_fn": "gan_trainer", "MetricHistory": "history",
    "SampleHistory": "history", "tile": "history",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
