"""Which finished runs a watcher announces: the state it keeps and the one decision rule (no I/O).

A watcher keeps a **watermark** ``W`` and the ids it announced recently. A listing made at
``listed_at`` that reached back far enough announces every terminal run in the chosen states that
ended at or after ``W`` and is not among the announced ids, oldest end first. ``W`` then moves to
``listed_at - SETTLE_SECONDS`` (never back): a run that ends later than that is seen by a later
listing, one that ended before it was seen by this one (``SETTLE_SECONDS`` covers the service's
list staleness and the clocks' skew). Announced ids are kept while their end is at or after ``W``,
so a run listed again is never announced twice; nothing depends on the order runs end or are listed.

The first start sets ``W`` to the ``since`` moment (default: the start itself), so a new watcher
announces only runs that end after it started. Each listing reaches back to ``W -
max_run_duration`` (start times: that is what list calls filter on): a run that ended while no
triggerer ran is announced at the next listing, if it ran at most ``max_run_duration`` and the
service still lists it (its page caps; the horizon in the README).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_workflow_runs.model import RunState, WorkflowRun, as_utc

#: How long after a listing a run that ended before it may still be missing from it (list caches,
#: eventual consistency) plus the largest clock skew between the service and the triggerer.
SETTLE_SECONDS = 600.0
#: Announced ids kept at most (the oldest ends go first): bounds the state's size.
MAX_ANNOUNCED = 1500
STATE_VERSION = 1
ANNOUNCEABLE = frozenset(s.value for s in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.SKIPPED))


@dataclass(frozen=True)
class WatchSpec:
    """What one watcher follows: a workflow on a connection, the states to announce, from when."""

    service: str
    hook_kwargs: Mapping[str, Any]
    workflow: Mapping[str, str]
    states: frozenset[str]
    since: datetime | None
    max_run_duration: float

    @property
    def digest(self) -> str:
        """Names this watcher's state: same workflow, connection, states and ``since``, same state."""
        identity = {
            "service": self.service,
            "hook_kwargs": dict(self.hook_kwargs),
            "workflow": dict(self.workflow),
            "states": sorted(self.states),
            "since": self.since.isoformat() if self.since else None,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]

    def run_key(self, run_id: str) -> str:
        """What identifies a run across watchers and asset events: service, workflow, run id."""
        workflow = ",".join(f"{k}={v}" for k, v in sorted(self.workflow.items()))
        return f"{self.service}:{workflow}:{run_id}"


@dataclass(frozen=True)
class WatchState:
    """What survives restarts, in the asset state store (:mod:`.run_event_store`)."""

    watermark: datetime
    announced: Mapping[str, float | None] = field(default_factory=dict)  # run id -> end, epoch s

    def floor(self, spec: WatchSpec) -> datetime:
        """The earliest start a listing must reach for this state."""
        return self.watermark - timedelta(seconds=spec.max_run_duration)

    def to_json(self, spec: WatchSpec) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "service": spec.service,
            "workflow": dict(spec.workflow),
            "watermark": self.watermark.isoformat(),
            "announced": dict(self.announced),
        }

    @classmethod
    def from_json(cls, value: Any, spec: WatchSpec) -> WatchState:
        """The stored state, or ``ValueError`` saying why it is not this watcher's."""
        if not isinstance(value, dict) or value.get("v") != STATE_VERSION:
            raise ValueError(f"not a version {STATE_VERSION} watcher state: {str(value)[:200]}")
        if value.get("service") != spec.service or value.get("workflow") != dict(spec.workflow):
            raise ValueError(f"the state of another watch ({value.get('service')}, {value.get('workflow')})")
        announced = value.get("announced")
        if not isinstance(announced, dict):
            raise ValueError("its announced ids are not a mapping")
        watermark = as_utc(datetime.fromisoformat(str(value["watermark"])))
        assert watermark is not None
        return cls(watermark, {str(k): (None if v is None else float(v)) for k, v in announced.items()})


def first_state(spec: WatchSpec, now: datetime) -> WatchState:
    """A watcher's state at its very first start: runs ending from ``since`` (default now) on."""
    return WatchState(watermark=spec.since or now)


@dataclass
class Listing:
    """One list call's answer, shared by every watcher of the workflow (one request per poll).

    ``floor`` is the earliest start it reached (a listing the service's page cap stopped short is
    logged by the client). ``held`` are runs listed terminal whose full re-read failed
    (transient): nobody announces them, and the watermark waits for them.
    """

    listed_at: datetime
    floor: datetime
    runs: Sequence[WorkflowRun]
    held: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    announce: list[WorkflowRun]
    state: WatchState
    covered: bool  # False: the listing did not reach this watcher's floor; nothing was decided


def run_end(run: WorkflowRun, listing: Listing) -> datetime:
    """When a terminal run ended; a service that gives no end time: when it was first seen ended."""
    return run.ended_at or listing.listed_at


def decide(state: WatchState, listing: Listing, spec: WatchSpec) -> Decision:
    """The runs this listing announces, and the state after they are announced."""
    if listing.floor > state.floor(spec):
        return Decision([], state, covered=False)
    watermark = state.watermark
    due = [
        run
        for run in listing.runs
        if run.is_terminal
        and run.state.value in spec.states
        and run.run_id not in state.announced
        and run.run_id not in listing.held
        and run_end(run, listing) >= watermark
    ]
    due.sort(key=lambda run: (run_end(run, listing), run.run_id))
    announced = dict(state.announced)
    announced.update({run.run_id: run_end(run, listing).timestamp() for run in due})
    moved = listing.listed_at - timedelta(seconds=SETTLE_SECONDS)
    held_ends = [run_end(r, listing) for r in listing.runs if r.run_id in listing.held]
    if held_ends:
        moved = min(moved, *held_ends)
    watermark = max(watermark, moved)
    return Decision(due, WatchState(watermark, prune(announced, watermark)), covered=True)


def prune(announced: Mapping[str, float | None], watermark: datetime) -> dict[str, float | None]:
    """Ids whose end is before the watermark are never listed as due again: dropped; at most
    :data:`MAX_ANNOUNCED`, newest ends kept."""
    cutoff = watermark.timestamp()
    kept = {k: v for k, v in announced.items() if v is None or v >= cutoff}
    if len(kept) > MAX_ANNOUNCED:
        newest = sorted(kept.items(), key=lambda kv: kv[1] or float("inf"), reverse=True)[:MAX_ANNOUNCED]
        kept = dict(newest)
    return kept


def event_payload(run: WorkflowRun, spec: WatchSpec, possible_duplicate: bool = False) -> dict[str, Any]:
    """The asset event's payload: the normalized run and what identifies it (JSON only)."""
    return {
        "kind": "workflow_run_finished",
        "key": spec.run_key(run.run_id),
        "service": spec.service,
        "workflow": dict(spec.workflow),
        "run": run.to_dict(),
        "possible_duplicate": possible_duplicate,
        "watch": spec.digest,
    }


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_states(states: Iterable[str] | str) -> frozenset[str]:
    """The states to announce, checked: any of succeeded, failed, cancelled, skipped."""
    chosen = frozenset([states] if isinstance(states, str) else states)
    unknown = sorted(chosen - ANNOUNCEABLE)
    if not chosen or unknown:
        raise ValueError(
            f"states must be a non-empty list of {', '.join(sorted(ANNOUNCEABLE))}; got {sorted(chosen)!r}"
        )
    return chosen
