"""Schedules: the emulator starts a run of a workflow every N seconds, lazily and deterministically.

A schedule is ``{"service": "glue", "every_seconds": 20, "run": {...}}``; ``run`` holds the
arguments of that service's own add method (Glue ``add_run``: ``name``, ``timeline``,
``run_properties``; CodeCatalyst ``add_run``: ``space``, ``project``, ``workflow_id``,
``timeline``; Datadog ``add_instance``: ``workflow_id``, ``timeline``, ``payload``; DataWorks
``add_instance``: ``project_id``, ``workflow_id``, ``timeline``, ``name``, ``instance_type``, plus
``biz_date_offset_days``; Logic Apps ``add_run``: ``workflow``, ``timeline``, ``resource_group``,
``site``), never a run id or start time.

Tick k is at ``first_at + k * every_seconds``, the first at the moment the schedule is added.
Nothing runs in the background: before handling any request the dispatcher creates the run of
every tick that has come (:meth:`Scheduler.catch_up`), started at its tick and with its
time-based timeline steps measured from the tick, so a run created 10 s late looks exactly as if
it had started 10 s ago. With a :class:`~.clock.ManualClock`, advancing the clock makes the next
runs appear. After a long idle spell only the last :data:`MAX_CATCH_UP` ticks of a schedule get a
run; older ones are counted as skipped.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .service import Service
from .store import Store

log = logging.getLogger(__name__)

#: At most this many overdue ticks of one schedule get a run when requests resume.
MAX_CATCH_UP = 50
_FIELDS = frozenset({"service", "every_seconds", "run"})
#: Every tick makes a new run: fixed ids or start times would collide or lie.
_RESERVED = frozenset({"run_id", "instance_id", "started_on"})


@dataclass
class Schedule:
    id: int
    service: str
    every_seconds: float
    run: dict[str, Any]
    first_at: float
    next_tick: int = 0
    runs_created: int = 0
    ticks_skipped: int = 0
    last_run_id: str | None = None

    def tick_at(self, index: int) -> float:
        return self.first_at + index * self.every_seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "every_seconds": self.every_seconds,
            "run": copy.deepcopy(self.run),
            "first_at": self.first_at,
            "next_at": self.tick_at(self.next_tick),
            "runs_created": self.runs_created,
            "ticks_skipped": self.ticks_skipped,
            "last_run_id": self.last_run_id,
        }


class Scheduler:
    """The schedules of one emulator; every method takes the store lock."""

    def __init__(self, store: Store, services: Mapping[str, Service]) -> None:
        self.store = store
        self.services = services
        self._schedules: list[Schedule] = []
        self._ids = 0

    def add(self, spec: Any) -> Schedule:
        """Validate a schedule and create the run of its first tick (now); ``ValueError`` if bad."""
        service, every, run = self._parse(spec)
        with self.store.lock:
            self._ids += 1
            schedule = Schedule(self._ids, service, every, run, self.store.now())
            try:
                self._create(schedule, 0)
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"bad {service} schedule run {run!r}: {exc}") from exc
            schedule.next_tick = 1
            self._schedules.append(schedule)
            return schedule

    def _parse(self, spec: Any) -> tuple[str, float, dict[str, Any]]:
        if not isinstance(spec, Mapping):
            raise ValueError(f"a schedule must be an object, got {spec!r}")
        unknown = set(spec) - _FIELDS
        if unknown:
            raise ValueError(f"unknown schedule fields {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
        name = spec.get("service")
        service = self.services.get(name) if isinstance(name, str) else None
        if service is None:
            raise ValueError(f"a schedule needs a known 'service' ({sorted(self.services)}), got {name!r}")
        every = spec.get("every_seconds")
        if isinstance(every, bool) or not isinstance(every, int | float) or not math.isfinite(every) or every <= 0:
            raise ValueError(f"'every_seconds' must be a number > 0, got {every!r}")
        run = spec.get("run", {})
        if not isinstance(run, Mapping):
            raise ValueError(f"a schedule's 'run' must be an object of {name} add arguments, got {run!r}")
        reserved = _RESERVED & set(run)
        if reserved:
            raise ValueError(f"a schedule's 'run' cannot fix {sorted(reserved)}: every tick makes a new run")
        return str(name), float(every), copy.deepcopy(dict(run))

    def catch_up(self) -> list[dict[str, Any]]:
        """Create the runs of every tick that has come; returns them in tick order."""
        if not self._schedules:
            return []
        with self.store.lock:
            now = self.store.now()
            due: list[tuple[float, int, Schedule, int]] = []
            for schedule in self._schedules:
                last = math.floor((now - schedule.first_at) / schedule.every_seconds)
                while last >= schedule.next_tick and schedule.tick_at(last) > now:  # float rounding
                    last -= 1
                if last < schedule.next_tick:
                    continue
                first = max(schedule.next_tick, last - MAX_CATCH_UP + 1)
                schedule.ticks_skipped += first - schedule.next_tick
                schedule.next_tick = last + 1
                due.extend((schedule.tick_at(k), schedule.id, schedule, k) for k in range(first, last + 1))
            created = []
            for _, _, schedule, index in sorted(due, key=lambda item: item[:2]):
                try:
                    created.append(self._create(schedule, index))
                except Exception:
                    log.exception(
                        "schedule %s of %s could not create the run of tick %s", schedule.id, schedule.service, index
                    )
            return created

    def _create(self, schedule: Schedule, index: int) -> dict[str, Any]:
        tick = schedule.tick_at(index)
        with self.store.backdated(tick):
            run_id = self.services[schedule.service].add_scheduled_run(copy.deepcopy(schedule.run), tick)
        schedule.runs_created += 1
        schedule.last_run_id = run_id
        return {"schedule": schedule.id, "service": schedule.service, "tick": tick, "run_id": run_id}

    def schedules(self) -> list[Schedule]:
        with self.store.lock:
            return list(self._schedules)

    def clear(self) -> None:
        """Stop every schedule (runs already created stay)."""
        with self.store.lock:
            self._schedules.clear()
