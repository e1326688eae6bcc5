"""The one deferrable trigger: polls any service's run until it is terminal or the deadline passes.

Its kwargs hold the hook's class path, the hook's non-secret kwargs, the run's identifiers and
timing; they are stored in the metadata DB and rebuild the trigger after a triggerer restart.
Transient errors are retried with backoff here and never become an outcome. The SDK client is
shared per connection by the hook (see ``WorkflowRunHook.aget_client``), and reads are shared by
every wait in the process that one request can answer (:mod:`.shared_reads`): waits on one run
cost one request per poll. Nothing blocks the event loop: the hook's module (and its SDK) is
imported, and blocking SDK calls run, in the I/O pool (:mod:`airflow_workflow_runs.clients.io`).

The first poll comes one poll interval after ``last_poll_at``, the worker's last poll before it
deferred: polling again at once would repeat that request, and a run ending in the gap would fire
the event before the scheduler has finished recording the deferral (Airflow's stale defer-exit
success race, apache/airflow#66374, #67287, #72716). For the same reason no event is sent sooner
than a settle time after the trigger started (:mod:`.defer_settle`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.model import (
    GarbledAnswer,
    RunNotFound,
    TransientServiceError,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
    format_ids,
)
from airflow_workflow_runs.registry import aload_hook_class
from airflow_workflow_runs.triggers.defer_settle import settled
from airflow_workflow_runs.triggers.kill_check import task_still_deferred
from airflow_workflow_runs.triggers.shared_reads import PollTime, Reading, read_run_renewing

T = TypeVar("T")


class WorkflowRunTrigger(BaseTrigger):
    """Wait for one remote run to reach a terminal status.

    :param hook_class: dotted path of a :class:`WorkflowRunHook` subclass.
    :param hook_kwargs: what rebuilds the hook (``hook.serialize()``): conn id and options only.
    :param ref: the run's identifiers in its service.
    :param poll_interval: seconds between polls.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param cancel_on_kill: cancel the remote run when a user kills the deferred task. Operators
        that started the run set it; sensors never do (the run is someone else's).
    :param not_found_grace_until: epoch seconds until which "not found" counts as transient
        (a run just started may not be readable at once).
    :param last_poll_at: epoch seconds of the poll made just before deferring; the first poll
        here comes one ``poll_interval`` after it (``None``: at once).
    """

    def __init__(
        self,
        *,
        hook_class: str,
        hook_kwargs: Mapping[str, Any],
        ref: Mapping[str, str],
        poll_interval: float = 60.0,
        deadline: float | None = None,
        cancel_on_kill: bool = False,
        not_found_grace_until: float | None = None,
        last_poll_at: float | None = None,
    ) -> None:
        super().__init__()
        self.hook_class = hook_class
        self.hook_kwargs = dict(hook_kwargs)
        self.ref = dict(ref)
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.cancel_on_kill = cancel_on_kill
        self.not_found_grace_until = not_found_grace_until
        self.last_poll_at = last_poll_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "hook_class": self.hook_class,
                "hook_kwargs": self.hook_kwargs,
                "ref": self.ref,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "cancel_on_kill": self.cancel_on_kill,
                "not_found_grace_until": self.not_found_grace_until,
                "last_poll_at": self.last_poll_at,
            },
        )

    async def _hook(self) -> WorkflowRunHook:
        return (await aload_hook_class(self.hook_class))(**self.hook_kwargs)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for event in settled(self, self._events()):
            yield event

    async def _events(self) -> AsyncGenerator[TriggerEvent, None]:
        hook = await self._hook()
        what = describe_ref(hook.client_service, self.ref)
        failures = 0
        last_status: str | None = None
        garbled = GarbledStreak()  # since the last readable answer
        client = await hook.aget_client()
        when = PollTime.first(self.last_poll_at, self.poll_interval, spread_key=client.batch_key(self.ref))
        while True:
            if await deadline_before(when, self.deadline):
                yield TriggerEvent(
                    {
                        "status": "timeout",
                        "ref": self.ref,
                        "last_status": last_status,
                        "message": timeout_text(what, last_status, garbled.note()),
                    }
                )
                return
            reading = await self._read(hook, when)
            if reading is None:  # the deadline came first
                continue
            error = reading.answer if isinstance(reading.answer, WorkflowRunError) else None
            garbled.saw(error)
            if isinstance(error, TransientServiceError):
                failures += 1
                delay = self._backoff(failures, error.retry_after)
                self.log.warning("%s (attempt %d); next try in %.1fs", error, failures, delay)
                when = PollTime.exactly(time.time() + delay)
                continue
            if isinstance(error, RunNotFound) and self._in_grace():
                failures += 1
                self.log.info("%s; the run was just started, trying again", error)
                when = PollTime.exactly(time.time() + self._backoff(failures, None))
                continue
            if error is not None:
                yield _error_event(error)
                return
            run = reading.answer
            assert isinstance(run, WorkflowRun)
            failures = 0
            garbled.saw(None)
            if run.is_terminal:
                yield TriggerEvent({"status": "terminal", "run": run.to_dict()})
                return
            if run.raw_status != last_status:
                self.log.info("%s", run.describe())
                last_status = run.raw_status
            when = PollTime.after(reading.sent_at, self.poll_interval)

    async def _read(self, hook: WorkflowRunHook, when: PollTime) -> Reading | None:
        """This poll's answer (shared with other waits it can be), or None at the deadline."""
        return await within_deadline(read_run_renewing(hook, self.ref, when), self.deadline)

    def _in_grace(self) -> bool:
        return self.not_found_grace_until is not None and time.time() < self.not_found_grace_until

    def _backoff(self, failures: int, retry_after: float | None) -> float:
        return backoff_delay(self.poll_interval, failures, retry_after)

    async def on_kill(self) -> None:
        """A user killed the deferred task: cancel the remote run if this wait started it."""
        if not self.cancel_on_kill:
            return
        if await task_still_deferred(self):
            self.log.warning(
                "Cancelled while the task is still deferred: its trigger moved to another triggerer "
                "(not a user's kill), so its run (%s) goes on",
                format_ids(self.ref),
            )
            return
        hook = await self._hook()
        what = describe_ref(hook.client_service, self.ref)
        try:
            await hook.acancel_run(self.ref)
            self.log.info("Asked the service to cancel %s", what)
        except WorkflowRunError as error:
            self.log.warning("Could not cancel %s: %s", what, error)


async def within_deadline(awaitable: Awaitable[T], deadline: float | None) -> T | None:
    """``awaitable``'s result, or None (it is cancelled) when the deadline (epoch seconds) comes first."""
    if deadline is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout=max(deadline - time.time(), 0.0))
    except asyncio.TimeoutError:
        return None


async def deadline_before(when: PollTime, deadline: float | None) -> bool:
    """Whether the deadline (epoch seconds) comes before the poll may be sent; if so, at the deadline,
    so a timeout is reported on time."""
    if deadline is None or max(time.time(), when.earliest) < deadline:
        return False
    await asyncio.sleep(max(deadline - time.time(), 0.0))
    return True


class GarbledStreak:
    """Garbled answers in a row (a count and the last, not a list): what a timeout then reports."""

    def __init__(self) -> None:
        self.count = 0
        self.last: GarbledAnswer | None = None

    def saw(self, answer: object) -> None:
        """Note one poll's answer: a garbled one extends the streak, anything else ends it."""
        if isinstance(answer, GarbledAnswer):
            self.count, self.last = self.count + 1, answer
        else:
            self.count, self.last = 0, None

    def note(self) -> str | None:
        return self.last.streak_text(self.count) if self.last is not None else None


def timeout_text(what: str, last_status: str | None, garbled_note: str | None) -> str:
    """Why a wait ended at its deadline; when the service kept answering garbage, that says so."""
    text = f"{what} was still {last_status or 'not readable'} at the deadline"
    return f"{text}; {garbled_note}" if garbled_note else text


def _error_event(error: WorkflowRunError) -> TriggerEvent:
    return TriggerEvent({"status": "error", "error_type": type(error).__name__, "message": str(error)})
