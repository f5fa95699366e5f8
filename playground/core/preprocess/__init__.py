"""Preprocessing: ordered, saved pipelines of pure steps per modality.

    pipeline = default_pipeline(dataset)                 # or Pipeline.load(path)
    pipeline = with_labels(pipeline, ["0", "1", "2"])    # the data diet
    prepared, report = prepare(dataset, pipeline)        # or run prepare_job(...) in the job runner
    pairs = preview(dataset, pipeline, [0, 1, 2, 3])     # (before, after) for the UI strip

``step_palette(modality)`` lists the step classes a pipeline may hold.
"""

from playground.core.preprocess.pipeline import (
    SCHEMA_VERSION,
    Pipeline,
    default_pipeline,
    make_step,
    step_palette,
    with_labels,
)
from playground.core.preprocess.prepare import (
    Clip,
    PreviewPair,
    augment_variants,
    prepare,
    prepare_job,
    preview,
    preview_tokens,
    top_tokens,
)
from playground.core.preprocess.prepared import PreparedAudio, PreparedImages, PreparedPoints, PreparedText, data_kinds
from playground.core.preprocess.report import PrepareReport, StepReport
from playground.core.preprocess.steps import Param, Step
from playground.core.preprocess.tokenizer import Tokenizer

__all__ = [
    "SCHEMA_VERSION",
    "Clip",
    "Param",
    "Pipeline",
    "PrepareReport",
    "PreparedAudio",
    "PreparedImages",
    "PreparedPoints",
    "PreparedText",
    "PreviewPair",
    "Step",
    "StepReport",
    "Tokenizer",
    "augment_variants",
    "data_kinds",
    "default_pipeline",
    "make_step",
    "prepare",
    "prepare_job",
    "preview",
    "preview_tokens",
    "step_palette",
    "top_tokens",
    "with_labels",
]
