"""Jobs behind the Generate tab's Sound section: load a sound model, make sounds with a filmstrip of the
spectrogram denoising, hear any step of it, and find the nearest training clip.

    model = run_to_end(load_sound_model_job("instruments"))
    gen = run_to_end(generate_sound_job(model, ImageRequest("a flute playing A4", seed=1)))
    gen.clips[0], gen.spectrograms[0], gen.film[5]        # float32 L; bands x frames; (t, x_t, x0)
    run_to_end(frame_audio_job(model, gen.film[5][2]))    # that step's clean guess, as sound
    run_to_end(nearest_clip_job(model, gen.spectrograms[0])).clip   # the closest real note

A diffusion model of sound draws log-mel spectrograms (1 x bands x frames
images); Griffin-Lim turns any of them back into a waveform, about a tenth of a
second a clip, so even one step's sound is made in a job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.core.events import Progress, Status
from playground.core.families.generators import audio_receipt, load_generator
from playground.core.generate.keyboard import Keyboard, keyboard_for
from playground.core.generate.media import TrainingSet, k_nearest, model_kind, snapshot_steps, stream_steps, training_set
from playground.core.generators.diffusion_generator import AudioResult, ImageRequest
from playground.core.generators.receipts import wav_with_receipt
from playground.core.jobs import Job, JobControl
from playground.core.preprocess.prepared import denormalise

DEVICE = "cpu"  # what a receipt is verified against


@dataclass(frozen=True, eq=False)
class SoundModel:
    """A loaded diffusion model of sound, with what its sounds are compared with."""

    ref: str  # what loads it again; receipts name it
    generator: Any  # a DiffusionGenerator whose kind is "audio"
    snapshots: tuple[int, ...]  # steps of the run's weight snapshots, oldest first
    training: TrainingSet | None  # its training spectrograms (uint8 N x bands x frames x 1) and captions
    keyboard: Keyboard  # the instruments and notes its captions name
    _clips: dict[str, Any] = field(default_factory=dict, repr=False)  # the real training clips, once looked up

    @property
    def sample_rate(self) -> int:
        return int(self.generator.sample_rate)

    def unknown(self, prompt: str) -> tuple[str, ...]:
        return tuple(self.generator.unknown_words(prompt))


@dataclass(frozen=True, eq=False)
class SoundGeneration:
    """One run of the sound model: its clips, their spectrograms and the filmstrip of the first."""

    model: str  # the SoundModel's ref
    result: AudioResult  # request, clips float32 N x L, spectrograms N x bands x frames, unknown, film

    @property
    def request(self) -> ImageRequest:
        return self.result.request

    @property
    def clips(self) -> np.ndarray:
        return self.result.clips

    @property
    def spectrograms(self) -> np.ndarray:
        return self.result.spectrograms

    @property
    def film(self) -> tuple[tuple[int, np.ndarray, np.ndarray], ...]:
        return tuple(self.result.film)

    @property
    def unknown(self) -> tuple[str, ...]:
        return self.result.unknown


def load_sound_model_job(ref: str, device: str = DEVICE) -> Job:
    """Job: load the diffusion model of sound at ``ref`` -> ``SoundModel``.

    Raises:
        CheckpointError: a missing or damaged checkpoint (one line for the user).
        ValueError: a model that makes no sounds.
    """

    def job(control: JobControl) -> Generator[Any, None, SoundModel]:
        yield Status(f"loading {ref}")
        family, kind, _conditional = model_kind(ref)
        if family != "diffusion" or kind != "audio":
            where = "the Images section" if kind == "image" else "the Text section" if family == "gpt" else "the Train tab"
            raise ValueError(f"{ref} holds a {family.upper()} model of {kind}, not of sound: open it in {where}")
        generator = load_generator(ref, device)
        control.checkpoint()
        training = training_set(generator)
        names = [str(n) for n in generator.checkpoint.data.get("label_names", [])]
        keyboard = keyboard_for(training.captions if training is not None else generator.prompts, names)
        return SoundModel(ref, generator, snapshot_steps(generator), training, keyboard)

    return job


def generate_sound_job(model: SoundModel, request: ImageRequest) -> Job:
    """Job: make ``request.n`` sounds with the filmstrip of the first -> ``SoundGeneration``.
    Streams ``Progress`` per denoising step; Griffin-Lim runs at the end."""

    def job(control: JobControl) -> Generator[Any, None, SoundGeneration]:
        result = yield from stream_steps(
            lambda on_step, cancel: model.generator.generate_audio(request, on_step=on_step, cancel=cancel, film=True),
            control, "denoising the spectrogram")
        return SoundGeneration(model.ref, result)

    return job


def variants_job(model: SoundModel, request: ImageRequest, seeds: Sequence[int]) -> Job:
    """Job: one sound of the prompt per seed -> a tuple of ``SoundGeneration``."""
    if not seeds:
        raise ValueError("give at least one seed")

    def job(control: JobControl) -> Generator[Any, None, tuple[SoundGeneration, ...]]:
        out = []
        for i, seed in enumerate(seeds):
            yield Progress(i, len(seeds), f"seed {seed} ({i + 1} of {len(seeds)})")
            one = dataclasses.replace(request, n=1, seed=int(seed))
            result = yield from stream_steps(
                lambda on_step, cancel, one=one: model.generator.generate_audio(one, on_step=on_step, cancel=cancel),
                control, f"seed {seed}")
            out.append(SoundGeneration(model.ref, result))
        yield Progress(len(seeds), len(seeds), "seeds done")
        return tuple(out)

    return job


def frame_audio_job(model: SoundModel, spectrogram: np.ndarray) -> Job:
    """Job: one spectrogram (float bands x frames in [-1, 1], say a filmstrip frame) as sound
    -> float32 L in [-1, 1] at ``model.sample_rate``."""

    def job(control: JobControl) -> Generator[Any, None, np.ndarray]:
        control.checkpoint()
        return model.generator.to_audio(np.asarray(spectrogram, dtype=np.float32)[None])[0]
        yield  # no events: a fraction of a second

    return job


@dataclass(frozen=True, eq=False)
class NearestClip:
    """A generated sound beside the training sound nearest to it: new, or a copy?"""

    index: int  # which training item
    caption: str  # its caption
    spectrogram: np.ndarray  # float32 bands x frames in [-1, 1], as the model learned it
    distance: float  # L2 between the two spectrograms, pixels in [0, 1]
    typical: float  # median distance from a training spectrogram to its nearest other one
    clip: np.ndarray  # float32 L: the real recording, or (``real`` False) its spectrogram through Griffin-Lim
    real: bool  # the clip is the recording itself (the bundled dataset it learned was found)

    @property
    def ratio(self) -> float:
        """Distance over the typical one: well below 1 sounds copied (below 0.5: flagged)."""
        return self.distance / max(self.typical, 1e-8)


def spectrogram_pixels(spectrogram: np.ndarray) -> np.ndarray:
    """uint8 bands x frames x 1 of a float spectrogram in [-1, 1], as the training ones are kept."""
    return denormalise(np.asarray(spectrogram, dtype=np.float32)[None, None], {"kind": "minus1_1"})[0]


def nearest_clip_job(model: SoundModel, spectrogram: np.ndarray) -> Job:
    """Job: the training sound whose spectrogram is nearest to ``spectrogram`` (float bands x frames in
    [-1, 1]) -> ``NearestClip``, with the real recording when the bundled dataset it learned is at hand.

    Raises:
        ValueError: the checkpoint kept no training spectrograms.
    """
    training = model.training
    if training is None:
        raise ValueError("this model did not keep its training sounds: new-or-copy is not measured")

    def job(control: JobControl) -> Generator[Any, None, NearestClip]:
        index, dist = k_nearest(spectrogram_pixels(spectrogram), training.images, 1)
        i = int(index[0])
        spec = training.images[i][:, :, 0].astype(np.float32) / 127.5 - 1.0
        control.checkpoint()
        clips = model._clips.get("real")
        if "real" not in model._clips:
            yield Status("looking for the training recordings")
            clips = model._clips["real"] = _real_clips(str(model.generator.checkpoint.extra.get("source", "")),
                                                       training, model.sample_rate)
        control.checkpoint()
        if clips is not None:
            return NearestClip(i, training.captions[i], spec, float(dist[0]), training.typical, clips[i], True)
        clip = model.generator.to_audio(spec[None])[0]
        return NearestClip(i, training.captions[i], spec, float(dist[0]), training.typical, clip, False)

    return job


def _real_clips(source: str, training: TrainingSet, sample_rate: int) -> list[np.ndarray] | None:
    """The recordings of the training items, from the bundled dataset ``source`` when its captions at the
    kept indices are the model's and its rate is the model's (else None: the model learned another copy)."""
    from playground.core.data.bundled import bundled_info, load_bundled

    try:
        if bundled_info(source).modality != "audio":
            return None
        data = load_bundled(source)
    except (ValueError, OSError):
        return None
    captions = data.captions or []
    index = training.index.tolist()
    if not len(data.sample_rates) or int(data.sample_rates[0]) != sample_rate:
        return None
    if not index or max(index) >= len(captions) or any(captions[i] != c for i, c in zip(index, training.captions,
                                                                                        strict=True)):
        return None
    return [np.asarray(data.clips[i], dtype=np.float32) for i in index]


def saved_wav(model: SoundModel, generation: SoundGeneration, index: int = 0) -> bytes:
    """The WAV "Save as WAV…" writes: clip ``index`` with the settings and receipt in its metadata."""
    if not 0 <= index < len(generation.clips):
        raise ValueError(f"there is no clip {index}: this output has {len(generation.clips)}")
    receipt = audio_receipt(model.ref, model.generator, generation.result, index)
    return wav_with_receipt(generation.clips[index], generation.result.sample_rate, receipt)
