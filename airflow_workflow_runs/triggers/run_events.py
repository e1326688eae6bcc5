"""Schedule DAGs on remote runs: the AssetWatcher trigger, written once for every service.

``class GlueWorkflowRunEventTrigger(WorkflowRunEventTrigger, service=SERVICE)`` is a service's;
in a DAG it goes in ``Asset(..., watchers=[AssetWatcher(name=..., trigger=...)])`` and each remote
run of the workflow that ends in one of ``states`` becomes one asset event (its payload: the
normalized run, under ``key`` ``service:workflow:run_id``), which schedules the DAGs consuming
the asset. The rule (what is announced, the watermark, the horizon) is :mod:`.run_event_rule`;
its state lives in the asset state store (:mod:`.run_event_store`); watchers of one workflow on
one connection share one list call per poll (:mod:`.run_listing`). Needs Airflow 3.3 (the asset
state store and ack-mode shared streams): on older Airflow the trigger refuses to be built, when
the DAG is parsed, rather than announce runs twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Hashable, Iterable
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_workflow_runs.model import as_utc, parse_moment
from airflow_workflow_runs.triggers.run_event_rule import (
    Decision,
    WatchSpec,
    WatchState,
    decide,
    event_payload,
    first_state,
    parse_states,
    run_end,
    utc_now,
)
from airflow_workflow_runs.triggers.run_event_store import StoreAccess, StoreUnavailable, WatchStore

log = logging.getLogger(__name__)

DEFAULT_MAX_RUN_DURATION = 24 * 3600.0
#: Longer than a scheduler loop takes on a busy deployment (seconds).
DEFAULT_ANNOUNCE_SPACING = 5.0
#: A listing's events are spread over at most this: well within Airflow's shared-stream ack
#: timeout (300 s), past which a watcher still on one listing is failed.
MAX_SPREAD_SECONDS = 120.0
NEEDS = "needs Airflow 3.3 or later (the asset state store and ack-mode shared streams)"


def event_triggers_supported() -> bool:
    return hasattr(BaseEventTrigger, "create_shared_stream_producer")


class WorkflowRunEventTrigger(BaseEventTrigger):
    """Base of the service event triggers; not used directly in DAGs.

    :param states: the normalized states that announce a run: any of ``succeeded`` (default),
        ``failed``, ``cancelled``, ``skipped``.
    :param since: announce runs that end from this moment on (a datetime or ISO 8601 string;
        naive is UTC). Default: when the watcher first starts. Used only at the first start.
    :param poll_interval: seconds between list calls (shared by every watcher of the workflow).
    :param max_run_duration: seconds a run may take: how far before the watermark a listing
        reaches (list calls filter on start time). Longer runs that end while no triggerer runs
        may be missed.
    :param announce_spacing: seconds between the events of one listing (at most the listing's
        share of a poll interval): Airflow gives events that arrive before its scheduler acts to
        one DAG run, so a backlog (runs that ended while no triggerer ran) announced at once would
        make one DAG run of several remote runs. 0: all at once.
    """

    declaration: ClassVar[Any]
    hook_class_path: ClassVar[str]

    def __init_subclass__(cls, service: Any = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if service is not None:
            cls.declaration = service
            cls.hook_class_path = service.hook_class_path

    def __init__(
        self,
        *,
        states: Iterable[str] | str = ("succeeded",),
        since: datetime | str | None = None,
        poll_interval: float = 60.0,
        max_run_duration: float = DEFAULT_MAX_RUN_DURATION,
        announce_spacing: float = DEFAULT_ANNOUNCE_SPACING,
        **arguments: Any,
    ) -> None:
        if not event_triggers_supported():
            raise RuntimeError(f"{type(self).__name__} {NEEDS}; on this Airflow wait with the sensor instead")
        super().__init__()
        declaration = self.declaration
        allowed = (declaration.conn_arg, *declaration.workflow_args, *declaration.option_args)
        unknown = sorted(set(arguments) - set(allowed))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown arguments {unknown}; it takes {list(allowed)}")
        if not _seconds(poll_interval):
            raise ValueError(f"poll_interval must be a positive number of seconds, got {poll_interval!r}")
        if not _seconds(max_run_duration):
            raise ValueError(f"max_run_duration must be a positive number of seconds, got {max_run_duration!r}")
        self.arguments = {k: v for k, v in arguments.items() if v is not None}
        self.states = sorted(parse_states(states))
        self.since = _moment(since)
        self.poll_interval = float(poll_interval)
        self.max_run_duration = float(max_run_duration)
        if not _seconds(announce_spacing) and announce_spacing != 0:
            raise ValueError(f"announce_spacing must be 0 or a positive number of seconds, got {announce_spacing!r}")
        self.announce_spacing = float(announce_spacing)
        self.hook_kwargs = declaration.hook_kwargs(self.arguments)
        at_parse = not _loop_running()  # in the triggerer (a loop runs) nothing may block it
        self.workflow = self._validated_workflow() if at_parse else declaration.workflow(self.arguments)
        self._started_at = utc_now()
        self._store: WatchStore | None = None
        self._state: WatchState | None = None
        self._uncertain: set[str] = set()
        self._warned: set[str] = set()

    # -- identity --------------------------------------------------------------------------------

    def _validated_workflow(self) -> dict[str, str]:
        """When the DAG is parsed: the workflow's ids checked by the service's own rules (with the
        connection's defaults, e.g. Logic Apps' subscription), through the connection, which must
        exist and be of the service's type. ``[workflow_runs] check_at_parse = False`` skips it
        (the first listing checks the ids then)."""
        workflow = self.declaration.workflow(self.arguments)
        from airflow.sdk import conf

        if not conf.getboolean("workflow_runs", "check_at_parse", fallback=True):
            return workflow
        from airflow.exceptions import AirflowNotFoundException

        from airflow_workflow_runs.registry import load_hook_class

        hook = load_hook_class(self.hook_class_path)(**self.hook_kwargs)
        name = type(self).__name__
        try:
            conn = hook.get_connection(hook.conn_id) if hook.conn_id else None
        except AirflowNotFoundException:
            if not hook.missing_connection_ok:
                raise ValueError(f"{name}: the connection {hook.conn_id!r} does not exist") from None
            conn = None
        if conn is not None and conn.conn_type and conn.conn_type != hook.conn_type:
            raise ValueError(
                f"{name}: the connection {hook.conn_id!r} is of type {conn.conn_type!r}, not {hook.conn_type!r}"
            )
        validated: dict[str, str] = hook.client.validate_workflow(workflow)
        return validated

    @cached_property
    def spec(self) -> WatchSpec:
        """What this watcher follows (its arguments do not change once built): read per announced run."""
        since = datetime.fromisoformat(self.since) if self.since else None
        return WatchSpec(
            self.declaration.name, self.hook_kwargs, self.workflow, frozenset(self.states), since, self.max_run_duration
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {
            **self.arguments,
            "states": self.states,
            "since": self.since,
            "poll_interval": self.poll_interval,
            "max_run_duration": self.max_run_duration,
            "announce_spacing": self.announce_spacing,
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    def shared_stream_key(self) -> Hashable:
        """Watchers of one workflow on one connection, polling as often, share one list call."""
        return (
            "airflow_workflow_runs.run_events",
            self.hook_class_path,
            json.dumps(self.hook_kwargs, sort_keys=True),
            json.dumps(self.workflow, sort_keys=True),
            self.poll_interval,
        )

    @classmethod
    def create_shared_stream_producer(cls, kwargs: dict[str, Any]) -> Any:
        from airflow_workflow_runs.triggers.run_listing import RunListingProducer

        trigger = cls(**kwargs)
        return RunListingProducer(
            trigger.shared_stream_key(),
            cls.hook_class_path,
            trigger.hook_kwargs,
            trigger.workflow,
            trigger.poll_interval,
            trigger.max_run_duration,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        raise RuntimeError(f"{type(self).__name__} only runs as an AssetWatcher trigger ({NEEDS})")
        yield  # pragma: no cover - an async generator

    # -- each watcher's part of the shared poll ----------------------------------------------------

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        from airflow_workflow_runs.triggers.run_listing import BOARD, ListingEvent

        key, me = self.shared_stream_key(), id(self)
        try:
            async for raw in shared_stream:
                if not isinstance(raw, ListingEvent):
                    continue
                decision = await self._decide(raw)
                if decision is None or not decision.covered:
                    continue
                store = self._store
                assert store is not None
                if decision.announce:
                    try:
                        await store.save_intent(
                            {run.run_id: run_end(run, raw.listing).timestamp() for run in decision.announce}
                        )
                    except StoreUnavailable as error:  # not announced without it: the next poll decides again
                        self._warn_once(str(error), f"{error}; announcing at the next poll")
                        continue
                    spread = min(self.poll_interval, MAX_SPREAD_SECONDS)
                    spacing = min(self.announce_spacing, spread / len(decision.announce))
                    for number, run in enumerate(decision.announce):
                        if number and spacing:
                            await asyncio.sleep(spacing)  # one DAG run each (see announce_spacing)
                        possible_duplicate = run.run_id in self._uncertain
                        yield TriggerEvent(event_payload(run, self.spec, possible_duplicate))
                    self.log.info(
                        "Announced %d finished %s run(s): %s",
                        len(decision.announce),
                        self.declaration.name,
                        ", ".join(r.run_id for r in decision.announce),
                    )
                self._state = decision.state
                BOARD.publish(key, me, decision.state.floor(self.spec), decision.state.watermark)
                raw.receipt.append((store, decision.state))
        finally:
            BOARD.leave(key, me)
            # The lease is not given back here: a stop is a cancellation, and a triggerer shutting down
            # answers no store request (waiting for one held its shutdown past the grace period). A
            # successor takes the lease when it expires: later, never a run lost.

    async def _decide(self, raw: Any) -> Decision | None:
        """This watcher's decision on one listing; ``None`` while it may not announce (no lease
        yet, the store not answering: the next poll tries again, nothing is lost)."""
        from airflow_workflow_runs.triggers.run_listing import BOARD

        if self.asset_state_store is None:
            self._warn_once("no-store", "no asset state store: this trigger only runs as an AssetWatcher's")
            return None
        spec = self.spec
        if self._store is None:
            self._store = WatchStore(StoreAccess(self.asset_state_store), spec, lease_seconds(self.poll_interval))
        try:
            if not await self._store.holds_lease():
                self._state = None  # another copy announces; read the state again when ours
                return None
            if self._state is None:
                state = await self._store.load()
                if state is None:
                    state = first_state(spec, self._started_at)
                    await self._store.save(state)
                    self.log.info(
                        "First start of this watcher: announcing runs that end from %s on", state.watermark.isoformat()
                    )
                self._uncertain = await self._store.load_intent() - set(state.announced)
                self._state = state
                BOARD.publish(self.shared_stream_key(), id(self), state.floor(spec), state.watermark)
        except StoreUnavailable as error:  # the state in memory stays: the store's may lag behind it
            self._warn_once(str(error), f"{error}; trying again at the next poll")
            return None
        return decide(self._state, raw.listing, spec)

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.log.warning("%s", message)


def lease_seconds(poll_interval: float) -> float:
    """How long a copy's lease lasts unrenewed: a successor of a lost triggerer waits this long."""
    return min(max(3 * poll_interval, 1.0), 600.0)


def _seconds(value: Any) -> bool:
    """A finite number of seconds above zero: NaN or infinity would stall or break every poll."""
    try:
        return not isinstance(value, bool) and math.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        return False


def _moment(value: datetime | str | None) -> str | None:
    """``since`` as a canonical UTC ISO string: trigger kwargs are hashed, so equal moments must
    serialize alike."""
    moment = as_utc(parse_moment("since", value))
    return None if moment is None else moment.isoformat()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
