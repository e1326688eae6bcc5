"""Gate on Datadog Workflow Automation: wait for an instance, and execute-and-wait a workflow.

With ``make demo`` the ``datadog_workflows_default`` connection points at the bundled emulator,
whose ``demo`` scenario serves the workflow and instance ids below.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.operators.datadog import DatadogRunWorkflowOperator
from airflow_workflow_runs.sensors.datadog import DatadogWorkflowInstanceSensor

with DAG(
    dag_id="example_datadog_workflow_instances",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    params={
        "workflow_id": "7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
        "instance_id": "3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a",
    },
    tags=["example", "datadog"],
) as dag:
    # Wait for an instance someone else started (a monitor's trigger, say), deferred to the triggerer.
    wait_for_remediation = DatadogWorkflowInstanceSensor(
        task_id="wait_for_remediation",
        workflow_id="{{ params.workflow_id }}",
        instance_id="{{ params.instance_id }}",
        poke_interval=2,
        timeout=600,
        deferrable=True,
    )

    # Execute the workflow with inputs and wait for it; killing the task cancels the instance.
    run_workflow = DatadogRunWorkflowOperator(
        task_id="run_workflow",
        workflow_id="{{ params.workflow_id }}",
        payload={"host": "web-01", "requested_by": "airflow {{ dag_run.run_id }}"},
        poll_interval=2,
    )

    @task
    def report(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']} instance {run['run_id']}: {run['raw_status']} -> {run['state']} {run['outputs']}")

    report([wait_for_remediation.output, run_workflow.output])
