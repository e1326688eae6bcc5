"""Check: the deployment's logs hold no traceback from our code and no "async thread was blocked" warning.

Read: the scheduler's, dag-processor's, api-server's and every triggerer's output, and the
triggerer's per-trigger logs (``<task log>.trigger.<job>.log``). A traceback is "ours" when one of
its frames is in ``airflow_workflow_runs``. Airflow's own tracebacks (its stale defer-exit race
leaves some) are counted, not failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .report import CheckResult, Timer
from .stack import Stack

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
OUR_FRAME = re.compile(r"airflow_workflow_runs/[\w/]+\.py")
BLOCKED = "async thread was blocked"


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
    result = CheckResult("logs", "no traceback from airflow_workflow_runs, no 'async thread was blocked' warning")
    timer = Timer()
    files = process_logs(stack) + trigger_logs(stack)
    ours: list[str] = []
    theirs = 0
    blocked: list[str] = []
    for path in files:
        where = path.relative_to(stack.run_dir)
        for number, text in records(path):
            if is_traceback(text):
                frames = OUR_FRAME.findall(text)
                if frames:
                    ours.append(f"{where}:{number}: {sorted(set(frames))} {_last_line(text)}")
                else:
                    theirs += 1
            if BLOCKED in text:
                blocked.append(f"{where}:{number}: {_blocked_seconds(text)}")
    result.info(f"read {len(files)} logs ({len(process_logs(stack))} processes, {len(trigger_logs(stack))} triggers)")
    result.expect(not ours, f"{len(ours)} tracebacks through airflow_workflow_runs")
    for line in ours[:10]:
        result.info(f"  {line}")
    result.expect(not blocked, f"{len(blocked)} 'async thread was blocked' warnings")
    for line in blocked[:20]:
        result.info(f"  {line}")
    if theirs:
        result.info(f"{theirs} tracebacks of Airflow's own (none through our code)")
    result.seconds = timer()
    return result


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _blocked_seconds(text: str) -> str:
    match = re.search(r"blocked for ([\d.]+) seconds", text)
    return f"blocked {match.group(1)} s" if match else text.strip()[:160]
