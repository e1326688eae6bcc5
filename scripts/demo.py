"""``make demo``: start the bundled emulator, point an Airflow home at it, run the example DAG.

Runs ``airflow dags test`` on each example DAG (sensors in poke and deferrable mode and
start-and-wait operators, per service) and exits non-zero if any fails. Everything lives in
``.demo/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".demo"
DAG_IDS = (
    "example_cross_cloud_gate",
    "example_latest_runs_and_gate",
    "example_glue_workflow_runs",
    "example_codecatalyst_workflow_runs",
    "example_datadog_workflow_instances",
    "example_dataworks_workflow_instances",
    "example_logic_apps_workflow_runs",
)


def main() -> int:
    shutil.rmtree(STATE, ignore_errors=True)
    (STATE / "airflow").mkdir(parents=True)
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_workflow_runs.emulator",
            "--state-dir",
            str(STATE / "emulator"),
            "--scenario",
            "demo",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        endpoints = json.loads(emulator.stdout.readline())
        print(f"emulator: {endpoints['https_url']} (CA bundle {endpoints['ca_bundle']})", flush=True)
        env = airflow_env(endpoints)
        airflow = [sys.executable, "-m", "airflow"]
        print("airflow db migrate ...", flush=True)
        subprocess.run([*airflow, "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        outcomes = {}
        for dag_id in DAG_IDS:
            print(f"airflow dags test {dag_id}", flush=True)
            outcomes[dag_id] = subprocess.run([*airflow, "dags", "test", dag_id], env=env).returncode
        print("\nDemo outcome:", flush=True)
        for dag_id, code in outcomes.items():
            print(f"  {dag_id}: {'succeeded' if code == 0 else 'FAILED'}", flush=True)
        return 0 if not any(outcomes.values()) else 1
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def airflow_env(endpoints: dict[str, str]) -> dict[str, str]:
    home = STATE / "airflow"
    connection = {
        "conn_type": "aws",
        "login": "AKIDEMO",
        "password": "demo-secret",
        "extra": {
            "region_name": "eu-west-1",
            "endpoint_url": endpoints["https_url"],
            "verify": endpoints["ca_bundle"],
        },
    }
    codecatalyst = {
        "conn_type": "codecatalyst",
        "host": endpoints["https_url"],
        "password": "demo-personal-access-token",
        "extra": {"ca_bundle": endpoints["ca_bundle"]},
    }
    datadog = {
        "conn_type": "datadog_workflows",
        "host": endpoints["https_url"],
        "password": "demo-application-key",
        "extra": {"api_key": "demo-api-key", "site": "datadoghq.com", "ca_bundle": endpoints["ca_bundle"]},
    }
    dataworks = {
        "conn_type": "alibaba_dataworks",
        "host": endpoints["https_url"],
        "login": "LTAIdemoAccessKeyId",
        "password": "demo-access-key-secret",
        "extra": {"region": "cn-hangzhou", "ca_bundle": endpoints["ca_bundle"]},
    }
    logic_apps = {
        "conn_type": "azure_logic_apps",
        "host": endpoints["https_url"],
        "login": "00000000-0000-0000-0000-00000000d3e0",
        "password": "demo-client-secret",
        "extra": {
            "tenant_id": "11111111-1111-1111-1111-111111111111",
            "subscription_id": "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b",
            "resource_group": "rg-airflow",
            "authority_host": endpoints["https_url"],
            "ca_bundle": endpoints["ca_bundle"],
        },
    }
    return {
        **os.environ,
        "AIRFLOW_CONN_AZURE_LOGIC_APPS_DEFAULT": json.dumps(logic_apps),
        "AIRFLOW_CONN_ALIBABA_DATAWORKS_DEFAULT": json.dumps(dataworks),
        "AIRFLOW_CONN_DATADOG_WORKFLOWS_DEFAULT": json.dumps(datadog),
        "AIRFLOW_CONN_CODECATALYST_DEFAULT": json.dumps(codecatalyst),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
    }


if __name__ == "__main__":
    sys.exit(main())
