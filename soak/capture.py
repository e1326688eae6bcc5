"""Everything the soak's waits said, kept as text so it can be searched for secrets.

Airflow's own loggers (sensors, hooks, triggers) are structlog loggers that never reach the
standard library's handlers, and the SDKs log through the standard library: both are captured
(a processor in front of structlog's renderer, a handler on the root logger). Events, trigger
kwargs, XComs and exceptions are added by the driver; :func:`leaks` searches all of it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

import structlog


class Capture:
    """Captured text by source, thread-safe; install once, uninstall to put logging back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.texts: dict[str, list[str]] = {"log records": [], "events": [], "trigger kwargs": []}
        self.texts.update({"xcoms": [], "exceptions": [], "emulator request log": []})
        self._handler = _Handler(self)
        self._processors: Any = None
        self._quiet = False
        self._muted: list[tuple[logging.Handler, int]] = []

    def add(self, source: str, text: str) -> None:
        with self._lock:
            self.texts[source].append(text)

    def _processor(self, logger: Any, method: str, event_dict: Mapping[str, Any]) -> Any:
        parts = [f"{k}={v!r}" for k, v in event_dict.items() if k != "exc_info"]
        exc = event_dict.get("exc_info")
        if exc:
            parts.append(_format_exc(exc))
        self.add("log records", " ".join(parts))
        if self._quiet:
            raise structlog.DropEvent
        return event_dict

    def install(self, quiet: bool = True) -> None:
        """Capture every structlog event (just before it is rendered) and every stdlib record >= INFO;
        ``quiet``: and print none of them (the soak's own lines stay readable)."""
        config = structlog.get_config()
        self._processors = list(config["processors"])
        self._quiet = quiet
        renderer = self._processors[-1:] if self._processors else []
        structlog.configure(processors=[*self._processors[:-1], self._processor, *renderer])
        root = logging.getLogger()
        if quiet:
            self._muted = [(h, h.level) for h in root.handlers]
            for handler, _ in self._muted:
                handler.setLevel(logging.CRITICAL + 1)
        root.addHandler(self._handler)

    def uninstall(self) -> None:
        for handler, level in self._muted:
            handler.setLevel(level)
        self._muted = []
        logging.getLogger().removeHandler(self._handler)
        if self._processors is not None:
            structlog.configure(processors=self._processors)
            self._processors = None

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {source: len(texts) for source, texts in self.texts.items()}


class _Handler(logging.Handler):
    def __init__(self, capture: Capture) -> None:
        super().__init__(logging.INFO)
        self._capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a record whose arguments do not format: keep both raw
            text = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        if record.exc_info:
            text += " " + "".join(traceback.format_exception(*record.exc_info))
        self._capture.add("log records", text)


def _format_exc(exc: Any) -> str:
    if isinstance(exc, BaseException):
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, tuple) and len(exc) == 3 and exc[1] is not None:
        return "".join(traceback.format_exception(*exc))
    return repr(exc)


def exception_text(error: BaseException) -> str:
    """What a user sees of an exception: its repr, message and traceback, causes included."""
    return f"{error!r} {error} " + "".join(traceback.format_exception(type(error), error, error.__traceback__))


def leaks(capture: Capture, needles: Iterable[str]) -> list[dict[str, str]]:
    """Every place a needle occurs: the source and the text around it (the needle itself masked)."""
    found: list[dict[str, str]] = []
    needles = [n for n in needles if n]
    with capture._lock:
        sources = {source: list(texts) for source, texts in capture.texts.items()}
    for source, texts in sources.items():
        for text in texts:
            for needle in needles:
                at = text.find(needle)
                if at >= 0:
                    context = text[max(0, at - 120) : at + 120].replace(needle, f"<{needle[:14]}…>")
                    found.append({"source": source, "needle": needle[:14] + "…", "context": context})
    return found
