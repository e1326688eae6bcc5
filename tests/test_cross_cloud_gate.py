"""CrossCloudGateSensor: one task gates on many runs, in several services, by an all/any policy."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from importlib import import_module

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import TaskDeferred

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger
from tests.helpers import MODES, START, StandInTaskInstance, first_event, states, xcom

SPACE, PROJECT = "acme", "web"
SUCCEEDS_AFTER_2 = [{"status": "RUNNING", "polls": 2}, {"status": "COMPLETED"}]
CC_SUCCEEDS_AFTER_2 = [{"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"}]


def glue(run_id: str | None = None, workflow: str = "etl", **extra) -> dict:
    return {"service": "glue", "workflow_name": workflow, "run_id": run_id, "aws_conn_id": "aws_emulator", **extra}


def codecatalyst(run_id: str) -> dict:
    return {
        "service": "codecatalyst",
        "space_name": SPACE,
        "project_name": PROJECT,
        "run_id": run_id,
        "conn_id": "codecatalyst_emulator",  # the generic name for a reference's connection
    }


def gate(dag_id: str, runs: list[dict], mode: str, **kwargs) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        CrossCloudGateSensor(task_id="gate", runs=runs, poke_interval=0.1, **MODES[mode], **kwargs)
    return dag


@pytest.mark.parametrize("mode", MODES)
def test_all_succeeds_once_every_run_succeeded_and_returns_them_in_order(
    emu, glue_conn, cc_conn, run_dag, dag_id, mode
):
    first = emu.glue.add_run("etl", SUCCEEDS_AFTER_2)
    second = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    built = emu.codecatalyst.add_run(SPACE, PROJECT, CC_SUCCEEDS_AFTER_2)
    latest = emu.glue.add_run("nightly", SUCCEEDS_AFTER_2, started_on=time.time() - 60)
    runs = [glue(first), glue(second), codecatalyst(built), glue(workflow="nightly", started_after="2026-01-01")]
    dag_run = run_dag(gate(dag_id, runs, mode))
    assert states(dag_run) == {"gate": "success"}
    result = xcom(dag_run, "gate")
    assert [run["run_id"] for run in result] == [first, second, built, latest]
    assert {run["state"] for run in result} == {"succeeded"}
    assert xcom(dag_run, "gate", "run_refs")[3] == {
        "service": "glue",
        "ref": {"workflow_name": "nightly", "run_id": latest},
    }


@pytest.mark.parametrize("mode", MODES)
def test_all_fails_fast_when_one_run_fails_while_others_still_run(emu, glue_conn, cc_conn, run_dag, dag_id, mode):
    running = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    failed = emu.codecatalyst.add_run(SPACE, PROJECT, [{"status": "IN_PROGRESS", "polls": 1}, {"status": "FAILED"}])
    # The timeout is far away: only failing fast ends this task.
    dag_run = run_dag(gate(dag_id, [glue(running), codecatalyst(failed)], mode, timeout=600))
    assert states(dag_run) == {"gate": "failed"}


def test_the_fail_fast_message_names_the_failed_run_and_every_other_runs_state(emu, glue_conn, cc_conn):
    running = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    failed = emu.codecatalyst.add_run(SPACE, PROJECT, [{"status": "FAILED"}])
    emu.glue.define_workflow("later")
    task = CrossCloudGateSensor(
        task_id="gate",
        runs=[glue(running), codecatalyst(failed), glue(workflow="later", started_after="2026-01-01")],
        poke_interval=0.05,
        timeout=600,
    )
    with pytest.raises(WatchedRunFailed) as raised:
        task.execute({"ti": StandInTaskInstance()})
    message = str(raised.value)
    assert message.startswith(f"codecatalyst run (space_name='acme', project_name='web', run_id='{failed}') is FAILED")
    assert f"glue run (workflow_name='etl', run_id='{running}') is RUNNING" in message
    assert (
        "newest glue run of (workflow_name='later') started in [2026-01-01T00:00:00+00:00, now): no run yet" in message
    )


@pytest.mark.parametrize("mode", MODES)
def test_any_succeeds_on_the_first_success_despite_failures_and_unfinished_runs(
    emu, glue_conn, cc_conn, run_dag, dag_id, mode
):
    failed = emu.glue.add_run("etl", [{"status": "STOPPED"}])
    succeeded = emu.codecatalyst.add_run(SPACE, PROJECT, CC_SUCCEEDS_AFTER_2)
    running = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    dag_run = run_dag(gate(dag_id, [glue(failed), codecatalyst(succeeded), glue(running)], mode, policy="any"))
    assert states(dag_run) == {"gate": "success"}
    result = xcom(dag_run, "gate")
    assert [(run["run_id"], run["state"]) for run in result] == [(failed, "cancelled"), (succeeded, "succeeded")]


@pytest.mark.parametrize("mode", MODES)
def test_any_fails_once_every_run_ended_without_success(emu, glue_conn, cc_conn, run_dag, dag_id, mode):
    stopped = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 1}, {"status": "STOPPED"}])
    failed = emu.codecatalyst.add_run(SPACE, PROJECT, [{"status": "FAILED"}])
    dag_run = run_dag(gate(dag_id, [glue(stopped), codecatalyst(failed)], mode, policy="any"))
    assert states(dag_run) == {"gate": "failed"}


def test_runs_of_one_glue_workflow_share_one_request_per_poll(emu, glue_conn, cc_conn):
    glue_runs = [
        emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}]) for _ in range(3)
    ]
    other = emu.glue.add_run("other", [{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}])
    built = emu.codecatalyst.add_run(SPACE, PROJECT, [{"status": "IN_PROGRESS", "polls": 3}, {"status": "SUCCEEDED"}])
    task = CrossCloudGateSensor(
        task_id="gate",
        runs=[*(glue(run_id) for run_id in glue_runs), glue(other, workflow="other"), codecatalyst(built)],
        poke_interval=0.01,
        deferrable=True,
    )
    ti = StandInTaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})  # the worker's poll: poll 1
    event = first_event(deferred.value.trigger)  # polls 2, 3 and 4 in the triggerer
    assert event["status"] == "done"
    polls = 4
    assert len(emu.requests("glue", "GetWorkflowRuns")) == polls  # the three runs of 'etl', together
    assert len(emu.requests("glue", "GetWorkflowRun")) == polls  # the single run of 'other'
    assert len(emu.requests("codecatalyst", "GetWorkflowRun")) == polls
    assert [run["state"] for run in task.execute_complete({"ti": ti}, event)] == ["succeeded"] * 5


def test_a_run_chosen_by_the_trigger_is_pinned_in_the_kwargs_of_the_next_deferral(emu, glue_conn):
    emu.glue.define_workflow("nightly")
    fixed = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    task = CrossCloudGateSensor(
        task_id="gate",
        runs=[glue(fixed), glue(workflow="nightly", started_after="2026-01-01")],
        poke_interval=0.01,
        deferrable=True,
    )
    ti = StandInTaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})
    assert deferred.value.trigger.targets[1]["ref"] is None
    chosen = emu.glue.add_run("nightly", [{"status": "RUNNING"}])
    event = first_event(deferred.value.trigger)
    assert event["status"] == "pinned"

    # The task resumes in a new process: a new operator object, nothing kept in memory.
    resumed = CrossCloudGateSensor(task_id="gate", runs=task.runs, poke_interval=0.01, deferrable=True)
    with pytest.raises(TaskDeferred) as again:
        resumed.execute_complete({"ti": ti}, event)
    path, kwargs = again.value.trigger.serialize()
    assert [target["ref"] for target in kwargs["targets"]] == [
        {"workflow_name": "etl", "run_id": fixed},
        {"workflow_name": "nightly", "run_id": chosen},
    ]
    assert kwargs["first_poll_at"] == deferred.value.trigger.first_poll_at
    assert ti.xcoms["run_refs"][1]["ref"]["run_id"] == chosen
    # What the triggerer stores rebuilds the same trigger after a restart.
    module, _, name = path.rpartition(".")
    assert getattr(import_module(module), name)(**kwargs).serialize() == (path, kwargs)
    assert "emulator-secret" not in str(kwargs)


def test_a_timeout_names_every_runs_state(emu, glue_conn):
    running = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    trigger = CrossCloudGateTrigger(
        targets=[
            {
                "service": "glue",
                "hook_class": "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
                "hook_kwargs": {"aws_conn_id": glue_conn},
                "ref": {"workflow_name": "etl", "run_id": running},
            }
        ],
        poll_interval=0.05,
        deadline=time.time() + 0.5,
        first_poll_at=datetime.now(timezone.utc).isoformat(),
    )
    event = first_event(trigger)
    assert event["status"] == "timeout"
    task = CrossCloudGateSensor(task_id="gate", runs=[glue(running)], timeout=1)
    with pytest.raises(Exception, match=f"run_id='{running}'\\) is RUNNING"):
        task.execute_complete({"ti": StandInTaskInstance()}, event)


@pytest.mark.parametrize(
    ("runs", "match"),
    [
        ([], "runs is empty"),
        ([{"service": "airflow"}], "unknown service 'airflow'"),
        ([{"service": "glue", "workflow_nam": "etl"}], r"unknown keys \['workflow_nam'\]"),
        ([glue("wr_1", started_after="2026-01-01")], "gives both run_id and a time window"),
        ([{"workflow_name": "etl"}], "has no 'service'"),
    ],
)
def test_references_that_cannot_name_a_run_are_rejected_when_the_dag_is_parsed(runs, match):
    with pytest.raises(ValueError, match=match):
        CrossCloudGateSensor(task_id="gate", runs=runs)


def test_policy_must_be_all_or_any():
    with pytest.raises(ValueError, match="policy must be 'all' or 'any'"):
        CrossCloudGateSensor(task_id="gate", runs=[glue("wr_1")], policy="most")


def test_invalid_ids_fail_before_any_request(emu, glue_conn, cc_conn):
    good = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    task = CrossCloudGateSensor(task_id="gate", runs=[glue(good), codecatalyst("not-a-uuid")])
    with pytest.raises(WatchedRunFailed, match="run_id"):
        task.execute({"ti": StandInTaskInstance()})
    assert emu.requests() == []


def test_a_missing_connection_fails_the_gate_naming_it(emu, glue_conn):
    good = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    missing = {
        "service": "datadog",
        "workflow_id": "5f0c1d6e-2b7a-4c3e-9d81-0a1b2c3d4e5f",
        "instance_id": "abc",
        "conn_id": "no_such_conn",
    }
    task = CrossCloudGateSensor(task_id="gate", runs=[glue(good), missing], policy="any", timeout=600)
    with pytest.raises(Exception, match="no_such_conn"):
        task.execute({"ti": StandInTaskInstance()})
    assert emu.requests() == []


def test_a_window_per_reference_overrides_the_sensors(emu, glue_conn):
    now = datetime.now(timezone.utc)
    old = emu.glue.add_run("etl", [{"status": "COMPLETED"}], started_on=(now - timedelta(days=3)).timestamp())
    emu.glue.add_run("etl", [{"status": "STOPPED"}], started_on=(now - timedelta(hours=1)).timestamp())
    task = CrossCloudGateSensor(
        task_id="gate",
        runs=[
            glue(
                started_after=(now - timedelta(days=4)).isoformat(),
                started_before=(now - timedelta(days=2)).isoformat(),
            )
        ],
        started_after=(now - timedelta(days=1)).isoformat(),
    )
    (run,) = task.execute({"ti": StandInTaskInstance()})
    assert run["run_id"] == old


def test_throttling_and_server_errors_only_delay_the_gate(emu, glue_conn, cc_conn):
    first = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    second = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    built = emu.codecatalyst.add_run(SPACE, PROJECT, [{"status": "SUCCEEDED"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRuns", "count": 2, "status": 500})
    emu.add_fault(
        {"service": "codecatalyst", "operation": "GetWorkflowRun", "count": 1, "status": 429, "retry_after": 0.2}
    )
    task = CrossCloudGateSensor(
        task_id="gate", runs=[glue(first), glue(second), codecatalyst(built)], poke_interval=0.01, deferrable=True
    )
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": StandInTaskInstance()})
    event = first_event(deferred.value.trigger)
    assert event["status"] == "done"
    assert [target["run"]["state"] for target in event["targets"]] == ["succeeded"] * 3


def test_a_poking_gate_waits_as_long_as_a_service_asked(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    emu.add_fault(  # both of botocore's attempts (glue_conn makes two), asking for a second
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": 400,
            "error_type": "ThrottlingException",
            "retry_after": 1,
            "count": 2,
        }
    )
    task = CrossCloudGateSensor(task_id="gate", runs=[glue(run_id)], poke_interval=0.05, mode="poke", timeout=30)
    assert [run["state"] for run in task.execute({"ti": StandInTaskInstance()})] == ["succeeded"]
    *_, throttled, next_poll = (r["time"] for r in emu.requests(service="glue", operation="GetWorkflowRun"))
    assert next_poll - throttled >= 1.0, "polled again before the Retry-After passed"


def test_the_old_gate_names_still_work_for_a_release_with_a_warning():
    import importlib

    from airflow.exceptions import AirflowProviderDeprecationWarning

    from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
    from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger

    with pytest.warns(AirflowProviderDeprecationWarning, match="CrossCloudGateSensor"):
        assert importlib.import_module("airflow_workflow_runs.sensors.workflow_runs").WorkflowRunsSensor is (
            CrossCloudGateSensor
        )
    # A trigger stored in the metadata DB under the old path (a deployment being upgraded) resumes.
    from airflow._shared.module_loading import import_string  # what the triggerer resolves classpaths with

    assert import_string("airflow_workflow_runs.triggers.workflow_runs.WorkflowRunsTrigger") is CrossCloudGateTrigger
