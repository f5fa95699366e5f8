"""The Prepare report as HTML for the Preprocess tab: items in and out, and what each step did."""

from __future__ import annotations

import html
from typing import Any

from playground.core.preprocess import PrepareReport
from playground.core.preprocess.preview_jobs import NOUNS
from playground.ui.widgets.visible_text import show_whitespace


def report_html(report: PrepareReport, prepared: Any) -> str:
    """The Prepare report: items in and out, and what each step removed or changed."""
    noun = NOUNS[report.modality]
    lines = [f"<b>{html.escape(report.dataset)}</b>: {report.items_in:,} {noun} in → {report.items_out:,} out "
             f"({report.seconds:.2f} s)"]
    rows = "".join(
        f"<tr><td>{html.escape(s.title)}</td><td align='right'>{s.removed:,}</td><td align='right'>{s.changed:,}</td>"
        f"<td>{html.escape('; '.join(s.notes))}</td></tr>" for s in report.steps)
    lines.append("<table cellspacing='4'><tr><th align='left'>Step</th><th>Removed</th><th>Changed</th>"
                 f"<th align='left'>Notes</th></tr>{rows}</table>")
    if report.modality == "text" and report.tokens is not None:
        top = ", ".join(f"“{html.escape(show_whitespace(t))}” {c:,}" for t, c in report.top_tokens[:8])
        lines.append(f"Tokens: <b>{report.tokens:,}</b> · vocabulary {report.vocab_size:,} · "
                     f"{report.chars_per_token} characters per token<br>Most frequent: {top}")
    for note in report.notes:
        lines.append(f"<i>{html.escape(note)}</i>")
    array = getattr(prepared, "x", getattr(prepared, "ids", None))
    shape = " x ".join(str(d) for d in array.shape) if array is not None else "?"
    lines.append(f"Ready for the Train tab: an array of {shape}.")
    return "<br>".join(lines)
