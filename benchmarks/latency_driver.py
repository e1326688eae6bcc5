"""The latency phase's plan and children: the timing a child runs on, its environment, starting it
and handing it the waits once it is ready (the runs are created only then, their timelines starting
at the phase start), and the waits it is handed (ours: ``WorkflowRunTrigger``; amazon's:
``GlueJobCompleteTrigger``). The child itself is ``latency_cost.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import BENCH_DIR, REPO, airflow_env

OURS_TRIGGER = "airflow_workflow_runs.triggers.workflow_run.WorkflowRunTrigger"
AMAZON_TRIGGER = "airflow.providers.amazon.aws.triggers.glue.GlueJobCompleteTrigger"
AMAZON = "amazon"
#: A run is RUNNING for this many poll intervals, then succeeds: 7 polls for ours, 8 for amazon.
RUNNING_INTERVALS = 6.5
HEARTBEAT_SECONDS = 0.05
CHILD_READY_SECONDS = 120.0  # a child may spend this long importing Airflow before it is ready
SPEC_LEAD_SECONDS = 2.0  # the phase starts this long (plus 2 ms per wait) after the spec is written

IO_THREADS_ENV = "AIRFLOW__WORKFLOW_RUNS__IO_THREADS"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """One child's timing: the poll interval, how long runs stay RUNNING, and the budgets that end stragglers."""

    interval: float

    @property
    def running(self) -> float:
        return RUNNING_INTERVALS * self.interval

    @property
    def expected_polls(self) -> int:
        """Polls a perfect poller of ours makes until the first terminal one (at k·interval, k = 1..)."""
        return math.ceil(self.running / self.interval)

    @property
    def deadline_after(self) -> float:
        """Our waits' deadline, after the phase start: three polls late, and half a minute more."""
        return self.running + 3 * self.interval + 30.0

    @property
    def amazon_attempts(self) -> int:
        return self.expected_polls + 1 + 3

    @property
    def timeout(self) -> float:
        """After this (from the phase start) the child cancels what is still running: past every budget."""
        return self.deadline_after + self.interval + 60.0


# --- one child ---------------------------------------------------------------------------------


@dataclass
class ChildRun:
    """What one child reported, when its phase started, and the emulator's CPU over it."""

    result: dict[str, Any]
    phase_start: float
    emulator_cpu_s: float
    #: The machine's 1-minute load average at the phase start and at its end (others' work shows here).
    load: tuple[float, float] = (0.0, 0.0)


def child_env(emu: Any, workdir: Path, args: argparse.Namespace, pythonpath: str | None = None) -> dict[str, str]:
    """An Airflow home of its own, every default connection on the emulator, and our I/O pool's
    size when ``--io-threads`` sets it (amazon's side has no such pool: it is ignored there)."""
    from airflow_workflow_runs.emulator.connections import connection_env, emulator_connections

    (workdir / "home" / "dags").mkdir(parents=True)
    env = airflow_env(workdir / "home", log_level=args.log_level)
    env.update(connection_env(emulator_connections(emu.https_url, emu.ca_bundle)))
    if args.io_threads is not None:
        env[IO_THREADS_ENV] = str(args.io_threads)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _wait_ready(proc: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + CHILD_READY_SECONDS
    while not (workdir / "ready").exists():
        if proc.poll() is not None:
            raise RuntimeError(f"latency_cost.py exited with {proc.returncode} before it was ready ({workdir})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"latency_cost.py was not ready within {CHILD_READY_SECONDS:.0f} s ({workdir})")
        time.sleep(0.05)


def run_child(
    emu: Any, workdir: Path, env: Mapping[str, str], make_spec: Callable[[float], dict[str, Any]], waits: int
) -> ChildRun:
    """Start a child; once it is ready, create the runs (their timelines start at the phase start)
    and hand it the spec; the emulator's CPU (this process) is read from the phase start to the end."""
    stdout, stderr = (workdir / "stdout.txt").open("wb"), (workdir / "stderr.txt").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "latency_cost.py"), str(workdir)],
        env=dict(env),
        cwd=REPO,
        stdout=stdout,
        stderr=stderr,
    )
    try:
        _wait_ready(proc, workdir)
        phase_start = time.time() + SPEC_LEAD_SECONDS + 0.002 * waits
        with emu.store.backdated(phase_start):
            spec = make_spec(phase_start)
        (workdir / "spec.tmp").write_text(json.dumps(spec))
        (workdir / "spec.tmp").rename(workdir / "spec.json")
        time.sleep(max(0.0, phase_start - time.time()))
        cpu0, load0 = time.process_time(), os.getloadavg()[0]
        returncode = proc.wait(timeout=spec["timeout"] + 60.0)
        emulator_cpu, load1 = time.process_time() - cpu0, os.getloadavg()[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stdout.close()
        stderr.close()
    if returncode != 0:
        tail = (workdir / "stderr.txt").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"latency_cost.py exited with {returncode}:\n{tail}")
    return ChildRun(json.loads((workdir / "result.json").read_text()), phase_start, emulator_cpu, (load0, load1))


def spec_for(kind: str, waits: list[dict[str, Any]], plan: Plan, phase_start: float, **extra: Any) -> dict[str, Any]:
    """What the child runs; ``extra``: ``count_polls``, ``profile_path``."""
    return {
        "kind": kind,
        "trigger_class": AMAZON_TRIGGER if kind == AMAZON else OURS_TRIGGER,
        "phase_start": phase_start,
        "timeout": plan.timeout,
        "heartbeat_s": HEARTBEAT_SECONDS,
        "waits": waits,
        **extra,
    }


def ours_wait(run: Any, plan: Plan, phase_start: float, label: str, offset: float = 0.0) -> dict[str, Any]:
    """A ``WorkflowRunTrigger`` deferred at ``phase_start + offset``: it polls one interval later."""
    start = phase_start + offset
    kwargs = {
        "hook_class": run.hook_class,
        "hook_kwargs": dict(run.hook_kwargs),
        "ref": dict(run.ref),
        "poll_interval": plan.interval,
        "deadline": start + plan.deadline_after,
        "last_poll_at": start,
    }
    return {"label": label, "offset": offset, "kwargs": kwargs}


def amazon_wait(job: str, run_id: str, plan: Plan) -> dict[str, Any]:
    """A ``GlueJobCompleteTrigger``: polls at once, then every ``waiter_delay``, for a bounded number of attempts."""
    kwargs = {
        "job_name": job,
        "run_id": run_id,
        "verbose": False,
        "aws_conn_id": "aws_default",
        "waiter_delay": plan.interval,
        "waiter_max_attempts": plan.amazon_attempts,
    }
    return {"label": AMAZON, "offset": 0.0, "kwargs": kwargs}
