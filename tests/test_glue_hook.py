"""GlueWorkflowRunHook: the aws connection as the amazon provider reads it."""

from __future__ import annotations

from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
from airflow_workflow_runs.model import RunState


def test_connection_settings_reach_the_client(emu, glue_conn):
    client = GlueWorkflowRunHook(aws_conn_id=glue_conn).client
    assert client.region_name == "eu-west-1"
    assert GlueWorkflowRunHook(aws_conn_id=glue_conn, region_name="ap-south-1").client.region_name == "ap-south-1"


def test_a_missing_connection_falls_back_to_boto3s_default_chain(emu, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", emu.https_url)
    monkeypatch.setenv("AWS_CA_BUNDLE", emu.ca_bundle)
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    run = GlueWorkflowRunHook(aws_conn_id="not_configured").get_run({"workflow_name": "etl", "run_id": run_id})
    assert run.state is RunState.SUCCEEDED
    assert "us-east-2" in run.console_url
    assert emu.requests(service="glue")[0]["authorization"] is True


def test_serialize_rebuilds_the_same_hook_without_secrets(glue_conn):
    hook = GlueWorkflowRunHook(aws_conn_id=glue_conn, region_name="eu-west-1")
    assert hook.serialize() == {"aws_conn_id": glue_conn, "region_name": "eu-west-1"}
    assert GlueWorkflowRunHook(**hook.serialize()).serialize() == hook.serialize()


def test_clients_on_different_connections_share_the_service_models(emu, glue_conn, monkeypatch):
    """Each Glue model costs ~16 MiB per botocore session; clients share one loader instead."""
    from airflow_workflow_runs.clients.codecatalyst import build_boto_client
    from tests.helpers import aws_connection

    monkeypatch.setenv("AIRFLOW_CONN_AWS_OTHER", aws_connection(emu, region_name="us-east-2"))
    first = GlueWorkflowRunHook(glue_conn).client._client
    second = GlueWorkflowRunHook("aws_other").client._client
    assert first.meta.region_name != second.meta.region_name
    assert first._loader is second._loader
    paths = list(first._loader.search_paths)
    codecatalyst = build_boto_client("token", endpoint_url=emu.https_url)
    assert codecatalyst._loader is first._loader
    assert first._loader.search_paths == paths  # building clients does not grow the shared loader
