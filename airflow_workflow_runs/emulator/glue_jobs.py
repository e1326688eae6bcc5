"""Glue job runs in the emulator, minimally: GetJobRun over runs added with ``add_job_run``.

What the amazon provider's ``GlueJobCompleteTrigger`` polls (the benchmarks compare against it).
Job runs live in the store under their own namespace, :data:`JOB_RUNS`, apart from workflow runs
(a job may share a workflow's name); their timeline steps use Glue's ``JobRunState`` values
(RUNNING, SUCCEEDED, FAILED, ...) and may carry ``error_message``. A module of its own because
job runs share nothing with workflow runs but the JSON 1.1 protocol (:mod:`.glue_wire`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from .glue_wire import GlueError, parse_run_properties, require_str
from .service import CallContext
from .store import RunRecord, Store
from .timeline import Position, parse_steps

#: Store namespace of job runs, apart from workflow runs (a job may share a workflow's name).
JOB_RUNS = "glue.jobs"
JOB_TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})
DEFAULT_JOB_TIMELINE: tuple[dict[str, Any], ...] = (
    {"status": "RUNNING", "polls": 2},
    {"status": "SUCCEEDED"},
)


def new_job_run_id() -> str:
    """A fresh job run id shaped like Glue's: ``jr_`` followed by 64 hex digits."""
    return "jr_" + secrets.token_hex(32)


def validate_job_step(extra: Mapping[str, Any]) -> dict[str, Any]:
    """A job timeline step's fields: only ``error_message``."""
    unknown = set(extra) - {"error_message"}
    if unknown:
        raise ValueError(
            f"unknown glue job timeline step fields {sorted(unknown)}; allowed: status, polls, seconds, error_message"
        )
    if "error_message" in extra and not isinstance(extra["error_message"], str):
        raise ValueError("'error_message' must be a string")
    return dict(extra)


def get_job_run(store: Store, body: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
    """GetJobRun's answer (the run observed unless ``ctx`` says the answer will be mangled)."""
    job_name, run_id = require_str(body, "JobName"), require_str(body, "RunId")
    run = store.run(JOB_RUNS, job_name, run_id)
    if run is None:
        raise GlueError("EntityNotFoundException", f"Job run {run_id} of job {job_name} not found")
    with store.lock:
        pos = store.observe(run) if ctx.observe else store.peek(run)
        return {"JobRun": wire_job_run(run, pos)}


def wire_job_run(run: RunRecord, pos: Position) -> dict[str, Any]:
    """A job run as GetJobRun answers it, at timeline position ``pos``."""
    status = pos.step.status
    started = round(run.started_on, 3)
    out: dict[str, Any] = {
        "Id": run.run_id,
        "Attempt": 0,
        "JobName": run.workflow,
        "JobMode": "SCRIPT",
        "StartedOn": started,
        "LastModifiedOn": round(max(pos.entered_at, run.started_on), 3),
        "JobRunState": status,
        "Arguments": dict(run.properties),
        "PredecessorRuns": [],
        "AllocatedCapacity": 2,
        "ExecutionTime": int(max(0.0, pos.entered_at - run.started_on)),
        "Timeout": 2880,
        "MaxCapacity": 2.0,
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "GlueVersion": "4.0",
    }
    if status in JOB_TERMINAL_STATUSES:
        out["CompletedOn"] = round(max(pos.entered_at, run.started_on), 3)
    if "error_message" in pos.step.extra:
        out["ErrorMessage"] = pos.step.extra["error_message"]
    return out


def add_job_run(
    store: Store,
    job_name: str,
    timeline: Sequence[Any] | None = None,
    *,
    run_id: str | None = None,
    arguments: Mapping[str, str] | None = None,
) -> str:
    """Add a run of job ``job_name`` for GetJobRun; returns its id (``jr_...``).

    The run follows ``timeline`` (default: RUNNING for 2 polls, then SUCCEEDED), starting now;
    steps take Glue's ``JobRunState`` values and optionally ``error_message``.
    """
    if not job_name:
        raise ValueError("a job name is required")
    steps = parse_steps(list(DEFAULT_JOB_TIMELINE) if timeline is None else timeline, validate_job_step)
    run = store.new_run(
        JOB_RUNS, job_name, run_id or new_job_run_id(), steps, properties=parse_run_properties(arguments)
    )
    return run.run_id


def job_run(store: Store, job_name: str, run_id: str) -> dict[str, Any]:
    """The current record of one job run (not counted as an observation); ``KeyError`` if absent."""
    run = store.run(JOB_RUNS, job_name, run_id)
    if run is None:
        raise KeyError(f"no glue job run {run_id!r} of job {job_name!r}")
    with store.lock:
        pos = store.peek(run)
        return {
            "job_name": run.workflow,
            "run_id": run.run_id,
            "status": pos.step.status,
            "step_index": pos.index,
            "started_on": run.started_on,
            "observations": run.observations,
            "timeline": run.timeline.to_list(),
        }
