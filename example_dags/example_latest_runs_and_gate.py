"""Gate on runs you did not start: the newest run of a workflow in each service, then one gate over all five.

Other clouds' schedulers start these workflows; the DAG has no run ids. Each sensor names a workflow
and a time window instead, waits for the newest run that started in it (waiting for one to appear if
needed), pins it (XCom ``run_id``) and follows it to the end. Without ``started_after`` the window is
the DAG run's data interval, the usual choice for a scheduled DAG ("today's run").

``gate_next_runs`` is ONE task waiting on runs in all five services at once (one triggerer coroutine,
not five worker slots), here the runs starting after this DAG run began: it fails as soon as one of
them fails, naming the others' states. With ``make demo``, the bundled emulator starts a run of each
workflow below every 30 seconds.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.sensors.codecatalyst import CodeCatalystWorkflowRunSensor
from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
from airflow_workflow_runs.sensors.datadog import DatadogWorkflowInstanceSensor
from airflow_workflow_runs.sensors.dataworks import DataWorksWorkflowInstanceSensor
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor

# Runs that started in the ten minutes before this DAG run, or since.
RECENT = "{{ (dag_run.run_after - macros.timedelta(minutes=10)).isoformat() }}"
WAIT = {"poke_interval": 2, "timeout": 600, "deferrable": True, "started_after": RECENT}

GLUE = {"workflow_name": "demo_scheduled_refresh"}
CODECATALYST = {
    "space_name": "demo-space",
    "project_name": "demo-project",
    "workflow_id": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
}
DATADOG = {"workflow_id": "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"}
DATAWORKS = {"project_id": 10086, "workflow_id": 700002}  # matched by business date
LOGIC_APPS = {"resource_group_name": "rg-airflow", "workflow_name": "la-scheduled-sync"}

with DAG(
    dag_id="example_latest_runs_and_gate",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    tags=["example", "cross-cloud"],
) as dag:
    latest = [
        GlueWorkflowRunSensor(task_id="latest_glue", **GLUE, **WAIT),
        CodeCatalystWorkflowRunSensor(task_id="latest_codecatalyst", **CODECATALYST, **WAIT),
        DatadogWorkflowInstanceSensor(task_id="latest_datadog", **DATADOG, **WAIT),
        DataWorksWorkflowInstanceSensor(task_id="latest_dataworks", **DATAWORKS, **WAIT),
        LogicAppsWorkflowRunSensor(task_id="latest_logic_apps", **LOGIC_APPS, **WAIT),
    ]

    gate = CrossCloudGateSensor(
        task_id="gate_next_runs",
        policy="all",
        runs=[
            {"service": "glue", **GLUE},
            {"service": "codecatalyst", **CODECATALYST},
            {"service": "datadog", **DATADOG},
            {"service": "dataworks", **DATAWORKS},
            {"service": "logic_apps", **LOGIC_APPS},
        ],
        started_after="{{ dag_run.run_after.isoformat() }}",
        poke_interval=2,
        timeout=600,
        deferrable=True,
    )

    @task
    def report(latest_runs: list[dict], gated_runs: list[dict]) -> None:
        for run in latest_runs + gated_runs:
            print(f"{run['service']:>13}  {run['run_id']:<70}  {run['started_at']}  {run['raw_status']}")
        print("The latest runs and the next runs in all five services succeeded.")

    report([sensor.output for sensor in latest], gate.output)
