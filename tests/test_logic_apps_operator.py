"""LogicAppsRunWorkflowOperator pieces a DAG run cannot show: being killed, not waiting, bad starts."""

from __future__ import annotations

import pytest

from airflow_workflow_runs.operators.logic_apps import LogicAppsRunWorkflowOperator
from airflow_workflow_runs.operators.workflow_run import run_key
from airflow_workflow_runs.outcome import WorkflowRunFailed
from tests.helpers import StandInTaskInstance, kill_while_waiting
from tests.logic_apps_helpers import SITE, TIERS


def operator(conn_id: str, site: str | None = None, **kwargs) -> LogicAppsRunWorkflowOperator:
    return LogicAppsRunWorkflowOperator(
        task_id="run", workflow_name="wf", site_name=site, azure_logic_apps_conn_id=conn_id, **kwargs
    )


@pytest.mark.parametrize("tier", TIERS)
def test_killing_the_task_cancels_the_run_it_started(emu, la_conn, tier):
    site = TIERS[tier]
    emu.logic_apps.define_workflow("wf", [{"status": "Running"}], site=site)
    op = operator(la_conn, site, poll_interval=0.1)
    ti, error = kill_while_waiting(op)  # the wait ends when the run reaches Cancelled
    record = emu.logic_apps.run("wf", ti.xcoms["run_id"], site=site)
    assert record["cancel_requested"] is True and record["status"] == "Cancelled"
    assert record["client_tracking_id"] == run_key({"ti": ti})
    assert isinstance(error, WorkflowRunFailed) and "Cancelled" in str(error)


def test_without_waiting_the_run_name_is_returned_at_once_and_kill_can_leave_it(emu, la_conn):
    emu.logic_apps.define_workflow("wf", [{"status": "Running"}], site=SITE)
    op = operator(la_conn, SITE, wait_for_completion=False, cancel_on_kill=False, body={"day": "2026-01-01"})
    ti = StandInTaskInstance()
    run_name = op.execute({"ti": ti})
    assert run_name == ti.xcoms["run_id"] and ti.xcoms["run_ref"]["run_name"] == run_name
    assert ti.xcoms["run_ref"]["site_name"] == SITE
    op.on_kill()
    record = emu.logic_apps.run("wf", run_name, site=SITE)
    assert record["cancel_requested"] is False and record["trigger_body"] == {"day": "2026-01-01"}
    assert [r["operation"] for r in emu.requests(service="logic_apps") if r["operation"] != "GetToken"] == [
        "OpenIdConfiguration",
        "ListCallbackUrl",
        "InvokeTrigger",
    ]


def test_an_unknown_workflow_or_trigger_fails_the_start_clearly(emu, la_conn):
    with pytest.raises(WorkflowRunFailed, match=r"Starting the run failed.*'nope'.*not found"):
        LogicAppsRunWorkflowOperator(task_id="run", workflow_name="nope", azure_logic_apps_conn_id=la_conn).execute(
            {"ti": StandInTaskInstance()}
        )
    emu.logic_apps.define_workflow("wf")
    with pytest.raises(WorkflowRunFailed, match="WorkflowTriggerNotFound"):
        operator(la_conn, trigger_name="Recurrence").execute({"ti": StandInTaskInstance()})


def test_a_retry_with_nothing_left_running_starts_a_new_run(emu, la_conn):
    emu.logic_apps.define_workflow("wf", [{"status": "Succeeded"}])
    ti = StandInTaskInstance(try_number=2)
    result = operator(la_conn, poll_interval=0.1).execute({"ti": ti})
    assert result["state"] == "succeeded"
    assert len(emu.requests(service="logic_apps", operation="ListWorkflowRuns")) == 1
    assert len(emu.requests(service="logic_apps", operation="InvokeTrigger")) == 1
