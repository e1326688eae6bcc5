"""The Host / ca_bundle conventions of this provider's connection types."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection

from airflow_workflow_runs.hooks.connection_fields import (
    ca_bundle,
    endpoint_override,
    extra_bool,
    extra_number,
    extra_str,
)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, None),
        ("", None, None),
        ("api.example.com", None, "https://api.example.com"),
        ("http://127.0.0.1", 8443, "http://127.0.0.1:8443"),
        ("https://127.0.0.1:9000/", None, "https://127.0.0.1:9000"),
        ("https://proxy.corp/codecatalyst", 8443, "https://proxy.corp:8443/codecatalyst"),
    ],
)
def test_host_overrides_the_endpoint(host, port, expected):
    conn = Connection(conn_id="c", conn_type="x", host=host, port=port)
    assert endpoint_override(conn) == expected


def test_extras_from_a_uri_are_coerced():
    conn = Connection(conn_id="c", conn_type="x", extra='{"ca_bundle": " /etc/ca.pem ", "flag": "true", "empty": ""}')
    assert ca_bundle(conn) == "/etc/ca.pem"
    assert extra_bool(conn, "flag") is True and extra_bool(conn, "missing", default=True) is True
    assert extra_str(conn, "empty") is None
    assert ca_bundle(None) is None and endpoint_override(None) is None


def number_conn(value: object) -> Connection:
    return Connection(conn_id="c", conn_type="x", extra=json.dumps({"n": value}))


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (7, 7), ("7.0", 7), (None, 3), ("", 3)])
def test_a_whole_number_extra_reads_uri_strings_and_falls_back_when_unset(value, expected):
    assert extra_number(number_conn(value), "n", 3, minimum=1) == expected


@pytest.mark.parametrize("value", ["seven", "7.5", "0", "-1", "inf", "nan", "1e400"])
def test_a_whole_number_extra_that_is_not_one_is_refused_naming_the_field(value):
    with pytest.raises(ValueError, match=r"the connection's n must be a whole number >= 1, got"):
        extra_number(number_conn(value), "n", 3, minimum=1)


@pytest.mark.parametrize(("value", "ok"), [("2.5", True), ("0", False), ("-1", False), ("inf", False), ("x", False)])
def test_a_positive_seconds_extra(value, ok):
    conn = number_conn(value)
    if ok:
        assert extra_number(conn, "n", 60.0, above=True) == 2.5
    else:
        with pytest.raises(ValueError, match=r"the connection's n must be a number > 0"):
            extra_number(conn, "n", 60.0, above=True)
