"""The contract an emulated cloud service implements to plug into the server.

A service is one module with one :class:`Service` subclass listed in ``registry.py``. The
dispatcher asks each registered service, in order, whether it :meth:`~Service.matches` a request;
the first that does names the operation (for the log and fault matching) and handles it. The
shared machinery (store, timelines, faults, request log, TLS, control API) is never re-done per
service: a service only speaks its wire protocol and adds its own control routes.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .store import Store
from .timeline import Step, parse_steps
from .wire import Request, Response


@dataclass(frozen=True)
class CallContext:
    """Per-request flags from the dispatcher.

    ``observe`` is False when the response is going to be mangled by a fault (a truncated body):
    the service still builds its normal answer but must not count it as an observation.
    """

    observe: bool = True


class ControlError(Exception):
    """A control-API failure answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ControlRequest:
    """A parsed control-API call: path parameters, query and JSON body."""

    request: Request
    params: Mapping[str, str]
    body: Any

    def body_object(self) -> dict[str, Any]:
        """The JSON body as an object (empty when absent), else a 400."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ControlError(400, "the request body must be a JSON object")
        return self.body


ControlHandler = Callable[[ControlRequest], Any]


@dataclass(frozen=True)
class Route:
    """A control route: ``pattern`` is a regex over the path after ``/_emulator/``.

    Service routes are mounted under ``/_emulator/<service name>/`` automatically. The handler
    returns a JSON-serializable value (answered with 200) or raises :class:`ControlError`.
    """

    method: str
    pattern: str
    handler: ControlHandler

    def compile(self, prefix: str) -> re.Pattern[str]:
        return re.compile(f"^/_emulator/{prefix}{self.pattern}$")


class Service(ABC):
    """Base class of an emulated service; one instance per emulator, sharing its store."""

    #: The short name used in fault specs, the request log, scenarios and control routes.
    name: ClassVar[str]
    #: Operations the service implements; fault specs naming any other operation are rejected.
    operations: ClassVar[frozenset[str]] = frozenset()
    #: The reads of runs (get/list) that chaos may fault (see :mod:`.chaos`); none by default.
    chaos_operations: ClassVar[frozenset[str]] = frozenset()
    #: The service's own throttling answers, as fault specs (status, error_type, headers, retry_after):
    #: chaos' ``service_throttle`` picks one of them.
    throttling: ClassVar[tuple[Mapping[str, Any], ...]] = ({"status": 429},)

    def __init__(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    def matches(self, request: Request) -> bool:
        """Whether this request is addressed to this service (cheap; headers and path only)."""

    @abstractmethod
    def operation(self, request: Request) -> str:
        """The operation name of a matched request, as used in the log and fault specs."""

    @abstractmethod
    def handle(self, request: Request, ctx: CallContext) -> Response:
        """Answer a matched request exactly as the real service would."""

    @abstractmethod
    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        """An error in the service's own wire shape (used for injected faults and crashes)."""

    def control_routes(self) -> Sequence[Route]:
        """Service-specific control routes, mounted under ``/_emulator/<name>/``."""
        return ()

    def load_scenario(self, section: Any) -> None:
        """Apply this service's section of a scenario file."""
        raise ValueError(f"service {self.name!r} does not support scenarios")

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """Create one run of a schedule (see :mod:`.schedules`): ``run`` holds the arguments of the
        service's own add method, ``started_on`` is the tick. Returns the run id."""
        raise ValueError(f"service {self.name!r} does not support schedules")

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """Check a timeline step's service-specific fields; none are allowed by default."""
        if extra:
            raise ValueError(f"unknown {self.name} timeline step fields: {sorted(extra)}")
        return {}

    def parse_timeline(self, raw: Any) -> list[Step]:
        return parse_steps(raw, self.validate_step)

    def remove_status(self, operation: str, payload: Any) -> bool:
        """Delete the status field of every run in a read's JSON answer, in place (chaos' and the
        ``no_status`` fault's "real answer without its status"); False when there was none to delete."""
        return False

    def revoke_credentials(self, *secrets: str) -> int:
        """Revoke credentials mid-wait: these (tokens, keys), or with none given every one a client has
        presented so far. Later requests with them get the service's own authentication error; new
        credentials keep working. Returns how many were revoked."""
        raise ValueError(f"service {self.name!r} cannot revoke credentials")

    def reset(self) -> None:  # noqa: B027 - optional hook, empty on purpose
        """Forget service-private state (shared store state is reset by the emulator)."""


def drop_key(items: Any, key: str) -> bool:
    """Delete ``key`` from each object in ``items`` (an object or a list of them); True if any had it."""
    found = False
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict) and key in item:
            del item[key]
            found = True
    return found
