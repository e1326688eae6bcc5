"""`make live` imports the demo connections into the metadata database (Admin → Connections shows
them): the file it writes must load, through Airflow's own importer, into the very connections the
`AIRFLOW_CONN_*` variables of `make demo` and `make e2e` define."""

from __future__ import annotations

import json

from airflow.models.connection import Connection
from airflow.secrets.local_filesystem import load_connections_dict

from e2e.stack import connection_records, demo_connections

ENDPOINTS = {"http_url": "http://127.0.0.1:1", "https_url": "https://127.0.0.1:2", "ca_bundle": "/tmp/ca.pem"}


def test_the_import_file_holds_every_demo_connection_field_for_field(tmp_path):
    variables = demo_connections(ENDPOINTS)
    path = tmp_path / "connections.json"
    path.write_text(json.dumps(connection_records(variables)))

    imported = load_connections_dict(str(path))

    assert set(imported) == {v.removeprefix("AIRFLOW_CONN_").lower() for v in variables}
    for variable, value in variables.items():
        conn_id = variable.removeprefix("AIRFLOW_CONN_").lower()
        from_env = Connection.from_json(value, conn_id=conn_id)
        got = imported[conn_id]
        assert (got.conn_type, got.host, got.login, got.password, got.port) == (
            from_env.conn_type,
            from_env.host,
            from_env.login,
            from_env.password,
            from_env.port,
        )
        assert got.extra_dejson == from_env.extra_dejson
        assert got.extra_dejson  # every demo connection points at the emulator through its extra
