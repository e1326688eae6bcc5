"""A Glue workflow run's graph: the job outcomes a timeline step declares, as Glue spells them.

A step may carry ``jobs``, ``[{"name": "transform", "state": "FAILED", "error_message": "..."}]``
(``state`` one of Glue's ``JobRunState`` values; ``run_id`` optional, else a stable ``jr_`` id
derived from the workflow run and job). GetWorkflowRun(s) with ``IncludeGraph`` then answer
``Graph.Nodes``: a start trigger and one ``JOB`` node per job, each with its run in
``JobDetails.JobRuns`` (``JobRunState``, ``ErrorMessage``), as botocore's ``WorkflowGraph`` shape
has them. Without ``statistics`` of its own, the step's counters follow from the jobs' states (a
COMPLETED step with a FAILED job counts one failed action), so declaring jobs is enough.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

JOB_RUN_STATES = frozenset(
    {"STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "WAITING", "EXPIRED"}
)
JOB_TERMINAL_STATES = frozenset({"STOPPED", "SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "EXPIRED"})
#: The Statistics counter a job in each state counts in.
COUNTER_OF_STATE = {
    "STARTING": "RunningActions",
    "RUNNING": "RunningActions",
    "STOPPING": "RunningActions",
    "WAITING": "WaitingActions",
    "SUCCEEDED": "SucceededActions",
    "FAILED": "FailedActions",
    "EXPIRED": "FailedActions",
    "ERROR": "ErroredActions",
    "TIMEOUT": "TimeoutActions",
    "STOPPED": "StoppedActions",
}
JOB_FIELDS = frozenset({"name", "state", "error_message", "run_id"})


def validate_jobs(raw: Any) -> list[dict[str, str]]:
    """A step's ``jobs``, checked and copied (a ValueError names what is wrong)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError("'jobs' must be a list of {'name', 'state', 'error_message'?, 'run_id'?}")
    jobs: list[dict[str, str]] = []
    for job in raw:
        if not isinstance(job, Mapping) or set(job) - JOB_FIELDS or not {"name", "state"} <= set(job):
            raise ValueError(f"a glue job takes 'name', 'state' and optionally 'error_message', 'run_id': {job!r}")
        if any(not isinstance(value, str) or not value for value in job.values()):
            raise ValueError(f"a glue job's fields must be non-empty strings: {job!r}")
        if job["state"] not in JOB_RUN_STATES:
            raise ValueError(f"job state {job['state']!r} is not one of Glue's {sorted(JOB_RUN_STATES)}")
        jobs.append(dict(job))
    if len({job["name"] for job in jobs}) != len(jobs):
        raise ValueError("each job of a step appears once")
    return jobs


def job_statistics(jobs: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """The Statistics counters the jobs' states amount to (every counter explicit)."""
    counts = {"TotalActions": len(jobs), **dict.fromkeys(sorted(set(COUNTER_OF_STATE.values())), 0)}
    for job in jobs:
        counts[COUNTER_OF_STATE[job["state"]]] += 1
    return counts


def job_run_id(workflow_run_id: str, job: Mapping[str, str]) -> str:
    """The job's declared run id, else one shaped like Glue's, stable across polls."""
    if "run_id" in job:
        return job["run_id"]
    return "jr_" + hashlib.sha256(f"{workflow_run_id}/{job['name']}".encode()).hexdigest()


def graph(
    workflow: str, run_id: str, started_on: float, ended_on: float, jobs: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """``Graph`` of a run: its start trigger, one JOB node per declared job, and their edges (none
    declared: an empty graph)."""
    if not jobs:
        return {"Nodes": [], "Edges": []}
    trigger_id = "wnode_" + hashlib.sha256(f"{workflow}/start".encode()).hexdigest()[:40]
    trigger = {
        "Type": "TRIGGER",
        "Name": f"{workflow}_start",
        "UniqueId": trigger_id,
        "TriggerDetails": {
            "Trigger": {
                "Name": f"{workflow}_start",
                "WorkflowName": workflow,
                "Type": "ON_DEMAND",
                "State": "ACTIVATED",
                "Actions": [{"JobName": job["name"]} for job in jobs],
            }
        },
    }
    nodes: list[dict[str, Any]] = [trigger]
    edges = []
    for job in jobs:
        node_id = "wnode_" + hashlib.sha256(f"{workflow}/job/{job['name']}".encode()).hexdigest()[:40]
        nodes.append(
            {
                "Type": "JOB",
                "Name": job["name"],
                "UniqueId": node_id,
                "JobDetails": {"JobRuns": [_job_run(run_id, job, started_on, ended_on, f"{workflow}_start")]},
            }
        )
        edges.append({"SourceId": trigger_id, "DestinationId": node_id})
    return {"Nodes": nodes, "Edges": edges}


def _job_run(run_id: str, job: Mapping[str, str], started_on: float, ended_on: float, trigger: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": job_run_id(run_id, job),
        "Attempt": 0,
        "TriggerName": trigger,
        "JobName": job["name"],
        "JobMode": "SCRIPT",
        "StartedOn": round(started_on, 3),
        "LastModifiedOn": round(max(ended_on, started_on), 3),
        "JobRunState": job["state"],
        "PredecessorRuns": [],
        "ExecutionTime": int(max(0.0, ended_on - started_on)),
        "GlueVersion": "4.0",
    }
    if job["state"] in JOB_TERMINAL_STATES:
        out["CompletedOn"] = round(max(ended_on, started_on), 3)
    if "error_message" in job:
        out["ErrorMessage"] = job["error_message"]
    return out
