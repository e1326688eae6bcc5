"""``make e2e``: the provider in a real Airflow deployment, against the bundled emulator.

Starts the stack (:mod:`e2e.stack`), runs the checks in order and prints a report; every process
is stopped on exit, also on failure and Ctrl-C. Logs stay in ``.e2e/<run>/`` (``.e2e/latest``).
Exit status 0 only if every check passed.

    python -m e2e [--only examples,kill-task ...]    E2E_DATABASE_URL=postgresql+psycopg2://... to use Postgres
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType

from .asset_events import check_asset_events
from .examples import check_examples
from .kill_task import check_kill_task
from .logs import check_logs
from .report import CheckResult
from .stack import ROOT, Stack, demo_dag_ids
from .triggerers import check_paused_triggerer, check_triggerer_restart, check_two_triggerers

STATE = ROOT / ".e2e"
KEEP_RUNS = 10

CHECKS: dict[str, Callable[[Stack], CheckResult]] = {
    "examples": lambda stack: check_examples(stack, demo_dag_ids()),
    "triggerer-restart": check_triggerer_restart,
    "two-triggerers": check_two_triggerers,
    "paused-triggerer": check_paused_triggerer,
    "kill-task": check_kill_task,
    "asset-events": check_asset_events,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated checks to run, of {', '.join(CHECKS)} (logs always runs)")
    args = parser.parse_args(argv)
    selected = list(CHECKS) if not args.only else [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in selected if c not in CHECKS]
    if unknown:
        parser.error(f"unknown checks {unknown}; choose from {list(CHECKS)}")

    run_dir = _new_run_dir()
    database_url = os.environ.get("E2E_DATABASE_URL") or None
    print(f"e2e: logs in {run_dir}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    began = time.monotonic()
    stack = Stack(run_dir, database_url=database_url)
    results: list[CheckResult] = []
    timings: dict[str, float] = {}
    try:
        try:
            stack.start(demo_dag_ids())
        except Exception as exc:
            results.append(_crashed("stack", "the stack starts", exc))
        else:
            print(f"e2e: stack ready in {stack.timings['stack ready']:.0f} s ({_db(stack)})", flush=True)
            for name in selected:
                print(f"e2e: {name} ...", flush=True)
                try:
                    result = CHECKS[name](stack)
                except Exception as exc:
                    result = _crashed(name, name, exc)
                results.append(result)
                print(result.render(), flush=True)
                if not _alive(stack, results):
                    break
            results.append(check_logs(stack))
            print(results[-1].render(), flush=True)
    except KeyboardInterrupt:
        print("\ne2e: interrupted; stopping every process", flush=True)
        results.append(CheckResult("interrupted", "interrupted", ok=False))
    finally:
        stopping = time.monotonic()
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not leave processes behind
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        if stack.lingered:
            print(f"e2e: SIGKILLed after the grace period: {', '.join(stack.lingered)}", flush=True)
        timings.update(stack.timings)
        timings["stop"] = time.monotonic() - stopping
    timings["total"] = time.monotonic() - began
    return _report(run_dir, results, timings)


def _new_run_dir() -> Path:
    STATE.mkdir(exist_ok=True)
    runs = sorted(p for p in STATE.iterdir() if p.is_dir() and not p.is_symlink())
    for old in runs[: max(0, len(runs) - KEEP_RUNS + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    run_dir = STATE / datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir()
    latest = STATE / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_dir.name)
    return run_dir


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _db(stack: Stack) -> str:
    return "SQLite" if stack.database_url.startswith("sqlite") else stack.database_url.split("@")[-1]


def _crashed(name: str, title: str, exc: Exception) -> CheckResult:
    result = CheckResult(name, title, ok=False)
    result.fail(f"{type(exc).__name__}: {exc}")
    for line in traceback.format_exc().rstrip().splitlines()[-8:]:
        result.info(line)
    return result


def _alive(stack: Stack, results: list[CheckResult]) -> bool:
    try:
        stack.check_alive()
    except RuntimeError as exc:
        results.append(_crashed("stack", "the stack stays up", exc))
        return False
    return True


def _report(run_dir: Path, results: list[CheckResult], timings: dict[str, float]) -> int:
    ok = bool(results) and all(r.ok for r in results)
    lines = ["", "e2e summary:"]
    lines += [f"  {'PASS' if r.ok else 'FAIL'}  {r.name:<18} {r.seconds:5.0f} s  {r.title}" for r in results]
    notes = [f"  note: {n}" for r in results for n in r.notes]
    lines += notes
    lines.append("  timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    lines.append(f"  {'PASSED' if ok else 'FAILED'}; logs: {run_dir}")
    text = "\n".join(lines)
    print(text, flush=True)
    (run_dir / "report.txt").write_text("\n\n".join(r.render() for r in results) + "\n" + text + "\n")
    summary = {
        "ok": ok,
        "timings": timings,
        "checks": [{"name": r.name, "ok": r.ok, "seconds": r.seconds, "lines": r.lines} for r in results],
    }
    (run_dir / "result.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
