"""GAN training: config, the step procedure, the loop job, checkpoints and history."""

from playground.core.training.checkpoint import CheckpointError, GANCheckpoint, load_checkpoint, save_checkpoint
from playground.core.training.gan_config import GAN_PRESETS, GANConfig
from playground.core.training.gan_loop import GANTrainResult, train_gan_job
from playground.core.training.gan_trainer import GANTrainer, d_loss_fn, g_loss_fn
from playground.core.training.history import MetricHistory, SampleHistory, tile

__all__ = [
    "GAN_PRESETS", "CheckpointError", "GANCheckpoint", "GANConfig", "GANTrainResult", "GANTrainer", "MetricHistory",
    "SampleHistory", "d_loss_fn", "g_loss_fn", "load_checkpoint", "save_checkpoint", "tile", "train_gan_job",
]
