"""A sensor without a run id waits for the newest run of its workflow in a window (Glue as the example).

Whole DAG runs go through ``dag.test()`` in the three modes; the deferral is inspected directly
where what matters is what the trigger is given.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from importlib import import_module

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import TaskDeferred

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import MODES, START, StandInTaskInstance, first_event, states, xcom

DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)
RUNNING_THEN = [{"status": "RUNNING", "polls": 2}]


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def after_requests(emu, count: int, action) -> threading.Timer:
    """Run ``action`` as soon as the emulator has answered ``count`` Glue requests."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while len(emu.requests("glue")) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        action()

    timer = threading.Timer(0, watch)
    timer.start()
    return timer


def three_sensors(dag_id: str, conn_id: str, schedule=None, **kwargs) -> DAG:
    with DAG(dag_id, schedule=schedule, start_date=START, catchup=False) as dag:
        for name, mode in MODES.items():
            GlueWorkflowRunSensor(
                task_id=name, workflow_name="etl", aws_conn_id=conn_id, poke_interval=0.2, **mode, **kwargs
            )
    return dag


def test_default_window_is_the_data_interval_start_inclusive_end_exclusive(emu, glue_conn, run_dag, dag_id):
    inside = emu.glue.add_run("etl", [{"status": "COMPLETED"}], started_on=epoch(DAY))
    emu.glue.add_run("etl", [{"status": "STOPPED"}], started_on=epoch(DAY + timedelta(days=1)))  # the next interval
    emu.glue.add_run("etl", [{"status": "STOPPED"}], started_on=epoch(DAY - timedelta(microseconds=1000)))
    dag_run = run_dag(three_sensors(dag_id, glue_conn, schedule="@daily"), logical_date=DAY + timedelta(days=1))
    assert dag_run.data_interval_start == DAY and dag_run.data_interval_end == DAY + timedelta(days=1)
    assert states(dag_run) == dict.fromkeys(MODES, "success")
    assert {xcom(dag_run, mode)["run_id"] for mode in MODES} == {inside}
    assert {xcom(dag_run, mode, "run_id") for mode in MODES} == {inside}  # pinned for downstream tasks


def test_waits_for_a_run_to_appear_then_follows_it(emu, glue_conn, run_dag, dag_id):
    emu.glue.define_workflow("etl")
    started_after = datetime.now(timezone.utc) - timedelta(seconds=5)
    appeared: list[str] = []
    timer = threading.Timer(
        1.5, lambda: appeared.append(emu.glue.add_run("etl", [*RUNNING_THEN, {"status": "COMPLETED"}]))
    )
    timer.start()
    try:
        dag_run = run_dag(three_sensors(dag_id, glue_conn, started_after=started_after.isoformat()))
    finally:
        timer.cancel()
    assert states(dag_run) == dict.fromkeys(MODES, "success")
    assert {xcom(dag_run, mode)["run_id"] for mode in MODES} == set(appeared)


@pytest.mark.parametrize("mode", MODES)
def test_the_newest_run_in_the_window_wins_and_stays_pinned_when_a_newer_one_starts(
    emu, glue_conn, run_dag, dag_id, mode
):
    now = datetime.now(timezone.utc)
    emu.glue.add_run("etl", [{"status": "STOPPED"}], started_on=epoch(now - timedelta(minutes=10)))
    newest = emu.glue.add_run(
        "etl",
        [{"status": "RUNNING", "polls": 4}, {"status": "COMPLETED"}],
        started_on=epoch(now - timedelta(minutes=1)),
    )
    # A run starting during the wait (after its second poll), failing at once: following it would
    # fail the task. (Reschedule mode chooses from the time Airflow recorded the first poke, which
    # is a moment after the first poll's request.)
    timer = after_requests(emu, 2, lambda: emu.glue.add_run("etl", [{"status": "STOPPED"}]))
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        GlueWorkflowRunSensor(
            task_id=mode,
            workflow_name="etl",
            aws_conn_id=glue_conn,
            poke_interval=0.2,
            started_after=(now - timedelta(hours=1)).isoformat(),
            **MODES[mode],
        )
    try:
        dag_run = run_dag(dag)
    finally:
        timer.cancel()
    assert states(dag_run) == {mode: "success"}
    assert xcom(dag_run, mode)["run_id"] == newest
    assert len(emu.glue.runs("etl")) == 3  # the newer run did start during the wait


def test_the_newest_run_failing_fails_the_sensor_naming_it(emu, glue_conn, run_dag, dag_id):
    emu.glue.add_run("etl", [{"status": "COMPLETED"}], started_on=epoch(DAY))
    failed = emu.glue.add_run("etl", [{"status": "STOPPED"}], started_on=epoch(DAY + timedelta(hours=1)))
    dag_run = run_dag(three_sensors(dag_id, glue_conn, schedule="@daily"), logical_date=DAY + timedelta(days=1))
    assert states(dag_run) == dict.fromkeys(MODES, "failed")
    assert all(xcom(dag_run, mode, "run_id") == failed for mode in MODES)


def test_no_run_in_the_window_times_out_in_every_mode(emu, glue_conn, run_dag, dag_id):
    emu.glue.add_run("etl", [{"status": "COMPLETED"}], started_on=epoch(DAY - timedelta(days=1)))
    dag_run = run_dag(
        three_sensors(dag_id, glue_conn, schedule="@daily", timeout=1), logical_date=DAY + timedelta(days=1)
    )
    assert states(dag_run) == dict.fromkeys(MODES, "failed")


def sensor(**kwargs) -> GlueWorkflowRunSensor:
    kwargs.setdefault("aws_conn_id", "aws_emulator")
    return GlueWorkflowRunSensor(task_id="latest", workflow_name="etl", poke_interval=0.05, **kwargs)


def test_with_no_run_yet_the_deferral_holds_the_workflow_window_and_first_poll(emu, glue_conn):
    emu.glue.define_workflow("etl")
    task = sensor(deferrable=True, started_after="2026-11-20T00:00:00Z", started_before="2026-11-21T00:00:00Z")
    ti = StandInTaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})
    trigger = deferred.value.trigger
    assert isinstance(trigger, CrossCloudGateTrigger)
    path, kwargs = trigger.serialize()
    (target,) = kwargs["targets"]
    assert target["workflow"] == {"workflow_name": "etl"} and target["ref"] is None
    assert target["window"] == {
        "started_after": "2026-11-20T00:00:00+00:00",
        "started_before": "2026-11-21T00:00:00+00:00",
    }
    assert target["hook_kwargs"] == {"aws_conn_id": "aws_emulator"}
    module, _, name = path.rpartition(".")
    assert getattr(import_module(module), name)(**kwargs).serialize() == (path, kwargs)
    assert "run_id" not in ti.xcoms


def test_a_run_found_by_the_trigger_is_pinned_and_the_task_defers_again_on_it(emu, glue_conn):
    emu.glue.define_workflow("etl")
    task = sensor(deferrable=True, started_after="2026-11-20T00:00:00Z")
    ti = StandInTaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}], started_on=epoch(DAY + timedelta(hours=2)))
    event = first_event(deferred.value.trigger)
    assert event["status"] == "pinned"
    assert event["targets"][0]["ref"] == {"workflow_name": "etl", "run_id": run_id}

    with pytest.raises(TaskDeferred) as again:
        task.execute_complete({"ti": ti}, event)
    follow = again.value.trigger
    assert isinstance(follow, WorkflowRunTrigger)
    _, kwargs = follow.serialize()
    assert kwargs["last_poll_at"] == event["polled_at"]  # the trigger's poll that found the run
    assert kwargs["ref"] == {"workflow_name": "etl", "run_id": run_id}  # a triggerer restart follows the same run
    assert ti.xcoms["run_id"] == run_id and ti.xcoms["run_ref"] == kwargs["ref"]
    assert 0 < again.value.timeout.total_seconds() <= task.timeout


def test_a_run_found_before_deferring_is_pinned_in_the_trigger_kwargs(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}], started_on=time.time() - 30)
    task = sensor(deferrable=True, started_after=datetime.now(timezone.utc) - timedelta(hours=1))
    ti = StandInTaskInstance()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})
    assert isinstance(deferred.value.trigger, WorkflowRunTrigger)
    assert deferred.value.trigger.ref == {"workflow_name": "etl", "run_id": run_id}
    assert ti.xcoms["run_id"] == run_id
    assert [r["operation"] for r in emu.requests(service="glue")] == ["GetWorkflowRuns"]  # one request


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"started_after": "2026-11-21", "started_before": "2026-11-20"}, "window is empty"),
        ({"started_after": "last tuesday"}, "ISO 8601"),
        ({"workflow_name": "x" * 256, "started_after": "2026-11-20"}, "workflow_name"),
    ],
)
def test_bad_windows_and_names_fail_before_any_request(emu, glue_conn, kwargs, match):
    task = GlueWorkflowRunSensor(task_id="t", aws_conn_id=glue_conn, **{"workflow_name": "etl", **kwargs})
    with pytest.raises(WatchedRunFailed, match=match):
        task.poke({"ti": StandInTaskInstance()})
    assert emu.requests(service="glue") == []


def test_a_workflow_that_does_not_exist_fails_the_sensor(emu, glue_conn):
    with pytest.raises(WatchedRunFailed, match="glue workflow 'etl' was not found"):
        sensor(started_after="2026-11-20").poke({"ti": StandInTaskInstance()})


def test_a_dag_run_without_data_interval_asks_for_a_window(emu, glue_conn):
    with pytest.raises(WatchedRunFailed, match="pass started_after"):
        sensor().poke({"ti": StandInTaskInstance()})


def test_a_run_triggered_from_the_ui_has_no_data_interval_and_the_sensor_says_what_to_pass(
    emu, glue_conn, run_dag, dag_id, capfd
):
    """No logical date, no data interval: the default window cannot exist, and no run is guessed."""
    emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        GlueWorkflowRunSensor(task_id="newest", workflow_name="etl", aws_conn_id=glue_conn, poke_interval=0.1)
        GlueWorkflowRunSensor(
            task_id="recent",
            workflow_name="etl",
            aws_conn_id=glue_conn,
            started_after="{{ (dag_run.run_after - macros.timedelta(hours=1)).isoformat() }}",
            poke_interval=0.1,
        )
    dag_run = run_dag(dag, logical_date=None)  # as the UI and the REST API trigger it
    assert dag_run.logical_date is None
    assert states(dag_run) == {"newest": "failed", "recent": "success"}
    assert "runs triggered from the UI or the REST API have none): pass started_after" in capfd.readouterr().out
