"""Gate on AWS CodeCatalyst workflow runs: wait for a run, and start-and-wait one.

With ``make demo`` the ``codecatalyst_default`` connection points at the bundled emulator, whose
``demo`` scenario serves the space, project, workflow and run ids below.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.operators.codecatalyst import CodeCatalystRunWorkflowOperator
from airflow_workflow_runs.sensors.codecatalyst import CodeCatalystWorkflowRunSensor

with DAG(
    dag_id="example_codecatalyst_workflow_runs",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    params={
        "space_name": "demo-space",
        "project_name": "demo-project",
        "workflow_id": "5f0c1d6e-2b7a-4c3e-9d81-0a1b2c3d4e5f",
        "run_id": "9e8d7c6b-5a49-4c3b-8a2d-1f0e9d8c7b6a",
    },
    tags=["example", "codecatalyst"],
) as dag:
    # Wait for a run someone else started (a push to main, say), deferred to the triggerer.
    wait_for_build = CodeCatalystWorkflowRunSensor(
        task_id="wait_for_build",
        space_name="{{ params.space_name }}",
        project_name="{{ params.project_name }}",
        run_id="{{ params.run_id }}",
        poke_interval=2,
        timeout=600,
        deferrable=True,
    )

    # Start the workflow and wait for it; a retry follows the same run (idempotent client token).
    run_workflow = CodeCatalystRunWorkflowOperator(
        task_id="run_workflow",
        space_name="{{ params.space_name }}",
        project_name="{{ params.project_name }}",
        workflow_id="{{ params.workflow_id }}",
        poll_interval=2,
    )

    @task
    def report(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']} run {run['run_id']}: {run['raw_status']} -> {run['state']}")

    report([wait_for_build.output, run_workflow.output])
