"""One trigger waits on many runs, in any services: a gate holds one triggerer coroutine, not N slots.

Its kwargs are the targets (``RunTarget.to_dict()``: hook path and non-secret hook kwargs, each run's
ref or workflow and window, terminal answers seen so far), the policy, the poll interval, the
deadline and the first poll's time. When a poll chooses a run for a target named by workflow and
window, the trigger hands the pinned targets back to the task (``pinned`` event), which defers again
with them: the choice is then in the kwargs, so a triggerer restart follows the same runs.
Like :class:`~.workflow_run.WorkflowRunTrigger`, the first poll comes one interval after
``last_poll_at`` (the poll before deferring); every event carries ``polled_at``, its own last poll,
for the task to defer again with, and no event is sent sooner than a settle time after the trigger
started (:mod:`.defer_settle`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.gate import Policy, judge
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.targets import RunTarget
from airflow_workflow_runs.triggers.defer_settle import settled
from airflow_workflow_runs.triggers.polling import AsyncReader, poll_targets
from airflow_workflow_runs.triggers.shared_reads import PollTime
from airflow_workflow_runs.triggers.workflow_run import GarbledStreak, deadline_before, within_deadline


class CrossCloudGateTrigger(BaseTrigger):
    """Poll every target concurrently until the policy decides, a run is pinned, or the deadline passes.

    Events: ``{"status": "done" | "pinned" | "timeout", "targets": [...], "deadline", "first_poll_at",
    "polled_at"}``.

    :param targets: ``RunTarget.to_dict()`` of each run, in the task's order.
    :param policy: ``all`` or ``any`` (see :mod:`airflow_workflow_runs.gate`).
    :param poll_interval: seconds between polls.
    :param deadline: epoch seconds after which the wait ends with a ``timeout`` event.
    :param first_poll_at: ISO time of the wait's first poll, which fixes which run a window chooses.
    :param last_poll_at: epoch seconds of the poll made just before deferring; the first poll
        here comes one ``poll_interval`` after it (``None``: at once).
    """

    def __init__(
        self,
        *,
        targets: Sequence[Mapping[str, Any]],
        policy: str = Policy.ALL.value,
        poll_interval: float = 60.0,
        deadline: float | None = None,
        first_poll_at: str,
        last_poll_at: float | None = None,
    ) -> None:
        super().__init__()
        self.targets = [dict(target) for target in targets]
        self.policy = Policy(policy).value
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.first_poll_at = first_poll_at
        self.last_poll_at = last_poll_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "targets": self.targets,
                "policy": self.policy,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "first_poll_at": self.first_poll_at,
                "last_poll_at": self.last_poll_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for event in settled(self, self._events()):
            yield event

    async def _events(self) -> AsyncGenerator[TriggerEvent, None]:
        targets = [RunTarget.from_dict(target) for target in self.targets]
        first_poll_at = datetime.fromisoformat(self.first_poll_at)
        policy = Policy(self.policy)
        hooks: dict[tuple[str, str], WorkflowRunHook] = {}
        failures = 0
        garbled = GarbledStreak()  # polls in a row that met a garbled answer
        polled_at = self.last_poll_at
        when = PollTime.first(polled_at, self.poll_interval)
        while True:
            if await deadline_before(when, self.deadline):
                yield self._event("timeout", targets, polled_at, garbled.note())
                return
            pinned_before = sum(target.pinned for target in targets)
            poll = await within_deadline(
                poll_targets(targets, first_poll_at, AsyncReader(), hooks, when), self.deadline
            )
            if poll is None:  # the deadline came first
                continue
            targets = poll.targets
            polled_at = poll.sent_at or time.time()
            garbled.saw(poll.garbled)
            if judge(policy, targets).done:
                yield self._event("done", targets, polled_at)
                return
            if sum(target.pinned for target in targets) > pinned_before:
                yield self._event("pinned", targets, polled_at)
                return
            # Throttled or failing services: back off (all runs are polled together), as asked.
            failures = failures + 1 if poll.transient_errors else 0
            if failures:
                when = PollTime.exactly(time.time() + backoff_delay(self.poll_interval, failures, poll.retry_after))
            else:
                when = PollTime.after(polled_at, self.poll_interval)

    def _event(
        self, status: str, targets: Sequence[RunTarget], polled_at: float | None, note: str | None = None
    ) -> TriggerEvent:
        """The event; ``deadline``, ``first_poll_at`` and ``polled_at`` let the task defer again on
        the same terms; a timeout's ``note`` says when the services kept answering garbage."""
        return TriggerEvent(
            {
                "status": status,
                "targets": [target.to_dict() for target in targets],
                "deadline": self.deadline,
                "first_poll_at": self.first_poll_at,
                "polled_at": polled_at,
                **({"note": note} if note else {}),
            }
        )
