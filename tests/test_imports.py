"""DAG files import our sensors and operators at every parse: that must not import a cloud SDK.

One interpreter checks every DAG-facing module of every declared service, importing them one at
a time and naming the first that pulls an SDK in (each interpreter start imports Airflow's task
SDK: seconds, so not one per module). Service API logic must not import Airflow.
"""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_workflow_runs.services import declarations

SDK_MODULES = (
    "boto3",
    "botocore",
    "aiobotocore",
    "airflow.providers.amazon.aws.hooks",
    "datadog_api_client",
    "alibabacloud",
    "darabonba",
    "Tea",
    "azure",
    "msal",
    "msrest",
    "aiohttp",
)
GENERIC_MODULES = (
    "airflow_workflow_runs.get_provider_info",
    "airflow_workflow_runs.triggers.workflow_run",
    "airflow_workflow_runs.triggers.cross_cloud_gate",
    "airflow_workflow_runs.sensors.cross_cloud_gate",
)
PROBE = """
import importlib, json, sys
prefixes = tuple(sys.argv[2:])
found = {}
for module in json.loads(sys.argv[1]):
    importlib.import_module(module)
    loaded = sorted(m for m in sys.modules if m.startswith(prefixes) and m not in found.get("_seen", ()))
    if loaded:
        found[module] = loaded
    found.setdefault("_seen", set()).update(loaded)
found.pop("_seen", None)
print("LOADED:" + json.dumps(found))
"""


def loaded_by(modules: list[str], prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """For each module that brought in modules starting with ``prefixes``: which (imported in order)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(modules), *prefixes],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1].removeprefix("LOADED:"))


def test_no_dag_facing_module_of_any_service_imports_a_cloud_sdk():
    modules = [*GENERIC_MODULES]
    for service in declarations():
        modules += [f"airflow_workflow_runs.services.{service.name}"]
        modules += [service.module(kind) for kind in ("sensors", "operators", "links")]
    assert len(modules) == len(GENERIC_MODULES) + 4 * 5
    # nor any service's client or hook module (they import the SDK at module level)
    service_modules = tuple(
        f"airflow_workflow_runs.{kind}.{s.name}" for s in declarations() for kind in ("clients", "hooks")
    )
    assert loaded_by(modules, (*SDK_MODULES, *service_modules)) == {}


def test_the_service_clients_import_no_airflow():
    clients = [f"airflow_workflow_runs.clients.{service.name}" for service in declarations()]
    assert loaded_by(clients, ("airflow.", "airflow_workflow_runs.hooks")) == {}
