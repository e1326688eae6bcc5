"""A triggerer for event triggers, as far as watchers see one: Airflow's own ``SharedStreamManager``
(grouping, fan-out, ack mode, persistence-gated advance), the trigger runner's loop
(``run_trigger``: subscribe, ``filter_shared_stream``, ``bind_pending_event``) and a supervisor
that saves the events as asset events and confirms them, as ``TriggerRunnerSupervisor`` does.

The asset state store is a fake of ``AssetStateStoreAccessors`` over one dict per asset (the
metadata DB, shared by every triggerer). ``kill()`` is a SIGKILL: the process's tasks stop, events
not yet saved are lost, and nothing it writes afterwards reaches the store.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

from airflow.triggers.shared_stream import SharedStreamManager


class AssetStore:
    """One asset's keys in the metadata DB."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.writes = 0


class StoreView:
    """What one triggerer process sees of an asset's state store (``aget``/``aset``/``adelete``)."""

    def __init__(self, store: AssetStore, process: Triggerer) -> None:
        self._store = store
        self._process = process
        self.fail_next: int = 0  # the next this many calls raise, as a broken comms channel does

    async def aget(self, key: str, default: Any = None) -> Any:
        await asyncio.sleep(0)
        self._maybe_fail()
        return copy.deepcopy(self._store.keys.get(key, default))

    async def aset(self, key: str, value: Any) -> None:
        await asyncio.sleep(0)
        self._maybe_fail()
        json.dumps(value)  # JSON only, as the store
        if self._process.alive:
            self._store.keys[key] = copy.deepcopy(value)
            self._store.writes += 1

    async def adelete(self, key: str) -> None:
        await asyncio.sleep(0)
        self._maybe_fail()
        if self._process.alive:
            self._store.keys.pop(key, None)

    def _maybe_fail(self) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectionError("the supervisor's comms channel broke")


class Triggerer:
    """One triggerer process running event triggers; ``saved`` is the metadata DB's asset events."""

    def __init__(self, saved: list[tuple[int, dict[str, Any]]], persist_every: float = 0.05) -> None:
        self.manager = SharedStreamManager(ack_timeout=30.0)
        self.saved = saved
        self.pending: list[tuple[int | None, int, Any]] = []
        self.alive = True
        self.persist_every = persist_every
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.errors: list[BaseException] = []
        self.hold_persist = False  # events wait in the runner (not yet saved) while set
        self._supervisor = asyncio.ensure_future(self._supervise())

    def view(self, store: AssetStore) -> StoreView:
        return StoreView(store, self)

    def start(self, trigger_id: int, trigger: Any, store: AssetStore) -> StoreView:
        view = self.view(store)
        trigger.asset_state_store = view
        self.tasks[trigger_id] = asyncio.ensure_future(self._run(trigger_id, trigger))
        return view

    async def _run(self, trigger_id: int, trigger: Any) -> None:
        key = trigger.shared_stream_key()
        stream = self.manager.subscribe(trigger_id=trigger_id, trigger=trigger, key=key)
        try:
            async for event in trigger.filter_shared_stream(stream):
                seq = self.manager.bind_pending_event(trigger_id=trigger_id, key=key)
                self.pending.append((seq, trigger_id, event))
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # a failed watcher: the test says whether that may happen
            self.errors.append(error)
        finally:
            if self.alive:
                await self.manager.unsubscribe(trigger_id, key)

    async def _supervise(self) -> None:
        while self.alive:
            await asyncio.sleep(self.persist_every)
            if not self.hold_persist:
                self.persist()

    def persist(self) -> None:
        """Save every event the runner produced as an asset event and confirm it to the runner."""
        seqs = []
        for seq, trigger_id, event in self.pending:
            self.saved.append((trigger_id, event.payload))
            if seq is not None:
                seqs.append(seq)
        self.pending.clear()
        self.manager.confirm_persisted(seqs)

    async def stop(self, trigger_id: int) -> None:
        """Airflow cancels one trigger (its DAG paused, it moved to another triggerer)."""
        task = self.tasks.pop(trigger_id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def kill(self) -> None:
        """SIGKILL: nothing more is saved or written; events in flight are lost."""
        self.alive = False
        self.pending.clear()
        for task in [*self.tasks.values(), self._supervisor]:
            task.cancel()
        await asyncio.gather(*self.tasks.values(), self._supervisor, return_exceptions=True)
        await self.manager.stop_all()

    async def shutdown(self) -> None:
        for trigger_id in list(self.tasks):
            await self.stop(trigger_id)
        self.alive = False
        self._supervisor.cancel()
        await asyncio.gather(self._supervisor, return_exceptions=True)
        await self.manager.stop_all()


async def until(predicate: Callable[[], bool], timeout: float = 20.0, every: float = 0.05) -> None:
    """Wait (the loop keeps running) until ``predicate()`` holds; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(every)


def announced_keys(saved: list[tuple[int, dict[str, Any]]]) -> list[str]:
    return [payload["key"] for _, payload in saved]
