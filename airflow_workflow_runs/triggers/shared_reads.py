"""Reads of runs shared by every wait in a process: one request per run (or per batch) per poll.

Many DAGs often wait on one upstream run, and a triggerer may hold many waits on runs of one
workflow. Waits whose runs one request can answer — the same run, or, where the client has a batch
read (``RunClient.batch_key``: Glue's GetWorkflowRuns answers runs of one workflow), runs of the
same batch — join one *read group* on the shared client. A group reads when its most urgent member
is due and takes along every member that may already be read (``earliest`` has passed), with one
``aget_runs`` call; each member gets the answer for its own run.

A member is due at ``due`` and may be read from ``earliest`` on. A wait on its regular schedule
says ``earliest = due - interval / 2``, so waits that began at different moments fall into step
after one or two polls and then share every request; a wait's first poll after deferring, and a
poll after a transient error (backoff), says ``earliest = due``: never sooner. A Retry-After from
the service holds the whole group back. Nothing here decides an outcome: answers, errors included,
go back to each waiting trigger unchanged.
"""

from __future__ import annotations

import asyncio
import time
import weakref
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_workflow_runs.clients.base import RunClient, RunOrError
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.model import AccessDenied, TransientServiceError

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

#: How much of an interval early a regular poll may be read, to share a request with other waits.
EARLY_READ_SHARE = 0.5
#: First polls of waits deferred together are spread over this much of their interval, at most
#: FIRST_POLL_SPREAD_MAX seconds (see :meth:`PollTime.first`).
FIRST_POLL_SPREAD = 0.1
FIRST_POLL_SPREAD_MAX = 2.0


@dataclass(frozen=True)
class PollTime:
    """When a wait's next read is due, and the earliest moment it may be sent (epoch seconds)."""

    due: float
    earliest: float

    @classmethod
    def now(cls) -> PollTime:
        now = time.time()
        return cls(now, now)

    @classmethod
    def exactly(cls, moment: float) -> PollTime:
        """Not a moment sooner: a first poll after deferring, or a retry after a backoff."""
        return cls(moment, moment)

    @classmethod
    def first(cls, worker_polled_at: float | None, interval: float, spread_key: object = None) -> PollTime:
        """A trigger's first poll: one interval after the worker's last one, never sooner (at once
        for a trigger stored by an earlier release, which has no ``last_poll_at``), plus an offset
        of up to :data:`FIRST_POLL_SPREAD` of the interval (at most ``FIRST_POLL_SPREAD_MAX``
        seconds) fixed by ``spread_key``.

        Waits deferred together, or resumed together by a restarted triggerer, would otherwise poll
        in the same instant, and keep doing so: a thousand answers parsed at once. The offset comes
        from the batch key, so waits one request can answer keep the same offset and share it.
        """
        start = time.time() if worker_polled_at is None else worker_polled_at + interval
        if spread_key is not None:
            fraction = zlib.crc32(repr(spread_key).encode()) / 0xFFFFFFFF
            start += fraction * min(interval * FIRST_POLL_SPREAD, FIRST_POLL_SPREAD_MAX)
        return cls.exactly(start)

    @classmethod
    def after(cls, last_read: float, interval: float) -> PollTime:
        """A regular poll one interval after the last read, which may join others' up to half early."""
        due = last_read + interval
        return cls(due, due - interval * EARLY_READ_SHARE)


@dataclass(frozen=True)
class Reading:
    """One answer for one wait: ``answer`` is the run or the error reading it gave."""

    answer: RunOrError
    #: Epoch seconds when the request was sent: the wait's next poll is one interval after it.
    sent_at: float


@dataclass(eq=False)
class _Member:
    ref: dict[str, str]
    due: float
    earliest: float
    future: asyncio.Future[Reading] = field(repr=False)


class _ReadGroup:
    """The members waiting on one client and batch key, and a timer set for the most urgent one.

    No task sleeps for a group: a loop timer fires when its earliest member is due, forms the
    batch and starts the read; the group is forgotten when no member is left waiting.
    """

    def __init__(self, client: RunClient, key: tuple[object, ...]) -> None:
        self.client = client
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.members: list[_Member] = []
        self.timer: asyncio.TimerHandle | None = None
        self.fires_at = float("inf")
        self.reads: set[asyncio.Task[None]] = set()

    def join(self, member: _Member) -> None:
        _GROUPS[self.key] = self
        self.members.append(member)
        self._arm()

    def _arm(self) -> None:
        """Set the timer for the most urgent member (the service's Retry-After permitting)."""
        self.members = [m for m in self.members if not m.future.done()]  # cancelled waits leave
        if not self.members:
            self._close()
            return
        start = max(min(m.due for m in self.members), _HOLDS.get(self.key, 0.0))
        if self.timer is not None and self.fires_at <= start:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.fires_at = start
        self.timer = self.loop.call_later(max(start - time.time(), 0.0), self._fire)

    def _fire(self) -> None:
        self.timer, self.fires_at = None, float("inf")
        try:
            now = time.time()
            live = [m for m in self.members if not m.future.done()]
            if live and max(min(m.due for m in live), _HOLDS.get(self.key, 0.0)) <= now:
                batch = [m for m in live if m.earliest <= now]
                self.members = [m for m in live if m.earliest > now]
                read = self.loop.create_task(self._read(batch, now))
                self.reads.add(read)
                read.add_done_callback(self.reads.discard)
            self._arm()
        except Exception as error:  # never leave a wait hanging on a group that broke
            for member in self.members:
                if not member.future.done():
                    member.future.set_exception(error)
            self.members.clear()
            self._close()

    def _close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if _GROUPS.get(self.key) is self:
            del _GROUPS[self.key]

    async def _read(self, batch: list[_Member], sent_at: float) -> None:
        refs: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        for member in batch:
            refs.setdefault(_ref_key(member.ref), member.ref)
        try:
            async with _read_slots(self.loop):
                answers = await self.client.aget_runs(list(refs.values()))
        except Exception as error:  # not a WorkflowRunError (those come back as answers): a bug
            for member in batch:
                if not member.future.done():
                    member.future.set_exception(error)
            return
        by_ref = dict(zip(refs, answers, strict=True))
        for answer in answers:
            if isinstance(answer, TransientServiceError) and answer.retry_after:
                _hold(self.key, sent_at + answer.retry_after)
        for member in batch:
            if not member.future.done():
                member.future.set_result(Reading(by_ref[_ref_key(member.ref)], sent_at))


#: Live groups, by event loop, client and batch key (a triggerer has one loop; tests run several).
_GROUPS: dict[tuple[object, ...], _ReadGroup] = {}
#: Until when the service asked (Retry-After) not to be asked again, by group key. Kept apart
#: from the groups: a group ends whenever no wait is waiting, between two polls of a lone wait.
_HOLDS: dict[tuple[object, ...], float] = {}


#: Reads in flight at once, per event loop: the I/O pool's size (``[workflow_runs] io_threads``).
#: The pool bounds the blocking clients; this bounds native async ones too (Logic Apps' aio
#: clients parse every answer on the loop), so a poll round of a thousand waits is answered, and
#: parsed, a pool's worth at a time instead of all in one pass of the loop.
_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _read_slots(loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
    slots = _SLOTS.get(loop)
    if slots is None:
        slots = _SLOTS[loop] = asyncio.Semaphore(io_threads())
    return slots


def _hold(key: tuple[object, ...], until: float) -> None:
    now = time.time()
    for expired in [k for k, moment in _HOLDS.items() if moment <= now]:
        del _HOLDS[expired]
    _HOLDS[key] = max(_HOLDS.get(key, 0.0), until)


async def read_run(client: RunClient, ref: Mapping[str, str], when: PollTime) -> Reading:
    """Read one run when due (not before its earliest moment), sharing the request with other waits."""
    loop = asyncio.get_running_loop()
    key = (id(loop), id(client), *client.batch_key(ref))
    group = _GROUPS.get(key)
    if group is None or group.client is not client or group.loop is not loop:
        group = _ReadGroup(client, key)
    member = _Member(dict(ref), due=when.due, earliest=min(when.earliest, when.due), future=loop.create_future())
    group.join(member)
    return await member.future


async def read_run_renewing(
    hook: WorkflowRunHook, ref: Mapping[str, str], when: PollTime, client: RunClient | None = None
) -> Reading:
    """:func:`read_run` on the hook's shared ``client``; an authentication error is read once more
    at once with the client rebuilt from the connection (``WorkflowRunHook.arenew_client``: one
    rebuild for every wait refused by the same client), and only a second refusal is the answer.

    Reads meant to share one request pass the client, got once: each awaiting it on its own could
    join the read group in different passes of the loop, and miss the shared request.
    """
    client = client or await hook.aget_client()
    reading = await read_run(client, ref, when)
    if not isinstance(reading.answer, AccessDenied):
        return reading
    try:
        renewed = await hook.arenew_client(client)
    except TransientServiceError as error:  # the client could not be rebuilt: poll again later
        return Reading(error, reading.sent_at)
    again = await read_run(renewed, ref, PollTime.now())
    if isinstance(again.answer, AccessDenied):
        return Reading(hook.still_denied(again.answer), again.sent_at)
    return again


def _ref_key(ref: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(ref.items()))
