"""The normalized run model every service maps into, and the errors service clients raise.

Nothing here imports Airflow or a cloud SDK: the sensor, trigger and operator logic is written
against these types once, and a service only has to translate its own responses into them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class RunState(str, enum.Enum):
    """Normalized state of a remote run.

    ``UNKNOWN`` is what a status missing from a service's status table maps to. It is terminal and
    never a success, so a new upstream status fails the wait with its raw value instead of polling
    forever.
    """

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self is not RunState.RUNNING


@dataclass(frozen=True)
class WorkflowRun:
    """One observation of a remote run, JSON-serializable through :meth:`to_dict`.

    ``ref`` holds the identifiers that name the run in its service (for Glue the workflow name and
    run id); passing it back to the same service's client fetches the run again.
    """

    service: str
    ref: Mapping[str, str]
    run_id: str
    state: RunState
    raw_status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    outputs: Mapping[str, Any] | None = None
    console_url: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.state.is_terminal

    def describe(self) -> str:
        """A one-line human description: service, the run's identifiers and its raw status."""
        ids = ", ".join(f"{key}={value!r}" for key, value in self.ref.items())
        return f"{self.service} run ({ids}) is {self.raw_status}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "ref": dict(self.ref),
            "run_id": self.run_id,
            "state": self.state.value,
            "raw_status": self.raw_status,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "error": self.error,
            "outputs": dict(self.outputs) if self.outputs is not None else None,
            "console_url": self.console_url,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkflowRun:
        return cls(
            service=data["service"],
            ref=dict(data["ref"]),
            run_id=data["run_id"],
            state=RunState(data["state"]),
            raw_status=data["raw_status"],
            started_at=_parse_iso(data.get("started_at")),
            ended_at=_parse_iso(data.get("ended_at")),
            error=data.get("error"),
            outputs=data.get("outputs"),
            console_url=data.get("console_url"),
            details=dict(data.get("details") or {}),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def describe_ref(service: str, ref: Mapping[str, str]) -> str:
    """Name a run for messages: ``glue run (workflow_name='etl', run_id='wr_1')``."""
    ids = ", ".join(f"{key}={value!r}" for key, value in ref.items())
    return f"{service} run ({ids})"


class WorkflowRunError(Exception):
    """Base of every error a service client raises; its text never contains credentials."""


class InvalidRunReference(WorkflowRunError, ValueError):
    """An identifier broke a documented rule; raised before any request is sent."""


class RunNotFound(WorkflowRunError):
    """The service answered that the run (or its workflow) does not exist."""


class AccessDenied(WorkflowRunError):
    """The credentials were rejected or lack a permission the call needs."""


class TransientServiceError(WorkflowRunError):
    """Throttling, a 5xx, a timeout or a broken connection: worth retrying, never a run outcome.

    ``retry_after`` is the delay in seconds the service asked for, when it said one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceError(WorkflowRunError):
    """Any other refusal by the service (bad request, conflict, illegal state)."""


class OperationNotSupported(WorkflowRunError):
    """The service has no API for the operation (for example CodeCatalyst cannot stop a run)."""
