"""A retry finds the run an earlier try started through Airflow 3.3's task state store.

Each try's first request is the start; the store keeps the started run, so a retry after a
failed try (here: the credential refused twice while polling) follows that run by id, without the
service's own lookup (run tags, tokens), for Datadog even without ``run_key_input``. An earlier
try's run is followed only while it runs, and only if it is of the workflow this try names.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG

from airflow_workflow_runs.operators.datadog import DatadogRunWorkflowOperator
from airflow_workflow_runs.operators.glue import GlueRunWorkflowOperator
from tests.helpers import START

NO_DELAY = {"retries": 1, "retry_delay": datetime.timedelta(seconds=0), "poll_interval": 0.2}
DD_WORKFLOW = "ccf73164-1998-4785-a7a3-8d06c7e5f558"


def refuse_two_polls(emu, service: str, operation: str, **fault) -> None:
    """The first try's polls are refused, also after its credential is rebuilt: the try fails."""
    emu.add_fault({"service": service, "operation": operation, "count": 2, "status": 403, **fault})


def only_try(dag_run):
    (ti,) = dag_run.get_task_instances()
    return str(ti.state), ti.try_number


def test_a_glue_retry_follows_the_stored_run_without_listing_runs(emu, services, run_dag, dag_id):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    refuse_two_polls(emu, "glue", "GetWorkflowRun", status=400, error_type="AccessDeniedException")
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        GlueRunWorkflowOperator(task_id="run", workflow_name="etl", aws_conn_id=services.conn_ids["glue"], **NO_DELAY)
    assert only_try(run_dag(dag)) == ("success", 2)
    assert len(emu.requests(service="glue", operation="StartWorkflowRun")) == 1
    assert emu.requests(service="glue", operation="GetWorkflowRuns") == []  # no search by run property


def test_a_datadog_retry_reattaches_without_run_key_input(emu, services, run_dag, dag_id):
    emu.datadog.define_workflow(DD_WORKFLOW, [{"status": "IN_PROGRESS", "polls": 3}, {"status": "SUCCEEDED"}])
    refuse_two_polls(emu, "datadog", "GetWorkflowInstance")
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        DatadogRunWorkflowOperator(
            task_id="run", workflow_id=DD_WORKFLOW, datadog_conn_id=services.conn_ids["datadog"], **NO_DELAY
        )
    assert only_try(run_dag(dag)) == ("success", 2)
    (instance,) = emu.datadog.instances()
    assert instance["payload"] == {}  # no run key in the inputs was needed
    assert emu.requests(service="datadog", operation="ListWorkflowInstances") == []


def test_a_stored_run_that_has_ended_is_not_followed_a_new_one_starts(emu, services, run_dag, dag_id):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING", "polls": 1}, {"status": "STOPPED"}])
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        GlueRunWorkflowOperator(task_id="run", workflow_name="etl", aws_conn_id=services.conn_ids["glue"], **NO_DELAY)
    assert only_try(run_dag(dag)) == ("failed", 2)
    starts = emu.requests(service="glue", operation="StartWorkflowRun")
    assert len(starts) == 2  # each try's run ended STOPPED; the retry did not report the first one's end


def test_a_stored_run_of_another_workflow_is_not_followed(emu, services, run_dag, dag_id):
    """The task's workflow changed between tries (a template): the retry starts a run of its own."""
    for name in ("etl", "etl2"):
        emu.glue.define_workflow(name, timeline=[{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    refuse_two_polls(emu, "glue", "GetWorkflowRun", status=400, error_type="AccessDeniedException")
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        GlueRunWorkflowOperator(
            task_id="run",
            workflow_name="{{ 'etl' if ti.try_number == 1 else 'etl2' }}",
            aws_conn_id=services.conn_ids["glue"],
            **NO_DELAY,
        )
    assert only_try(run_dag(dag)) == ("success", 2)
    started = [r["body"]["Name"] for r in emu.requests(service="glue", operation="StartWorkflowRun")]
    assert started == ["etl", "etl2"]
