"""Shared set-up of the Azure Logic Apps tests: the connection to the emulator and a client on it.

Each test module declares its own small fixtures on top of these (conftest.py is shared with other
services). The
credential is a real azure-identity ``ClientSecretCredential`` signing in at the emulator's Microsoft
Entra token endpoint, and the emulator refuses any other secret for this client id.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest

from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
from airflow_workflow_runs.clients.logic_apps_azure import LogicAppsSettings
from airflow_workflow_runs.emulator.logic_apps_state import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION

if TYPE_CHECKING:
    from airflow_workflow_runs.emulator import Emulator

LA_CONN_ID = "azure_logic_apps_emulator"
HOOK = "airflow_workflow_runs.hooks.logic_apps.LogicAppsWorkflowRunHook"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
CLIENT_SECRET = "la-client-secret-never-logged"
SUBSCRIPTION = DEFAULT_SUBSCRIPTION
RESOURCE_GROUP = DEFAULT_RESOURCE_GROUP
SITE = "la-standard-site"
#: Both tiers: Consumption (no site) and Standard (a site).
TIERS = {"consumption": None, "standard": SITE}


def logic_apps_connection(emulator: Emulator, **extra: Any) -> str:
    """An ``azure_logic_apps`` connection to the emulator, as JSON for an ``AIRFLOW_CONN_*`` variable."""
    return json.dumps(
        {
            "conn_type": "azure_logic_apps",
            "host": emulator.https_url,
            "login": CLIENT_ID,
            "password": CLIENT_SECRET,
            "extra": {
                "tenant_id": TENANT,
                "subscription_id": SUBSCRIPTION,
                "resource_group": RESOURCE_GROUP,
                "authority_host": emulator.https_url,
                "ca_bundle": emulator.ca_bundle,
                "retry_total": 0,  # reach our own retry logic at once
                "timeout": 5,
                **extra,
            },
        }
    )


def settings(emulator: Emulator, **overrides: Any) -> LogicAppsSettings:
    values: dict[str, Any] = {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": RESOURCE_GROUP,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "arm_endpoint": emulator.https_url,
        "authority_host": emulator.https_url,
        "ca_bundle": emulator.ca_bundle,
        "retry_total": 0,
        "timeout": 5.0,
    }
    values.update(overrides)
    return LogicAppsSettings(**values)


def client(emulator: Emulator, **overrides: Any) -> LogicAppsRunClient:
    """A client on the emulator with a real ClientSecretCredential (no Airflow involved)."""
    return LogicAppsRunClient(settings(emulator, **overrides))


def ref(run_name: str, site: str | None = None, workflow: str = "wf", **extra: str) -> dict[str, str]:
    out = {"workflow_name": workflow, "run_name": run_name, **extra}
    if site is not None:
        out["site_name"] = site
    return out


def install_connection(emu: Emulator, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> str:
    """Point ``LA_CONN_ID`` at the emulator (whose token endpoint wants this client's secret)."""
    for name in [n for n in os.environ if n.startswith("AZURE_")]:
        monkeypatch.delenv(name)  # nothing from the developer's shell reaches the tests
    emu.logic_apps.require_client_secret(CLIENT_ID, CLIENT_SECRET)
    monkeypatch.setenv(f"AIRFLOW_CONN_{LA_CONN_ID.upper()}", logic_apps_connection(emu, **extra))
    return LA_CONN_ID
