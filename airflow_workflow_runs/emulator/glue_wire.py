"""Glue's JSON 1.1 shapes: the workflow run document, its action counters, errors and page tokens.

Pure functions and constants, no state: :mod:`.glue` decides what a request does, this module says
how Glue spells the answer (``__type`` errors, ``Statistics`` derived from the status, opaque
``NextToken``). Kept apart so what clients parse can be read, and tested, without the service.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from . import glue_graph
from .store import RunRecord
from .timeline import Position
from .wire import Response

TARGET_PREFIX = "AWSGlue."
CONTENT_TYPE = "application/x-amz-json-1.1"
TERMINAL_STATUSES = frozenset({"COMPLETED", "STOPPED", "ERROR"})
DEFAULT_MAX_RESULTS = 100
COUNTERS = (
    "TotalActions",
    "TimeoutActions",
    "FailedActions",
    "StoppedActions",
    "SucceededActions",
    "RunningActions",
    "ErroredActions",
    "WaitingActions",
)
# The counter that absorbs the actions not set explicitly, per status.
FILLER = {
    "RUNNING": "RunningActions",
    "STOPPING": "RunningActions",
    "COMPLETED": "SucceededActions",
    "STOPPED": "StoppedActions",
    "ERROR": "ErroredActions",
}
DEFAULT_ERROR_TYPES = {
    400: "InvalidInputException",
    403: "AccessDeniedException",
    404: "EntityNotFoundException",
    429: "ThrottlingException",
    500: "InternalServiceException",
    503: "ServiceUnavailableException",
    504: "OperationTimeoutException",
}
STEP_FIELDS = frozenset({"statistics", "error_message", "jobs"})


class GlueError(Exception):
    """An error answered in Glue's JSON error shape."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


def error_response(status: int, error_type: str | None, message: str | None) -> Response:
    """Glue's error answer; ``error_type`` and ``message`` default to the status' usual ones."""
    if error_type is None:
        error_type = DEFAULT_ERROR_TYPES.get(
            status, "InternalServiceException" if status >= 500 else "InvalidInputException"
        )
    if message is None:
        message = "Rate exceeded" if error_type == "ThrottlingException" else "Injected fault"
    return Response.json(
        {"__type": error_type, "Message": message},
        status,
        CONTENT_TYPE,
        {"x-amzn-RequestId": str(uuid.uuid4())},
    )


def new_run_id() -> str:
    """A fresh id shaped like Glue's: ``wr_`` followed by 64 hex digits."""
    return "wr_" + secrets.token_hex(32)


def statistics(status: str, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Action counters for a status; explicit ``overrides`` win, the status' counter fills up.

    With no overrides a run has one action, counted as running, succeeded, stopped or errored
    according to the status; ``TotalActions`` defaults to the sum of the explicit counters.
    """
    overrides = dict(overrides or {})
    explicit = {k: v for k, v in overrides.items() if k != "TotalActions"}
    total = overrides.get("TotalActions", max(1, sum(explicit.values())))
    stats = dict.fromkeys(COUNTERS, 0)
    stats.update(explicit)
    stats["TotalActions"] = total
    filler = FILLER.get(status)
    if filler is not None and filler not in explicit:
        stats[filler] = max(0, total - sum(explicit.values()))
    return stats


def stopped_statistics(current: Mapping[str, int]) -> dict[str, int]:
    """The counters of a stopped run: what was running or waiting counts as stopped."""
    stats = dict(current)
    stats["StoppedActions"] = max(1, stats["StoppedActions"] + stats["RunningActions"] + stats["WaitingActions"])
    stats["RunningActions"] = stats["WaitingActions"] = 0
    counted = sum(v for k, v in stats.items() if k != "TotalActions")
    stats["TotalActions"] = max(stats["TotalActions"], counted)
    return stats


def require_str(body: Mapping[str, Any], key: str) -> str:
    """A required, non-empty string member of a request body, else Glue's validation error."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise GlueError(
            "InvalidInputException",
            f"1 validation error detected: Value at '{key[0].lower()}{key[1:]}' failed to "
            "satisfy constraint: Member must not be null",
        )
    return value


def parse_run_properties(raw: Any) -> dict[str, str]:
    """Run properties (or job arguments) checked to be an object of strings."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ValueError("run properties must be an object of string values")
    return dict(raw)


def encode_token(workflow: str, run: RunRecord) -> str:
    """GetWorkflowRuns' opaque ``NextToken``: the last run of a page, so new runs do not shift pages."""
    raw = json.dumps({"w": workflow, "s": run.started_on, "q": run.seq}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str, workflow: str) -> tuple[float, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        if data["w"] != workflow:
            raise ValueError("token of another workflow")
        return float(data["s"]), int(data["q"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise GlueError("InvalidInputException", "Invalid pagination token") from exc


def newest_first(run: RunRecord) -> tuple[float, int]:
    return (-run.started_on, -run.seq)


def wire_run(run: RunRecord, pos: Position, include_graph: bool) -> dict[str, Any]:
    """A workflow run as GetWorkflowRun answers it (and GetWorkflowRuns lists it), at position ``pos``."""
    status = pos.step.status
    jobs = pos.step.extra.get("jobs") or []
    counters = pos.step.extra.get("statistics") or (glue_graph.job_statistics(jobs) if jobs else None)
    out: dict[str, Any] = {
        "Name": run.workflow,
        "WorkflowRunId": run.run_id,
        "WorkflowRunProperties": dict(run.properties),
        "StartedOn": round(run.started_on, 3),
        "Status": status,
        "Statistics": statistics(status, counters),
    }
    if status in TERMINAL_STATUSES:
        out["CompletedOn"] = round(max(pos.entered_at, run.started_on), 3)
    if "error_message" in pos.step.extra:
        out["ErrorMessage"] = pos.step.extra["error_message"]
    if include_graph:
        ended = max(pos.entered_at, run.started_on)
        out["Graph"] = glue_graph.graph(run.workflow, run.run_id, run.started_on, ended, jobs)
    return out


def validate_step(extra: Mapping[str, Any]) -> dict[str, Any]:
    """A timeline step's Glue fields (``statistics`` overrides, ``error_message``, ``jobs``: see
    :mod:`.glue_graph`), checked and copied."""
    unknown = set(extra) - STEP_FIELDS
    if unknown:
        raise ValueError(
            f"unknown glue timeline step fields {sorted(unknown)}; "
            f"allowed: status, polls, seconds, {', '.join(sorted(STEP_FIELDS))}"
        )
    out: dict[str, Any] = {}
    if "error_message" in extra:
        if not isinstance(extra["error_message"], str):
            raise ValueError("'error_message' must be a string")
        out["error_message"] = extra["error_message"]
    if "jobs" in extra:
        out["jobs"] = glue_graph.validate_jobs(extra["jobs"])
    if "statistics" in extra:
        stats = extra["statistics"]
        if not isinstance(stats, Mapping):
            raise ValueError("'statistics' must be an object of action counters")
        bad = set(stats) - set(COUNTERS)
        if bad:
            raise ValueError(f"unknown statistics {sorted(bad)}; allowed: {list(COUNTERS)}")
        for key, value in stats.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"statistics {key!r} must be an integer >= 0")
        out["statistics"] = dict(stats)
    return out
