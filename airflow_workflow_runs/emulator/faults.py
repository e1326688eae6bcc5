"""Fault injection: make the next N matching requests fail, stall or return broken bodies.

A fault is a small JSON object so it can come from a test, the control API or a scenario file::

    {"service": "glue", "operation": "GetWorkflowRun", "count": 2,
     "status": 400, "error_type": "ThrottlingException", "retry_after": 1}
    {"delay": 3}                              # slow answer, then the normal response
    {"body": "truncated"}                     # the normal body cut in half (status 200)
    {"body": "non_json", "status": 502}       # an HTML page, as from a proxy
    {"body": "disconnect"}                    # close the connection without answering
    {"body": "empty_list"}                    # status 200, JSON [] (also "null", "string", "empty_object")
    {"body": "no_status"}                     # the real answer with the run status field(s) removed
    {"status": 429, "headers": {"x-acs-retry-after": "1000"}}   # extra response headers

``non_json`` with ``"status": 200`` is an HTML page answered as a success, as a captive gateway
or a proxy sends. ``no_status`` asks the service which field holds a run's status
(:meth:`~.service.Service.remove_status`); a service that names none answers normally.

Faults are consumed first-added first; each fires for ``count`` matching requests. A faulted
request never counts as an observation of a run, but a truncated answer is cut from the real one,
so a mutating call (StartWorkflowRun) still takes effect, like a response lost on the way back.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

#: Bodies that are JSON but not the documented object, answered with status 200 (see dispatch).
JSON_BODIES = frozenset({"empty_list", "null", "string", "empty_object"})
BODY_KINDS = frozenset({"truncated", "non_json", "disconnect", "no_status"}) | JSON_BODIES
_KEYS = frozenset(
    {"service", "operation", "count", "status", "error_type", "message", "retry_after", "delay", "body", "headers"}
)


@dataclass(frozen=True)
class Fault:
    """A parsed fault spec; ``remaining`` counts down as it fires."""

    id: int
    service: str = "*"
    operation: str = "*"
    count: int = 1
    status: int | None = None
    error_type: str | None = None
    message: str | None = None
    retry_after: float | str | None = None
    delay: float = 0.0
    body: str | None = None
    remaining: int = 1
    headers: Mapping[str, str] | None = None
    #: What the request log calls it instead of :attr:`kind`'s default (chaos names its own).
    label: str | None = None

    @property
    def kind(self) -> str:
        """A label for the request log: the body kind, ``error`` or ``delay``."""
        if self.label is not None:
            return self.label
        if self.body is not None:
            return self.body
        return "error" if self.status is not None else "delay"

    @property
    def passthrough(self) -> bool:
        """True when the fault only delays and the real response follows."""
        return self.status is None and self.body is None

    def matches(self, service: str, operation: str) -> bool:
        return self.service in ("*", service) and self.operation in ("*", operation)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"fault {key!r} must be a number: {value!r}")
    if value < 0:
        raise ValueError(f"fault {key!r} must be >= 0: {value!r}")
    return float(value)


def _optional_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"fault {key!r} must be a non-empty string: {value!r}")
    return value


def parse_fault(raw: Any, fault_id: int = 0) -> Fault:
    """Validate one JSON fault spec; raises ``ValueError`` with a readable reason."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"a fault must be an object, got {raw!r}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"unknown fault fields {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"fault 'count' must be an integer >= 1: {count!r}")
    status = raw.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError(f"fault 'status' must be an HTTP status code: {status!r}")
    body = raw.get("body")
    if body is not None and body not in BODY_KINDS:
        raise ValueError(f"fault 'body' must be one of {sorted(BODY_KINDS)}: {body!r}")
    if body is None and status is not None and status < 400:
        raise ValueError("an error fault needs a 'status' >= 400 (or a 'body' kind)")
    retry_after = raw.get("retry_after")
    if not isinstance(retry_after, str):
        retry_after = _number(raw, "retry_after")
        if retry_after is not None and retry_after.is_integer():
            retry_after = int(retry_after)
    delay = _number(raw, "delay") or 0.0
    headers = raw.get("headers")
    if headers is not None and (
        not isinstance(headers, Mapping)
        or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in headers.items())
    ):
        raise ValueError(f"fault 'headers' must be an object of header name -> string value: {headers!r}")
    if body is None and status is None and not delay:
        raise ValueError("a fault needs a 'status', a 'body' kind or a 'delay'")
    return Fault(
        id=fault_id,
        service=_optional_str(raw, "service") or "*",
        operation=_optional_str(raw, "operation") or "*",
        count=count,
        status=status,
        error_type=_optional_str(raw, "error_type"),
        message=_optional_str(raw, "message"),
        retry_after=retry_after,
        delay=delay,
        body=body,
        remaining=count,
        headers=dict(headers) if headers else None,
    )


class FaultQueue:
    """Pending faults, first-added first; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, raw: Any) -> Fault:
        with self._lock:
            fault = parse_fault(raw, next(self._ids))
            self._faults.append(fault)
            return fault

    def take(self, service: str, operation: str) -> Fault | None:
        """Consume one firing of the oldest fault matching this request, if any."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.matches(service, operation):
                    if fault.remaining <= 1:
                        del self._faults[i]
                    else:
                        self._faults[i] = replace(fault, remaining=fault.remaining - 1)
                    return fault
            return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
