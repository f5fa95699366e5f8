"""Model families: each names its settings, presets, the data it trains on, its trainer and its generator.

    from playground.core import families
    family = families.get("gan")
    families.for_data(prepared)            # the families that can train on this data
    families.register(my_family)           # a new family, with no change to the loop or the UI

The built-in families register themselves when this package is imported. No
torch is imported here: trainers and generators are built on demand.
"""

from playground.core.families.base import CurveGroup, Family, FormSpec
from playground.core.families.registry import all_families, for_data, get, register, unregister

__all__ = ["CurveGroup", "Family", "FormSpec", "all_families", "for_data", "get", "register", "unregister"]

from playground.core.families import gan as _gan  # noqa: E402,F401  (registers the GAN family)
from playground.core.families import gpt as _gpt  # noqa: E402,F401  (registers the GPT family)
from playground.core.families import diffusion as _diffusion  # noqa: E402,F401  (registers the diffusion family)
