"""Gate on AWS Glue workflow runs: wait for a run someone else started, and start-and-wait one.

With ``make demo`` the ``aws_default`` connection points at the bundled emulator, whose ``demo``
scenario serves the workflow and run ids below; against AWS, put your own in the params.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.operators.glue import GlueRunWorkflowOperator
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor

with DAG(
    dag_id="example_glue_workflow_runs",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    params={
        "workflow_name": "demo_nightly_etl",
        "run_id": "wr_f7ad525e79f2d284f43504d7da80c72dfc0ef3d8c6218ec47e387a068f6f5c26",
    },
    tags=["example", "glue"],
) as dag:
    # Wait in a worker slot, polling every few seconds.
    wait_in_worker = GlueWorkflowRunSensor(
        task_id="wait_in_worker",
        workflow_name="{{ params.workflow_name }}",
        run_id="{{ params.run_id }}",
        poke_interval=2,
        timeout=600,
    )

    # Same wait, deferred to the triggerer: no worker slot is held while the run goes on.
    wait_deferred = GlueWorkflowRunSensor(
        task_id="wait_deferred",
        workflow_name="{{ params.workflow_name }}",
        run_id="{{ params.run_id }}",
        poke_interval=2,
        timeout=600,
        deferrable=True,
    )

    # Start a new run of the workflow and wait for it (deferred); killing the task stops the run.
    run_workflow = GlueRunWorkflowOperator(
        task_id="run_workflow",
        workflow_name="{{ params.workflow_name }}",
        run_properties={"triggered_by": "{{ dag.dag_id }}/{{ run_id }}"},
        poll_interval=2,
        deferrable=True,
    )

    @task
    def report(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']} run {run['run_id']}: {run['raw_status']} -> {run['state']}")

    report([wait_in_worker.output, wait_deferred.output, run_workflow.output])
