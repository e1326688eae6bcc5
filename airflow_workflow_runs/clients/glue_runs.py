"""Glue workflow runs on the wire: the status table, the Statistics rule and the run parser.
No SDK import: :mod:`.glue` calls Glue, this module interprets what it answers.

Glue reports ``COMPLETED`` when a run has merely finished: its jobs and crawlers may have failed,
errored, timed out or been stopped, which only ``Statistics`` shows. Such a run is a failure here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from airflow_workflow_runs.clients.answers import reads_answer, require_status
from airflow_workflow_runs.clients.base import map_status
from airflow_workflow_runs.model import RunState, WorkflowRun

SERVICE = "glue"

#: Glue's ``WorkflowRunStatus`` enum, exactly (tests compare it with botocore's service model).
STATUS_TABLE: Mapping[str, RunState] = {
    "RUNNING": RunState.RUNNING,
    "STOPPING": RunState.RUNNING,  # not over yet: STOPPED follows
    "COMPLETED": RunState.SUCCEEDED,  # unless Statistics show an action that did not succeed
    "STOPPED": RunState.CANCELLED,
    "ERROR": RunState.FAILED,
}

#: Statistics counters that make a COMPLETED run a failure, with their wording.
UNSUCCESSFUL_ACTIONS: Mapping[str, str] = {
    "FailedActions": "failed",
    "ErroredActions": "errored",
    "TimeoutActions": "timed out",
    "StoppedActions": "stopped",
}


@reads_answer
def run_from_wire(raw: Mapping[str, Any], region: str) -> WorkflowRun:
    """Map one Glue ``WorkflowRun`` structure into the model, applying the Statistics rule."""
    ref = {"workflow_name": str(raw.get("Name", "")), "run_id": str(raw.get("WorkflowRunId", ""))}
    raw_status = require_status(raw.get("Status"), "Run.Status")
    state = map_status(STATUS_TABLE, raw_status)
    statistics = dict(raw.get("Statistics") or {})
    error = raw.get("ErrorMessage") or None
    if state is RunState.SUCCEEDED:
        shortfall = unsuccessful_actions(statistics)
        if shortfall:
            state = RunState.FAILED
            error = "; ".join(filter(None, [shortfall, error]))
    elif state is RunState.UNKNOWN:
        error = "; ".join(
            filter(None, [f"status {raw_status!r} is not in the Glue status table of this provider", error])
        )
    return WorkflowRun(
        service=SERVICE,
        ref=ref,
        run_id=ref["run_id"],
        state=state,
        raw_status=str(raw_status),
        started_at=raw.get("StartedOn"),
        ended_at=raw.get("CompletedOn"),
        error=error,
        outputs=dict(raw.get("WorkflowRunProperties") or {}) or None,
        console_url=console_url(region, ref["workflow_name"]),
        details={
            "statistics": statistics,
            "run_properties": dict(raw.get("WorkflowRunProperties") or {}),
            "previous_run_id": raw.get("PreviousRunId"),
        },
    )


def unsuccessful_actions(statistics: Mapping[str, Any]) -> str:
    """Describe actions that did not succeed (``"1 of 3 actions failed, 1 timed out"``), or ''."""
    parts = [
        f"{int(statistics.get(key) or 0)} {label}"
        for key, label in UNSUCCESSFUL_ACTIONS.items()
        if int(statistics.get(key) or 0) > 0
    ]
    if not parts:
        return ""
    total = statistics.get("TotalActions")
    of_total = f" of {total}" if total is not None else ""
    return f"COMPLETED, but actions did not succeed ({', '.join(parts)}{of_total} actions)"


def console_url(region: str, workflow_name: str) -> str:
    """The Glue console page of a workflow (its runs are listed there)."""
    domain = console_domain(region)
    name = quote(workflow_name, safe="")
    return f"https://{region}.console.{domain}/glue/home?region={region}#/v2/etl-configuration/workflows/view/{name}"


def console_domain(region: str) -> str:
    if region.startswith("cn-"):
        return "amazonaws.cn"
    if region.startswith("us-gov-"):
        return "amazonaws-us-gov.com"
    return "aws.amazon.com"
