"""The one retry policy: how long each service asks us to wait (whichever header it sends), and how
long we back off after transient answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from airflow_workflow_runs.clients.retry_policy import (
    MAX_BACKOFF_INTERVALS,
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    backoff_delay,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),  # any service, or a gateway in front of it
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "2500"}, 2.5),  # Azure
        ({"x-ms-retry-after-ms": "1200"}, 1.2),
        ({"X-RateLimit-Reset": "12"}, 12.0),  # Datadog: seconds until the window resets
        ({"x-acs-retry-after": "3000"}, 3.0),  # Alibaba: milliseconds
    ],
)
def test_each_services_header_is_read_in_its_own_unit(headers, seconds):
    assert retry_after_seconds(headers) == pytest.approx(seconds)


def test_an_http_date_is_read_as_the_time_left():
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert retry_after_seconds({"Retry-After": format_datetime(when, usegmt=True)}) == pytest.approx(30, abs=1.5)


def test_the_more_precise_header_wins():
    assert retry_after_seconds({"Retry-After": "3", "retry-after-ms": "2500"}) == 2.5


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "86400"}, MAX_RETRY_AFTER_SECONDS),  # a day: bounded
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "soon"}, None),  # unreadable: the shared backoff decides
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "soon", "X-RateLimit-Reset": "4"}, 4.0),  # the next readable one
        ({}, None),
        (None, None),
    ],
)
def test_broken_or_extreme_values_never_park_a_wait(headers, seconds):
    assert retry_after_seconds(headers) == seconds


def test_backoff_doubles_from_the_poll_interval_with_jitter():
    for failures, expected in [(1, 10.0), (2, 20.0), (3, 40.0)]:
        delays = [backoff_delay(10.0, failures) for _ in range(200)]
        assert expected * 0.8 <= min(delays) and max(delays) <= expected * 1.2
        assert max(delays) - min(delays) > expected * 0.1, "waits that failed together spread out"


@pytest.mark.parametrize(
    ("interval", "cap"),
    [(0.5, 0.5 * MAX_BACKOFF_INTERVALS), (60.0, MAX_BACKOFF_SECONDS)],
)
def test_a_long_run_of_failures_still_polls_within_ten_intervals_or_five_minutes(interval, cap):
    """A wait polled every 0.5 s does not go quiet for five minutes after a streak of 429s."""
    assert max(backoff_delay(interval, failures) for failures in (30, 2_000) for _ in range(100)) <= cap * 1.2


def test_backoff_is_never_sooner_than_the_service_asked():
    assert backoff_delay(1.0, 1, retry_after=45.0) == 45.0
    assert backoff_delay(1.0, 1, retry_after=0.1) >= 0.8
