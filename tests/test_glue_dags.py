"""Whole DAG runs through ``dag.test()``: the three wait modes, timeouts, the operator's retry."""

from __future__ import annotations

import pytest
from airflow.sdk import DAG

from airflow_workflow_runs.links.workflow_run import CONSOLE_URL_XCOM_KEY
from airflow_workflow_runs.operators.glue import GlueRunWorkflowOperator
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from tests.helpers import MODES, START, retry_without_task_state_store, states, xcom


def three_sensors(dag_id: str, conn_id: str, run_id: str, **kwargs) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        for name, mode in MODES.items():
            GlueWorkflowRunSensor(
                task_id=name,
                workflow_name="etl",
                run_id=run_id,
                aws_conn_id=conn_id,
                poke_interval=0.2,
                **mode,
                **kwargs,
            )
    return dag


def test_all_modes_succeed_on_a_completed_run_and_return_the_same_run(emu, glue_conn, run_dag, dag_id):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "seconds": 1}, {"status": "COMPLETED"}])
    dag_run = run_dag(three_sensors(dag_id, glue_conn, run_id))
    assert states(dag_run) == dict.fromkeys(MODES, "success")
    results = [xcom(dag_run, mode) for mode in MODES]
    assert {(r["run_id"], r["state"], r["raw_status"]) for r in results} == {(run_id, "succeeded", "COMPLETED")}
    assert all("console.aws.amazon.com" in xcom(dag_run, mode, CONSOLE_URL_XCOM_KEY) for mode in MODES)
    assert xcom(dag_run, "deferrable", "_link_GlueWorkflowRunLink").endswith("/workflows/view/etl")


@pytest.mark.parametrize(
    "final",
    [{"status": "COMPLETED", "statistics": {"TotalActions": 2, "FailedActions": 1}}, {"status": "STOPPED"}],
    ids=["completed-with-failed-action", "stopped"],
)
def test_all_modes_fail_on_a_run_that_did_not_succeed(emu, glue_conn, run_dag, dag_id, final):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "seconds": 0.5}, final])
    dag_run = run_dag(three_sensors(dag_id, glue_conn, run_id))
    assert states(dag_run) == dict.fromkeys(MODES, "failed")


def test_all_modes_time_out_while_the_run_keeps_running(emu, glue_conn, run_dag, dag_id):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    dag_run = run_dag(three_sensors(dag_id, glue_conn, run_id, timeout=1))
    assert states(dag_run) == dict.fromkeys(MODES, "failed")


def test_soft_fail_skips_in_all_modes_on_timeout(emu, glue_conn, run_dag, dag_id):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    dag_run = run_dag(three_sensors(dag_id, glue_conn, run_id, timeout=1, soft_fail=True))
    assert states(dag_run) == dict.fromkeys(MODES, "skipped")


def test_soft_fail_skips_in_all_modes_on_a_failed_run(emu, glue_conn, run_dag, dag_id):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "ERROR", "error_message": "boom"}])
    dag_run = run_dag(three_sensors(dag_id, glue_conn, run_id, soft_fail=True))
    assert states(dag_run) == dict.fromkeys(MODES, "skipped")


def test_templated_ids_are_rendered(emu, glue_conn, run_dag, dag_id):
    emu.glue.add_run("etl_2026", run_id="wr_templated", timeline=[{"status": "COMPLETED"}])
    with DAG(dag_id, schedule=None, start_date=START, params={"wf": "etl_2026"}) as dag:
        GlueWorkflowRunSensor(
            task_id="wait",
            workflow_name="{{ params.wf }}",
            run_id="{{ 'wr_' ~ 'templated' }}",
            aws_conn_id=glue_conn,
            poke_interval=0.2,
        )
    assert states(run_dag(dag)) == {"wait": "success"}


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_operator_starts_pushes_the_run_id_first_and_waits(emu, glue_conn, run_dag, dag_id, deferrable):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING", "seconds": 0.5}, {"status": "COMPLETED"}])
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        GlueRunWorkflowOperator(
            task_id="run",
            workflow_name="etl",
            run_properties={"airflow_run": "{{ run_id }}"},
            aws_conn_id=glue_conn,
            poll_interval=0.2,
            deferrable=deferrable,
        )
    dag_run = run_dag(dag)
    assert states(dag_run) == {"run": "success"}
    run_id = xcom(dag_run, "run", "run_id")
    assert xcom(dag_run, "run", "run_ref") == {"workflow_name": "etl", "run_id": run_id}
    result = xcom(dag_run, "run")
    assert result["run_id"] == run_id and result["state"] == "succeeded"
    assert result["outputs"]["airflow_run"] == dag_run.run_id  # templated run properties reached Glue
    assert len(emu.requests(service="glue", operation="StartWorkflowRun")) == 1


def test_without_a_task_state_store_a_retry_finds_its_run_by_the_run_property(emu, glue_conn):
    """Airflow < 3.3: the run property ``airflow_run_key`` finds the run (tests/test_task_state_store.py: 3.3)."""
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    started, result = retry_without_task_state_store(
        lambda **kw: GlueRunWorkflowOperator(
            task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=0.1, **kw
        )
    )
    assert (result["run_id"], result["state"]) == (started, "succeeded")
    assert len(emu.requests(service="glue", operation="StartWorkflowRun")) == 1
    assert len(emu.requests(service="glue", operation="GetWorkflowRuns")) >= 1


def test_operator_failure_names_the_run_and_logs_no_secret(emu, glue_conn, run_dag, dag_id, capfd):
    emu.glue.define_workflow("etl", timeline=[{"status": "ERROR", "error_message": "Out of DPUs"}])
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        GlueRunWorkflowOperator(task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=0.2)
    dag_run = run_dag(dag)
    assert states(dag_run) == {"run": "failed"}
    logs = capfd.readouterr()
    assert "Out of DPUs" in logs.out
    assert "emulator-secret-never-logged" not in logs.out + logs.err
