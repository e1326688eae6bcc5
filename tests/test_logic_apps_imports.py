"""DAG files import the Logic Apps sensor and operator at every parse: no Azure SDK may come with them."""

from __future__ import annotations

import subprocess
import sys

SDK_MODULES = ("azure", "msal", "msrest", "aiohttp", "airflow_workflow_runs.clients.logic_apps")
MODULES = (
    "airflow_workflow_runs.sensors.logic_apps",
    "airflow_workflow_runs.operators.logic_apps",
    "airflow_workflow_runs.links.logic_apps",
)


def test_importing_the_dag_facing_modules_imports_no_azure_sdk():
    """One interpreter for all three (each start-up imports Airflow's task SDK: seconds)."""
    modules = ", ".join(MODULES)
    code = (
        f"import sys, {modules}\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({SDK_MODULES!r}))\n"
        "print('LOADED:' + ','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "LOADED:"


def test_the_client_module_imports_no_airflow():
    code = (
        "import sys, airflow_workflow_runs.clients.logic_apps\n"
        "print('LOADED:' + ','.join(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "LOADED:"
