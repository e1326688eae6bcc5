"""Azure Logic Apps workflow runs (Consumption and Standard) on an ``azure_logic_apps`` connection.

Connection fields (see ``get_provider_info``'s ``conn-fields``; extras from a URI arrive as strings):

- **Login** / **Password**: client id and client secret of a service principal (with ``tenant_id``).
  Without a secret, ``DefaultAzureCredential`` is used (workload identity, managed identity, environment
  variables, Azure CLI ...); a login without a secret is then the user-assigned managed identity's /
  workload identity's client id.
- **Host**: overrides the Azure Resource Manager endpoint (proxies, private endpoints, emulators).
- extras: ``tenant_id``, ``subscription_id`` (else ``AZURE_SUBSCRIPTION_ID``), ``resource_group`` (default
  for tasks that do not name one), ``cloud`` (``AZURE_PUBLIC_CLOUD``, ``AZURE_CHINA_CLOUD``,
  ``AZURE_US_GOVERNMENT``: sets the ARM endpoint, token scope, authority and portal), ``token_scope``,
  ``authority_host``, ``ca_bundle`` (verifies TLS of ARM, Entra ID and trigger callbacks), ``location``
  (region, only for Standard portal links), ``retry_total`` (azure-core retries per call, default 3) and
  ``timeout`` (seconds to wait for an answer, default 60).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
from airflow_workflow_runs.clients.logic_apps_azure import CLOUDS, LogicAppsSettings
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.hooks.connection_fields import ca_bundle, endpoint_override, extra_number, extra_str
from airflow_workflow_runs.model import UnknownEndpoint
from airflow_workflow_runs.services.logic_apps import SERVICE

if TYPE_CHECKING:
    from airflow.sdk import Connection


def settings_from_connection(conn: Connection | None) -> LogicAppsSettings:
    """Read an ``azure_logic_apps`` connection (``None``: environment and default credentials only)."""
    cloud = (extra_str(conn, "cloud") or "AZURE_PUBLIC_CLOUD").upper()
    if cloud not in CLOUDS:
        raise UnknownEndpoint(f"azure_logic_apps connection: unknown cloud {cloud!r}; use one of {sorted(CLOUDS)}")
    return LogicAppsSettings(
        subscription_id=extra_str(conn, "subscription_id") or os.environ.get("AZURE_SUBSCRIPTION_ID") or None,
        resource_group_name=extra_str(conn, "resource_group"),
        tenant_id=extra_str(conn, "tenant_id"),
        client_id=(conn.login or None) if conn is not None else None,
        client_secret=(conn.password or None) if conn is not None else None,
        cloud=cloud,
        arm_endpoint=endpoint_override(conn),
        token_scope=extra_str(conn, "token_scope"),
        authority_host=extra_str(conn, "authority_host"),
        ca_bundle=ca_bundle(conn),
        location=extra_str(conn, "location"),
        retry_total=extra_number(conn, "retry_total", 3),
        timeout=extra_number(conn, "timeout", 60.0),
    )


class LogicAppsWorkflowRunHook(WorkflowRunHook[LogicAppsRunClient], service=SERVICE):
    """Reads, starts and cancels Azure Logic Apps workflow runs of both tiers.

    :param azure_logic_apps_conn_id: an ``azure_logic_apps`` connection; ``None`` uses
        ``DefaultAzureCredential`` and ``AZURE_SUBSCRIPTION_ID``.
    """

    client_class = LogicAppsRunClient

    def __init__(self, azure_logic_apps_conn_id: str | None = SERVICE.default_conn) -> None:
        super().__init__(conn_id=azure_logic_apps_conn_id)

    def build_client(self, conn: Connection | None) -> LogicAppsRunClient:
        return LogicAppsRunClient(settings_from_connection(conn))
