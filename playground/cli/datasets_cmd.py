"""``python -m playground datasets list|inspect``: the bundled datasets, and loading your own.

``inspect`` loads a file or folder exactly as the app's Data tab does
(``load_path_job``), so it is the quickest way to see why a folder will not load.
Its report groups the skipped files by kind of problem, damaged files first, so
a few broken files are not lost among hundreds of files of other types. Progress
goes to stderr; stdout holds only the report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from playground.cli import Commands, UserError

_SHOWN_SKIPS = 20  # skipped files of each kind listed in the plain-text report; --json lists all
_SHOWN_OTHER_TYPES = 5  # files of types we do not read are rarely a problem: a few examples are enough
_SHOWN_NOTES = 20  # notes in the plain-text report
_GROUP_EXAMPLES = 5  # paths per group in --json's "skipped_groups" (its "skipped" lists every file)


def register(commands: Commands) -> None:
    subparsers = commands.top
    parser = subparsers.add_parser("datasets", help="list bundled datasets, or inspect your own files")
    commands = parser.add_subparsers(dest="datasets_command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser("list", help="the datasets that ship with the app")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=_list)

    inspect = commands.add_parser("inspect", help="load a file or folder as the app would, and report")
    inspect.add_argument("path", metavar="PATH", help="an image, text or audio file, or a folder of them")
    inspect.add_argument("--json", action="store_true", help="print JSON; no progress on stderr")
    inspect.add_argument("--stats", action="store_true", help="also compute dataset statistics")
    inspect.set_defaults(func=_inspect)


def _list(args: argparse.Namespace) -> int:
    from playground.core.data.bundled import bundled_datasets

    infos = bundled_datasets()
    rows = [
        {
            "name": info.name,
            "modality": info.modality,
            "items": int(info.items),
            "licence": info.licence,
            "title": info.title,
            "description": info.description,
        }
        for info in infos
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ("name", "modality", "items", "licence", "title")
    cells = [[f"{row[c]:,}" if c == "items" else str(row[c]) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        padded = (v.rjust(w) if c == "items" else v.ljust(w) for c, v, w in zip(columns, r, widths))
        print("  ".join(padded).rstrip())
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from playground.cli.progress import ProgressReporter
    from playground.core.data.user_data import DataError, load_path_job
    from playground.core.jobs import Progress, run_to_end

    with ProgressReporter(enabled=not args.json) as progress:

        def show(event: Any) -> None:
            if isinstance(event, Progress):
                progress.update(event.done, event.total, event.message)

        try:
            dataset = run_to_end(load_path_job(args.path), show)
        except DataError as exc:
            raise UserError(str(exc)) from None
    report = _report(dataset)
    if args.stats:
        report["stats"] = _stats(dataset)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    return 0


def _report(dataset: Any) -> dict[str, Any]:
    from playground.core.data.skipped import group_skipped

    return {
        "name": dataset.name,
        "source": dataset.source,
        "modality": dataset.modality,
        "items": int(dataset.items),
        "labels": dataset.label_counts(),
        "skipped": [{"path": s.path, "reason": s.reason, "kind": s.kind} for s in dataset.skipped],
        "skipped_groups": [
            {"kind": g.kind, "title": g.title, "count": g.count,
             "examples": [s.path for s in g.files[:_GROUP_EXAMPLES]]}
            for g in group_skipped(dataset.skipped)
        ],
        "notes": list(dataset.notes),
    }


def _stats(dataset: Any) -> dict[str, Any]:
    from playground.core.data import stats

    if dataset.modality == "image":
        return stats.image_stats(dataset)
    if dataset.modality == "audio":
        return stats.audio_stats(dataset)
    return stats.text_stats(dataset)


def _print_report(report: dict[str, Any]) -> None:
    from playground.core.data.file_scan import shown_path
    from playground.core.data.skipped import OTHER_TYPE, SkippedFile, group_skipped, summary

    unit = {"image": "images", "text": "characters", "audio": "clips"}[report["modality"]]
    print(f"{report['source']}: {report['modality']}, {report['items']:,} {unit}")
    if report["labels"]:
        print("labels: " + ", ".join(f"{name} {count:,}" for name, count in report["labels"].items()))
    notes = report["notes"]
    for note in notes[:_SHOWN_NOTES]:
        print(f"note: {note}")
    if len(notes) > _SHOWN_NOTES:
        print(f"... and {len(notes) - _SHOWN_NOTES} more notes (--json lists all)")
    skipped = [SkippedFile(s["path"], s["reason"], s["kind"]) for s in report["skipped"]]
    if skipped:
        groups = group_skipped(skipped)
        root = report["source"] if Path(report["source"]).is_dir() else ""
        print(f"skipped {len(skipped):,} file(s): {summary(groups)}")
        for group in groups:
            print(f"  {group.title} ({group.count:,}):")
            shown = _SHOWN_OTHER_TYPES if group.kind == OTHER_TYPE else _SHOWN_SKIPS
            for item in group.files[:shown]:
                print(f"    {shown_path(Path(item.path), root)}: {item.reason}")
            if group.count > shown:
                print(f"    ... and {group.count - shown:,} more (--json lists all)")
    if "stats" in report:
        print("stats: " + json.dumps(report["stats"], ensure_ascii=False))
