"""Whole DAG runs through ``dag.test()`` on Logic Apps: the three wait modes, the operator, its retry."""

from __future__ import annotations

import pytest
from airflow.sdk import DAG

from airflow_workflow_runs.links.workflow_run import CONSOLE_URL_XCOM_KEY
from airflow_workflow_runs.operators.logic_apps import LogicAppsRunWorkflowOperator
from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor
from tests.helpers import MODES, START, retry_without_task_state_store, states, xcom
from tests.logic_apps_helpers import CLIENT_SECRET, SITE, TIERS


def three_sensors(dag_id: str, conn_id: str, run_name: str, site: str | None, **kwargs) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        for name, mode in MODES.items():
            LogicAppsWorkflowRunSensor(
                task_id=name,
                workflow_name="wf",
                run_name=run_name,
                site_name=site,
                azure_logic_apps_conn_id=conn_id,
                poke_interval=0.2,
                **mode,
                **kwargs,
            )
    return dag


@pytest.mark.parametrize("tier", TIERS)
def test_all_modes_succeed_on_a_succeeded_run_and_link_to_the_portal(emu, la_conn, run_dag, dag_id, tier):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "seconds": 0.6}, {"status": "Succeeded"}], site=site)
    dag_run = run_dag(three_sensors(dag_id, la_conn, run_name, site))
    assert states(dag_run) == dict.fromkeys(MODES, "success")
    results = [xcom(dag_run, mode) for mode in MODES]
    assert {(r["run_id"], r["state"], r["raw_status"]) for r in results} == {(run_name, "succeeded", "Succeeded")}
    assert all("portal.azure.com" in xcom(dag_run, mode, CONSOLE_URL_XCOM_KEY) for mode in MODES)
    assert run_name in xcom(dag_run, "deferrable", "_link_LogicAppsWorkflowRunLink")


@pytest.mark.parametrize(
    "final",
    [{"status": "Failed"}, {"status": "Succeeded", "error": {"code": "X", "message": "handled, but failed"}}],
    ids=["failed", "succeeded-with-error"],
)
def test_all_modes_fail_on_a_run_that_did_not_succeed(emu, la_conn, run_dag, dag_id, final):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "seconds": 0.4}, final])
    dag_run = run_dag(three_sensors(dag_id, la_conn, run_name, None))
    assert states(dag_run) == dict.fromkeys(MODES, "failed")


def test_all_modes_skip_a_skipped_run(emu, la_conn, run_dag, dag_id):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Skipped"}], site=SITE)
    dag_run = run_dag(three_sensors(dag_id, la_conn, run_name, SITE))
    assert states(dag_run) == dict.fromkeys(MODES, "skipped")


@pytest.mark.parametrize("tier", TIERS)
def test_the_operator_starts_pushes_the_run_first_and_waits_deferred(emu, la_conn, run_dag, dag_id, tier):
    site = TIERS[tier]
    emu.logic_apps.define_workflow(
        "wf", [{"status": "Running", "seconds": 0.5}, {"status": "Succeeded", "outputs": {"rows": 3}}], site=site
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        LogicAppsRunWorkflowOperator(
            task_id="run",
            workflow_name="wf",
            site_name=site,
            body={"airflow_run": "{{ run_id }}"},
            azure_logic_apps_conn_id=la_conn,
            poll_interval=0.2,
            deferrable=True,
        )
    dag_run = run_dag(dag)
    assert states(dag_run) == {"run": "success"}
    run_name = xcom(dag_run, "run", "run_id")
    assert xcom(dag_run, "run", "run_ref")["run_name"] == run_name
    result = xcom(dag_run, "run")
    assert (result["run_id"], result["state"], result["outputs"]) == (run_name, "succeeded", {"rows": 3})
    assert emu.logic_apps.run("wf", run_name, site=site)["trigger_body"] == {"airflow_run": dag_run.run_id}


def test_without_a_task_state_store_a_retry_finds_its_run_by_the_client_tracking_id(emu, la_conn):
    """Airflow < 3.3: ``$filter=ClientTrackingId eq ...`` finds the run (3.3: tests/test_task_state_store.py)."""
    emu.logic_apps.define_workflow("wf", [{"status": "Running", "polls": 3}, {"status": "Succeeded"}], site=SITE)
    started, result = retry_without_task_state_store(
        lambda **kw: LogicAppsRunWorkflowOperator(
            task_id="run", workflow_name="wf", site_name=SITE, azure_logic_apps_conn_id=la_conn, poll_interval=0.1, **kw
        )
    )
    assert (result["run_id"], result["state"]) == (started, "succeeded")
    assert len(emu.requests(service="logic_apps", operation="InvokeTrigger")) == 1
    (lookup,) = emu.requests(service="logic_apps", operation="ListWorkflowRuns")
    (run,) = emu.logic_apps.runs("wf")
    assert lookup["query"]["$filter"] == [f"ClientTrackingId eq '{run['client_tracking_id']}'"]


def test_operator_failure_names_the_error_and_logs_no_secret(emu, la_conn, run_dag, dag_id, capfd):
    emu.logic_apps.define_workflow(
        "wf", [{"status": "Failed", "error": {"code": "ActionFailed", "message": "Out of quota"}}]
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        LogicAppsRunWorkflowOperator(
            task_id="run", workflow_name="wf", azure_logic_apps_conn_id=la_conn, poll_interval=0.2
        )
    dag_run = run_dag(dag)
    assert states(dag_run) == {"run": "failed"}
    logs = capfd.readouterr()
    assert "Out of quota" in logs.out
    (workflow,) = emu.store.workflows("logic_apps")
    for secret in (CLIENT_SECRET, workflow.data["sig"], "emu-aad-"):
        assert secret not in logs.out + logs.err
