"""A triggerer for event triggers, as far as watchers see one: Airflow's own ``SharedStreamManager``
(grouping, fan-out, ack mode, persistence-gated advance), the trigger runner's loop
(``run_trigger``: subscribe, ``filter_shared_stream``, ``bind_pending_event``) and a supervisor
that saves the events as asset events and confirms them, as ``TriggerRunnerSupervisor`` does.

The asset state store is a fake of ``AssetStateStoreAccessors`` over one dict per asset (the
metadata DB, shared by every triggerer). ``kill()`` is a SIGKILL: the process's tasks stop, events
not yet saved are lost, and nothing it writes afterwards reaches the store.

At the end, what the event tests share: Glue watchers and runs on the emulator (with end times
set, so order and downtime are exact), and reading back a watcher's keys and the list calls.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Callable
from typing import Any

from airflow.triggers.shared_stream import SharedStreamManager

from airflow_workflow_runs.triggers.run_event_store import KEY_PREFIX


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
        #: The next this many writes of a kind of key raise: "state", "intent" or "lease".
        self.fail_writes: dict[str, int] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        await asyncio.sleep(0)
        self._maybe_fail()
        return copy.deepcopy(self._store.keys.get(key, default))

    async def aset(self, key: str, value: Any) -> None:
        await asyncio.sleep(0)
        self._maybe_fail()
        kind = key.rpartition(".")[2] if key.endswith((".intent", ".lease")) else "state"
        if self.fail_writes.get(kind, 0) > 0:
            self.fail_writes[kind] -= 1
            raise ConnectionError(f"the supervisor's comms channel broke writing the {kind}")
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
        self.triggers: dict[int, Any] = {}
        self.errors: list[BaseException] = []
        self.hold_persist = False  # events wait in the runner (not yet saved) while set
        self._supervisor = asyncio.ensure_future(self._supervise())

    def view(self, store: AssetStore) -> StoreView:
        return StoreView(store, self)

    def start(self, trigger_id: int, trigger: Any, store: AssetStore) -> StoreView:
        view = self.view(store)
        trigger.asset_state_store = view
        self.triggers[trigger_id] = trigger
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


def flags(saved: list[tuple[int, dict[str, Any]]], key: str) -> list[bool]:
    """``possible_duplicate`` of each saved event of one run, in the order they were saved."""
    return [payload["possible_duplicate"] for _, payload in saved if payload["key"] == key]


# -- a watcher's keys in the store --------------------------------------------------------------


def watch_keys(store: AssetStore, suffix: str = "") -> dict[str, Any]:
    """The watchers' keys ending in ``suffix`` ("" the states, ".intent", ".lease"), by key."""
    found = {}
    for key, value in store.keys.items():
        if key.startswith(KEY_PREFIX + "/"):
            rest = key[len(KEY_PREFIX) + 1 :]
            if (suffix and rest.endswith(suffix)) or (not suffix and "." not in rest):
                found[key] = value
    return found


def watch_state(store: AssetStore) -> dict[str, Any] | None:
    """The one watcher's state saved in the store, or None before its first start."""
    states = list(watch_keys(store).values())
    assert len(states) <= 1, states
    return states[0] if states else None


def holds_lease(triggerer: Triggerer, store: AssetStore, trigger_id: int = 1) -> bool:
    """Whether the lease in the store is that of this triggerer's copy of the watcher."""
    leases = list(watch_keys(store, ".lease").values())
    watch = triggerer.triggers[trigger_id]._store
    return bool(leases) and watch is not None and leases[0]["holder"] == watch.me


def committed(store: AssetStore, run_id: str) -> bool:
    """Whether the saved state counts the run as announced (its event was saved, then the state)."""
    state = watch_state(store)
    return state is not None and run_id in state["announced"]


# -- Glue on the emulator -------------------------------------------------------------------------

POLL = 0.2
WORKFLOW = "etl"


def glue_watcher(conn_id: str, workflow: str = WORKFLOW, **kwargs: Any) -> Any:
    from airflow_workflow_runs.triggers.glue import GlueWorkflowRunEventTrigger

    kwargs.setdefault("poll_interval", POLL)
    return GlueWorkflowRunEventTrigger(workflow_name=workflow, aws_conn_id=conn_id, **kwargs)


def glue_run(
    emu: Any, workflow: str = WORKFLOW, polls_running: int = 2, status: str = "COMPLETED", **kwargs: Any
) -> str:
    """A run that ends (in ``status``) after being listed RUNNING ``polls_running`` times."""
    timeline = (
        [{"status": "RUNNING", "polls": polls_running}, {"status": status}] if polls_running else [{"status": status}]
    )
    run_id: str = emu.glue.add_run(workflow, timeline=timeline, **kwargs)
    return run_id


def glue_run_ending(
    emu: Any, ends_in: float = 0.0, ran: float = 60.0, status: str = "COMPLETED", workflow: str = WORKFLOW
) -> str:
    """A run that ends ``ends_in`` seconds from now (the emulator's runs start when added; 0: it
    has just ended), whenever it is listed, reporting a start ``ran`` seconds before its end."""
    timeline = [{"status": "RUNNING", "seconds": ends_in}, {"status": status}] if ends_in else [{"status": status}]
    run_id: str = emu.glue.add_run(workflow, timeline=timeline, started_on=time.time() + ends_in - ran)
    return run_id


def glue_key(run_id: str, workflow: str = WORKFLOW) -> str:
    return f"glue:workflow_name={workflow}:{run_id}"


async def announces(saved: list[tuple[int, dict[str, Any]]], emu: Any, quiet_polls: int = 6) -> str:
    """A Glue run ending now is announced (a watcher runs and holds the lease); then a few more
    polls pass, in which anything announced twice would show. Returns the run's id."""
    sentinel = glue_run(emu, polls_running=0)
    await until(lambda: glue_key(sentinel) in announced_keys(saved))
    await asyncio.sleep(quiet_polls * POLL)
    return sentinel


def list_calls(emu: Any) -> list[dict[str, Any]]:
    """Every GetWorkflowRuns request the emulator received (listings, and batch reads of runs)."""
    calls: list[dict[str, Any]] = emu.requests(service="glue", operation="GetWorkflowRuns")
    return calls


# -- any of the five services (tests.emulated_services) ------------------------------------------


def event_trigger_class(service: str) -> Any:
    """The service's event trigger class (``service`` as in EmulatedServices.service(target))."""
    from airflow_workflow_runs.triggers.codecatalyst import CodeCatalystWorkflowRunEventTrigger
    from airflow_workflow_runs.triggers.datadog import DatadogWorkflowInstanceEventTrigger
    from airflow_workflow_runs.triggers.dataworks import DataWorksWorkflowInstanceEventTrigger
    from airflow_workflow_runs.triggers.glue import GlueWorkflowRunEventTrigger
    from airflow_workflow_runs.triggers.logic_apps import LogicAppsWorkflowRunEventTrigger

    return {
        "glue": GlueWorkflowRunEventTrigger,
        "codecatalyst": CodeCatalystWorkflowRunEventTrigger,
        "logic_apps": LogicAppsWorkflowRunEventTrigger,
        "datadog": DatadogWorkflowInstanceEventTrigger,
        "dataworks": DataWorksWorkflowInstanceEventTrigger,
    }[service]


def event_trigger(services: Any, target: str, **kwargs: Any) -> Any:
    """A watcher of the workflow of ``services.add_run(target, ...)``'s runs, on its connection."""
    kwargs.setdefault("poll_interval", POLL)
    arguments = {**services.workflow(target), **services.hook_kwargs(target), **kwargs}
    return event_trigger_class(services.service(target))(**arguments)
