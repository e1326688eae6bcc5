"""One poll of many runs at once, shared by the multi-run trigger and the multi-run sensor's poke.

Targets on the same hook (class and kwargs: one connection) form a group that shares one client;
the group's pinned runs are read together, so a service with a batch endpoint (Glue's
GetWorkflowRuns) answers runs of one workflow with one request; in the triggerer those reads are
shared with every other wait in the process on the same runs. Groups, and the workflows
still waiting for a run to choose, are polled concurrently. Transient errors leave a target as it
was (it is polled again); any other error finishes it with that error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from airflow_workflow_runs.clients.io import run_blocking
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.model import GarbledAnswer, TransientServiceError, WorkflowRun, WorkflowRunError
from airflow_workflow_runs.registry import aload_hook_class
from airflow_workflow_runs.targets import RunTarget
from airflow_workflow_runs.triggers.shared_reads import PollTime, Reading, read_run_renewing

log = logging.getLogger(__name__)


class RunReader(Protocol):
    """How a group's hook is called: natively async in the triggerer, in threads on a worker."""

    async def get_runs(self, hook: WorkflowRunHook, refs: list[dict[str, str]], when: PollTime) -> list[Reading]: ...

    async def find_run(
        self, hook: WorkflowRunHook, target: RunTarget, first_poll_at: datetime
    ) -> WorkflowRun | None: ...


class AsyncReader:
    """The triggerer's reader: shared async clients (``WorkflowRunHook.aget_client``), and reads
    shared with every other wait in the process on the same runs (:mod:`.shared_reads`)."""

    async def get_runs(self, hook: WorkflowRunHook, refs: list[dict[str, str]], when: PollTime) -> list[Reading]:
        client = await hook.aget_client()
        return list(await asyncio.gather(*(read_run_renewing(hook, ref, when, client) for ref in refs)))

    async def find_run(self, hook: WorkflowRunHook, target: RunTarget, first_poll_at: datetime) -> WorkflowRun | None:
        assert target.workflow is not None and target.window is not None
        return await hook.afind_run(target.workflow, target.window, first_poll_at)


class ThreadReader:
    """A worker's reader: each hook's synchronous client, called in the I/O pool's threads, now."""

    async def get_runs(self, hook: WorkflowRunHook, refs: list[dict[str, str]], when: PollTime) -> list[Reading]:
        sent_at = time.time()
        return [Reading(answer, sent_at) for answer in await run_blocking(hook.get_runs, refs)]

    async def find_run(self, hook: WorkflowRunHook, target: RunTarget, first_poll_at: datetime) -> WorkflowRun | None:
        assert target.workflow is not None and target.window is not None
        return await run_blocking(hook.find_run, target.workflow, target.window, first_poll_at)


async def build_hook(target: RunTarget) -> WorkflowRunHook:
    """The target's hook; its module (and SDK) is imported off the event loop."""
    return (await aload_hook_class(target.hook_class))(**target.hook_kwargs)


@dataclass
class Poll:
    """What one poll learned: the targets updated (same order), whether the services pushed back,
    and when its first request was sent (the next poll is due one interval after it)."""

    targets: list[RunTarget]
    transient_errors: int = 0
    retry_after: float | None = None
    sent_at: float | None = None
    #: The last garbled answer of this poll, if any (a timeout then says the service kept garbling).
    garbled: GarbledAnswer | None = None

    def sent(self, moment: float) -> None:
        self.sent_at = moment if self.sent_at is None else min(self.sent_at, moment)

    def saw_transient(self, error: TransientServiceError) -> None:
        self.transient_errors += 1
        if isinstance(error, GarbledAnswer):
            self.garbled = error
        if error.retry_after is not None:
            self.retry_after = max(self.retry_after or 0.0, error.retry_after)


async def poll_targets(
    targets: Sequence[RunTarget],
    first_poll_at: datetime,
    reader: RunReader,
    hooks: dict[tuple[str, str], WorkflowRunHook] | None = None,
    when: PollTime | None = None,
) -> Poll:
    """Poll every unfinished target once, ``when`` due (default: now)."""
    when = when or PollTime.now()
    hooks = {} if hooks is None else hooks
    poll = Poll(list(targets))
    updated = poll.targets
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, target in enumerate(targets):
        if not target.finished:
            groups[target.hook_key].append(index)

    async def poll_group(key: tuple[str, str], indexes: list[int]) -> None:
        try:
            hook = hooks.get(key) or hooks.setdefault(key, await build_hook(targets[indexes[0]]))
            pinned = [i for i in indexes if targets[i].pinned]
            waiting = [i for i in indexes if not targets[i].pinned]
            await asyncio.gather(
                read_pinned(hook, pinned),
                *(choose(hook, i) for i in waiting),
            )
        except Exception as error:  # a missing connection, a client that cannot be built
            for i in indexes:
                if not updated[i].finished:
                    log.warning("%s: %s", targets[i].describe(), error)
                    updated[i] = targets[i].fail(error)

    async def read_pinned(hook: WorkflowRunHook, indexes: list[int]) -> None:
        if not indexes:
            return
        readings = await reader.get_runs(hook, [dict(targets[i].ref or {}) for i in indexes], when)
        for i, reading in zip(indexes, readings, strict=True):
            poll.sent(reading.sent_at)
            updated[i] = _apply(targets[i], reading.answer, poll)

    async def choose(hook: WorkflowRunHook, index: int) -> None:
        target = targets[index]
        await asyncio.sleep(max(when.due - time.time(), 0.0))  # listings are not shared: at the due time
        poll.sent(time.time())
        try:
            run = await reader.find_run(hook, target, first_poll_at)
        except WorkflowRunError as error:
            updated[index] = _apply(target, error, poll)
            return
        if run is None:
            return
        log.info("Following %s (chosen for %s)", run.describe(), target.describe())
        updated[index] = target.observe(run)

    await asyncio.gather(*(poll_group(key, indexes) for key, indexes in groups.items()))
    return poll


def _apply(target: RunTarget, answer: WorkflowRun | WorkflowRunError, poll: Poll) -> RunTarget:
    if isinstance(answer, TransientServiceError):
        log.warning("%s; will poll again", answer)
        poll.saw_transient(answer)
        return target
    if isinstance(answer, WorkflowRunError):
        return target.fail(answer)
    if answer.raw_status != target.last_status:
        log.info("%s", answer.describe())
    return target.observe(answer)
