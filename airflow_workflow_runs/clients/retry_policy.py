"""The one retry policy: how long a service asked us to wait, and how long we wait anyway.

Used by every path that retries, sync and async alike: both triggers, the poke and reschedule
modes, the operators. Nothing here imports Airflow or an SDK.

:func:`retry_after_seconds` reads whichever header the service (or a proxy in front of it) sends:
``Retry-After`` (seconds or an HTTP date), Azure's ``retry-after-ms`` / ``x-ms-retry-after-ms``,
Datadog's ``X-RateLimit-Reset`` (seconds until the window resets) and Alibaba's
``x-acs-retry-after`` (milliseconds); the first readable one wins, most precise first, bounded so a
broken header cannot park a wait for days. :func:`backoff_delay` grows the wait between polls
after transient answers, within limits, never shorter than the service asked.
"""

from __future__ import annotations

import math
import random
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


#: After repeated transient answers a wait still polls at least every this many intervals...
MAX_BACKOFF_INTERVALS = 10
#: ...and at least every this many seconds.
MAX_BACKOFF_SECONDS = 300.0


def backoff_delay(poll_interval: float, failures: int, retry_after: float | None = None) -> float:
    """Seconds before the next try after ``failures`` transient answers in a row.

    ``poll_interval * 2^(failures-1)``, at most ``MAX_BACKOFF_INTERVALS`` intervals and
    ``MAX_BACKOFF_SECONDS``, with ±20 % jitter (waits that failed together spread out), and never
    sooner than the service's ``retry_after``. The caller bounds it by the wait's deadline.
    """
    interval = max(poll_interval, 0.01)
    doublings = min(max(failures - 1, 0), 30)  # 2**1025 is past any float: a long outage must not overflow
    base = min(interval * 2**doublings, interval * MAX_BACKOFF_INTERVALS, MAX_BACKOFF_SECONDS)
    return max(base * random.uniform(0.8, 1.2), retry_after or 0.0)
