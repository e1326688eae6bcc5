"""What a check found: a verdict, the lines that explain it, and how long it took."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CheckResult:
    name: str
    title: str
    ok: bool = True
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append(f"FAIL {line}")

    def info(self, line: str) -> None:
        self.lines.append(f"     {line}")

    def note(self, line: str) -> None:
        self.notes.append(line)
        self.lines.append(f"note {line}")

    def expect(self, condition: bool, line: str) -> bool:
        """``line`` as a pass or a failure, according to ``condition``."""
        if condition:
            self.lines.append(f"  ok {line}")
        else:
            self.fail(line)
        return condition

    def render(self) -> str:
        head = f"[{'PASS' if self.ok else 'FAIL'}] {self.title} ({self.seconds:.0f} s)"
        return "\n".join([head, *(f"    {line}" for line in self.lines)])


class Timer:
    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.began


def task_log_paths(home: Path, ti: dict[str, Any]) -> list[Path]:
    """The log files of a task instance's tries (and their trigger parts) under ``$AIRFLOW_HOME/logs``."""
    folder = home / "logs" / f"dag_id={ti['dag_id']}" / f"run_id={ti['dag_run_id']}" / f"task_id={ti['task_id']}"
    return sorted(folder.glob("attempt=*.log*")) if folder.is_dir() else []


def describe_logs(home: Path, ti: dict[str, Any]) -> str:
    """Where a task instance's logs are: its folder and the files in it (one per try, and trigger parts)."""
    paths = task_log_paths(home, ti)
    if not paths:
        return "no log file"
    return f"{paths[0].parent}/{{{', '.join(p.name for p in paths)}}}"


_RACE = re.compile(
    r"reported that the task instance <TaskInstance: (?P<dag>[^ .]+)\.(?P<task>\S+) (?P<run>\S+) "
    r"\[\w+\][^>]*> finished with state success, but the task instance's state attribute is (?P<state>\w+)"
)


def stale_exit_races(scheduler_log: Path) -> list[tuple[str, str, str, str]]:
    """(dag_id, task_id, run_id, state) of every task Airflow failed for its own stale defer-exit success
    (apache/airflow#67287, #72716): the worker's "success" of the defer exit arrived after the trigger
    had already resumed the task."""
    try:
        text = scheduler_log.read_text(errors="replace")
    except OSError:
        return []
    return [(m["dag"], m["task"], m["run"], m["state"]) for m in _RACE.finditer(text)]
