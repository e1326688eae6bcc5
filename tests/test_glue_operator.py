"""GlueRunWorkflowOperator pieces that a DAG run cannot show: being killed, and not waiting."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_workflow_runs.operators.glue import GlueRunWorkflowOperator
from airflow_workflow_runs.outcome import WorkflowRunFailed
from tests.helpers import StandInTaskInstance, kill_while_waiting


def test_killing_the_task_stops_the_run_it_started(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    op = GlueRunWorkflowOperator(task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=0.1)
    ti, error = kill_while_waiting(op)  # the wait ends when the stopped run reaches STOPPED
    assert emu.glue.run("etl", ti.xcoms["run_id"])["stop_requested"] is True
    assert isinstance(error, WorkflowRunFailed) and "STOPPED" in str(error)


def test_cancel_on_kill_false_leaves_the_run_alone(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    op = GlueRunWorkflowOperator(
        task_id="run",
        workflow_name="etl",
        aws_conn_id=glue_conn,
        wait_for_completion=False,
        cancel_on_kill=False,
    )
    ti = StandInTaskInstance()
    op.execute({"ti": ti})
    op.on_kill()
    assert emu.glue.run("etl", ti.xcoms["run_id"])["stop_requested"] is False


def test_without_waiting_the_run_id_is_returned_at_once(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    op = GlueRunWorkflowOperator(task_id="run", workflow_name="etl", aws_conn_id=glue_conn, wait_for_completion=False)
    ti = StandInTaskInstance()
    run_id = op.execute({"ti": ti})
    assert run_id.startswith("wr_") and ti.xcoms["run_id"] == run_id
    assert [r["operation"] for r in emu.requests(service="glue")] == ["StartWorkflowRun"]


def test_wait_timeout_gives_up_and_leaves_the_run_running(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    op = GlueRunWorkflowOperator(
        task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=0.1, wait_timeout=0.5
    )
    ti = StandInTaskInstance()
    with pytest.raises(WorkflowRunFailed, match=r"Gave up waiting after 0\.5s"):
        op.execute({"ti": ti})
    assert emu.glue.run("etl", ti.xcoms["run_id"])["stop_requested"] is False


def test_unknown_workflow_fails_the_start_clearly(emu, glue_conn):
    op = GlueRunWorkflowOperator(task_id="run", workflow_name="nope", aws_conn_id=glue_conn)
    with pytest.raises(WorkflowRunFailed, match=r"Starting the run failed.*'nope'.*not found"):
        op.execute({"ti": StandInTaskInstance()})


def test_a_deferred_operator_polls_once_then_the_trigger_one_interval_later(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    op = GlueRunWorkflowOperator(
        task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=7, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": StandInTaskInstance()})
    _, kwargs = deferred.value.trigger.serialize()
    start, poll = emu.requests(service="glue")
    assert (start["operation"], poll["operation"]) == ("StartWorkflowRun", "GetWorkflowRun")
    assert poll["time"] <= kwargs["last_poll_at"] and kwargs["poll_interval"] == 7


def test_a_waiting_operator_backs_off_as_long_as_the_service_asked(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": 400,
            "error_type": "ThrottlingException",
            "retry_after": 1,
            "count": 2,  # both of botocore's attempts (glue_conn)
        }
    )
    op = GlueRunWorkflowOperator(
        task_id="run", workflow_name="etl", aws_conn_id=glue_conn, poll_interval=0.05, deferrable=False
    )
    assert op.execute({"ti": StandInTaskInstance()})["state"] == "succeeded"
    reads = emu.requests(service="glue", operation="GetWorkflowRun")
    throttled = [r for r in reads if r["status"] == 400]
    after = [r for r in reads if r["time"] > throttled[-1]["time"]]
    assert after and after[0]["time"] - throttled[-1]["time"] >= 1.0, "polled again before the Retry-After passed"
