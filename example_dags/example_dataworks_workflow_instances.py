"""Gate on Alibaba Cloud DataWorks workflow instances: wait for one, and start-and-wait a workflow.

With ``make demo`` the ``alibaba_dataworks_default`` connection points at the bundled emulator, whose
``demo`` scenario serves the workspace, workflow and instance ids below.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.operators.dataworks import DataWorksRunWorkflowOperator
from airflow_workflow_runs.sensors.dataworks import DataWorksWorkflowInstanceSensor

with DAG(
    dag_id="example_dataworks_workflow_instances",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    params={"project_id": 10086, "workflow_id": 700001, "instance_id": 900001},
    tags=["example", "dataworks", "alibaba"],
) as dag:
    # Wait for an instance someone else started (last night's scheduled run), deferred to the triggerer.
    wait_for_nightly = DataWorksWorkflowInstanceSensor(
        task_id="wait_for_nightly",
        instance_id="{{ params.instance_id }}",
        project_id="{{ params.project_id }}",
        poke_interval=2,
        timeout=600,
        deferrable=True,
    )

    # Run a manually triggered workflow and wait for it; a retry follows the instance an earlier try started.
    run_workflow = DataWorksRunWorkflowOperator(
        task_id="run_workflow",
        project_id="{{ params.project_id }}",
        workflow_id="{{ params.workflow_id }}",
        workflow_parameters={"source": "airflow"},
        poll_interval=2,
    )

    @task
    def report(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']} instance {run['run_id']}: {run['raw_status']} -> {run['state']}")
            print(f"  console: {run['console_url']}")

    report([wait_for_nightly.output, run_workflow.output])
