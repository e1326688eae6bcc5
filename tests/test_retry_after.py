"""How long a service asked us to wait: every header the five services (or a proxy) send, one reading."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from airflow_workflow_runs.clients.retry_after import MAX_RETRY_AFTER_SECONDS, retry_after_seconds


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
