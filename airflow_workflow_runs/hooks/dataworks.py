"""Alibaba Cloud DataWorks workflow instances on an ``alibaba_dataworks`` connection.

Fields: **Login** = AccessKey id, **Password** = AccessKey secret (both empty: the Alibaba
default credential chain of ``alibabacloud-credentials`` — ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``,
OIDC, CLI profile, credentials file, ECS RAM role); extras ``security_token`` (an STS token, with
an STS key pair), ``region`` (default cn-hangzhou; endpoint ``dataworks.{region}.aliyuncs.com``),
``ca_bundle``; **Host** = endpoint override such as ``https://dataworks-vpc.cn-hangzhou.aliyuncs.com``
or ``http://127.0.0.1:8080`` — the SDK takes ``host:port`` and a protocol, derived here from the URL. The
form hides **Port** (a port goes in the URL); a port stored in the connection is still appended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from airflow_workflow_runs.clients.dataworks import DEFAULT_REGION, DataWorksRunClient, DataWorksSettings
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.hooks.connection_fields import ca_bundle, endpoint_override, extra_str
from airflow_workflow_runs.services.dataworks import SERVICE

if TYPE_CHECKING:
    from airflow.sdk import Connection


class DataWorksWorkflowInstanceHook(WorkflowRunHook[DataWorksRunClient], service=SERVICE):
    """Reads, starts and stops DataWorks workflow instances.

    :param dataworks_conn_id: an ``alibaba_dataworks`` connection; when it does not exist, the
        Alibaba default credential chain and region ``cn-hangzhou`` are used.
    :param region: overrides the connection's region.
    """

    client_class = DataWorksRunClient
    missing_connection_ok = True

    def __init__(self, dataworks_conn_id: str | None = SERVICE.default_conn, region: str | None = None) -> None:
        super().__init__(conn_id=dataworks_conn_id, region=region)

    def build_client(self, conn: Connection | None) -> DataWorksRunClient:
        return DataWorksRunClient(settings_from_connection(conn, self.client_options.get("region")))


def settings_from_connection(conn: Connection | None, region: str | None = None) -> DataWorksSettings:
    endpoint, protocol = None, "https"
    url = endpoint_override(conn)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the connection's Host {url!r} is not an http(s) URL of the DataWorks endpoint")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError(f"the connection's Host {url!r} must be a bare endpoint: the API is served at '/'")
        endpoint, protocol = parts.netloc, parts.scheme
    return DataWorksSettings(
        region=region or extra_str(conn, "region") or extra_str(conn, "region_id") or DEFAULT_REGION,
        access_key_id=(conn.login or None) if conn is not None else None,
        access_key_secret=(conn.password or None) if conn is not None else None,
        security_token=extra_str(conn, "security_token"),
        endpoint=endpoint,
        protocol=protocol,
        ca_bundle=ca_bundle(conn),
    )
