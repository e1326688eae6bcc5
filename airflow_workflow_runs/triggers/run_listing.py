"""The shared poll of a workflow's runs: one list call per poll for every watcher of it (ack mode).

Airflow (3.3) groups event triggers whose ``shared_stream_key`` is equal and runs one producer per
group in the triggerer; each listing is broadcast to every watcher's filter
(:mod:`.run_events`). The producer lists far enough back for the watcher that needs it most (the
:data:`BOARD` of floors the watchers publish), re-reads listed terminal runs whose listing lacks
details (once each), and never raises for a service's error: transient errors back off by the one
retry policy, others are logged and retried as slowly, and no listing means no decision, so
nothing is announced or lost. Airflow calls :meth:`RunListingProducer.advance` once every watcher
has moved past a listing and the asset events it produced are saved: only then is each watcher's
new state written (its receipt), so a state never runs ahead of what was announced.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from airflow.triggers.shared_stream import AdvanceItem, SharedStreamProducer

from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.model import TimeWindow, TransientServiceError, WorkflowRun, WorkflowRunError
from airflow_workflow_runs.registry import aload_hook_class
from airflow_workflow_runs.triggers.run_event_rule import SETTLE_SECONDS, Listing, WatchState, run_end, utc_now
from airflow_workflow_runs.triggers.run_event_store import StoreUnavailable, WatchStore

log = logging.getLogger(__name__)

#: Longest time a watcher sits on one broadcast (Airflow fails it past ``shared_stream_ack_timeout``).
TICK_SECONDS = 30.0
#: Terminal runs re-read in full and kept (terminal runs do not change).
REREAD_CACHE = 2000


@dataclass
class Tick:
    """Broadcast between listings so that no watcher waits on one event past the ack timeout."""


@dataclass
class ListingEvent:
    """What every watcher of the group receives; ``receipt`` collects the states to write once
    Airflow confirms the events derived from it were saved."""

    listing: Listing
    receipt: list[tuple[WatchStore, WatchState]] = field(default_factory=list)


class FloorBoard:
    """How far back each watcher of a group needs the listing to reach (same process, same loop)."""

    def __init__(self) -> None:
        self._needs: dict[Hashable, dict[int, tuple[datetime, datetime]]] = {}

    def publish(self, key: Hashable, watcher: int, floor: datetime, watermark: datetime) -> None:
        self._needs.setdefault(key, {})[watcher] = (floor, watermark)

    def leave(self, key: Hashable, watcher: int) -> None:
        needs = self._needs.get(key)
        if needs is not None:
            needs.pop(watcher, None)
            if not needs:
                del self._needs[key]

    def floor(self, key: Hashable) -> tuple[datetime, datetime] | None:
        """(earliest floor, earliest watermark) of the watchers that published one."""
        needs = self._needs.get(key)
        if not needs:
            return None
        return min(f for f, _ in needs.values()), min(w for _, w in needs.values())


BOARD = FloorBoard()


class RunListingProducer(SharedStreamProducer):
    """Lists the workflow's runs every ``poll_interval`` seconds for one group of watchers."""

    def __init__(
        self,
        key: Hashable,
        hook_class: str,
        hook_kwargs: Mapping[str, Any],
        workflow: Mapping[str, str],
        poll_interval: float,
        max_run_duration: float,
    ) -> None:
        self.key = key
        self.hook_class = hook_class
        self.hook_kwargs = dict(hook_kwargs)
        self.workflow = dict(workflow)
        self.poll_interval = poll_interval
        self.max_run_duration = max_run_duration
        self._full: dict[str, WorkflowRun] = {}  # terminal runs re-read in full, by run id
        self.listings = 0

    async def open_stream(self) -> AsyncIterator[tuple[Any, Any]]:
        hook = (await aload_hook_class(self.hook_class))(**self.hook_kwargs)
        failures = 0
        while True:
            delay = self.poll_interval
            try:
                listing = await self._list(hook)
            except TransientServiceError as error:
                failures += 1
                delay = backoff_delay(self.poll_interval, failures, error.retry_after)
                log.info(
                    "Listing %s runs answered a transient error (%s); next try in %.0f s",
                    hook.client_service,
                    error,
                    delay,
                )
            except (WorkflowRunError, Exception) as error:
                failures += 1
                delay = backoff_delay(self.poll_interval, failures)
                log.error(
                    "Listing %s runs failed (%s: %s); next try in %.0f s",
                    hook.client_service,
                    type(error).__name__,
                    error,
                    delay,
                )
            else:
                failures = 0
                self.listings += 1
                event = ListingEvent(listing)
                yield event, event.receipt
                yield Tick(), None  # the listing is resolved (and its states written) without waiting a poll
            async for tick in self._sleep(delay):
                yield tick

    async def _sleep(self, seconds: float) -> AsyncIterator[tuple[Any, Any]]:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, TICK_SECONDS))
            if deadline - time.monotonic() > 0:
                yield Tick(), None

    async def _list(self, hook: Any) -> Listing:
        need = BOARD.floor(self.key)
        listed_at = utc_now()
        if need is None:  # no watcher has read its state yet: reach as far as a first start needs
            floor = listed_at - timedelta(seconds=self.max_run_duration + SETTLE_SECONDS)
            watermark = floor
        else:
            floor, watermark = need
        window = TimeWindow(started_after=floor)
        client = await hook.aget_client()
        runs = await hook.arenewing(lambda c: c.alist_runs_in_window(self.workflow, window))
        listing = Listing(listed_at=listed_at, floor=floor, runs=list(runs))
        await self._complete(hook, client, listing, watermark)
        return listing

    async def _complete(self, hook: Any, client: Any, listing: Listing, watermark: datetime) -> None:
        """Terminal runs the listing gave without details (Glue failures, Datadog outputs), ending
        where a watcher may announce them: read once in full; those that fail are held."""
        runs = list(listing.runs)
        todo = [
            i
            for i, run in enumerate(runs)
            if run.is_terminal and not client.listed_run_complete(run) and run_end(run, listing) >= watermark
        ]
        missing = [i for i in todo if runs[i].run_id not in self._full]
        if missing:
            answers = await hook.aget_runs([runs[i].ref for i in missing])
            for i, answer in zip(missing, answers, strict=True):
                if isinstance(answer, WorkflowRun) and answer.is_terminal:
                    self._full[runs[i].run_id] = answer
            while len(self._full) > REREAD_CACHE:
                self._full.pop(next(iter(self._full)))
        held = set()
        for i in todo:
            full = self._full.get(runs[i].run_id)
            if full is None:
                held.add(runs[i].run_id)
            else:
                runs[i] = full if full.ended_at else _with_end(full, runs[i])
        listing.runs = runs
        listing.held = frozenset(held)

    async def advance(self, batch: Sequence[AdvanceItem]) -> None:
        """Write each watcher's state from listings whose events Airflow confirmed saved."""
        latest: dict[int, tuple[WatchStore, WatchState]] = {}
        for item in batch:
            if item.broker_payload is None or not item.outcome.is_clean:
                continue  # a later clean listing carries the watcher's whole state
            for store, state in item.broker_payload:
                latest[id(store)] = (store, state)
        for store, state in latest.values():
            try:
                await store.save(state)
            except StoreUnavailable as error:  # the next listing's receipt writes a newer state
                log.warning("Could not save a watcher's state (%s); it is saved after the next poll", error)


def _with_end(full: WorkflowRun, listed: WorkflowRun) -> WorkflowRun:
    return replace(full, ended_at=listed.ended_at)
