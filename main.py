from playground.app import run_app

raise SystemExit(run_app())
