"""One DAG gating on workflow runs in five services at once, then doing its own work.

Each sensor waits (deferred: no worker slot is held) for a run that another cloud's schedule
started; ``publish`` runs only when all five succeeded. With ``make demo`` every connection points
at the bundled emulator, whose ``demo`` scenario serves the ids below.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.sensors.codecatalyst import CodeCatalystWorkflowRunSensor
from airflow_workflow_runs.sensors.datadog import DatadogWorkflowInstanceSensor
from airflow_workflow_runs.sensors.dataworks import DataWorksWorkflowInstanceSensor
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor

WAIT = {"poke_interval": 2, "timeout": 3600, "deferrable": True}

with DAG(
    dag_id="example_cross_cloud_gate",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    tags=["example", "cross-cloud"],
) as dag:
    upstream = [
        GlueWorkflowRunSensor(
            task_id="aws_glue_etl",
            workflow_name="demo_nightly_etl",
            run_id="wr_f7ad525e79f2d284f43504d7da80c72dfc0ef3d8c6218ec47e387a068f6f5c26",
            **WAIT,
        ),
        CodeCatalystWorkflowRunSensor(
            task_id="aws_codecatalyst_build",
            space_name="demo-space",
            project_name="demo-project",
            run_id="9e8d7c6b-5a49-4c3b-8a2d-1f0e9d8c7b6a",
            **WAIT,
        ),
        LogicAppsWorkflowRunSensor(
            task_id="azure_logic_app_ingest",
            resource_group_name="rg-airflow",
            workflow_name="la-ingest-orders",
            run_name="08584737551867954143243946780CU57",
            **WAIT,
        ),
        DatadogWorkflowInstanceSensor(
            task_id="datadog_remediation",
            workflow_id="7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
            instance_id="3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a",
            **WAIT,
        ),
        DataWorksWorkflowInstanceSensor(
            task_id="alibaba_dataworks_load",
            instance_id="900001",
            project_id="10086",
            **WAIT,
        ),
    ]

    @task
    def publish(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']:>13}  {run['run_id']}  {run['raw_status']} -> {run['state']}")
        print("All upstream runs in five services succeeded: publishing.")

    publish([sensor.output for sensor in upstream])
