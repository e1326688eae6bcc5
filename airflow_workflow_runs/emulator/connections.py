"""Airflow connections pointing every service's default connection id at a running emulator.

What ``make demo``, the benchmarks and the fresh-process tests give Airflow, as ``AIRFLOW_CONN_*``
variables: HTTPS with the emulator's CA bundle, and credentials the emulator accepts (it checks
none unless a test asks it to). Nothing here is a real secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Subscription and resource group of the emulated Logic Apps workflows (the emulator's defaults).
LOGIC_APPS_SUBSCRIPTION = "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b"
LOGIC_APPS_RESOURCE_GROUP = "rg-airflow"


def emulator_connections(https_url: str, ca_bundle: str) -> dict[str, dict[str, Any]]:
    """Connection dicts by connection id: each hook's default id, all on the emulator."""
    return {
        "aws_default": {
            "conn_type": "aws",
            "login": "AKIDEMO",
            "password": "demo-secret",
            "extra": {"region_name": "eu-west-1", "endpoint_url": https_url, "verify": ca_bundle},
        },
        "codecatalyst_default": {
            "conn_type": "codecatalyst",
            "host": https_url,
            "password": "demo-personal-access-token",
            "extra": {"ca_bundle": ca_bundle},
        },
        "datadog_workflows_default": {
            "conn_type": "datadog_workflows",
            "host": https_url,
            "password": "demo-application-key",
            "extra": {"api_key": "demo-api-key", "site": "datadoghq.com", "ca_bundle": ca_bundle},
        },
        "alibaba_dataworks_default": {
            "conn_type": "alibaba_dataworks",
            "host": https_url,
            "login": "LTAIdemoAccessKeyId",
            "password": "demo-access-key-secret",
            "extra": {"region": "cn-hangzhou", "ca_bundle": ca_bundle},
        },
        "azure_logic_apps_default": {
            "conn_type": "azure_logic_apps",
            "host": https_url,
            "login": "00000000-0000-0000-0000-00000000d3e0",
            "password": "demo-client-secret",
            "extra": {
                "tenant_id": "11111111-1111-1111-1111-111111111111",
                "subscription_id": LOGIC_APPS_SUBSCRIPTION,
                "resource_group": LOGIC_APPS_RESOURCE_GROUP,
                "authority_host": https_url,
                "ca_bundle": ca_bundle,
            },
        },
    }


def connection_env(connections: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` environment variables (JSON form) for connection dicts."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn) for conn_id, conn in connections.items()}
