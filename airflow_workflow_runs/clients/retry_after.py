"""How long a service asked us to wait, from whichever header it sends: one reading for all five.

``Retry-After`` (seconds or an HTTP date; any service or a proxy in front of it), Azure's
``retry-after-ms`` / ``x-ms-retry-after-ms``, Datadog's ``X-RateLimit-Reset`` (seconds until the
window resets) and Alibaba's ``x-acs-retry-after`` (milliseconds). The first readable one wins, in
that order of precision; the answer is bounded so a broken header cannot park a wait for days.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

#: The longest wait any header is honoured for; past it the shared backoff decides.
MAX_RETRY_AFTER_SECONDS = 300.0


def _seconds(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _http_date_or_seconds(value: str) -> float | None:
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - datetime.now(timezone.utc)).total_seconds()


def _milliseconds(value: str) -> float | None:
    ms = _seconds(value)
    return None if ms is None else ms / 1000.0


#: Header (lower case) and how to read it, most precise first.
HEADERS: tuple[tuple[str, Callable[[str], float | None]], ...] = (
    ("retry-after-ms", _milliseconds),
    ("x-ms-retry-after-ms", _milliseconds),
    ("x-acs-retry-after", _milliseconds),
    ("retry-after", _http_date_or_seconds),
    ("x-ratelimit-reset", _seconds),
)


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds the service asked us to wait, within ``0..MAX_RETRY_AFTER_SECONDS``, or None."""
    if not headers:
        return None
    lowered = {str(name).lower(): value for name, value in headers.items()}
    for name, read in HEADERS:
        raw = lowered.get(name)
        if raw is None:
            continue
        seconds = read(str(raw).strip())
        if seconds is not None:
            return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
    return None
