"""Whether a wait over many runs is over, and how it ended: the ``all`` and ``any`` policies.

Pure data in, verdict out (no Airflow, no I/O), so both policies are specified by fast tests.
``all`` fails fast: the first run that ends without success ends the wait, and the message gives
every other run's state. ``any`` succeeds on the first success and fails only when every run has
ended without one. A skipped remote run is neither: it skips the gate only when nothing failed and
nothing (under ``any``) succeeded.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from airflow_workflow_runs.model import RunState
from airflow_workflow_runs.targets import RunTarget


class Policy(str, enum.Enum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Verdict:
    """``outcome`` is ``None`` while the wait goes on, else SUCCEEDED, FAILED or SKIPPED."""

    outcome: RunState | None
    message: str = ""

    @property
    def done(self) -> bool:
        return self.outcome is not None


def _state(target: RunTarget) -> RunState | None:
    if target.error is not None:
        return RunState.FAILED
    return target.run.state if target.run is not None else None


def _bad(state: RunState | None) -> bool:
    return state is not None and state not in (RunState.SUCCEEDED, RunState.SKIPPED)


def _failure_text(target: RunTarget) -> str:
    return target.run.outcome_text() if target.run is not None else target.state_text()


def _others(targets: Sequence[RunTarget], but: RunTarget) -> str:
    rest = [t.state_text() for t in targets if t is not but]
    return f"; the other runs: {' | '.join(rest)}" if rest else ""


def judge(policy: Policy, targets: Sequence[RunTarget]) -> Verdict:
    """The verdict on the runs as last observed."""
    states = [_state(t) for t in targets]
    finished = all(state is not None for state in states)
    if policy is Policy.ALL:
        for target, state in zip(targets, states, strict=True):
            if _bad(state):
                return Verdict(RunState.FAILED, f"{_failure_text(target)}{_others(targets, target)}")
        if not finished:
            return Verdict(None)
        if all(state is RunState.SUCCEEDED for state in states):
            return Verdict(RunState.SUCCEEDED, f"all {len(targets)} runs succeeded")
        return Verdict(RunState.SKIPPED, "some runs were skipped: " + " | ".join(t.state_text() for t in targets))
    if any(state is RunState.SUCCEEDED for state in states):
        winner = next(t for t, s in zip(targets, states, strict=True) if s is RunState.SUCCEEDED)
        return Verdict(RunState.SUCCEEDED, f"{winner.state_text()} succeeded")
    if not finished:
        return Verdict(None)
    texts = " | ".join(_failure_text(t) for t in targets)
    if any(_bad(state) for state in states):
        return Verdict(RunState.FAILED, f"none of the {len(targets)} runs succeeded: {texts}")
    return Verdict(RunState.SKIPPED, f"every run was skipped: {texts}")
