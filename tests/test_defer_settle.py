"""No trigger event sooner than the settle time after the trigger started (Airflow's stale defer-exit
race, apache/airflow#67287): both triggers, run as a triggerer runs them, against the emulator."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger
from airflow_workflow_runs.triggers.defer_settle import settle_seconds
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import StandInTaskInstance

HOOK = "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook"
SETTLE_ENV = "AIRFLOW__WORKFLOW_RUNS__DEFER_SETTLE_SECONDS"


def wait(conn_id: str, run_id: str, *, for_a_task: bool = True, **kwargs: Any) -> WorkflowRunTrigger:
    trigger = WorkflowRunTrigger(
        hook_class=HOOK,
        hook_kwargs={"aws_conn_id": conn_id},
        ref={"workflow_name": "etl", "run_id": run_id},
        poll_interval=kwargs.pop("poll_interval", 0.05),
        **kwargs,
    )
    if for_a_task:
        trigger.task_instance = StandInTaskInstance()  # what a triggerer sets on the triggers it runs
    return trigger


def gate(conn_id: str, run_ids: list[str], **kwargs: Any) -> CrossCloudGateTrigger:
    trigger = CrossCloudGateTrigger(
        targets=[
            {
                "service": "glue",
                "hook_class": HOOK,
                "hook_kwargs": {"aws_conn_id": conn_id},
                "ref": {"workflow_name": "etl", "run_id": run_id},
            }
            for run_id in run_ids
        ],
        poll_interval=kwargs.pop("poll_interval", 0.05),
        first_poll_at="2026-01-01T00:00:00+00:00",
        **kwargs,
    )
    trigger.task_instance = StandInTaskInstance()
    return trigger


def timed_first_event(trigger: Any) -> tuple[dict, float, float]:
    """The first event's payload, the seconds from the trigger's start to it, and the largest gap
    between 20 ms ticks of a task on the same loop meanwhile (the loop must never be blocked)."""

    async def main() -> tuple[dict, float, float]:
        gaps = [0.0]

        async def tick() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.02)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        try:
            async with asyncio.timeout(20):
                async for event in trigger.run():
                    return event.payload, time.monotonic() - started, max(gaps)
        finally:
            ticker.cancel()
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(main())


def test_a_run_already_ended_at_the_first_poll_is_held_until_the_settle_time(emu, glue_conn, monkeypatch, capfd):
    monkeypatch.setenv(SETTLE_ENV, "1.5")
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    began = time.time()
    event, elapsed, worst_gap = timed_first_event(wait(glue_conn, run_id))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    (poll,) = emu.requests(service="glue")
    assert poll["time"] - began < 1.0  # the answer came at once ...
    assert elapsed >= 1.5  # ... the event only at the settle time
    assert worst_gap < 0.5  # asleep on the loop, not blocking it
    assert "Holding the terminal event" in "".join(capfd.readouterr())  # Airflow's logger: no propagation


def test_the_gate_trigger_holds_its_events_the_same_way(emu, glue_conn, monkeypatch):
    monkeypatch.setenv(SETTLE_ENV, "1.5")
    runs = [emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}]) for _ in range(2)]
    event, elapsed, worst_gap = timed_first_event(gate(glue_conn, runs))
    assert event["status"] == "done"
    assert elapsed >= 1.5
    assert worst_gap < 0.5


def test_error_and_timeout_events_are_held_too(emu, glue_conn, monkeypatch):
    """Any event resumes the task, so any event could meet the stale exit."""
    monkeypatch.setenv(SETTLE_ENV, "1.0")
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    event, elapsed, _ = timed_first_event(wait(glue_conn, "wr_missing"))
    assert event["status"] == "error" and elapsed >= 1.0
    running = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    event, elapsed, _ = timed_first_event(wait(glue_conn, running, deadline=time.time() + 0.2))
    assert event["status"] == "timeout" and elapsed >= 1.0


def test_a_wait_that_ends_after_the_settle_time_is_not_delayed(emu, glue_conn, monkeypatch, capfd):
    monkeypatch.setenv(SETTLE_ENV, "1.0")
    # Polls at 0, 0.6 and 1.2 s: the run ends at the third, after the settle time.
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 2}, {"status": "COMPLETED"}])
    event, elapsed, _ = timed_first_event(wait(glue_conn, run_id, poll_interval=0.6))
    assert event["status"] == "terminal"
    assert 1.2 <= elapsed < 1.9  # the third poll's answer, not a second later
    assert "Holding" not in "".join(capfd.readouterr())


def test_a_trigger_run_for_no_task_is_never_held(emu, glue_conn, monkeypatch):
    """dag.test(), the soak and direct calls of run() have no worker exit to race with."""
    monkeypatch.setenv(SETTLE_ENV, "5")
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    event, elapsed, _ = timed_first_event(wait(glue_conn, run_id, for_a_task=False))
    assert event["status"] == "terminal" and elapsed < 2.0


def test_zero_turns_the_hold_off(emu, glue_conn, monkeypatch):
    monkeypatch.setenv(SETTLE_ENV, "0")
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    event, elapsed, _ = timed_first_event(wait(glue_conn, run_id))
    assert event["status"] == "terminal" and elapsed < 2.0


def test_the_default_covers_the_supervisors_heartbeat_wake_up_plus_a_margin(monkeypatch):
    monkeypatch.delenv(SETTLE_ENV, raising=False)
    assert settle_seconds() == 10.0  # [workers] min_heartbeat_interval (5 s) + 5 s
    monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "20")
    assert settle_seconds() == 25.0
    monkeypatch.setenv(SETTLE_ENV, "2.5")
    assert settle_seconds() == 2.5


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_bad_setting_is_refused_naming_the_option(monkeypatch, value):
    monkeypatch.setenv(SETTLE_ENV, value)
    with pytest.raises(ValueError, match=r"\[workflow_runs\] defer_settle_seconds must be a number of seconds >= 0"):
        settle_seconds()
