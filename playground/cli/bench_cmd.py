"""``python -m playground bench train|gan|soak|startup --json``: training speed bare vs in the app,
GUI lateness, memory over a long run in the window, and start-up time.

Progress goes to stderr (a bar on a terminal, plain lines otherwise), so the
JSON object on stdout stays clean.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from playground.cli import Commands, UserError
from playground.cli.progress import ProgressReporter

SOAK_SETTLE_S = 120.0  # memory may grow while the run warms up; after this it should stay flat


def register(commands: Commands) -> None:
    sub = commands.verb("bench")
    gan = sub.add_parser("gan", help="GAN steps/s bare vs through the app, and the GUI thread's lateness")
    train = sub.add_parser("train", help="any family's steps/s bare vs through the app's Train tab, and the GUI "
                                         "thread's lateness (bench gan is --family gan)")
    train.add_argument("--family", required=True, help="gan, gpt or diffusion")
    for parser, dataset in ((gan, "mnist-5k"), (train, None)):
        parser.add_argument("--dataset", default=dataset, required=dataset is None)
        parser.add_argument("--preset", default="default")
        parser.add_argument("--steps", type=int, default=500, help="steps timed in the app run")
        parser.add_argument("--bare-steps", type=int, default=150, help="steps timed per thread count in the bare loop")
        parser.add_argument("--rounds", type=int, default=3, help="app runs, each compared with bare runs just "
                                                                   "before and after it (the median is reported)")
        parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
        parser.add_argument("--json", action="store_true", help="print only the JSON object")
        parser.set_defaults(func=run_bench_training)
    gan.set_defaults(family="gan")
    soak = sub.add_parser("soak", help="the app's memory (RSS) while the default GAN trains in the real window")
    soak.add_argument("--minutes", type=float, default=10.0, help="how long to train")
    soak.add_argument("--interval", type=float, default=30.0, help="seconds between RSS samples")
    soak.add_argument("--dataset", default="mnist-5k")
    soak.add_argument("--preset", default="default")
    soak.add_argument("--json", action="store_true", help="print only the JSON object")
    soak.set_defaults(func=run_bench_soak)
    startup = sub.add_parser("startup", help="seconds from launch to the window being shown")
    startup.add_argument("--runs", type=int, default=5)
    startup.add_argument("--json", action="store_true", help="print only the JSON object")
    startup.set_defaults(func=run_bench_startup)


def run_bench_training(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from playground.core import families
    from playground.core.data.bundled import load_bundled
    from playground.core.device import describe_device, resolve_device
    from playground.core.preprocess import default_pipeline, prepare
    from playground.core.preprocess.prepared import data_kinds
    from playground.core.training.bench import bare_steps_per_s, best_thread_count

    try:
        family = families.get(args.family)
        dataset = load_bundled(args.dataset)
        settings = family.preset(args.preset, device=args.device)
        device = resolve_device(args.device)
    except (KeyError, ValueError) as exc:
        raise UserError(str(exc).strip("'\"")) from None
    progress = ProgressReporter()
    data = prepare(dataset, default_pipeline(dataset))[0]
    if not family.accepts & data_kinds(data):
        raise UserError(f"the {family.name} family does not train on {args.dataset}")
    fitted = family.fit(settings, data)

    def make_trainer(dev):  # the same trainer, batches and device placement as the loop's
        return family.make_trainer(fitted, data, dev, {})

    log = (lambda *a: None) if args.json else progress.line
    rounds = max(1, args.rounds)
    phases = 2 + 2 * rounds  # thread counts, opening the window, then an app run and a bare run per round
    progress.update(0, phases, f"bare loop on {describe_device(device)}: trying thread counts")
    if device.type == "cuda":
        threads, bare, rates = 0, bare_steps_per_s(make_trainer, args.device, args.bare_steps), {}
    else:
        threads, bare, rates = best_thread_count(make_trainer, args.device, args.bare_steps)
        if settings.run.cpu_threads > 0:  # the preset names its thread count: time the app as a user runs it
            threads = settings.run.cpu_threads
            bare = rates.get(threads) or bare_steps_per_s(make_trainer, args.device, args.bare_steps, threads=threads)
    log(f"bare: {bare:.2f} steps/s with {threads} thread(s) {rates}")

    from PySide6.QtWidgets import QApplication

    from playground.ui.bench import app_steps_per_s

    progress.update(1, phases, f"opening the window on {args.dataset}")
    app = QApplication.instance() or QApplication([])
    window = _open_window(app, args.dataset, family.name)
    warmup = 20
    # The run goes on a little past the timed steps: its last step's sample and validation, done once at
    # the end of any run, would otherwise fall inside the timing (a third observation in 500 steps where a
    # long run makes one every samples_every), a cost the bare loop is not compared with.
    tail = max(1, settings.run.metrics_every)
    app_settings = settings.replace(steps=args.steps + warmup + tail, cpu_threads=threads, checkpoint_every=0)
    # The machine's speed drifts (other jobs, clocks): each app run is compared with the mean
    # of the bare runs just before and just after it, and the median round is reported.
    bare_runs, app_runs, ratios, lateness, gui_cpu, timed = [bare], [], [], [], [], []
    try:
        for r in range(rounds):
            done = 2 + 2 * r
            what = f"round {r + 1}/{rounds}: app run"
            progress.update(done, phases, what)
            log(f"app, round {r + 1}: {args.steps} steps through the job runner with the Train tab redrawing")
            steps = app_settings.run.steps

            def on_step(step: int, done: int = done, what: str = what, steps: int = steps) -> None:
                progress.update(done + min(step, steps) / steps, phases, f"{what}, step {step}/{steps}")

            try:
                result = app_steps_per_s(app, window, app_settings, warmup_steps=warmup, on_step=on_step,
                                         timed_until=args.steps + warmup)
            except RuntimeError as exc:
                raise UserError(str(exc)) from None
            app_runs.append(result.steps_per_s)
            timed.append(result.steps)
            gui_cpu.append(result.gui_cpu_share)
            lateness.append(result.lateness_ms)
            progress.update(done + 1, phases, f"round {r + 1}/{rounds}: bare run")
            bare_runs.append(bare_steps_per_s(make_trainer, args.device, args.bare_steps, threads=threads))
            ratios.append(result.steps_per_s / ((bare_runs[-2] + bare_runs[-1]) / 2))
            log(f"  app {app_runs[-1]:.2f} steps/s, bare after {bare_runs[-1]:.2f}, ratio {ratios[-1]:.3f}")
    finally:
        window.close()
    progress.update(phases, phases, "done")
    progress.close()
    late = np.concatenate(lateness) if sum(len(v) for v in lateness) else np.zeros(1)
    figures = {
        "family": family.name,
        "dataset": args.dataset,
        "preset": args.preset,
        "device": describe_device(device),
        "threads": threads,
        "steps_per_s_bare_by_threads": {str(k): round(v, 3) for k, v in rates.items()},
        "steps_per_s_bare": round(float(np.median(bare_runs)), 3),
        "steps_per_s_app": round(float(np.median(app_runs)), 3),
        "ratio": round(float(np.median(ratios)), 3),
        "ratio_by_round": [round(v, 3) for v in ratios],
        "steps_per_s_bare_runs": [round(v, 3) for v in bare_runs],
        "ui_lateness_ms_p50": round(float(np.percentile(late, 50)), 2),
        "ui_lateness_ms_p99": round(float(np.percentile(late, 99)), 2),
        "ui_lateness_ms_max": round(float(late.max()), 2),
        "ui_timer_ticks": int(len(late)),
        "gui_thread_cpu_share": round(float(np.median(gui_cpu)), 4),
        "app_steps_timed_per_round": int(np.median(timed)),  # from the first metrics past the warm-up
    }
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0


def _open_window(app, dataset: str, family: str = ""):  # noqa: ANN001, ANN202 - Qt types imported late
    """The app's real window, shown offscreen, with ``dataset`` loaded and shown (and ``family``
    chosen on the Train tab where the data offers several)."""
    from playground.app import build_main_window
    from playground.cli.screenshot_cmd import wait_until

    window = build_main_window()
    window.resize(1400, 850)
    window.show()
    window.datasets_tab.select(dataset)
    if not wait_until(app, lambda: window.datasets_tab.shown_overview() is not None
                      and not window.datasets_tab.is_loading(), 60):
        window.close()
        raise UserError(f"{dataset} did not load within 60 s")
    if family:
        from playground.ui.tabs.train_tab import TrainTab

        combo = window.tab(TrainTab).controls.family
        if not wait_until(app, lambda: combo.findData(family) >= 0, 10):
            window.close()
            raise UserError(f"the Train tab does not offer {family} for {dataset}")
        combo.setCurrentIndex(combo.findData(family))
    return window


def run_bench_soak(args: argparse.Namespace) -> int:
    """Train in the real window for ``--minutes`` and sample the process's RSS: does memory leak?"""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not args.minutes > 0 or not args.interval > 0:
        raise UserError("--minutes and --interval must be more than 0")
    from playground.core import families
    from playground.core.data.bundled import load_bundled

    try:
        load_bundled(args.dataset)
        # As many steps as the form allows: the run must outlast the soak (the default's 2000 would end it early).
        settings = families.get("gan").preset(args.preset, steps=10_000_000)
    except ValueError as exc:
        raise UserError(str(exc)) from None

    from PySide6.QtWidgets import QApplication

    from playground.ui.bench import growth_after, soak

    progress = ProgressReporter()
    total_s = args.minutes * 60
    progress.update(0, total_s, f"opening the window on {args.dataset}")
    app = QApplication.instance() or QApplication([])
    window = _open_window(app, args.dataset)

    def on_sample(seconds: float, rss: float, step: int) -> None:
        progress.update(min(seconds, total_s), total_s, f"soak {seconds:.0f}/{total_s:.0f} s: RSS {rss:.0f} MB, step {step}")

    try:
        result = soak(app, window, settings, args.minutes, args.interval, on_sample=on_sample)
    except RuntimeError as exc:
        raise UserError(str(exc)) from None
    finally:
        window.close()
    progress.update(total_s, total_s, "done")
    progress.close()
    growth = growth_after(result.seconds, result.rss_mb, SOAK_SETTLE_S)
    figures = {
        "dataset": args.dataset,
        "preset": args.preset,
        "minutes": args.minutes,
        "interval_s": args.interval,
        "seconds": result.seconds,
        "rss_mb": result.rss_mb,
        "growth_after_2min_mb": None if growth is None else round(growth, 1),
        "rss_peak_after_2min_mb": max((r for t, r in zip(result.seconds, result.rss_mb) if t >= SOAK_SETTLE_S), default=None),
        "steps": result.steps,
        "training_running_at_end": result.running_at_end,
    }
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0


STARTUP_CHILD = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from playground.app import build_main_window
app = QApplication([])
window = build_main_window()
window.show()
def shown():
    print("shown", "torch" in sys.modules, flush=True)
    window.close()
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def run_bench_startup(args: argparse.Namespace) -> int:
    """Seconds from launching a fresh interpreter to the window being shown, several times."""
    import subprocess
    import time

    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    times, torch_loaded = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", STARTUP_CHILD], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        times.append(time.perf_counter() - t0)
        proc.wait(timeout=60)
        if not line.startswith("shown"):
            raise UserError("the window did not show; run `python -m playground` to see why")
        torch_loaded.append(line.split()[1] == "True")
    figures = {"window_shown_s_median": round(float(np.median(times)), 3), "window_shown_s_max": round(max(times), 3),
               "runs": args.runs, "torch_imported_before_window": any(torch_loaded),
               "platform": env["QT_QPA_PLATFORM"]}
    print(json.dumps(figures, indent=None if args.json else 2))
    return 0
