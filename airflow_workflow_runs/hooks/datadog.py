"""Datadog Workflow Automation instances on a ``datadog_workflows`` connection.

Fields: **Password** = the application key (it needs ``workflows_read``, and ``workflows_run`` to
start or cancel instances); when it is empty, the extra **app_key** is used instead, as connections
of Airflow's own Datadog provider keep it (the Password wins when both are set); extra **api_key** =
the organisation's API key (all secret); extra **site** = the Datadog site (``datadoghq.com`` by
default, one of ``clients.datadog.SITES``); **Host** = an exact API URL override (a proxy or the
emulator; ``http://`` works); extras ``ca_bundle`` and ``timeout`` (seconds per request, default 60).
The ``DD_SITE``/``DD_API_KEY``/``DD_APP_KEY`` environment variables are not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.clients.datadog import DatadogRunClient, build_api, validate_site
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.hooks.connection_fields import ca_bundle, endpoint_override, extra_number, extra_str
from airflow_workflow_runs.services.datadog import SERVICE

if TYPE_CHECKING:
    from airflow.sdk import Connection

DEFAULT_TIMEOUT = 60.0


class DatadogWorkflowInstanceHook(WorkflowRunHook[DatadogRunClient], service=SERVICE):
    """Reads, starts and cancels Datadog workflow instances.

    :param datadog_conn_id: a ``datadog_workflows`` connection (it must exist: Datadog has no
        ambient credentials).
    """

    client_class = DatadogRunClient
    missing_connection_ok = False

    def __init__(self, datadog_conn_id: str | None = SERVICE.default_conn) -> None:
        super().__init__(conn_id=datadog_conn_id)

    def build_client(self, conn: Connection | None) -> DatadogRunClient:
        if conn is None:
            raise ValueError("a datadog_workflows connection is required (datadog_conn_id=None was given)")
        api_key = extra_str(conn, "api_key")
        app_key = (conn.password or "").strip() or extra_str(conn, "app_key") or ""
        named = (("api_key (extra)", api_key), ("application key (Password, or the app_key extra)", app_key))
        missing = [name for name, value in named if not value]
        if missing:
            raise ValueError(f"the Datadog connection {conn.conn_id!r} lacks its {' and '.join(missing)}")
        assert api_key is not None
        from airflow.sdk.log import mask_secret

        mask_secret(app_key)  # Airflow masks extras by name, and "app_key" is not one of its names
        site = validate_site(extra_str(conn, "site"))
        return DatadogRunClient(
            build_api(
                api_key=api_key,
                app_key=app_key,
                site=site,
                host=endpoint_override(conn),
                ca_bundle=ca_bundle(conn),
                timeout=_timeout(conn),
            ),
            site=site,
        )


def _timeout(conn: Connection) -> float:
    return extra_number(conn, "timeout", float(DEFAULT_TIMEOUT), above=True)
