"""The Host / ca_bundle conventions of this provider's connection types."""

from __future__ import annotations

import pytest
from airflow.sdk import Connection

from airflow_workflow_runs.hooks.connection_fields import ca_bundle, endpoint_override, extra_bool, extra_str


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
