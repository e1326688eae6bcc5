"""The normalized run model every service maps into, and the errors service clients raise.

Nothing here imports Airflow or a cloud SDK: the sensor, trigger and operator logic is written
against these types once, and a service only has to translate its own responses into them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, overload


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
        return f"{describe_ref(self.service, self.ref)} is {self.raw_status}"

    def outcome_text(self) -> str:
        """The run, its state, the remote error and where to look: what a failure message says."""
        parts = [f"{self.describe()} ({self.state.value})"]
        if self.error:
            parts.append(f"error: {self.error}")
        if self.console_url:
            parts.append(f"console: {self.console_url}")
        return "; ".join(parts)

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


@dataclass(frozen=True)
class TimeWindow:
    """Which runs of a workflow a wait may pick: half-open, like an Airflow data interval.

    A run matches when ``started_after <= started_at < started_before``; a bound that is ``None``
    is open. Bounds are timezone-aware (naive values are read as UTC, Airflow's default). Services
    without a start time to match on (DataWorks) match their own notion, documented per client.
    """

    started_after: datetime | None = None
    started_before: datetime | None = None

    def __post_init__(self) -> None:
        after, before = as_utc(self.started_after), as_utc(self.started_before)
        object.__setattr__(self, "started_after", after)
        object.__setattr__(self, "started_before", before)
        if after is not None and before is not None and after >= before:
            raise InvalidRunReference(
                f"the window is empty: started_after ({after.isoformat()}) must be before "
                f"started_before ({before.isoformat()})"
            )

    @classmethod
    def parse(cls, started_after: Any, started_before: Any) -> TimeWindow:
        """Build a window from datetimes or ISO 8601 strings (what templates render to)."""
        return cls(parse_moment("started_after", started_after), parse_moment("started_before", started_before))

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        moment = as_utc(moment)
        if self.started_after is not None and moment < self.started_after:
            return False
        return self.started_before is None or moment < self.started_before

    def is_older(self, moment: datetime | None) -> bool:
        """Whether a run started at ``moment`` is before the window (so older ones are too)."""
        return moment is not None and self.started_after is not None and as_utc(moment) < self.started_after

    def describe(self) -> str:
        after = self.started_after.isoformat() if self.started_after else "any time"
        before = self.started_before.isoformat() if self.started_before else "now"
        return f"started in [{after}, {before})"

    def to_dict(self) -> dict[str, str | None]:
        return {"started_after": _iso(self.started_after), "started_before": _iso(self.started_before)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimeWindow:
        return cls.parse(data.get("started_after"), data.get("started_before"))


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` with a time zone: a naive one is read as UTC (Airflow's default)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def parse_moment(name: str, value: Any) -> datetime | None:
    """A datetime or an ISO 8601 string (what templates render to); empty is ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidRunReference(f"{name} must be a datetime or an ISO 8601 string, got {value!r}")


def choose_run(candidates: Sequence[WorkflowRun], first_poll_at: datetime) -> WorkflowRun | None:
    """The run a wait on "the newest run in the window" follows, the same at every poll.

    ``candidates`` are the runs matching the window, newest first. The newest run that had started
    by ``first_poll_at`` (the wait's first poll) is chosen; if none had, the first run to start after
    it is. Because the rule depends only on ``first_poll_at``, every later poll (a reschedule, a
    triggerer restart) picks the same run even where the pin itself could not be kept, and a newer
    run starting during the wait does not steal it.
    """
    poll_time = as_utc(first_poll_at)
    started = [(index, run, as_utc(run.started_at)) for index, run in enumerate(candidates) if run.started_at]
    seen = [(index, run, moment) for index, run, moment in started if moment <= poll_time]
    if seen:
        # The newest start wins; on a tie, the one listed first.
        return max(seen, key=lambda item: (item[2], -item[0]))[1]
    if started:
        return min(started, key=lambda item: (item[2], -item[0]))[1]
    # Nothing has started yet (a DataWorks NotRun instance): the oldest listed, i.e. the last.
    return candidates[-1] if candidates else None


def format_ids(ids: Mapping[str, Any]) -> str:
    """Identifiers as messages show them: ``workflow_name='etl', run_id='wr_1'``."""
    return ", ".join(f"{key}={value!r}" for key, value in ids.items())


def describe_ref(service: str, ref: Mapping[str, str]) -> str:
    """Name a run for messages: ``glue run (workflow_name='etl', run_id='wr_1')``."""
    return f"{service} run ({format_ids(ref)})"


class WorkflowRunError(Exception):
    """Base of every error a service client raises; its text never contains credentials."""


class InvalidRunReference(WorkflowRunError, ValueError):
    """An identifier broke a documented rule; raised before any request is sent."""


class RunNotFound(WorkflowRunError):
    """The service answered that the run (or its workflow) does not exist."""


class AccessDenied(WorkflowRunError):
    """The credentials were rejected or lack a permission the call needs."""


class CredentialsRejected(AccessDenied):
    """The service did not accept the credentials themselves: an unknown key, a wrong secret, an
    expired or revoked token, none found."""


class PermissionDenied(AccessDenied):
    """The credentials were accepted but lack a permission; ``permission`` names it (the service's
    action, role or scope) when the service or the call says which."""

    def __init__(self, message: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class UnknownEndpoint(WorkflowRunError, ValueError):
    """The connection names a region, site, cloud or endpoint the service does not have: told
    before any request, or by an endpoint that answered as the service would not."""


class TransientServiceError(WorkflowRunError):
    """Throttling, a 5xx, a timeout or a broken connection: worth retrying, never a run outcome.

    ``retry_after`` is the delay in seconds the service asked for, when it said one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnreachable(TransientServiceError):
    """No answer at all: the connection was refused or timed out, or the host name did not resolve;
    ``reason`` says which, when the SDK's error told."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class GarbledAnswer(TransientServiceError):
    """A success status whose body is not the documented object: HTML from a proxy, a cut-off or
    non-object JSON body, a run without a status. Retried like throttling; a wait that sees only
    these until its deadline times out saying so, never ends as a failed run."""

    def about(self, what: str) -> GarbledAnswer:
        """The same error, its message prefixed with the run it was reading (once)."""
        text = str(self)
        return self if text.startswith(what) else GarbledAnswer(f"{what}: {text}", self.retry_after)

    def streak_text(self, count: int) -> str:
        """What a timeout adds when this was the last of ``count`` garbled answers in a row."""
        return (
            f"the service kept answering garbled data ({count} answers in a row that were not a readable "
            f"run, the last: {self}); check for a proxy or gateway between Airflow and the service"
        )


class ServiceError(WorkflowRunError):
    """Any other refusal by the service (bad request, conflict, illegal state)."""


class OperationNotSupported(WorkflowRunError):
    """The service has no API for the operation (for example CodeCatalyst cannot stop a run)."""
