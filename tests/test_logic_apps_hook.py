"""LogicAppsWorkflowRunHook: the azure_logic_apps connection, shared clients, serialization."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
from airflow_workflow_runs.hooks.logic_apps import LogicAppsWorkflowRunHook
from airflow_workflow_runs.hooks.shared_clients import clear_shared_clients
from airflow_workflow_runs.model import RunState
from tests.logic_apps_helpers import CLIENT_SECRET, LA_CONN_ID, SUBSCRIPTION, TENANT, ref


def test_connection_fields_reach_the_client(emu, la_conn):
    hook = LogicAppsWorkflowRunHook(azure_logic_apps_conn_id=la_conn)
    settings = hook.client.settings
    assert settings.endpoint == emu.https_url  # the Host field overrides the ARM endpoint
    assert (settings.subscription_id, settings.tenant_id) == (SUBSCRIPTION, TENANT)
    assert settings.resource_group_name == "rg-airflow" and settings.ca_bundle == emu.ca_bundle
    assert (settings.retry_total, settings.timeout) == (0, 5.0)
    assert settings.scope == "https://management.azure.com/.default"
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    assert hook.get_run(ref(run_name)).state is RunState.SUCCEEDED


def test_uri_form_connection_with_string_extras_and_a_sovereign_cloud(emu, monkeypatch):
    from urllib.parse import quote

    host = emu.https_url.removeprefix("https://")
    uri = (
        f"azure-logic-apps://client-id:{quote(CLIENT_SECRET)}@{host}/?tenant_id={TENANT}"
        f"&subscription_id={SUBSCRIPTION}&cloud=azure_china_cloud&retry_total=2&timeout=7.5"
        f"&ca_bundle={quote(emu.ca_bundle)}&location=chinaeast2"
    )
    monkeypatch.setenv("AIRFLOW_CONN_LA_URI", uri)
    settings = LogicAppsWorkflowRunHook(azure_logic_apps_conn_id="la_uri").client.settings
    assert settings.endpoint == emu.https_url  # no scheme in Host means https
    assert (settings.retry_total, settings.timeout, settings.location) == (2, 7.5, "chinaeast2")
    assert settings.scope == "https://management.chinacloudapi.cn/.default"
    assert settings.authority == "login.chinacloudapi.cn" and settings.client_id == "client-id"


def test_without_a_secret_the_default_credential_chain_is_used(emu, monkeypatch):
    from azure.identity import DefaultAzureCredential

    conn = {"conn_type": "azure_logic_apps", "login": "mi-client-id", "extra": {"subscription_id": SUBSCRIPTION}}
    monkeypatch.setenv("AIRFLOW_CONN_LA_MI", json.dumps(conn))
    client = LogicAppsWorkflowRunHook(azure_logic_apps_conn_id="la_mi").client
    assert isinstance(client._sdk.sync_credential(), DefaultAzureCredential)


def test_no_connection_reads_the_subscription_from_the_environment(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    settings = LogicAppsWorkflowRunHook(azure_logic_apps_conn_id=None).client.settings
    assert settings.subscription_id == SUBSCRIPTION and settings.endpoint == "https://management.azure.com"


def test_an_unknown_cloud_is_refused(monkeypatch):
    conn = {"conn_type": "azure_logic_apps", "extra": {"cloud": "AZURE_GERMANY"}}
    monkeypatch.setenv("AIRFLOW_CONN_LA_BAD", json.dumps(conn))
    with pytest.raises(ValueError, match="unknown cloud 'AZURE_GERMANY'"):
        LogicAppsWorkflowRunHook(azure_logic_apps_conn_id="la_bad").client  # noqa: B018


def test_serialize_holds_the_conn_id_only(la_conn):
    hook = LogicAppsWorkflowRunHook(azure_logic_apps_conn_id=la_conn)
    assert hook.serialize() == {"azure_logic_apps_conn_id": LA_CONN_ID}
    assert LogicAppsWorkflowRunHook(**hook.serialize()).serialize() == hook.serialize()
    assert LogicAppsWorkflowRunHook.conn_type == "azure_logic_apps"
    assert LogicAppsWorkflowRunHook.default_conn_name == "azure_logic_apps_default"


def test_waits_on_one_connection_share_one_client_across_event_loops(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "polls": 2}, {"status": "Succeeded"}])

    async def poll_many() -> tuple[set[int], list[str]]:
        hooks = [LogicAppsWorkflowRunHook(azure_logic_apps_conn_id=la_conn) for _ in range(20)]
        clients = await asyncio.gather(*(hook.aget_client() for hook in hooks))
        runs = await asyncio.gather(*(hook.aget_run(ref(run_name)) for hook in hooks[:3]))
        return {id(c) for c in clients}, [r.raw_status for r in runs]

    ids, statuses = asyncio.run(poll_many())
    assert len(ids) == 1 and statuses.count("Succeeded") == 1
    # A second event loop (tests call asyncio.run again): same shared client, fresh aio sessions.
    again, _ = asyncio.run(poll_many())
    assert again == ids
    assert len(emu.logic_apps.token_requests()) == 2  # one aio credential per event loop
    clear_shared_clients()
    third, statuses = asyncio.run(poll_many())
    assert third != ids and statuses == ["Succeeded"] * 3
    assert isinstance(LogicAppsWorkflowRunHook(azure_logic_apps_conn_id=la_conn).client, LogicAppsRunClient)
