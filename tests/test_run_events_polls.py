"""Shared polls and trouble: ten watchers of one workflow cost one list call per poll; transient
list errors and a failing asset state store never emit, never lose, never repeat, and back off.

Watchers run in :mod:`tests.event_harness` against the emulator's Glue (real boto3, HTTPS).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from airflow_workflow_runs.triggers import run_event_rule
from tests.event_harness import (
    POLL,
    WORKFLOW,
    AssetStore,
    Triggerer,
    announced_keys,
    announces,
    glue_key,
    glue_run,
    glue_watcher,
    list_calls,
    until,
    watch_state,
)
from tests.helpers import GLUE_CONN_ID, aws_connection

#: Ten watchers of one workflow, each announcing its own states.
STATE_SETS = [
    ["succeeded"],
    ["failed"],
    ["cancelled"],
    ["skipped"],
    ["succeeded", "failed"],
    ["succeeded", "cancelled"],
    ["failed", "cancelled"],
    ["failed", "skipped"],
    ["succeeded", "skipped"],
    ["succeeded", "failed", "cancelled"],
]
STATE_OF = {"COMPLETED": "succeeded", "ERROR": "failed", "STOPPED": "cancelled"}


@pytest.fixture(autouse=True)
def workflow(emu) -> None:
    emu.glue.define_workflow(WORKFLOW)


@pytest.fixture
def glue_conn_once(emu, monkeypatch) -> str:
    """The Glue connection without botocore's own retry: each faulted request is one failed listing."""
    once = aws_connection(emu, config_kwargs={"retries": {"mode": "standard", "total_max_attempts": 1}})
    monkeypatch.setenv(f"AIRFLOW_CONN_{GLUE_CONN_ID.upper()}", once)
    return GLUE_CONN_ID


def test_ten_watchers_of_one_workflow_share_one_list_call_per_poll_and_each_gets_its_own_runs(emu, glue_conn):
    """Catches: a shared-stream key that differs per watcher (ten list calls per poll), or one
    watcher's decision (its states, its state) leaking into another's events."""
    stores = [AssetStore() for _ in STATE_SETS]

    async def scenario() -> tuple[list, dict[str, str], float, int]:
        saved: list = []
        triggerer = Triggerer(saved)
        for number, (states, store) in enumerate(zip(STATE_SETS, stores, strict=True), start=1):
            triggerer.start(number, glue_watcher(glue_conn, states=states), store)
        await until(lambda: all(watch_state(store) is not None for store in stores))
        began, calls_before = time.monotonic(), len(list_calls(emu))
        runs = {status: glue_run(emu, polls_running=1, status=status) for status in STATE_OF}
        expected = sum(len({STATE_OF[s] for s in runs} & set(states)) for states in STATE_SETS)
        await until(lambda: len(saved) >= expected)
        await asyncio.sleep(10 * POLL)
        elapsed, calls = time.monotonic() - began, len(list_calls(emu)) - calls_before
        await triggerer.shutdown()
        assert triggerer.errors == []
        return saved, runs, elapsed, calls

    saved, runs, elapsed, calls = asyncio.run(scenario())
    assert 1 <= calls <= elapsed / POLL + 2, f"{calls} list calls in {elapsed:.1f} s of {POLL} s polls"
    for number, states in enumerate(STATE_SETS, start=1):
        mine = sorted(payload["key"] for trigger_id, payload in saved if trigger_id == number)
        assert mine == sorted(glue_key(runs[s]) for s in STATE_OF if STATE_OF[s] in states), states


TRANSIENT_FAULTS = {
    "glue-throttling-retry-after": {"status": 400, "error_type": "ThrottlingException", "retry_after": 0.5},
    "429-retry-after": {"status": 429, "retry_after": 0.5},
    "503": {"status": 503},
    "proxy-html-502": {"body": "non_json", "status": 502},
    # A captive gateway's HTML page answered 200: botocore reads it as {} (no Runs), which the
    # client must refuse as garbled, never take for a page of no runs.
    "gateway-html-200": {"body": "non_json", "status": 200},
}
FAST = 0.1
FAULTS = 3


@pytest.mark.parametrize(
    "fault",
    [pytest.param(fault, id=name) for name, fault in TRANSIENT_FAULTS.items()],
)
def test_a_failing_list_call_never_emits_never_loses_and_backs_off(emu, glue_conn_once, fault: dict[str, Any]):
    """The run ends while listings fail. Catches: an event made of an error answer, the run lost
    (a watermark moved without a listing), a watcher failed by the error, a hot loop (retries not
    spaced by the growing backoff) and a Retry-After not honoured."""
    store, saved = AssetStore(), list[tuple[int, dict[str, Any]]]()

    async def scenario() -> tuple[str, str]:
        triggerer = Triggerer(saved)
        triggerer.start(1, glue_watcher(glue_conn_once, poll_interval=FAST), store)
        await until(lambda: watch_state(store) is not None)
        emu.clear_requests()
        emu.add_fault({"service": "glue", "operation": "GetWorkflowRuns", "count": FAULTS, **fault})
        run = glue_run(emu, polls_running=0)
        await until(lambda: glue_key(run) in announced_keys(saved))
        sentinel = await announces(saved, emu)
        await triggerer.shutdown()
        assert triggerer.errors == []
        return run, sentinel

    run, sentinel = asyncio.run(scenario())
    assert announced_keys(saved) == [glue_key(run), glue_key(sentinel)]
    calls = list_calls(emu)
    assert [bool(call["fault"]) for call in calls[: FAULTS + 1]] == [True] * FAULTS + [False]
    for failures, (faulted, next_call) in enumerate(itertools.pairwise(calls[: FAULTS + 1]), start=1):
        least = max(0.8 * FAST * 2 ** (failures - 1), fault.get("retry_after", 0))
        assert next_call["time"] - faulted["time"] >= least - 0.02, f"retry {failures} came too soon"


def test_the_store_failing_for_a_while_loses_and_repeats_nothing(emu, glue_conn):
    """Every store call fails for several polls (a broken comms channel) while runs end. Catches:
    a watcher failed by it, a run lost, or one announced twice once the store answers again."""
    store, saved = AssetStore(), []

    async def scenario() -> list[str]:
        triggerer = Triggerer(saved)
        view = triggerer.start(1, glue_watcher(glue_conn), store)
        await until(lambda: watch_state(store) is not None)
        runs = []
        for failing in (1, 2, 3, 5, 8):
            view.fail_next = failing
            runs.append(glue_run(emu, polls_running=failing % 2))
            await until(lambda: view.fail_next == 0)
        await until(lambda: all(glue_key(run) in announced_keys(saved) for run in runs))
        runs.append(await announces(saved, emu))
        await triggerer.shutdown()
        assert triggerer.errors == []
        return runs

    runs = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted(glue_key(run) for run in runs)


@pytest.mark.parametrize("kind", ["state", "intent", "lease"])
def test_writes_of_a_watcher_key_failing_lose_and_repeat_nothing(emu, glue_conn, kind):
    """The next writes of the state (after events were saved), the intent (before they are sent)
    or the lease fail. Catches: a watcher failed by it, or the runs of that poll lost or repeated."""
    store, saved = AssetStore(), []

    async def scenario() -> list[str]:
        triggerer = Triggerer(saved)
        view = triggerer.start(1, glue_watcher(glue_conn), store)
        await until(lambda: watch_state(store) is not None)
        view.fail_writes[kind] = 2
        runs = [glue_run(emu, polls_running=0), glue_run(emu, polls_running=1)]
        if kind == "lease":
            await asyncio.sleep(3 * POLL)  # the lease is renewed every other poll or so
        await until(lambda: all(glue_key(run) in announced_keys(saved) for run in runs))
        runs.append(await announces(saved, emu))
        await triggerer.shutdown()
        assert triggerer.errors == []
        assert view.fail_writes[kind] == 0, "the failing writes never happened"
        return runs

    runs = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted(glue_key(run) for run in runs)


def test_a_store_hiccup_while_events_await_saving_repeats_nothing(emu, glue_conn):
    """The store fails one poll while an announced run's event still waits for the supervisor (its
    state not written yet). Catches: a watcher that re-reads its state from the store after the
    hiccup and announces that run again, though nothing crashed."""
    store, saved = AssetStore(), []

    async def scenario() -> list[str]:
        triggerer = Triggerer(saved)
        view = triggerer.start(1, glue_watcher(glue_conn), store)
        await until(lambda: watch_state(store) is not None)
        triggerer.hold_persist = True
        run = glue_run(emu, polls_running=0)
        await until(lambda: len(triggerer.pending) == 1)
        view.fail_next = 1
        await until(lambda: view.fail_next == 0)
        await asyncio.sleep(3 * POLL)  # polls after the hiccup, the event still unsaved
        triggerer.hold_persist = False
        runs = [run, await announces(saved, emu)]
        await triggerer.shutdown()
        assert triggerer.errors == []
        return runs

    runs = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted(glue_key(run) for run in runs)


def test_a_garbled_listing_after_a_downtime_loses_nothing(emu, glue_conn, monkeypatch):
    """A run ended while no triggerer ran, longer ago than the settle time; the successor's first
    listings are a captive gateway's HTML page. Catches: a garbled answer taken for "no runs",
    which moves the watermark past the run: lost."""
    monkeypatch.setattr(run_event_rule, "SETTLE_SECONDS", 0.5)  # the emulator's listings are never stale
    store, saved = AssetStore(), []

    async def scenario() -> str:
        first = Triggerer(saved)
        first.start(1, glue_watcher(glue_conn), store)
        await until(lambda: watch_state(store) is not None)
        await first.kill()
        run = glue_run(emu, polls_running=0)
        await asyncio.sleep(1.0)
        emu.add_fault(
            {"service": "glue", "operation": "GetWorkflowRuns", "count": 2, "body": "non_json", "status": 200}
        )
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        await announces(saved, emu)
        await second.shutdown()
        return run

    run = asyncio.run(scenario())
    assert glue_key(run) in announced_keys(saved)
