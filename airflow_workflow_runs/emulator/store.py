"""Thread-safe state shared by every service: workflows, runs, faults and the request log.

Services keep their runs here rather than in private dicts so reset, scenarios and the control
API treat all services alike; a run's ``data`` holds whatever a service needs beyond the common
fields. One re-entrant lock guards workflows and runs (timelines mutate on every observation).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .faults import FaultQueue
from .requestlog import RequestLog
from .timeline import Position, Step, Timeline


@dataclass
class Workflow:
    """A named thing runs belong to, with the timeline runs started through the API follow."""

    service: str
    name: str
    timeline: list[Step]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    """One run: common bookkeeping plus the scripted timeline it follows."""

    service: str
    workflow: str
    run_id: str
    timeline: Timeline
    started_on: float
    seq: int
    properties: dict[str, Any] = field(default_factory=dict)
    stop_requested_at: float | None = None
    observations: int = 0
    #: When each observation was made (store clock, epoch seconds): the poll times clients kept.
    observed_at: list[float] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def stop_requested(self) -> bool:
        return self.stop_requested_at is not None


class Store:
    """All mutable emulator state; every read or write of runs happens under :attr:`lock`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or time.time
        self.faults = FaultQueue()
        self.log = RequestLog(self.clock)
        self._workflows: dict[tuple[str, str], Workflow] = {}
        self._runs: dict[tuple[str, str, str], RunRecord] = {}
        self._seq = itertools.count(1)
        self._timeline_origin: float | None = None

    def now(self) -> float:
        return self.clock()

    def put_workflow(self, workflow: Workflow) -> Workflow:
        with self.lock:
            self._workflows[(workflow.service, workflow.name)] = workflow
            return workflow

    def workflow(self, service: str, name: str) -> Workflow | None:
        with self.lock:
            return self._workflows.get((service, name))

    def workflows(self, service: str) -> list[Workflow]:
        with self.lock:
            return [w for (s, _), w in self._workflows.items() if s == service]

    def new_run(
        self,
        service: str,
        workflow: str,
        run_id: str,
        steps: Sequence[Step],
        *,
        started_on: float | None = None,
        properties: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Create a run whose timeline starts now (see :meth:`backdated`); ``ValueError`` if the id is taken."""
        with self.lock:
            key = (service, workflow, run_id)
            if key in self._runs:
                raise ValueError(f"run {run_id!r} already exists in {service} workflow {workflow!r}")
            now = self.now()
            origin = now if self._timeline_origin is None else self._timeline_origin
            run = RunRecord(
                service=service,
                workflow=workflow,
                run_id=run_id,
                timeline=Timeline(steps, origin),
                started_on=now if started_on is None else float(started_on),
                seq=next(self._seq),
                properties=dict(properties or {}),
                data=dict(data or {}),
            )
            self._runs[key] = run
            return run

    @contextmanager
    def backdated(self, moment: float) -> Iterator[None]:
        """Runs created inside start their timelines at ``moment`` instead of now.

        A scheduled run materialized late (at the first request after its tick) must look as if
        it started at its tick: its time-based steps are measured from there. Holds the lock.
        """
        with self.lock:
            previous, self._timeline_origin = self._timeline_origin, moment
            try:
                yield
            finally:
                self._timeline_origin = previous

    def run(self, service: str, workflow: str, run_id: str) -> RunRecord | None:
        with self.lock:
            return self._runs.get((service, workflow, run_id))

    def runs(self, service: str, workflow: str | None = None) -> list[RunRecord]:
        """Runs in creation order, optionally of one workflow."""
        with self.lock:
            return [r for (s, w, _), r in self._runs.items() if s == service and (workflow is None or w == workflow)]

    def observe(self, run: RunRecord) -> Position:
        """The run's current step for a response that includes it (spends one poll, noting when)."""
        with self.lock:
            now = self.now()
            run.observations += 1
            run.observed_at.append(now)
            return run.timeline.observe(now)

    def peek(self, run: RunRecord) -> Position:
        """The run's current step without counting an observation."""
        with self.lock:
            return run.timeline.peek(self.now())

    def clear_service(self, service: str) -> None:
        with self.lock:
            self._workflows = {k: v for k, v in self._workflows.items() if k[0] != service}
            self._runs = {k: v for k, v in self._runs.items() if k[0] != service}

    def reset(self) -> None:
        """Forget every workflow, run, pending fault and logged request."""
        with self.lock:
            self._workflows.clear()
            self._runs.clear()
        self.faults.clear()
        self.log.clear()
