"""``python -m playground datasets list|inspect``: the bundled datasets, and loading your own.

``inspect`` loads a file or folder exactly as the app's Data tab does
(``load_path_job``), so it is the quickest way to see why a folder will not load.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from playground.cli import UserError

_SHOWN_SKIPS = 20  # skipped files listed in the plain-text report; --json lists all


def register(subparsers: Any) -> None:
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
    from playground.core.data.user_data import DataError, load_path_job
    from playground.core.jobs import Progress, Throttle, run_to_end

    tty = sys.stderr.isatty()
    throttle = Throttle(0.1 if tty else 1.0)

    def show(event: Any) -> None:
        if args.json or not isinstance(event, Progress):
            return
        if not throttle.ready(force=bool(event.total) and event.done == event.total):
            return
        count = f"{event.done:,}/{event.total:,} " if event.total else ""
        line = f"{count}{event.message}"[:100]
        if tty:
            print("\r" + line.ljust(100), end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    try:
        dataset = run_to_end(load_path_job(args.path), show)
    except DataError as exc:
        raise UserError(str(exc)) from None
    finally:
        if tty and not args.json:
            print(file=sys.stderr)
    report = _report(dataset)
    if args.stats:
        report["stats"] = _stats(dataset)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    return 0


def _report(dataset: Any) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "source": dataset.source,
        "modality": dataset.modality,
        "items": int(dataset.items),
        "labels": dataset.label_counts(),
        "skipped": [{"path": s.path, "reason": s.reason} for s in dataset.skipped],
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
    unit = {"image": "images", "text": "characters", "audio": "clips"}[report["modality"]]
    print(f"{report['source']}: {report['modality']}, {report['items']:,} {unit}")
    if report["labels"]:
        print("labels: " + ", ".join(f"{name} {count:,}" for name, count in report["labels"].items()))
    for note in report["notes"]:
        print(f"note: {note}")
    skipped = report["skipped"]
    if skipped:
        print(f"skipped {len(skipped)} file(s):")
        for item in skipped[:_SHOWN_SKIPS]:
            print(f"  {item['path']}: {item['reason']}")
        if len(skipped) > _SHOWN_SKIPS:
            print(f"  ... and {len(skipped) - _SHOWN_SKIPS} more (--json lists all)")
    if "stats" in report:
        print("stats: " + json.dumps(report["stats"], ensure_ascii=False))
