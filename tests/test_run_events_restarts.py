"""Exactly once across restarts: a triggerer SIGKILLed at each point of the poll loop, a run that
ends while no triggerer runs, Airflow moving a watcher, and two copies of a watcher at once.

Each "triggerer" of :mod:`tests.event_harness` is one process: ``kill()`` is a SIGKILL (events not
yet saved are lost, it writes nothing more). They share one asset state store (the metadata DB)
and one list of saved asset events, so what a user sees is ``saved``: one event per finished run,
and a second only when the first was saved just before the crash, flagged ``possible_duplicate``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_workflow_runs.triggers.run_events import lease_seconds
from tests.event_harness import (
    POLL,
    WORKFLOW,
    AssetStore,
    Triggerer,
    announced_keys,
    announces,
    committed,
    flags,
    glue_key,
    glue_run,
    glue_run_ending,
    glue_watcher,
    holds_lease,
    list_calls,
    until,
    watch_state,
)


@pytest.fixture(autouse=True)
def workflow(emu) -> None:
    emu.glue.define_workflow(WORKFLOW)


async def started(triggerer: Triggerer, conn_id: str, store: AssetStore, trigger_id: int = 1) -> None:
    """Start a copy of the watcher and wait for its state to be in the store (it holds the lease)."""
    triggerer.start(trigger_id, glue_watcher(conn_id), store)
    await until(lambda: watch_state(store) is not None)


def test_a_triggerer_killed_during_its_first_listing_leaves_nothing_that_delays_or_repeats(emu, glue_conn):
    """Catches: a half-done first start (a lease or a state written by the dead process) that stops or
    delays the successor, or makes it announce history."""
    old = glue_run(emu, polls_running=0)
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRuns", "delay": 1.0})
    store, saved = AssetStore(), []

    async def scenario() -> tuple[str, str]:
        first = Triggerer(saved)
        first.start(1, glue_watcher(glue_conn), store)
        await until(lambda: len(list_calls(emu)) == 1)  # the first listing is on the wire
        await first.kill()
        assert store.keys == {}
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        run = glue_run(emu)
        await until(lambda: glue_key(run) in announced_keys(saved))
        sentinel = await announces(saved, emu)
        await second.shutdown()
        assert second.errors == []
        return run, sentinel

    run, sentinel = asyncio.run(scenario())
    assert announced_keys(saved) == [glue_key(run), glue_key(sentinel)]
    assert old not in str(saved)


def test_events_not_yet_saved_when_the_triggerer_dies_are_announced_by_the_next_one(emu, glue_conn):
    """Catches: a watcher state written before Airflow saved the events (the runs would be lost)."""
    store, saved = AssetStore(), []

    async def scenario() -> str:
        first = Triggerer(saved)
        first.hold_persist = True  # the supervisor is slow: events wait in the runner
        await started(first, glue_conn, store)
        run = glue_run(emu, polls_running=1)
        await until(lambda: len(first.pending) == 1)
        await asyncio.sleep(3 * POLL)  # later polls come and go while the event waits
        await first.kill()
        assert saved == [] and not committed(store, run)
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        await until(lambda: glue_key(run) in announced_keys(saved))
        await announces(saved, emu)
        await second.shutdown()
        return run

    run = asyncio.run(scenario())
    assert announced_keys(saved).count(glue_key(run)) == 1
    assert committed(store, run)


def test_events_saved_but_not_committed_when_the_triggerer_dies_come_again_flagged(emu, glue_conn):
    """The one duplicate allowed: the events were saved and the process died before it wrote the
    state. Catches: the repeat not flagged ``possible_duplicate`` (consumers could not dedupe), or
    not sent at all."""
    store, saved = AssetStore(), []

    async def scenario() -> str:
        first = Triggerer(saved)
        first.hold_persist = True
        await started(first, glue_conn, store)
        run = glue_run(emu, polls_running=1)
        await until(lambda: len(first.pending) == 1)
        first.persist()  # saved as an asset event ...
        await first.kill()  # ... and killed before the loop could commit the state
        assert announced_keys(saved) == [glue_key(run)] and not committed(store, run)
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        await until(lambda: announced_keys(saved).count(glue_key(run)) == 2)
        await announces(saved, emu)
        await second.shutdown()
        return run

    run = asyncio.run(scenario())
    assert flags(saved, glue_key(run)) == [False, True]


def test_every_event_saved_but_not_committed_comes_again_flagged_even_from_several_polls(emu, glue_conn):
    """Events of several polls wait to be saved (a slow supervisor), then are saved, then the process
    dies. Catches: an intent that only remembers the last poll's runs, so earlier ones come again
    unflagged."""
    store, saved = AssetStore(), []

    async def scenario() -> tuple[str, str]:
        first = Triggerer(saved)
        first.hold_persist = True
        await started(first, glue_conn, store)
        early = glue_run(emu, polls_running=0)
        await until(lambda: len(first.pending) == 1)
        late = glue_run(emu, polls_running=0)
        await until(lambda: len(first.pending) == 2)
        first.persist()
        await first.kill()
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        await until(lambda: len(saved) == 4)
        await announces(saved, emu)
        await second.shutdown()
        return early, late

    early, late = asyncio.run(scenario())
    assert flags(saved, glue_key(early)) == [False, True]
    assert flags(saved, glue_key(late)) == [False, True]


def test_nothing_is_repeated_after_the_state_was_committed(emu, glue_conn):
    """Catches: a successor that announces again what its predecessor announced and committed."""
    store, saved = AssetStore(), []

    async def scenario() -> tuple[list[str], str]:
        first = Triggerer(saved)
        await started(first, glue_conn, store)
        runs = [glue_run(emu, polls_running=n) for n in (0, 1, 2)]
        await until(lambda: all(committed(store, run) for run in runs))
        await first.kill()
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        sentinel = await announces(saved, emu)
        await second.shutdown()
        return runs, sentinel

    runs, sentinel = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted(glue_key(r) for r in [*runs, sentinel])
    assert not any(payload["possible_duplicate"] for _, payload in saved)


def test_a_run_that_ends_while_no_triggerer_runs_is_announced_by_the_next_one(emu, glue_conn):
    """Catches: a successor that starts from "now" instead of the stored watermark (the run is lost)."""
    store, saved = AssetStore(), []

    async def scenario() -> tuple[str, str]:
        first = Triggerer(saved)
        await started(first, glue_conn, store)
        await first.kill()
        during = glue_run_ending(emu, ran=30)  # ended in the downtime, started before it
        await asyncio.sleep(5 * POLL)
        second = Triggerer(saved)
        second.start(1, glue_watcher(glue_conn), store)
        sentinel = await announces(saved, emu)
        await second.shutdown()
        return during, sentinel

    during, sentinel = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted([glue_key(during), glue_key(sentinel)])
    assert flags(saved, glue_key(during)) == [False]


def test_airflow_moving_the_watcher_hands_over_without_losing_or_repeating(emu, glue_conn):
    """A graceful stop (the trigger moved to another triggerer, the DAG paused and unpaused). The
    stopping copy writes nothing more (a shutting-down triggerer may answer no store request), so
    the successor takes over once its lease expires. Catches: a successor that never takes over,
    waits longer than the lease, or announces again what was committed."""
    store, saved = AssetStore(), []

    async def scenario() -> tuple[list[str], float]:
        first = Triggerer(saved)
        await started(first, glue_conn, store)
        before = glue_run(emu, polls_running=0)
        await until(lambda: committed(store, before))
        await first.stop(1)
        during = glue_run(emu, polls_running=0)  # ended between the two
        second = Triggerer(saved)
        began = time.monotonic()
        second.start(1, glue_watcher(glue_conn), store)
        await until(lambda: glue_key(during) in announced_keys(saved))
        took = time.monotonic() - began
        sentinel = await announces(saved, emu)
        await second.shutdown()
        await first.shutdown()
        assert first.errors == [] and second.errors == []
        return [before, during, sentinel], took

    runs, took = asyncio.run(scenario())
    assert announced_keys(saved) == [glue_key(run) for run in runs]
    assert took <= lease_seconds(POLL) + 5 * POLL, f"the successor took {took:.1f} s"


def test_two_copies_of_one_watcher_announce_each_run_once_in_total(emu, glue_conn):
    """Airflow's HA may run one trigger in two triggerers at once. Catches: both copies announcing
    (no lease), or neither (a lease nobody confirms), including once the holder is killed."""
    store, saved = AssetStore(), []

    async def scenario() -> list[str]:
        one, two = Triggerer(saved), Triggerer(saved)
        one.start(1, glue_watcher(glue_conn), store)
        two.start(1, glue_watcher(glue_conn), store)
        await asyncio.sleep(POLL)  # the runs end after both started (Glue's times are to the millisecond)
        runs = [glue_run(emu, polls_running=n) for n in (0, 1, 3)]
        runs += [glue_run_ending(emu, ends_in=0.5 * n, ran=1) for n in (1, 2)]
        await until(lambda: all(committed(store, run) for run in runs))
        dead, alive = (one, two) if holds_lease(one, store) else (two, one)
        assert holds_lease(dead, store)  # the other takes over once the lease expires
        await dead.kill()
        runs += [glue_run(emu, polls_running=1), glue_run_ending(emu, ends_in=1.5, ran=2)]
        await until(lambda: all(committed(store, run) for run in runs))
        runs.append(await announces(saved, emu))
        await alive.shutdown()
        assert one.errors == [] and two.errors == []
        return runs

    runs = asyncio.run(scenario())
    assert sorted(announced_keys(saved)) == sorted(glue_key(r) for r in runs)
