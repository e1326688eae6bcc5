"""GlueWorkflowRunSensor's decisions, called the way BaseSensorOperator calls them."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
from tests.helpers import StandInTaskInstance


def sensor(conn_id: str, run_id: str, workflow_name: str = "etl", **kwargs) -> GlueWorkflowRunSensor:
    return GlueWorkflowRunSensor(
        task_id="wait", workflow_name=workflow_name, run_id=run_id, aws_conn_id=conn_id, **kwargs
    )


def test_poke_is_false_while_running_and_returns_the_run_when_completed(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    task = sensor(glue_conn, run_id)
    assert task.poke({}) is False
    done = task.poke({})
    assert done.is_done
    assert done.xcom_value["run_id"] == run_id
    assert done.xcom_value["state"] == "succeeded"
    assert done.xcom_value["raw_status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"status": "ERROR", "error_message": "Concurrent runs exceeded"}, "Concurrent runs exceeded"),
        ({"status": "STOPPED"}, "is STOPPED"),
        ({"status": "COMPLETED", "statistics": {"TotalActions": 4, "FailedActions": 2}}, "2 failed"),
        ({"status": "HIBERNATING"}, "'HIBERNATING' is not in the Glue status table"),
    ],
    ids=["error", "stopped", "completed-with-failed-actions", "unknown-status"],
)
def test_a_run_that_did_not_succeed_fails_with_id_status_error_and_console(emu, glue_conn, step, expected):
    run_id = emu.glue.add_run("etl", timeline=[step])
    with pytest.raises(WatchedRunFailed) as raised:
        sensor(glue_conn, run_id).poke({})
    message = str(raised.value)
    assert run_id in message and step["status"] in message and expected in message
    assert "console.aws.amazon.com/glue" in message
    assert isinstance(raised.value, AirflowFailException)  # retrying cannot change a finished run


def test_throttling_and_5xx_only_delay_the_next_poke(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "count": 2,
            "status": 400,
            "error_type": "ThrottlingException",
        }
    )
    task = sensor(glue_conn, run_id)
    assert task.poke({}) is False  # botocore retried once, then we wait for the next poke
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 2, "status": 500})
    assert task.poke({}) is False
    assert task.poke({}).is_done


def test_missing_run_fails_naming_workflow_and_run(emu, glue_conn):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    with pytest.raises(AirflowFailException, match=r"workflow_name='etl', run_id='wr_nope'.*not found"):
        sensor(glue_conn, "wr_nope").poke({})


def test_invalid_run_id_fails_before_any_request(emu, glue_conn):
    with pytest.raises(AirflowFailException, match="single-line"):
        sensor(glue_conn, "wr_1\n2").poke({})
    assert emu.requests(service="glue") == []


def test_deferred_wait_resumes_with_the_terminal_run(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    run = sensor(glue_conn, run_id).hook.get_run({"workflow_name": "etl", "run_id": run_id})
    result = sensor(glue_conn, run_id).execute_complete({}, {"status": "terminal", "run": run.to_dict()})
    assert result == run.to_dict()


def test_deferred_timeout_is_a_sensor_timeout():
    task = sensor("unused", "wr_1", timeout=5)
    with pytest.raises(AirflowSensorTimeout, match="timed out after 5"):
        task.execute_complete({}, {"status": "timeout", "message": "glue run ... was still RUNNING"})


def test_deferred_timeout_with_soft_fail_skips():
    """The conversion BaseSensorOperator applies when resuming a deferred sensor."""
    task = sensor("unused", "wr_1", timeout=5, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        task.resume_execution("execute_complete", {"event": {"status": "timeout", "message": "late"}}, context={})


def test_deferred_error_event_fails_with_its_message():
    task = sensor("unused", "wr_1")
    with pytest.raises(WatchedRunFailed, match="was not found"):
        task.execute_complete(
            {}, {"status": "error", "error_type": "RunNotFound", "message": "glue run (...) was not found"}
        )


def test_sensor_defaults_follow_the_default_deferrable_setting(monkeypatch):
    assert sensor("c", "wr_1").deferrable is False
    assert sensor("c", "wr_1", deferrable=True).deferrable is True


def test_templated_fields():
    assert set(GlueWorkflowRunSensor.template_fields) == {
        "workflow_name",
        "run_id",
        "aws_conn_id",
        "region_name",
        "started_after",
        "started_before",
    }


def test_trigger_kwargs_hold_ids_and_conn_id_only(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    task = sensor(glue_conn, run_id, deferrable=True, timeout=60, poke_interval=5)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": StandInTaskInstance()})
    path, kwargs = deferred.value.trigger.serialize()
    # The worker polled once: the trigger's first poll comes one interval after that poll.
    (worker_poll,) = emu.requests(service="glue")
    assert before <= worker_poll["time"] <= kwargs["last_poll_at"] <= time.time()
    assert path == "airflow_workflow_runs.triggers.workflow_run.WorkflowRunTrigger"
    assert kwargs["ref"] == {"workflow_name": "etl", "run_id": run_id}
    assert kwargs["hook_kwargs"] == {"aws_conn_id": glue_conn}
    assert kwargs["poll_interval"] == 5 and kwargs["cancel_on_kill"] is False
    assert time.time() < kwargs["deadline"] <= time.time() + 60
    assert deferred.value.timeout.total_seconds() == 60
    assert "emulator-secret" not in repr(kwargs) and "AKIDEMULATOR" not in repr(kwargs)


def throttle(emu, retry_after: float) -> None:
    """Both of botocore's attempts (glue_conn makes two) throttled, asking for ``retry_after`` s."""
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": 400,
            "error_type": "ThrottlingException",
            "retry_after": retry_after,
            "count": 2,
        }
    )


def test_a_poking_sensor_waits_as_long_as_the_service_asked(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    throttle(emu, retry_after=1)
    task = sensor(glue_conn, run_id, mode="poke", poke_interval=0.05, timeout=30)
    assert task.execute({"ti": StandInTaskInstance()})["state"] == "succeeded"
    *_, throttled, next_poll = (r["time"] for r in emu.requests(service="glue", operation="GetWorkflowRun"))
    assert next_poll - throttled >= 1.0, "polled again before the Retry-After passed"


class RescheduledTaskInstance(StandInTaskInstance):
    """A task instance whose first reschedule was ``ago`` seconds before now."""

    def __init__(self, ago: float | None = None) -> None:
        super().__init__()
        self.ago = ago

    def get_first_reschedule_date(self, context: object) -> datetime | None:
        return None if self.ago is None else datetime.now(timezone.utc) - timedelta(seconds=self.ago)


@pytest.mark.parametrize("never_fail", [False, True])
def test_a_rescheduled_sensor_comes_back_when_the_service_asked(emu, glue_conn, never_fail):
    from airflow.sdk.exceptions import AirflowRescheduleException

    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    throttle(emu, retry_after=120)
    task = sensor(glue_conn, run_id, mode="reschedule", poke_interval=5, never_fail=never_fail)
    before = datetime.now(timezone.utc)
    with pytest.raises(AirflowRescheduleException) as raised:
        task.execute({"ti": RescheduledTaskInstance()})
    assert raised.value.reschedule_date >= before + timedelta(seconds=119)


def test_a_service_asking_to_wait_does_not_stretch_a_rescheduled_sensor_past_its_timeout(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    throttle(emu, retry_after=300)
    task = sensor(glue_conn, run_id, mode="reschedule", poke_interval=5, timeout=60)
    with pytest.raises(AirflowSensorTimeout):  # rescheduled an hour ago: over, whatever the service asks
        task.execute({"ti": RescheduledTaskInstance(ago=3600)})


def test_a_service_asking_to_wait_does_not_stretch_a_poking_sensor_past_its_timeout(emu, glue_conn):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    throttle(emu, retry_after=4)
    task = sensor(glue_conn, run_id, mode="poke", poke_interval=0.1, timeout=1)
    started = time.monotonic()
    with pytest.raises(AirflowSensorTimeout):
        task.execute({"ti": StandInTaskInstance()})
    assert time.monotonic() - started < 3.5, "slept the whole Retry-After past the timeout"
