"""Schedule DAGs on remote runs: a watcher announces each run that finishes, exactly once.

Watchers run in :mod:`tests.event_harness` (Airflow's own shared-stream manager in ack mode, the
trigger runner's loop, a supervisor saving asset events) against the emulator's Glue over real
boto3 and HTTPS; their state lives in a fake asset state store shared by every "triggerer".
This file: which runs a watcher announces (states, first start, ``since``, order, pages). Restarts
and copies: ``test_run_events_restarts``; shared polls and faults: ``test_run_events_polls``; the
five services and parse-time checks: ``test_run_events_services``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest

from airflow_workflow_runs.clients.glue import WINDOW_PAGE_SIZE
from tests.event_harness import (
    POLL,
    WORKFLOW,
    AssetStore,
    Triggerer,
    announced_keys,
    glue_key,
    glue_run,
    glue_run_ending,
    glue_watcher,
    list_calls,
    until,
    watch_state,
)


@pytest.fixture(autouse=True)
def workflow(emu) -> None:
    emu.glue.define_workflow(WORKFLOW)


async def watch(trigger, until_done, *, quiet_polls: int = 6) -> list:
    """Run one watcher until ``until_done(saved)`` holds, then a few more polls (in which anything
    announced twice would show); returns the saved events."""
    saved: list = []
    triggerer = Triggerer(saved)
    store = AssetStore()
    triggerer.start(1, trigger, store)
    await until(lambda: watch_state(store) is not None)
    await until_done(saved)
    await asyncio.sleep(quiet_polls * POLL)
    await triggerer.shutdown()
    assert triggerer.errors == []
    return saved


def test_each_run_that_succeeds_after_the_watcher_started_is_announced_once(emu, glue_conn):
    """Catches: history announced at the first start, a failed run announced by a ``succeeded``
    watcher, a run announced again by later listings, a payload without what identifies the run."""
    before = glue_run(emu, polls_running=0, started_on=time.time() - 120)
    trigger = glue_watcher(glue_conn)

    async def scenario():
        saved: list = []
        triggerer = Triggerer(saved)
        triggerer.start(1, trigger, AssetStore())
        await asyncio.sleep(3 * POLL)
        succeeded = glue_run(emu)
        failed = glue_run(emu, status="ERROR")
        await until(lambda: glue_key(succeeded) in announced_keys(saved))
        await asyncio.sleep(10 * POLL)  # more listings see the same runs again
        await triggerer.shutdown()
        return saved, succeeded, failed

    saved, succeeded, failed = asyncio.run(scenario())
    assert announced_keys(saved) == [glue_key(succeeded)]
    payload = saved[0][1]
    assert payload["run"]["run_id"] == succeeded and payload["run"]["state"] == "succeeded"
    assert payload["run"]["raw_status"] == "COMPLETED" and payload["run"]["ended_at"]
    assert payload["run"]["console_url"].startswith("https://")
    assert payload["service"] == "glue" and payload["workflow"] == {"workflow_name": WORKFLOW}
    assert payload["possible_duplicate"] is False
    assert before not in str(saved) and failed not in str(saved)


def test_a_run_already_running_at_the_first_start_is_announced_when_it_ends(emu, glue_conn):
    """The first start skips runs that *ended* before it, not runs that *started* before it.
    Catches: a rule on start times (a long run in progress would never be announced)."""
    ended = glue_run_ending(emu, ran=600)
    running = glue_run_ending(emu, ends_in=1.5, ran=3600)

    async def done(saved):
        await until(lambda: glue_key(running) in announced_keys(saved))

    saved = asyncio.run(watch(glue_watcher(glue_conn), done))
    assert announced_keys(saved) == [glue_key(running)]
    assert ended not in str(saved)


@pytest.mark.parametrize(
    ("states", "announced"),
    [
        (["failed"], {"ERROR"}),
        (["cancelled"], {"STOPPED"}),
        (["succeeded", "failed", "cancelled"], {"COMPLETED", "ERROR", "STOPPED"}),
    ],
)
def test_only_runs_ending_in_the_chosen_states_are_announced(emu, glue_conn, states, announced):
    """Catches: the states filter ignored or applied to the raw status; a failed Glue run (re-read
    for its failed jobs) held back or announced twice."""
    runs: dict[str, str] = {}

    async def done(saved):
        runs.update({status: glue_run(emu, polls_running=1, status=status) for status in ("COMPLETED", "ERROR")})
        runs["STOPPED"] = glue_run(emu, polls_running=2, status="STOPPED")
        await until(lambda: len(saved) == len(announced))

    saved = asyncio.run(watch(glue_watcher(glue_conn, states=states), done))
    assert sorted(announced_keys(saved)) == sorted(glue_key(runs[status]) for status in announced)
    by_state = {"COMPLETED": "succeeded", "ERROR": "failed", "STOPPED": "cancelled"}
    assert {p["run"]["raw_status"]: p["run"]["state"] for _, p in saved} == {s: by_state[s] for s in announced}


def test_since_announces_runs_that_ended_after_it_even_before_the_first_start(emu, glue_conn):
    """Catches: ``since`` ignored (the run that ended after it, before the start, is lost) or
    reaching too far (the run that ended before it is announced)."""
    too_early = glue_run_ending(emu, ran=30)
    time.sleep(0.05)
    since = datetime.now(timezone.utc)
    time.sleep(0.05)  # Glue's times are to the millisecond
    after_since = glue_run_ending(emu, ran=30)
    time.sleep(0.3)
    later: list[str] = []

    async def done(saved):
        later.append(glue_run(emu, polls_running=1))
        await until(lambda: glue_key(later[0]) in announced_keys(saved))

    saved = asyncio.run(watch(glue_watcher(glue_conn, since=since), done))
    assert sorted(announced_keys(saved)) == sorted([glue_key(after_since), glue_key(later[0])])
    assert too_early not in str(saved)


def test_runs_ending_in_reverse_start_order_are_each_announced_once(emu, glue_conn):
    """The first to start ends last, each in a different listing. Catches: a watermark on start
    times or on the last announced run (the early starters would be skipped), or order-dependent
    dedupe (announced again)."""
    runs = [glue_run_ending(emu, ends_in=2.4 - 0.6 * i, ran=5 - i) for i in range(4)]  # starts in order

    async def done(saved):
        await until(lambda: len(saved) == len(runs))

    saved = asyncio.run(watch(glue_watcher(glue_conn), done))
    assert announced_keys(saved) == [glue_key(run) for run in reversed(runs)]  # in the order they ended


def test_runs_across_several_list_pages_are_each_announced_once(emu, glue_conn):
    """More runs than fit in 2 pages of GetWorkflowRuns, ending over several polls. Catches: a
    listing that reads only the first page, or pages that shift between polls."""
    count = 2 * WINDOW_PAGE_SIZE + 30
    runs: list[str] = []

    async def done(saved):
        runs.extend(glue_run(emu, polls_running=i % 3) for i in range(count))
        await until(lambda: len(saved) >= count)

    saved = asyncio.run(watch(glue_watcher(glue_conn), done))
    assert sorted(announced_keys(saved)) == sorted(glue_key(run) for run in runs)
    assert any("NextToken" in (call["body"] or {}) for call in list_calls(emu)), "the listing never paged"
