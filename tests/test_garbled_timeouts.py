"""A service that keeps answering garbage delays a wait until its deadline, then times it out
saying so: never a failed run, in the triggerer and in a worker alike."""

from __future__ import annotations

import time

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout

from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import StandInTaskInstance, first_event


def glue_trigger(conn_id: str, run_id: str, deadline_in: float) -> WorkflowRunTrigger:
    return WorkflowRunTrigger(
        hook_class="airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
        hook_kwargs={"aws_conn_id": conn_id},
        ref={"workflow_name": "etl", "run_id": run_id},
        poll_interval=0.1,
        deadline=time.time() + deadline_in,
    )


HTML_200 = {"service": "glue", "operation": "GetWorkflowRun", "body": "non_json", "status": 200, "count": 1000}


def test_a_deferred_wait_on_garbage_times_out_saying_the_service_kept_answering_garbage(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault(HTML_200)
    event = first_event(glue_trigger(glue_conn, run_id, deadline_in=1.5))
    assert event["status"] == "timeout", "garbage is never an outcome"
    assert "kept answering garbled data" in event["message"] and run_id in event["message"]
    assert "proxy or gateway" in event["message"]


def test_a_deferred_wait_that_read_its_run_after_garbage_does_not_blame_the_service(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault({**HTML_200, "count": 2})
    event = first_event(glue_trigger(glue_conn, run_id, deadline_in=2.0))
    assert event["status"] == "timeout" and event["last_status"] == "RUNNING"
    assert "garbled" not in event["message"]


def test_a_poking_wait_on_garbage_times_out_saying_the_service_kept_answering_garbage(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault(HTML_200)
    task = GlueWorkflowRunSensor(
        task_id="wait",
        workflow_name="etl",
        run_id=run_id,
        aws_conn_id=glue_conn,
        mode="poke",
        poke_interval=0.1,
        timeout=0.5,
    )
    with pytest.raises(AirflowSensorTimeout, match="kept answering garbled data") as raised:
        task.execute({"ti": StandInTaskInstance()})
    assert run_id in str(raised.value)


def test_a_gate_on_garbage_times_out_saying_the_service_kept_answering_garbage(emu, glue_conn):
    from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
    from airflow_workflow_runs.targets import RunTarget
    from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger

    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault(HTML_200)
    target = RunTarget(
        service="glue",
        hook_class="airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
        hook_kwargs={"aws_conn_id": glue_conn},
        ref={"workflow_name": "etl", "run_id": run_id},
    )
    trigger = CrossCloudGateTrigger(
        targets=[target.to_dict()],
        poll_interval=0.1,
        deadline=time.time() + 1.5,
        first_poll_at="2026-12-01T00:00:00+00:00",
    )
    event = first_event(trigger)
    assert event["status"] == "timeout" and "kept answering garbled data" in event["note"]
    gate = CrossCloudGateSensor(task_id="gate", runs=[{"service": "glue", "workflow_name": "etl", "run_id": run_id}])
    with pytest.raises(AirflowSensorTimeout, match="kept answering garbled data"):
        gate.execute_complete({"ti": StandInTaskInstance()}, event)
