"""AWS CodeCatalyst workflow runs on a ``codecatalyst`` connection.

Fields: **Password** = a personal access token (empty: botocore's own token chain, e.g. SSO);
**Host** = endpoint override (default ``https://codecatalyst.global.api.aws``); extras
``region_name`` (signing region, default us-west-2), ``max_attempts`` (botocore's standard retry
mode, attempts per call, default 3) and ``ca_bundle``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.config import Config

from airflow_workflow_runs.clients.codecatalyst import CodeCatalystRunClient, build_boto_client
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.hooks.connection_fields import ca_bundle, endpoint_override, extra_number, extra_str
from airflow_workflow_runs.services.codecatalyst import SERVICE

if TYPE_CHECKING:
    from airflow.sdk import Connection


class CodeCatalystWorkflowRunHook(WorkflowRunHook[CodeCatalystRunClient], service=SERVICE):
    """Reads and starts CodeCatalyst workflow runs.

    :param codecatalyst_conn_id: a ``codecatalyst`` connection; when it does not exist, botocore's
        token chain (``AWS_BEARER_TOKEN_CODECATALYST``, SSO) is used.
    :param region_name: overrides the connection's region.
    """

    client_class = CodeCatalystRunClient
    missing_connection_ok = True

    def __init__(self, codecatalyst_conn_id: str | None = SERVICE.default_conn, region_name: str | None = None) -> None:
        super().__init__(conn_id=codecatalyst_conn_id, region_name=region_name)

    def build_client(self, conn: Connection | None) -> CodeCatalystRunClient:
        return CodeCatalystRunClient(
            build_boto_client(
                token=(conn.password or None) if conn is not None else None,
                region_name=self.client_options.get("region_name") or extra_str(conn, "region_name"),
                endpoint_url=endpoint_override(conn),
                verify=ca_bundle(conn),
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": _max_attempts(conn)},
                    max_pool_connections=io_threads(),  # one kept-alive connection per I/O thread
                ),
            )
        )


def _max_attempts(conn: Connection | None) -> int:
    return extra_number(conn, "max_attempts", 3, minimum=1)
