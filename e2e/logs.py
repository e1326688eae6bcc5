"""Check: the deployment's logs hold no traceback from our code and no "async thread was blocked"
warning that our code caused.

Read: the scheduler's, dag-processor's, api-server's and every triggerer's output, and the
triggerer's per-trigger logs (``<task log>.trigger.<job>.log``). A traceback is ours when one of
its frames is in ``airflow_workflow_runs``; Airflow's own tracebacks (its stale defer-exit race
leaves some) are counted, not failed. Every "async thread was blocked" warning is listed with its
cause, read from the stacks the triggerer's loop watch captured (:mod:`e2e.loopstalls`); those our
code caused fail the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .loopstalls import Verdict, attribute, read_watch, warnings_in
from .report import CheckResult, Timer
from .stack import Stack

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
OUR_FRAME = re.compile(r"airflow_workflow_runs/[\w/]+\.py")


def process_logs(stack: Stack) -> list[Path]:
    return sorted(p for p in stack.run_dir.glob("*.log") if p.stem not in ("emulator", "db-migrate", "db-reset"))


def trigger_logs(stack: Stack) -> list[Path]:
    return sorted((stack.home / "logs").rglob("*.trigger.*.log"))


def records(path: Path) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each log record: a timestamped line and the lines under it."""
    start, lines = 0, list[str]()
    with path.open(errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if RECORD_START.match(line) or line.startswith("{"):
                if lines:
                    yield start, "".join(lines)
                start, lines = number, []
            lines.append(line)
    if lines:
        yield start, "".join(lines)


def is_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text or '"exception"' in text or '"exc_info"' in text


def check_logs(stack: Stack) -> CheckResult:
    result = CheckResult("logs", "no traceback from our code; no 'async thread was blocked' warning our code caused")
    timer = Timer()
    files = process_logs(stack) + trigger_logs(stack)
    ours: list[str] = []
    theirs = 0
    blocked: list[tuple[str, Verdict]] = []
    for path in files:
        where = path.relative_to(stack.run_dir)
        for number, text in records(path):
            if is_traceback(text):
                frames = OUR_FRAME.findall(text)
                if frames:
                    ours.append(f"{where}:{number}: {sorted(set(frames))} {_last_line(text)}")
                else:
                    theirs += 1
    result.info(f"read {len(files)} logs ({len(process_logs(stack))} processes, {len(trigger_logs(stack))} triggers)")
    result.expect(not ours, f"{len(ours)} tracebacks through airflow_workflow_runs")
    for line in ours[:10]:
        result.info(f"  {line}")
    for log in sorted(stack.run_dir.glob("triggerer-*.log")):
        watches = [read_watch(p) for p in sorted(stack.run_dir.glob(f"loopwatch-{log.stem}-*.log"))]
        pauses = [(a, b or a) for name, a, b in stack.pauses if name == log.stem]
        for number, when, seconds in warnings_in(log):
            place = f"{log.name}:{number}: blocked {seconds:.2f} s"
            if any(a - 1 <= when <= b + seconds + 1 for a, b in pauses):
                blocked.append((place, Verdict(False, "the check SIGSTOPped this triggerer then")))
            else:
                blocked.append((place, attribute(watches, when, seconds)))
    caused = [b for b in blocked if b[1].ours]
    result.expect(not caused, f"{len(caused)} of {len(blocked)} 'async thread was blocked' warnings caused by our code")
    for place, verdict in blocked[:20]:
        result.info(f"  {'OURS ' if verdict.ours else ''}{place}: {verdict.why}")
    if theirs:
        result.info(f"{theirs} tracebacks of Airflow's own (none through our code)")
    result.seconds = timer()
    return result


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
