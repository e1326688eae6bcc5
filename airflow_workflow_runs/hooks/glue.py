"""AWS Glue workflow runs on the amazon provider's ``aws`` connection.

Credentials, role assumption, ``endpoint_url``, ``verify`` and ``config_kwargs`` come from the
connection exactly as in ``AwsBaseHook``: the same connection Glue users already have configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.clients.aws_models import share_service_models
from airflow_workflow_runs.clients.glue import GlueRunClient
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.clients.log_redaction import redact_botocore_logs
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.model import UnknownEndpoint
from airflow_workflow_runs.services.glue import SERVICE

if TYPE_CHECKING:
    from airflow.sdk import Connection


class GlueWorkflowRunHook(WorkflowRunHook[GlueRunClient], service=SERVICE):
    """Reads, starts and stops AWS Glue workflow runs.

    :param aws_conn_id: an ``aws`` connection; when it does not exist, boto3's default credential
        chain is used, as in the amazon provider.
    :param region_name: overrides the connection's region.
    """

    client_class = GlueRunClient
    missing_connection_ok = True

    def __init__(self, aws_conn_id: str | None = SERVICE.default_conn, region_name: str | None = None) -> None:
        super().__init__(conn_id=aws_conn_id, region_name=region_name)

    def build_client(self, conn: Connection | None) -> GlueRunClient:
        from airflow.providers.amazon.aws.hooks.base_aws import SessionFactory
        from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper
        from botocore.config import Config
        from botocore.exceptions import InvalidRegionError

        redact_botocore_logs()  # before the session: building it may assume a role (an STS answer)
        wrapper = AwsConnectionWrapper(conn=conn, region_name=self.client_options.get("region_name"))
        session = SessionFactory(
            conn=wrapper, region_name=wrapper.region_name, config=wrapper.botocore_config
        ).create_session()
        share_service_models(session._session)
        # One kept-alive connection per I/O thread, unless the connection's config_kwargs say otherwise.
        config = Config(max_pool_connections=io_threads())
        if wrapper.botocore_config is not None:
            config = config.merge(wrapper.botocore_config)
        try:
            boto_client = session.client(
                "glue",
                region_name=wrapper.region_name,
                endpoint_url=wrapper.get_service_endpoint_url("glue"),
                config=config,
                verify=wrapper.verify,
            )
        except InvalidRegionError as error:
            raise UnknownEndpoint(f"glue: {error}") from None
        return GlueRunClient(boto_client)
