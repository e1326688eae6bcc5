"""DAG files import our sensors and operators at every parse: that must not import a cloud SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest

SDK_MODULES = (
    "boto3",
    "botocore",
    "aiobotocore",
    "airflow.providers.amazon.aws.hooks",
    "datadog_api_client",
    "alibabacloud",
    "darabonba",
    "Tea",
)


@pytest.mark.parametrize(
    "module",
    [
        "airflow_workflow_runs.sensors.glue",
        "airflow_workflow_runs.operators.glue",
        "airflow_workflow_runs.triggers.workflow_run",
        "airflow_workflow_runs.links.glue",
        "airflow_workflow_runs.sensors.codecatalyst",
        "airflow_workflow_runs.operators.codecatalyst",
        "airflow_workflow_runs.sensors.datadog",
        "airflow_workflow_runs.operators.datadog",
        "airflow_workflow_runs.sensors.dataworks",
        "airflow_workflow_runs.operators.dataworks",
        "airflow_workflow_runs.get_provider_info",
    ],
)
def test_importing_does_not_import_a_cloud_sdk(module):
    code = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({SDK_MODULES!r}))\n"
        "print('LOADED:' + ','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "LOADED:"
