"""How the command line shows runs: a table for people, JSON (the XCom form) for scripts, and the
live progress line of ``wait``.

Everything printed passes :func:`redact` (Airflow's secrets masker, which knows every secret of the
connections read), so even an SDK message quoting a credential prints ``***``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

from airflow_workflow_runs.model import WorkflowRun

NONE = "-"


def redact(text: str) -> str:
    from airflow.sdk.log import redact as airflow_redact

    return str(airflow_redact(text))


def emit(stream: TextIO, text: str) -> None:
    stream.write(redact(text) + "\n")
    stream.flush()


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)


def moment(value: datetime | None) -> str:
    if value is None:
        return NONE
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m03s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def delay(seconds: float) -> str:
    """A wait before the next try: tenths below ten seconds."""
    return f"{seconds:.1f}s" if seconds < 10 else duration(seconds)


def run_duration(run: WorkflowRun) -> str:
    if run.started_at is None or run.ended_at is None:
        return NONE
    return duration((run.ended_at - run.started_at).total_seconds())


def _compact(value: Any) -> str:
    if value is None or value == {}:
        return NONE
    return json.dumps(value, default=str, separators=(", ", ": "))


def run_table(run: WorkflowRun) -> str:
    """One run, a field a line: its ids, state, raw status, times, error, console link, outputs, details."""
    rows: list[tuple[str, str]] = [("service", run.service)]
    rows += [(name, str(value)) for name, value in run.ref.items()]
    rows += [
        ("state", run.state.value),
        ("raw_status", run.raw_status),
        ("started_at", moment(run.started_at)),
        ("ended_at", moment(run.ended_at)),
        ("duration", run_duration(run)),
        ("error", run.error or NONE),
        ("console_url", run.console_url or NONE),
        ("outputs", _compact(run.outputs)),
        ("details", _compact(dict(run.details))),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def runs_table(runs: Sequence[WorkflowRun], id_field: str) -> str:
    """Runs a line each, newest first: the run id, state, raw status, start, end and duration."""
    header = (id_field, "state", "raw_status", "started_at", "ended_at", "duration")
    rows = [header] + [
        (run.ref.get(id_field, run.run_id), run.state.value, run.raw_status, moment(run.started_at),
         moment(run.ended_at), run_duration(run))
        for run in runs
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(f"{cell!s:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


class Progress:
    """``wait``'s progress: on a terminal one line rewritten in place, otherwise a line per change.

    A line is ``[elapsed] state (RAW_STATUS)``, with what the last transient answer was and when
    the next try comes while the service misbehaves.
    """

    def __init__(self, stream: TextIO, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._last_key: tuple[str, ...] | None = None
        self._shown: tuple[str, str | None] | None = None
        self._open = False

    def note(self, text: str) -> None:
        """A line that stays (what is being waited for, which run was chosen)."""
        self._close_line()
        emit(self.stream, text)

    def update(self, elapsed: float, status: str, note: str | None = None) -> None:
        self._shown = (status, note)
        line = f"[{duration(elapsed):>7}] {status}" + (f"; {note}" if note else "")
        if self.tty:
            width = max(shutil.get_terminal_size((100, 20)).columns - 1, 20)
            shown = redact(line)
            shown = shown if len(shown) <= width else shown[: width - 1] + "…"
            self.stream.write(f"\r{shown}\x1b[K")
            self.stream.flush()
            self._open = True
            return
        key = (status, note or "")
        if key != self._last_key:
            self._last_key = key
            emit(self.stream, line)

    def sleep(self, seconds: float, started: float) -> None:
        """Sleep between polls; on a terminal the elapsed time keeps counting meanwhile."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 1.0) if self.tty and self._shown else left)
            if self.tty and self._shown and left > 1.0:
                self.update(time.monotonic() - started, *self._shown)

    def finish(self) -> None:
        self._close_line()

    def _close_line(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
