"""Scripted run timelines: which status a run reports on each observation.

Every service drives its runs through the same cursor, so "RUNNING for 3 polls" or "RUNNING for
4 seconds" behaves identically everywhere; only the extra fields of a step are service-specific.
An observation is one response that includes the run; peeking (control API, stop checks) never
consumes a poll, but wall-clock steps advance regardless.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ExtraValidator = Callable[[Mapping[str, Any]], dict[str, Any]]


def _no_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    if extra:
        raise ValueError(f"unknown timeline step fields: {sorted(extra)}")
    return {}


@dataclass(frozen=True)
class Step:
    """One status held for ``polls`` observations or ``seconds`` of wall time (last is sticky)."""

    status: str
    polls: int | None = None
    seconds: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.polls is not None:
            out["polls"] = self.polls
        if self.seconds is not None:
            out["seconds"] = self.seconds
        out.update(self.extra)
        return out


def _parse_step(raw: Any, *, last: bool, validate_extra: ExtraValidator) -> Step:
    if isinstance(raw, Step):
        return raw
    if not isinstance(raw, Mapping):
        raise ValueError(f"a timeline step must be an object, got {raw!r}")
    rest = dict(raw)
    status = rest.pop("status", None)
    if not isinstance(status, str) or not status:
        raise ValueError(f"a timeline step needs a non-empty string 'status': {raw!r}")
    polls = rest.pop("polls", None)
    seconds = rest.pop("seconds", None)
    if polls is not None and seconds is not None:
        raise ValueError(f"a timeline step takes 'polls' or 'seconds', not both: {raw!r}")
    if polls is not None and (isinstance(polls, bool) or not isinstance(polls, int) or polls < 0):
        raise ValueError(f"'polls' must be an integer >= 0: {raw!r}")
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError(f"'seconds' must be a number >= 0: {raw!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"'seconds' must be a number >= 0: {raw!r}")
        seconds = float(seconds)
    if polls is None and seconds is None and not last:
        raise ValueError(f"only the last timeline step may omit 'polls'/'seconds': {raw!r}")
    return Step(status, polls, seconds, validate_extra(rest))


def parse_steps(raw: Any, validate_extra: ExtraValidator = _no_extra) -> list[Step]:
    """Validate a JSON timeline (a non-empty list of step objects) into :class:`Step` values."""
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or not raw:
        raise ValueError("a timeline must be a non-empty list of steps")
    last = len(raw) - 1
    return [_parse_step(s, last=i == last, validate_extra=validate_extra) for i, s in enumerate(raw)]


@dataclass(frozen=True)
class Position:
    """Where a timeline stands: the current step, its index and when it was entered."""

    step: Step
    index: int
    entered_at: float


class Timeline:
    """A cursor over steps. Not thread-safe on its own: callers hold the store lock."""

    def __init__(self, steps: Sequence[Step], started_at: float) -> None:
        if not steps:
            raise ValueError("a timeline needs at least one step")
        self._steps = list(steps)
        self._index = 0
        self._entered_at = started_at
        self._polls_used = 0

    @property
    def steps(self) -> list[Step]:
        return list(self._steps)

    def _advance(self, now: float) -> None:
        while self._index < len(self._steps) - 1:
            step = self._steps[self._index]
            if step.seconds is not None:
                ends_at = self._entered_at + step.seconds
                if now < ends_at:
                    return
                self._entered_at = ends_at
            else:
                if self._polls_used < (step.polls or 0):
                    return
                self._entered_at = max(now, self._entered_at)
            self._index += 1
            self._polls_used = 0

    def _position(self) -> Position:
        return Position(self._steps[self._index], self._index, self._entered_at)

    def peek(self, now: float) -> Position:
        """The current step without spending a poll."""
        self._advance(now)
        return self._position()

    def observe(self, now: float) -> Position:
        """The current step, spending one poll of it."""
        self._advance(now)
        position = self._position()
        self._polls_used += 1
        return position

    def interrupt(self, steps: Sequence[Step], now: float) -> None:
        """Replace whatever was left to run with ``steps``, entered now (e.g. after a stop)."""
        if not steps:
            raise ValueError("an interruption needs at least one step")
        self._advance(now)
        self._steps = [*self._steps[: self._index + 1], *steps]
        self._index += 1
        self._entered_at = max(now, self._entered_at)
        self._polls_used = 0

    def to_list(self) -> list[dict[str, Any]]:
        return [step.to_dict() for step in self._steps]
