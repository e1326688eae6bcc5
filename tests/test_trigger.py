"""WorkflowRunTrigger: the deferred wait, as the triggerer runs it, against the emulator."""

from __future__ import annotations

import asyncio
import time
from importlib import import_module

from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import first_event

HOOK = "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook"


def trigger(conn_id: str, run_id: str, **kwargs) -> WorkflowRunTrigger:
    return WorkflowRunTrigger(
        hook_class=HOOK,
        hook_kwargs={"aws_conn_id": conn_id},
        ref={"workflow_name": "etl", "run_id": run_id},
        poll_interval=kwargs.pop("poll_interval", 0.01),
        **kwargs,
    )


def test_serialize_round_trip_rebuilds_an_equal_trigger():
    original = trigger(
        "aws_x", "wr_1", deadline=1_900_000_000.5, cancel_on_kill=True, not_found_grace_until=1_800_000_000.0
    )
    path, kwargs = original.serialize()
    module, _, name = path.rpartition(".")
    rebuilt = getattr(import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (path, kwargs)


def test_waits_until_terminal_with_one_request_per_poll(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    event = first_event(trigger(glue_conn, run_id))
    assert event["status"] == "terminal"
    assert event["run"]["state"] == "succeeded"
    assert [r["operation"] for r in emu.requests(service="glue")] == ["GetWorkflowRun"] * 4


def test_failed_run_is_reported_with_its_details(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED", "statistics": {"FailedActions": 1}}])
    event = first_event(trigger(glue_conn, run_id))
    assert event["run"]["state"] == "failed"
    assert "1 failed" in event["run"]["error"]


def test_throttling_and_server_errors_are_retried_never_an_outcome(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "count": 4,
            "status": 400,
            "error_type": "ThrottlingException",
        }
    )
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 2, "status": 503})
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 2, "body": "truncated"})
    event = first_event(trigger(glue_conn, run_id))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"


def test_retry_after_is_honoured(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "count": 2,
            "status": 400,
            "error_type": "ThrottlingException",
            "retry_after": 1,
        }
    )
    started = time.monotonic()
    assert first_event(trigger(glue_conn, run_id))["status"] == "terminal"
    assert time.monotonic() - started >= 1.0


def test_deadline_ends_the_wait_with_a_timeout_event(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    event = first_event(trigger(glue_conn, run_id, poll_interval=0.2, deadline=time.time() + 0.5))
    assert event["status"] == "timeout"
    assert event["last_status"] == "RUNNING"
    assert run_id in event["message"]


def test_deadline_applies_while_the_service_is_failing(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 1000, "status": 500})
    event = first_event(trigger(glue_conn, run_id, poll_interval=0.1, deadline=time.time() + 1))
    assert event["status"] == "timeout"


def test_missing_run_is_an_error_event(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    event = first_event(trigger(glue_conn, "wr_missing"))
    assert event["status"] == "error" and event["error_type"] == "RunNotFound"
    assert "run_id='wr_missing'" in event["message"]


def test_missing_run_is_retried_during_the_grace_after_a_start(emu, glue_conn):
    event = first_event(trigger(glue_conn, "wr_late", not_found_grace_until=time.time() + 2))
    assert event["status"] == "error"
    assert len(emu.requests(service="glue")) >= 2


def test_on_kill_cancels_only_runs_the_task_started(emu, glue_conn):
    watched = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    started = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    asyncio.run(trigger(glue_conn, watched, cancel_on_kill=False).on_kill())
    asyncio.run(trigger(glue_conn, started, cancel_on_kill=True).on_kill())
    assert emu.glue.run("etl", watched)["stop_requested"] is False
    assert emu.glue.run("etl", started)["stop_requested"] is True


def test_cleanup_never_cancels(emu, glue_conn):
    started = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    asyncio.run(trigger(glue_conn, started, cancel_on_kill=True).cleanup())
    assert emu.glue.run("etl", started)["stop_requested"] is False


def test_waits_on_one_connection_share_one_sdk_client(emu, glue_conn):
    async def clients():
        hooks = [GlueWorkflowRunHook(aws_conn_id=glue_conn) for _ in range(50)]
        return await asyncio.gather(*(hook.aget_client() for hook in hooks))

    built = asyncio.run(clients())
    assert len({id(client) for client in built}) == 1


def test_a_changed_connection_gets_a_new_client(emu, glue_conn, monkeypatch):
    from airflow_workflow_runs.hooks import base
    from tests.helpers import aws_connection

    hook = GlueWorkflowRunHook(aws_conn_id=glue_conn)
    first = asyncio.run(hook.aget_client())
    monkeypatch.setattr(base, "CONNECTION_REFRESH_SECONDS", 0.0)
    assert asyncio.run(hook.aget_client()) is first  # re-read, unchanged: kept
    monkeypatch.setenv(f"AIRFLOW_CONN_{glue_conn.upper()}", aws_connection(emu, region_name="us-west-2"))
    second = asyncio.run(hook.aget_client())
    assert second is not first and second.region_name == "us-west-2"
