"""Waits in one triggerer share requests, and never poll sooner than they should.

- Waits on one run cost one request per poll, however many DAGs wait on it.
- Waits on runs of one Glue workflow cost one GetWorkflowRuns per poll; a run the listing does not
  hold is still read, on its own.
- Waits that deferred at different moments fall into step and then share.
- A deferred wait's first poll comes one poll interval after the worker's last one.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest

from airflow_workflow_runs.clients.glue import GlueRunClient
from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
from airflow_workflow_runs.model import TransientServiceError, WorkflowRun
from airflow_workflow_runs.targets import RunTarget
from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger
from airflow_workflow_runs.triggers.shared_reads import PollTime, read_run
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger

HOOK = "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook"
RUNNING_THEN_DONE = [{"status": "RUNNING", "polls": 3}, {"status": "COMPLETED"}]


def wait_on(glue_conn: str, workflow: str, run_id: str, **kwargs: object) -> WorkflowRunTrigger:
    return WorkflowRunTrigger(
        hook_class=HOOK,
        hook_kwargs={"aws_conn_id": glue_conn},
        ref={"workflow_name": workflow, "run_id": run_id},
        **kwargs,  # type: ignore[arg-type]
    )


def gate_on(glue_conn: str, workflow: str, run_id: str, **kwargs: object) -> CrossCloudGateTrigger:
    ref = {"workflow_name": workflow, "run_id": run_id}
    target = RunTarget(service="glue", hook_class=HOOK, hook_kwargs={"aws_conn_id": glue_conn}, ref=ref)
    first_poll_at = datetime.now(timezone.utc).isoformat()
    return CrossCloudGateTrigger(targets=[target.to_dict()], first_poll_at=first_poll_at, **kwargs)  # type: ignore[arg-type]


async def first_event(trigger) -> dict:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def run_together(*triggers, timeout: float = 30.0) -> list[dict]:
    async def together() -> list[dict]:
        return await asyncio.gather(*(first_event(t) for t in triggers))

    return asyncio.run(asyncio.wait_for(together(), timeout))


def glue_requests(emu, operation: str | None = None) -> list[dict]:
    return emu.requests(service="glue", operation=operation)


def run_states(events: list[dict]) -> list[str]:
    return [event["run"]["state"] if event["status"] == "terminal" else event["status"] for event in events]


def test_waits_on_one_run_share_one_request_per_poll(emu, glue_conn):
    run_id = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    now = time.time()
    waits = [wait_on(glue_conn, "etl", run_id, poll_interval=0.3, last_poll_at=now) for _ in range(5)]
    assert run_states(run_together(*waits)) == ["succeeded"] * 5
    # 3 RUNNING answers and the COMPLETED one, each shared by the five waits.
    assert len(glue_requests(emu, "GetWorkflowRun")) == 4
    assert emu.glue.run("etl", run_id)["observations"] == 4


def test_waits_on_runs_of_one_glue_workflow_share_one_listing_per_poll(emu, glue_conn):
    run_ids = [emu.glue.add_run("etl", RUNNING_THEN_DONE) for _ in range(4)]
    now = time.time()
    waits = [wait_on(glue_conn, "etl", run_id, poll_interval=0.3, last_poll_at=now) for run_id in run_ids]
    assert run_states(run_together(*waits)) == ["succeeded"] * 4
    assert [entry["operation"] for entry in glue_requests(emu)] == ["GetWorkflowRuns"] * 4


def test_a_run_older_than_the_shared_listing_is_still_followed(emu, glue_conn):
    old = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    for _ in range(100):  # GetWorkflowRuns' page (100 runs) holds the newest runs, not the old one
        emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    new = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    now = time.time()
    waits = [wait_on(glue_conn, "etl", run_id, poll_interval=0.3, last_poll_at=now) for run_id in (old, new)]
    assert run_states(run_together(*waits)) == ["succeeded", "succeeded"]
    singles = glue_requests(emu, "GetWorkflowRun")
    assert {entry["body"]["RunId"] for entry in singles} == {old}
    assert len(singles) == len(glue_requests(emu, "GetWorkflowRuns")) == 4


def test_waits_that_deferred_apart_fall_into_step_and_share(emu, glue_conn):
    run_id = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    now = time.time()
    first = wait_on(glue_conn, "etl", run_id, poll_interval=0.5, last_poll_at=now)
    later = wait_on(glue_conn, "etl", run_id, poll_interval=0.5, last_poll_at=now + 0.15)
    assert run_states(run_together(first, later)) == ["succeeded", "succeeded"]
    # Apart, the two would need 5 requests (they alternate until each sees COMPLETED); after one
    # poll each, the later wait is read early with the first (within half an interval): 4.
    assert len(glue_requests(emu, "GetWorkflowRun")) <= 4


def test_the_first_poll_comes_one_interval_after_the_workers_last_poll(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    worker_polled_at = time.time()
    (event,) = run_together(wait_on(glue_conn, "etl", run_id, poll_interval=0.6, last_poll_at=worker_polled_at))
    assert event["run"]["state"] == "succeeded"
    (request,) = glue_requests(emu)
    assert request["time"] >= worker_polled_at + 0.6


def test_without_a_last_poll_the_first_poll_is_at_once(emu, glue_conn):
    """Triggers stored by an earlier release (no ``last_poll_at``) poll as they always did."""
    run_id = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    started = time.time()
    (event,) = run_together(wait_on(glue_conn, "etl", run_id, poll_interval=30.0))
    assert event["run"]["state"] == "succeeded"
    assert glue_requests(emu)[0]["time"] < started + 30.0


def test_a_retry_after_holds_back_every_wait_on_the_run(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    ref = {"workflow_name": "etl", "run_id": run_id}
    # Both of botocore's attempts (the connection allows 2) are throttled, asking for 1 s.
    emu.add_fault({"service": "glue", "status": 400, "error_type": "ThrottlingException", "retry_after": 1, "count": 2})

    async def two_waits() -> tuple:
        client = await GlueWorkflowRunHook(aws_conn_id=glue_conn).aget_client()
        throttled = await read_run(client, ref, PollTime.now())
        later = await read_run(client, ref, PollTime.now())  # another wait, due now
        return throttled, later

    throttled, later = asyncio.run(two_waits())
    assert isinstance(throttled.answer, TransientServiceError) and throttled.answer.retry_after == 1
    assert isinstance(later.answer, WorkflowRun)
    assert later.sent_at >= throttled.sent_at + 1


def test_a_cancelled_wait_leaves_the_others_waiting(emu, glue_conn):
    run_id = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    now = time.time()
    stays = wait_on(glue_conn, "etl", run_id, poll_interval=0.3, last_poll_at=now)
    leaves = wait_on(glue_conn, "etl", run_id, poll_interval=0.3, last_poll_at=now)

    async def scenario() -> dict:
        staying = asyncio.create_task(first_event(stays))
        leaving = asyncio.create_task(first_event(leaves))
        await asyncio.sleep(0.45)  # both have polled once together
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        return await staying

    event = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert event["run"]["state"] == "succeeded"
    assert emu.glue.run("etl", run_id)["observations"] == 4


def test_the_gate_trigger_waits_one_interval_too_and_reports_its_last_poll(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "COMPLETED"}])
    worker_polled_at = time.time()
    (event,) = run_together(gate_on(glue_conn, "etl", run_id, poll_interval=0.5, last_poll_at=worker_polled_at))
    assert event["status"] == "done"
    (request,) = glue_requests(emu)
    assert request["time"] >= worker_polled_at + 0.5
    assert worker_polled_at + 0.5 <= event["polled_at"] <= request["time"]


def test_a_gate_and_a_wait_on_the_same_run_share_its_reads(emu, glue_conn):
    run_id = emu.glue.add_run("etl", RUNNING_THEN_DONE)
    now = time.time()
    gate = gate_on(glue_conn, "etl", run_id, poll_interval=0.4, last_poll_at=now)
    wait = wait_on(glue_conn, "etl", run_id, poll_interval=0.4, last_poll_at=now)
    gate_event, wait_event = run_together(gate, wait)
    assert gate_event["status"] == "done" and wait_event["run"]["state"] == "succeeded"
    # Apart they would alternate until each saw COMPLETED: 5 requests. Together: 4 at most.
    assert len(glue_requests(emu, "GetWorkflowRun")) <= 4


def test_first_polls_of_waits_deferred_together_are_spread_but_never_early():
    """A thousand waits deferred (or resumed by a restarted triggerer) together would otherwise poll
    in one instant, every interval; waits one request answers keep one offset and share it."""
    t = 1_800_000_000.0
    glue = GlueRunClient(boto_client=None)  # batch keys need no connection
    etl, other = (glue.batch_key({"workflow_name": name, "run_id": "wr_1"}) for name in ("etl", "other"))
    assert glue.batch_key({"workflow_name": "etl", "run_id": "wr_2"}) == etl
    polls = [PollTime.first(t, 10.0, key) for key in (etl, other)]
    assert all(t + 10.0 <= when.due == when.earliest <= t + 11.0 for when in polls)
    assert polls[0] == PollTime.first(t, 10.0, etl) and polls[0] != polls[1]
    assert PollTime.first(t, 600.0, other).due <= t + 602.0  # at most 2 s later, however long the interval
    assert PollTime.first(t, 10.0) == PollTime.exactly(t + 10.0)
