"""A Glue run that failed names its failed jobs (from the run's graph, read once, only then)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from tests.helpers import first_event, run_context

TRACEBACK = "An error occurred while calling o102.pyWriteDynamicFrame. ZeroDivisionError: division by zero"
JOBS = [
    {"name": "extract", "state": "SUCCEEDED"},
    {"name": "transform", "state": "FAILED", "error_message": TRACEBACK},
    {"name": "load", "state": "TIMEOUT", "error_message": "Job run timed out after 10 minutes"},
]
ENDINGS = {
    "error": {"status": "ERROR", "error_message": "Workflow run failed", "jobs": JOBS},
    "completed-with-failed-actions": {"status": "COMPLETED", "jobs": JOBS},
}


def graph_flags(emu) -> list[bool]:
    """IncludeGraph of every GetWorkflowRun(s) the emulator was sent, in order."""
    sent = emu.requests("glue", "GetWorkflowRun") + emu.requests("glue", "GetWorkflowRuns")
    return [entry["body"].get("IncludeGraph", False) for entry in sorted(sent, key=lambda e: e["seq"])]


def sensor(conn_id: str, run_id: str | None = None, **kwargs) -> GlueWorkflowRunSensor:
    return GlueWorkflowRunSensor(task_id="wait", workflow_name="etl", run_id=run_id, aws_conn_id=conn_id, **kwargs)


def check_names_the_failed_jobs(message: str, details: dict, emu, run_id: str) -> None:
    ids = {job["job_name"]: job["job_run_id"] for job in details["failed_jobs"]}
    assert details["failed_jobs"] == [
        {"job_name": "transform", "job_run_id": ids["transform"], "error_message": TRACEBACK, "state": "FAILED"},
        {
            "job_name": "load",
            "job_run_id": ids["load"],
            "error_message": "Job run timed out after 10 minutes",
            "state": "TIMEOUT",
        },
    ]
    assert all(job_run_id.startswith("jr_") for job_run_id in ids.values())
    assert run_id in message
    assert f"job 'transform' FAILED (job run {ids['transform']}): {TRACEBACK}" in message
    assert f"job 'load' TIMEOUT (job run {ids['load']}): Job run timed out" in message
    assert "extract" not in message
    assert graph_flags(emu).count(True) == 1, graph_flags(emu)
    assert graph_flags(emu)[-1] is True  # after the poll that saw the run end, never before


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_poke_names_the_failed_jobs_from_one_graph_read(emu, glue_conn, ending):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 2}, ENDINGS[ending]])
    task = sensor(glue_conn, run_id)
    assert task.poke({}) is False
    assert task.poke({}) is False
    with pytest.raises(WatchedRunFailed) as raised:
        task.poke({})
    run = raised.value.run
    assert run is not None and run.state.value == "failed"
    if ending == "error":
        assert "error: Workflow run failed; job 'transform' FAILED" in str(raised.value)
    else:
        assert "(1 failed, 1 timed out of 3 actions); job 'transform'" in str(raised.value)
    check_names_the_failed_jobs(str(raised.value), run.to_dict()["details"], emu, run_id)


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_deferred_wait_names_the_failed_jobs_reading_the_graph_off_the_event_loop(emu, glue_conn, ending):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 2}, ENDINGS[ending]])
    task = sensor(glue_conn, run_id, deferrable=True, poke_interval=0.01)
    ctx = run_context()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute(ctx)
    # The trigger's shared client, built now so that its requests can be watched (no stand-in:
    # botocore's own event hook sees each request as it is sent, in the thread that sends it).
    client = asyncio.run(task.hook.aget_client())
    sent_by: list[tuple[int, bool]] = []

    def watch(request, **_):
        sent_by.append((threading.get_ident(), json.loads(request.body).get("IncludeGraph", False)))

    client._client.meta.events.register("before-send.glue.GetWorkflowRun", watch)
    event = first_event(deferred.value.trigger)  # the event loop runs in this thread
    assert event["status"] == "terminal", event
    assert sent_by and all(thread != threading.get_ident() for thread, _ in sent_by), sent_by
    assert [graph for _, graph in sent_by].count(True) == 1
    with pytest.raises(WatchedRunFailed) as raised:
        task.execute_complete(ctx, event)
    check_names_the_failed_jobs(str(raised.value), event["run"]["details"], emu, run_id)


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_a_successful_run_costs_no_graph_read(emu, glue_conn, deferrable):
    succeeded = [*JOBS[:1], {"name": "transform", "state": "SUCCEEDED"}]
    run_id = emu.glue.add_run(
        "etl", timeline=[{"status": "RUNNING", "polls": 2}, {"status": "COMPLETED", "jobs": succeeded}]
    )
    task = sensor(glue_conn, run_id, deferrable=deferrable, poke_interval=0.01)
    if deferrable:
        ctx = run_context()
        with pytest.raises(TaskDeferred) as deferred:
            task.execute(ctx)
        result = task.execute_complete(ctx, first_event(deferred.value.trigger))
    else:
        while (result := task.poke({})) is False:
            pass
        result = result.xcom_value
    assert result["state"] == "succeeded" and "failed_jobs" not in result["details"]
    assert len(graph_flags(emu)) >= 3 and not any(graph_flags(emu))


def test_stopped_and_running_runs_cost_no_graph_read(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 1, "jobs": JOBS}, {"status": "STOPPED"}])
    task = sensor(glue_conn, run_id)
    assert task.poke({}) is False
    with pytest.raises(WatchedRunFailed, match="is STOPPED"):
        task.poke({})
    assert graph_flags(emu) == [False, False]


def test_a_failed_run_chosen_from_a_window_names_its_jobs(emu, glue_conn):
    emu.glue.add_run("etl", timeline=[ENDINGS["completed-with-failed-actions"]])
    with pytest.raises(WatchedRunFailed) as raised:
        sensor(glue_conn).poke(run_context())
    assert "job 'transform' FAILED" in str(raised.value)
    assert emu.requests("glue", "GetWorkflowRuns")[0]["body"]["IncludeGraph"] is False
    assert graph_flags(emu).count(True) == 1


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_the_gates_xcom_holds_the_failed_jobs_of_a_run_read_in_a_shared_listing(emu, glue_conn, deferrable):
    """Two runs of one workflow share one GetWorkflowRuns a poll: the failed one's graph is read
    once, though the gate goes on polling the other."""
    failed = emu.glue.add_run("etl", timeline=[ENDINGS["completed-with-failed-actions"]])
    later = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    runs = [{"service": "glue", "workflow_name": "etl", "run_id": r, "aws_conn_id": glue_conn} for r in (failed, later)]
    gate = CrossCloudGateSensor(task_id="gate", runs=runs, policy="any", poke_interval=0.01, deferrable=deferrable)
    ctx = run_context()
    if deferrable:
        with pytest.raises(TaskDeferred) as deferred:
            gate.execute(ctx)
        result = gate.execute_complete(ctx, first_event(deferred.value.trigger))
    else:
        while (result := gate.poke(ctx)) is False:
            pass
        result = result.xcom_value
    assert [run["state"] for run in result] == ["failed", "succeeded"]
    assert [job["job_name"] for job in result[0]["details"]["failed_jobs"]] == ["transform", "load"]
    assert "job 'transform' FAILED" in result[0]["error"]
    assert emu.requests("glue", "GetWorkflowRuns"), "the runs were not read in a shared listing"
    assert graph_flags(emu).count(True) == 1, graph_flags(emu)


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 200, "body": "non_json"}], ids=["5xx", "garbled"])
def test_a_graph_that_cannot_be_read_leaves_the_jobs_unnamed_not_the_outcome(emu, glue_conn, fault):
    """Runs read in a shared listing: only their graph reads (GetWorkflowRun) meet the fault."""
    refs = [{"workflow_name": "etl", "run_id": emu.glue.add_run("etl", timeline=[ENDINGS["error"]])} for _ in "ab"]
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 10, **fault})
    runs = sensor(glue_conn).hook.get_runs(refs)
    assert [run.state.value for run in runs] == ["failed", "failed"]
    assert all(run.error == "Workflow run failed" and "failed_jobs" not in run.details for run in runs)
    flags = graph_flags(emu)
    assert flags[0] is False and len(flags) >= 3 and all(flags[1:]), flags  # the listing, then graph reads
