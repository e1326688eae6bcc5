"""No trigger event sooner than a settle time after the trigger started: Airflow's stale defer-exit race.

When a task defers, its worker process exits and the executor later reports that exit as a
``success`` of the same try. If the trigger fires first and the scheduler queues the task again,
that stale success arrives for a try that is ``queued`` or ``running`` again, and Airflow 3.3.2
fails it: *"finished with state success, but the task instance's state attribute is queued"*
(apache/airflow#67287; ``running``: #72716; only ``scheduled`` is tolerated as of 3.3.2). The
exit's report is late because the task supervisor, when the task process closed its sockets just
before it exited, notices the exit only at its next wake-up: up to ``[workers]
min_heartbeat_interval`` (5 s) later. Measured in ``make e2e`` (LocalExecutor, 2 cores): of 247
deferrals, 178 exits were reported within 0.15 s and 69 after 5.04-5.20 s; every failed try (34)
was one of the latter, its trigger having fired 2.1-4.6 s after the deferral (a run that ended in
the first or second poll), and the scheduler drained the stale success 5.1-6.3 s after it.

So a trigger run by a triggerer for a task holds any event (terminal, error, timeout, a pinned
run) until :func:`settle_seconds` after it started, sleeping on the event loop (nothing blocks).
The trigger starts after the deferral (the triggerer can only load it once the task deferred),
so this covers the window without reading the worker's clock. A wait whose event comes later, as
every wait with a poll interval longer than the settle time does, is not changed at all. A trigger
run without a task instance (``dag.test()``, the soak, tests calling ``run()``) has no worker exit
to race and is never held.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

from airflow.sdk import conf
from airflow.triggers.base import BaseTrigger, TriggerEvent

#: Added to ``[workers] min_heartbeat_interval`` for the default settle time: the scheduler's loop
#: draining the late exit report (measured: up to 1.25 s after it, on 2 loaded cores).
SETTLE_MARGIN_SECONDS = 5.0
OPTION = ("workflow_runs", "defer_settle_seconds")


def settle_seconds() -> float:
    """How long after a trigger started its first event may be sent: ``[workflow_runs]
    defer_settle_seconds``, by default ``[workers] min_heartbeat_interval`` + 5 s (10 s); 0 turns
    the hold off."""
    raw = conf.get(*OPTION, fallback=None)
    if raw is None or not str(raw).strip():
        return conf.getfloat("workers", "min_heartbeat_interval", fallback=5.0) + SETTLE_MARGIN_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"[workflow_runs] defer_settle_seconds must be a number of seconds >= 0, got {raw!r}")
    return seconds


def runs_for_a_task(trigger: BaseTrigger) -> bool:
    """Whether a triggerer runs ``trigger`` for a deferred task (it sets ``task_instance``)."""
    return getattr(trigger, "task_instance", None) is not None


async def settled(trigger: BaseTrigger, events: AsyncGenerator[TriggerEvent, None]) -> AsyncIterator[TriggerEvent]:
    """``events`` (a trigger's own), none of them sooner than :func:`settle_seconds` after the
    trigger started (the first ``__anext__``), when a triggerer runs it for a task."""
    started = time.monotonic()
    async with aclosing(events):
        async for event in events:
            await _hold(trigger, started, event)
            yield event


async def _hold(trigger: BaseTrigger, started: float, event: TriggerEvent) -> None:
    if not runs_for_a_task(trigger):
        return
    remaining = started + settle_seconds() - time.monotonic()
    if remaining <= 0:
        return
    status: Any = event.payload.get("status") if isinstance(event.payload, dict) else None
    trigger.log.info(
        "Holding the %s event %.1fs: the trigger started %.1fs ago, and Airflow may not have processed "
        "the deferring worker's exit yet (apache/airflow#67287; [workflow_runs] defer_settle_seconds)",
        status or "trigger",
        remaining,
        time.monotonic() - started,
    )
    await asyncio.sleep(remaining)
