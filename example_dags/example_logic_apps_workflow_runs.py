"""Gate on Azure Logic Apps workflow runs (Consumption and Standard): wait for a run, and start-and-wait one.

The ``azure_logic_apps_default`` connection names the subscription, the default resource group and the
credentials (a service principal, or managed/workload identity when no secret is set).
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_workflow_runs.operators.logic_apps import LogicAppsRunWorkflowOperator
from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor

with DAG(
    dag_id="example_logic_apps_workflow_runs",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    # Retries: a transient outage past the wait's own backoff, or Airflow's stale defer-exit race
    # (apache/airflow#67287), must not end the run; a retry follows the run its try started.
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    params={
        "resource_group_name": "rg-airflow",
        "consumption_workflow": "la-ingest-orders",
        "run_name": "08584737551867954143243946780CU57",
        "standard_site": "la-standard-site",
        "standard_workflow": "export-invoices",
    },
    tags=["example", "azure", "logic_apps"],
) as dag:
    # Wait for a run of a Consumption logic app that something else started, in the triggerer.
    wait_for_ingest = LogicAppsWorkflowRunSensor(
        task_id="wait_for_ingest",
        resource_group_name="{{ params.resource_group_name }}",
        workflow_name="{{ params.consumption_workflow }}",
        run_name="{{ params.run_name }}",
        poke_interval=2,
        timeout=6 * 3600,
        deferrable=True,
    )

    # Run a stateful Standard workflow's Request trigger with a JSON body and wait for the run.
    # A retry reattaches to the run an earlier try started (client tracking id); killing the task
    # cancels the run.
    run_export = LogicAppsRunWorkflowOperator(
        task_id="run_export",
        resource_group_name="{{ params.resource_group_name }}",
        site_name="{{ params.standard_site }}",
        workflow_name="{{ params.standard_workflow }}",
        trigger_name="manual",
        body={
            "business_date": "{{ (dag_run.logical_date or dag_run.run_after) | ds }}",
            "airflow_run_id": "{{ run_id }}",
        },
        poll_interval=2,
        deferrable=True,
    )

    @task
    def report(runs: list[dict]) -> None:
        for run in runs:
            print(f"{run['service']} run {run['run_id']}: {run['raw_status']} -> {run['state']}", run["outputs"])

    wait_for_ingest >> run_export
    report([wait_for_ingest.output, run_export.output])
