"""Training: the one loop (``loop.py``) over any family's ``Trainer``, run settings, and the GAN's trainer.

Names re-exported lazily (PEP 562): importing the package must not import
torch, so the window can show before torch has loaded.
"""

import importlib
from typing import Any

_EXPORTS = {
    "RunConfig": "run_config", "Settings": "settings", "Trainer": "trainer", "TrainResult": "loop",
    "train_job": "loop", "GANProcedure": "gan_procedure", "GANTrainer": "gan_trainer", "d_loss_fn": "gan_procedure",
    "g_loss_fn": "gan_procedure", "Batches": "batches",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
