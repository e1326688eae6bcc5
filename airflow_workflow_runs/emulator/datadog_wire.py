"""Datadog's Workflow Automation shapes: request paths, the instance attributes and ``{"errors": [...]}``.

Pure functions and constants, no state: :mod:`.datadog` decides what a request does, this module
says how Datadog spells the answer (``instanceStatus``, timestamps, the 429's ``X-RateLimit-*``
headers). Kept apart so the document clients parse reads in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .store import RunRecord
from .timeline import Position
from .wire import Request, Response

PATH = re.compile(r"^/api/v2/workflows/(?P<workflow>[^/]+)/instances(?:/(?P<instance>[^/]+)(?P<cancel>/cancel)?)?/?$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TERMINAL = frozenset({"SUCCEEDED", "CANCELED", "INSTANCE_ERROR", "STEP_ERROR"})
DISPLAY_NAMES = {
    "IN_PROGRESS": "Running",
    "SUCCEEDED": "Succeeded",
    "CANCELED": "Canceled",
    "INSTANCE_ERROR": "Failed",
    "STEP_ERROR": "Failed",
}
STEP_FIELDS = frozenset({"steps", "outputs", "error_detail"})
MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too many requests",
}


class DatadogError(Exception):
    def __init__(self, status: int, errors: list[Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(str(errors))
        self.status, self.errors, self.headers = status, errors, dict(headers or {})


def errors_response(error: DatadogError, rate_limit_reset: int) -> Response:
    """The error answer; a 429 carries ``X-RateLimit-*`` headers with ``X-RateLimit-Reset: rate_limit_reset``."""
    headers = dict(error.headers)
    if error.status == 429:
        headers.update(
            {
                "X-RateLimit-Limit": "1000",
                "X-RateLimit-Period": "60",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(rate_limit_reset),
                "X-RateLimit-Name": "workflows_instances",
            }
        )
    return Response.json({"errors": error.errors}, error.status, headers=headers)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def int_query(request: Request, name: str, default: int) -> int:
    raw = request.query_value(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise DatadogError(
            400, [{"code": "INVALID_FIELD_VALUE", "detail": f"value {raw} is invalid for field {name}"}]
        ) from None


def instance_attributes(run: RunRecord, pos: Position, full: bool) -> dict[str, Any]:
    """An instance's ``attributes`` at ``pos``: status and timestamps, and with ``full`` (GetWorkflowInstance)
    also outputs, step states, the trigger payload and the error detail."""
    status = pos.step.status
    out: dict[str, Any] = {
        "instanceStatus": {"detailsKind": status, "displayName": DISPLAY_NAMES.get(status, status.title())},
        "source": {"api": {"actingUser": {"userName": "Airflow", "userUuid": run.data["user"]}}},
        "startTimestamp": iso(run.started_on),
    }
    if status in TERMINAL:
        out["endTimestamp"] = iso(max(pos.entered_at, run.started_on))
    if full:
        out["outputs"] = dict(pos.step.extra.get("outputs", {}))
        out["stepStateAssociations"] = list(pos.step.extra.get("steps", []))
        out["trigger"] = dict(run.properties)
        if "error_detail" in pos.step.extra:
            out["errorDetail"] = pos.step.extra["error_detail"]
    return out


def validate_step(extra: Mapping[str, Any]) -> dict[str, Any]:
    """A timeline step's Datadog fields (``steps``, ``outputs``, ``error_detail``), checked and copied."""
    unknown = set(extra) - STEP_FIELDS
    if unknown:
        raise ValueError(f"unknown datadog timeline step fields: {sorted(unknown)}; allowed: {sorted(STEP_FIELDS)}")
    if not isinstance(extra.get("steps", []), list):
        raise ValueError("steps must be a list of {stepName, stepState} objects")
    if not isinstance(extra.get("outputs", {}), dict):
        raise ValueError("outputs must be an object")
    return dict(extra)
