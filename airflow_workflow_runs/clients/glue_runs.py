"""Glue workflow runs on the wire: the status table, the Statistics rule and the run parser.
No SDK import: :mod:`.glue` calls Glue, this module interprets what it answers.

Glue reports ``COMPLETED`` when a run has merely finished: its jobs and crawlers may have failed,
errored, timed out or been stopped, which only ``Statistics`` shows. Such a run is a failure here.
Which jobs failed, and why, only the run's graph says: :func:`with_failed_jobs` reads it, for the
failed runs :func:`needs_graph` picks (the client fetches the graph once, for those only).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from airflow_workflow_runs.clients.answers import reads_answer, require_listing, require_status
from airflow_workflow_runs.clients.base import map_status
from airflow_workflow_runs.model import GarbledAnswer, RunState, WorkflowRun

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
#: ``JobRunState`` values of a job run that did not succeed (what those counters count).
UNSUCCESSFUL_JOB_STATES = frozenset({"FAILED", "ERROR", "TIMEOUT", "STOPPED", "EXPIRED"})
#: Failed jobs a failure message names (``details["failed_jobs"]`` has all), and how much of each
#: one's error message it quotes (Glue's can be whole stack traces).
MESSAGE_JOBS = 10
MESSAGE_ERROR_CHARS = 1000

log = logging.getLogger(__name__)


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


def listed_runs(page: Any, what: str) -> list[Any]:
    """The ``Runs`` of a GetWorkflowRuns answer about ``what``, else a GarbledAnswer naming it.

    Glue answers ``{"Runs": []}`` for a workflow without runs (botocore's model makes no member
    required, but the list is always sent). botocore reads an HTML page or a cut-off body answered
    200 as ``{}``: a page without its list is garbled, never "no runs".
    """
    try:
        return require_listing(page, "Runs")
    except GarbledAnswer as error:
        raise error.about(f"GetWorkflowRuns of {what}") from None


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


def needs_graph(run: WorkflowRun) -> bool:
    """Whether a run ended failed in a way its jobs explain: ERROR, or COMPLETED with actions that
    did not succeed (a running, cancelled or unknown run never costs a graph)."""
    return run.state is RunState.FAILED and run.raw_status in ("ERROR", "COMPLETED")


def with_failed_jobs(run: WorkflowRun, answer: Any) -> WorkflowRun:
    """``run`` with the failed jobs of ``answer`` (GetWorkflowRun's, with its graph) in its error
    and ``details["failed_jobs"]``. The outcome stands whatever ``answer`` is: an answer without a
    graph (an error's text, garbled data) leaves the jobs unnamed, with a warning."""
    graph = (answer.get("Run") or {}).get("Graph") if isinstance(answer, Mapping) else None
    if not isinstance(graph, Mapping):
        problem = answer if isinstance(answer, str) else "the answer had no Run.Graph"
        log.warning("Could not name the failed jobs of %s: %s", run.describe(), problem)
        return run
    jobs = failed_jobs(graph)
    named = [_describe_job(job) for job in jobs[:MESSAGE_JOBS]]
    if len(jobs) > MESSAGE_JOBS:
        named.append(f"{len(jobs) - MESSAGE_JOBS} more failed jobs in details['failed_jobs']")
    error = "; ".join(filter(None, [run.error, *named]))
    return dataclasses.replace(run, error=error or None, details={**run.details, "failed_jobs": jobs})


def failed_jobs(graph: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each JOB node whose latest job run did not succeed: ``job_name``, ``job_run_id``,
    ``error_message``, ``state``. Nodes or runs that are not objects are skipped."""
    jobs = []
    nodes = graph.get("Nodes")
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, Mapping) or node.get("Type") != "JOB":
            continue
        runs = (node.get("JobDetails") or {}).get("JobRuns") if isinstance(node.get("JobDetails"), Mapping) else None
        runs = [r for r in runs if isinstance(r, Mapping)] if isinstance(runs, list) else []
        if not runs:
            continue
        latest = max(runs, key=_attempt_order)  # a retry that succeeded makes the job a success
        if latest.get("JobRunState") in UNSUCCESSFUL_JOB_STATES:
            jobs.append(
                {
                    "job_name": str(latest.get("JobName") or node.get("Name") or ""),
                    "job_run_id": latest.get("Id"),
                    "error_message": latest.get("ErrorMessage") or None,
                    "state": latest.get("JobRunState"),
                }
            )
    return jobs


def _attempt_order(job_run: Mapping[str, Any]) -> tuple[int, float]:
    attempt = job_run.get("Attempt")
    started = job_run.get("StartedOn")
    return (
        attempt if isinstance(attempt, int) else 0,
        started.timestamp() if isinstance(started, datetime) else 0.0,
    )


def _describe_job(job: Mapping[str, Any]) -> str:
    """``job 'transform' FAILED (job run jr_...): <its error message, cut>``."""
    text = f"job {job['job_name']!r} {job['state']} (job run {job['job_run_id']})"
    message = job["error_message"]
    if message:
        cut = len(message) > MESSAGE_ERROR_CHARS
        text += f": {message[:MESSAGE_ERROR_CHARS]}{'…' if cut else ''}"
    return text


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
