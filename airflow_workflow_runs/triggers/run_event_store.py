"""A watcher's keys in Airflow's asset state store: its state, its intent, its lease.

The store (Airflow 3.3, ``BaseEventTrigger.asset_state_store``) is per asset and plain upserts:
no compare-and-set, no transaction with the asset event. So:

- **state** (``<prefix>/<digest>``): watermark and announced ids, written only after Airflow
  confirmed that the events of a listing were saved (ack mode, :mod:`.run_events`): never ahead
  of what was announced, so nothing is missed;
- **intent** (``…/<digest>.intent``): the run ids about to be announced, written before they are,
  with every earlier one no saved state covers yet (events of several polls may await saving);
  after a crash between an event being saved and the state being written, the run is announced
  again marked ``possible_duplicate`` (consumers dedupe on the event's ``key``);
- **lease** (``…/<digest>.lease``): which copy of the watcher announces. Airflow may run one
  trigger in two triggerers for a while (HA takeover). A copy writes the lease, and announces
  only once a read at its next poll still shows it: two copies that wrote at once both read the
  last writer's. Correct while a store write lands within one poll interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_workflow_runs.triggers.run_event_rule import WatchSpec, WatchState

log = logging.getLogger(__name__)

KEY_PREFIX = "airflow_workflow_runs/watch"


class StoreUnavailable(RuntimeError):
    """The asset state store did not answer (or this trigger has none); retried at the next poll."""


class StoreAccess:
    """``aget``/``aset`` on the one asset of a watcher, off the loop where only the blocking calls
    exist (Airflow 3.3.0 and 3.3.1)."""

    def __init__(self, accessors: Any) -> None:
        self._store = accessors

    async def get(self, key: str) -> Any:
        return await self._call("get", key)

    async def set(self, key: str, value: Any) -> None:
        await self._call("set", key, value)

    async def _call(self, name: str, *args: Any) -> Any:
        try:
            if hasattr(self._store, "a" + name):
                return await getattr(self._store, "a" + name)(*args)
            return await asyncio.to_thread(getattr(self._store, name), *args)
        except (ValueError, KeyError, TypeError) as error:  # several assets on one trigger, or a bad value
            raise StoreUnavailable(f"the asset state store refused {name}: {error}") from None
        except Exception as error:
            raise StoreUnavailable(f"the asset state store failed ({type(error).__name__}: {error})") from None


@dataclass
class Lease:
    holder: str
    until: float


class WatchStore:
    """One watcher's three keys."""

    def __init__(self, access: StoreAccess, spec: WatchSpec, lease_seconds: float) -> None:
        self._access = access
        self._spec = spec
        self.state_key = f"{KEY_PREFIX}/{spec.digest}"
        self.lease_seconds = lease_seconds
        self.me = uuid.uuid4().hex
        self._saved: WatchState | None = None  # the state last read or written
        self._intent: dict[str, float | None] = {}  # announced run id -> end; no saved state covers it

    async def load(self) -> WatchState | None:
        value = await self._access.get(self.state_key)
        if value is None:
            return None
        try:
            self._saved = WatchState.from_json(value, self._spec)
        except (ValueError, KeyError, TypeError) as error:
            log.error("Ignoring the watcher state under %r (%s); starting afresh", self.state_key, error)
            return None
        return self._saved

    async def save(self, state: WatchState) -> None:
        await self._access.set(self.state_key, state.to_json(self._spec))
        self._saved = state

    async def load_intent(self) -> set[str]:
        value = await self._access.get(self.state_key + ".intent")
        if isinstance(value, dict) and isinstance(value.get("ids"), list):
            return {str(i) for i in value["ids"]}
        return set()

    async def save_intent(self, runs: Mapping[str, float | None]) -> None:
        """Record runs about to be announced (id -> end, epoch s), keeping the earlier ones whose
        events may not be saved yet: those the saved state does not count and would announce again."""
        saved = self._saved
        if saved is not None:
            cutoff = saved.watermark.timestamp()
            self._intent = {
                run_id: end
                for run_id, end in self._intent.items()
                if run_id not in saved.announced and (end is None or end >= cutoff)
            }
        self._intent.update(runs)
        value = {"holder": self.me, "ids": sorted(self._intent), "at": time.time()}
        await self._access.set(self.state_key + ".intent", value)

    async def holds_lease(self, now: float | None = None) -> bool:
        """One step of the lease: whether this copy may announce now (and it keeps the lease fresh)."""
        now = time.time() if now is None else now
        value = await self._access.get(self.state_key + ".lease")
        lease = _lease(value)
        if lease is not None and lease.holder == self.me:  # written at an earlier poll, still ours
            if lease.until - now < self.lease_seconds / 2:
                await self._write_lease(now)
            return True
        if lease is not None and lease.until > now:
            return False  # another copy holds it (or wrote it at the same time as we did, last)
        await self._write_lease(now)  # free or expired: take it, hold it once a later read confirms
        return False

    async def _write_lease(self, now: float) -> None:
        await self._access.set(self.state_key + ".lease", {"holder": self.me, "until": now + self.lease_seconds})


def _lease(value: Any) -> Lease | None:
    if isinstance(value, dict) and isinstance(value.get("holder"), str):
        try:
            return Lease(value["holder"], float(value["until"]))
        except (KeyError, TypeError, ValueError):
            return None
    return None
