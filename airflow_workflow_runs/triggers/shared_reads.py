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
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from airflow_workflow_runs.clients.base import RunClient, RunOrError
from airflow_workflow_runs.model import TransientServiceError

log = logging.getLogger(__name__)


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
    """The members waiting on one client and batch key, and the task that reads for them."""

    def __init__(self, client: RunClient, key: tuple[object, ...]) -> None:
        self.client = client
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.members: list[_Member] = []
        self.changed = asyncio.Event()
        self.scheduler: asyncio.Task[None] | None = None
        self.reads: set[asyncio.Task[None]] = set()

    def join(self, member: _Member) -> None:
        self.members.append(member)
        self.changed.set()
        if self.scheduler is None or self.scheduler.done():
            _GROUPS[self.key] = self
            self.scheduler = asyncio.create_task(self._schedule(), name=f"shared reads {self.key[2:]}")

    async def _schedule(self) -> None:
        try:
            while await self._wait_until_due():
                now = time.time()
                batch = [m for m in self.members if m.earliest <= now]
                self.members = [m for m in self.members if m.earliest > now]
                read = asyncio.create_task(self._read(batch, now))
                self.reads.add(read)
                read.add_done_callback(self.reads.discard)
        except BaseException as error:  # never leave a wait hanging on a group that stopped
            for member in self.members:
                if member.future.done():
                    continue
                if isinstance(error, Exception):
                    member.future.set_exception(error)
                else:
                    member.future.cancel()
            self.members.clear()
            raise
        finally:
            if _GROUPS.get(self.key) is self and not self.members:
                del _GROUPS[self.key]

    async def _wait_until_due(self) -> bool:
        """Sleep until the most urgent member is due (and the service allows); False: no members."""
        while True:
            self.members = [m for m in self.members if not m.future.done()]  # cancelled waits leave
            if not self.members:
                return False
            now = time.time()
            start = max(min(m.due for m in self.members), _HOLDS.get(self.key, 0.0))
            if start <= now:
                return True
            self.changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=start - now)

    async def _read(self, batch: list[_Member], sent_at: float) -> None:
        refs: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        for member in batch:
            refs.setdefault(_ref_key(member.ref), member.ref)
        try:
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


def _hold(key: tuple[object, ...], until: float) -> None:
    now = time.time()
    for expired in [k for k, moment in _HOLDS.items() if moment <= now]:
        del _HOLDS[expired]
    _HOLDS[key] = max(_HOLDS.get(key, 0.0), until)


async def read_run(client: RunClient, ref: Mapping[str, str], *, due: float, earliest: float) -> Reading:
    """Read one run at ``due`` (not before ``earliest``), sharing the request with other waits."""
    loop = asyncio.get_running_loop()
    key = (id(loop), id(client), *client.batch_key(ref))
    group = _GROUPS.get(key)
    if group is None or group.client is not client or group.loop is not loop:
        group = _ReadGroup(client, key)
    member = _Member(dict(ref), due=due, earliest=min(earliest, due), future=loop.create_future())
    group.join(member)
    return await member.future


def _ref_key(ref: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(ref.items()))
