"""Helpers shared by the benchmark driver and its child processes (standard library only).

Every measurement runs in a fresh child process; this module holds what both sides need: the
Airflow environment a child starts with, memory readings from ``/proc``, and small statistics.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import resource
import statistics
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
MiB = 1024 * 1024
CONN_ID = "aws_bench"
REGION = "eu-west-1"

#: Modules whose presence after an import we report (the cloud SDK stack).
SDK_MODULES = ("boto3", "botocore", "aiobotocore", "aiohttp", "s3transfer")


def airflow_env(home: Path, *, log_level: str = "WARNING") -> dict[str, str]:
    """The environment of a child: an isolated Airflow home and nothing from the caller's shell.

    Mirrors tests/conftest.py: Airflow reads its configuration at import time, so this is set
    before the child imports anything from Airflow.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AWS_", "BOTO_", "PYTHONPATH"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": log_level,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def aws_connection(https_url: str, ca_bundle: str) -> str:
    """An ``aws`` connection to the emulator as an ``AIRFLOW_CONN_*`` value (fake credentials)."""
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "AKIDBENCHMARK",
            "password": "benchmark-secret",
            "extra": {"region_name": REGION, "endpoint_url": https_url, "verify": ca_bundle},
        }
    )


# --- memory ----------------------------------------------------------------------------------


def _status_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def rss_bytes() -> int:
    """Current resident set size (VmRSS), falling back to psutil off Linux."""
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    import psutil

    return int(psutil.Process().memory_info().rss)


def uss_bytes() -> int | None:
    """Unique set size (memory only this process maps) when psutil can read it, else None."""
    try:
        import psutil

        return int(psutil.Process().memory_full_info().uss)
    except Exception:
        return None


class PeakRss:
    """Peak RSS over a block: the kernel's VmHWM after resetting it, else a 10 ms sampler thread."""

    def __init__(self) -> None:
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.method = "VmHWM"

    def __enter__(self) -> PeakRss:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            if _status_kib("VmHWM") is None:
                raise OSError("no VmHWM")
        except OSError:
            self.method = "sampled every 10 ms"
            self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=1)
            self._peak = max(self._peak, rss_bytes())
        else:
            self._peak = (_status_kib("VmHWM") or 0) * 1024

    @property
    def peak(self) -> int:
        return self._peak


def raise_fd_limit() -> None:
    """Lift the soft open-files limit to the hard one (thousands of sockets in one process)."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))


# --- statistics and output -------------------------------------------------------------------


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | str):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def write_json(path: str | Path, data: Mapping[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def versions(*dists: str) -> dict[str, str | None]:
    """Installed versions of distributions as seen by this interpreter (and its sys.path)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(2)


POLLS: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("polls", default=None)


def count_polls() -> None:
    """Wrap our trigger's ``read_run_renewing`` to note every poll's send time in the calling wait's ``POLLS`` list."""
    from airflow_workflow_runs.triggers import workflow_run

    read = workflow_run.read_run_renewing

    async def counting_read_run(*args: Any, **kwargs: Any) -> Any:  # instrumentation only: notes, then returns
        reading = await read(*args, **kwargs)
        polls = POLLS.get()
        if polls is not None:
            polls.append(reading.sent_at)
        return reading

    workflow_run.read_run_renewing = counting_read_run  # type: ignore[assignment]
