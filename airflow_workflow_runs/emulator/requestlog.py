"""The request log: what clients sent, so tests can count calls and check what was asked.

Credentials never land here: the Authorization header is reduced to a present/absent flag and
any header, query parameter or JSON field whose name looks like a key, secret, token or signature
is replaced by ``"<redacted>"`` before the entry is stored.
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Mapping
from typing import Any

from .clock import Clock
from .wire import Request

REDACTED = "<redacted>"
_SENSITIVE = re.compile(
    r"authorization|secret|password|passwd|credential|signature|cookie|"
    r"access[-_]?key|api[-_]?key|app(lication)?[-_]?key|"
    r"(security|session|access|id|refresh|bearer)[-_]?token|client[-_]?assertion",
    re.IGNORECASE,
)


def is_sensitive(name: str) -> bool:
    return bool(_SENSITIVE.search(name))


def redact_json(value: Any) -> Any:
    """A deep copy of a JSON value with sensitive-looking object fields replaced."""
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive(str(k)) else redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


class RequestLog:
    """Append-only list of request entries (plain dicts); thread-safe, copies on read."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = itertools.count(1)

    def record(self, request: Request, service: str | None, operation: str | None, latency: float = 0.0) -> int:
        """Log a request as it arrives; returns the entry's ``seq`` for :meth:`finish`.

        ``latency`` is the network wait (seconds) the request is about to get (see :mod:`.latency`).
        """
        try:
            body: Any = redact_json(request.json())
        except (ValueError, UnicodeDecodeError):
            body = None
        entry: dict[str, Any] = {
            "service": service,
            "operation": operation,
            "method": request.method,
            "path": request.path,
            "query": {k: [REDACTED] * len(v) if is_sensitive(k) else list(v) for k, v in request.query.items()},
            "headers": {k: REDACTED if is_sensitive(k) else v for k, v in request.headers.items()},
            "authorization": "authorization" in request.headers,
            "body": body,
            "scheme": request.scheme,
            "connection": request.connection,
            "status": None,
            "fault": None,
            "latency": latency,
        }
        with self._lock:
            entry["seq"] = next(self._seq)
            entry["time"] = self._clock()
            self._entries.append(entry)
            return int(entry["seq"])

    def finish(self, seq: int, status: int | None, fault: str | None) -> None:
        """Attach the outcome (HTTP status, ``None`` if dropped, and the fault kind if any)."""
        with self._lock:
            for entry in reversed(self._entries):
                if entry["seq"] == seq:
                    entry["status"] = status
                    entry["fault"] = fault
                    return

    def entries(self, service: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in self._entries
                if (service is None or e["service"] == service) and (operation is None or e["operation"] == operation)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
