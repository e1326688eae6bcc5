"""The headers of a throttled DataWorks answer, which the Alibaba SDK does not keep.

The SDK turns a 4xx/5xx into ``ClientException``/``ServerException`` without the response
headers, and reads only ``x-acs-retry-after`` itself: a plain ``Retry-After`` on a 429 (a gateway
or proxy in front of the API) would be lost. The SDK sends through one ``requests`` session per
endpoint, made by ``DaraCore._get_session`` and kept in ``DaraCore._sessions``; for the endpoints
our clients use (and only those), the ``send`` of each such session's adapters is wrapped, once,
to note a throttled answer's headers in a thread-local that the calling thread reads when it
translates the error. If a future SDK makes its sessions elsewhere, nothing is wrapped and only
``x-acs-retry-after`` is honoured, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

_LAST = threading.local()
_MARK = "_airflow_workflow_runs_throttling"


#: Endpoints watched; replaced (never changed in place) under the lock, so any thread may read it.
_PREFIXES: frozenset[str] = frozenset()
_LOCK = threading.Lock()


def watch_endpoint(protocol: str, host: str) -> None:
    """Note throttled answers' headers on the SDK's sessions for ``protocol://host``, including
    sessions made later (the first call's); idempotent, thread-safe."""
    try:
        from darabonba.core import DaraCore

        global _PREFIXES
        with _LOCK:
            _PREFIXES = _PREFIXES | {f"{protocol.lower()}://{host.rstrip('/')}"}
            get_session = DaraCore.__dict__.get("_get_session")
            if isinstance(get_session, staticmethod) and not getattr(get_session.__func__, _MARK, False):
                DaraCore._get_session = staticmethod(_watching_sessions(get_session.__func__))
            sessions = getattr(DaraCore, "_sessions", None)
            for key, session in list(sessions.items()) if isinstance(sessions, dict) else ():
                _watch(str(key), session)
    except Exception as error:  # an SDK that changed: Retry-After is then the SDK's own only
        log.debug("Not watching DataWorks answers for Retry-After: %s", error)


def _watching_sessions(get_session: Callable[..., Any]) -> Callable[..., Any]:
    def get_watched_session(session_key: str, *args: Any, **kwargs: Any) -> Any:
        session = get_session(session_key, *args, **kwargs)
        _watch(str(session_key), session)
        return session

    setattr(get_watched_session, _MARK, True)
    return get_watched_session


def _watch(key: str, session: Any) -> None:
    if not any(key.startswith(prefix) for prefix in _PREFIXES):
        return
    for adapter in session.adapters.values():
        if not getattr(adapter, _MARK, False):
            adapter.send = _noting(adapter.send)
            setattr(adapter, _MARK, True)


def _noting(send: Callable[..., Any]) -> Callable[..., Any]:
    def send_and_note(request: Any, *args: Any, **kwargs: Any) -> Any:
        response = send(request, *args, **kwargs)
        status = getattr(response, "status_code", 0) or 0
        _LAST.headers = dict(response.headers) if status == 429 or status >= 500 else None
        return response

    return send_and_note


def forget() -> None:
    """Before a call: no headers of an earlier one may answer for it."""
    _LAST.headers = None


def throttled_headers() -> Mapping[str, str] | None:
    """The headers of this thread's last throttled (429/5xx) answer since :func:`forget`."""
    return getattr(_LAST, "headers", None)
