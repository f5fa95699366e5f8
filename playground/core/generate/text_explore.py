"""Exploring a GPT beyond one output: time travel through its snapshots, a temperature sweep, receipts and verify.

    rows = run_to_end(sweep_job(model, TextRequest("ROMEO:", 300, seed=1)))
    [(r.temperature, r.real_words, r.copied) for r in rows]   # safe vs surprising, as numbers
    frames = run_to_end(time_travel_job(model, request))       # (step, TextGeneration) per snapshot
    content = saved_text(model, generation)                      # prompt and text under a receipt header
    run_to_end(verify_job(path)).identical
    folder, calibration = run_to_end(calibrate_job("runs/gpt"))   # a calibrated copy beside it
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.events import Progress
from playground.core.families.generators import Verification, load_generator, text_receipt, verify_text
from playground.core.generate.saved_files import read_saved
from playground.core.generate.text import DEVICE, TextGeneration, TextModel, finish_generation, stream_tokens
from playground.core.generators.receipts import text_with_receipt
from playground.core.generators.text_calibration import Calibration, calibrate_copy, copy_source, free_folder
from playground.core.generators.text_generator import TextRequest
from playground.core.jobs import Job, JobControl
from playground.core.paths import runs_dir

SWEEP_TEMPERATURES = (0.2, 0.5, 0.8, 1.0, 1.3, 1.8)


@dataclass(frozen=True, eq=False)
class SweepRow:
    temperature: float  # the temperature this output was written at
    generation: TextGeneration  # the output
    real_words: float | None  # share of its words the training text uses, in [0, 1] (None: no training text)
    copied: float | None  # share of its characters in stretches copied from the training text, in [0, 1]


def sweep_job(model: TextModel, request: TextRequest, temperatures: Sequence[float] = SWEEP_TEMPERATURES) -> Job:
    """Job: the same prompt and seed at each temperature, measured -> a tuple of ``SweepRow``.

    Low temperatures write real words and tend to copy the training text; high
    ones invent words. The rows make that trade a number (Holtzman et al. 2020,
    "The Curious Case of Neural Text Degeneration", measure the same tension).
    """
    if not temperatures:
        raise ValueError("give at least one temperature")
    for t in temperatures:
        dataclasses.replace(request, temperature=float(t))  # each one is valid before anything runs

    def job(control: JobControl) -> Generator[Any, None, tuple[SweepRow, ...]]:
        rows = []
        for i, t in enumerate(temperatures):
            yield Progress(i, len(temperatures), f"temperature {t:g} ({i + 1} of {len(temperatures)})")
            one = dataclasses.replace(request, temperature=float(t))
            result = yield from stream_tokens(model.generator, one, control, stream=i)
            generation = finish_generation(model, one, result)
            copied = generation.verbatim.copied_share if generation.verbatim is not None else None
            rows.append(SweepRow(float(t), generation, generation.real_words, copied))
        yield Progress(len(temperatures), len(temperatures), "sweep done")
        return tuple(rows)

    return job


def time_travel_job(model: TextModel, request: TextRequest, device: str = DEVICE) -> Job:
    """Job: ``request`` written by each weight snapshot the run kept, oldest first; snapshot ``i``
    streams as stream ``i`` -> a tuple of (step, ``TextGeneration``).

    Raises:
        ValueError: the model kept no snapshots.
    """
    if not model.snapshots:
        raise ValueError("this model kept no weight snapshots: time travel needs a run trained in this app "
                         "(it saves snapshots as it learns)")

    def job(control: JobControl) -> Generator[Any, None, tuple[tuple[int, TextGeneration], ...]]:
        out = []
        for i, step in enumerate(model.snapshots):
            yield Progress(i, len(model.snapshots), f"the model at step {step:,}")
            generator = load_generator(model.ref, device, snapshot=step)
            control.checkpoint()
            result = yield from stream_tokens(generator, request, control, stream=i)
            out.append((step, finish_generation(model, request, result, snapshot=step)))
        yield Progress(len(model.snapshots), len(model.snapshots), "time travel done")
        return tuple(out)

    return job


def saved_text(model: TextModel, generation: TextGeneration) -> str:
    """The file "Save as text…" writes: a header with the settings and the receipt, then prompt and text.

    A branch is saved as the text after its swapped token, with everything
    before it as the prompt, so ``verify`` regenerates exactly what is saved.
    """
    if generation.snapshot is not None:
        raise ValueError("save the output of the final weights: snapshot outputs have no receipt here")
    last = generation.last
    receipt = text_receipt(model.ref, model.generator, last)
    prompt = generation.request.prompt if generation.branch_at is None else model.generator.tokenizer.decode(last.prompt_ids)
    return text_with_receipt(receipt, prompt, last.text)


def verify_job(path: str | Path, device: str = DEVICE) -> Job:
    """Job: read a saved text, regenerate it from its receipt and compare -> ``Verification``.

    Raises:
        ValueError: the file cannot be read, has no receipt, or its model cannot be loaded.
    """

    def job(control: JobControl) -> Generator[Any, None, Verification]:
        try:
            content = read_saved(path, "a text file").decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{Path(path).name} is not UTF-8 text: it was not saved by the app") from None
        yield Progress(0, 1, "regenerating from the receipt")
        control.checkpoint()
        verification = verify_text(content, device)
        yield Progress(1, 1, "verified")
        return verification

    return job


def calibrate_job(ref: str, dest: str | Path | None = None, device: str = DEVICE) -> Job:
    """Job: a calibrated copy of the GPT at ``ref`` (a bundled model's name or a folder) -> (folder, Calibration).

    The copy goes to ``dest``, by default a new folder among the app's runs named after the
    model ("shakespeare-calibrated", numbered when taken), where the model list finds it.
    The model at ``ref`` is left as it was, so both can be compared and its outputs still verify.
    """

    def job(control: JobControl) -> Generator[Any, None, tuple[str, Calibration]]:
        yield Progress(0, 1, "copying the model, scoring its validation split and fitting a temperature")
        target = Path(dest) if dest is not None else free_folder(runs_dir() / f"{copy_source(ref).name}-calibrated")
        control.checkpoint()
        result = calibrate_copy(ref, target, device)
        yield Progress(1, 1, "calibrated")
        return str(target), result

    return job
