"""Network latency: service requests wait a while before they are answered, as over a real network.

The emulator answers in about a millisecond while real endpoints take 50-300 ms, which hides
polling that is too eager, timeouts that are too tight and calls made one after another that
should overlap. A rule is a fixed ``delay`` plus an optional ``jitter``, in seconds: a request
waits a uniformly random time in ``[max(0, delay - jitter), delay + jitter]``. Rules apply
globally (``"*"``), to a service (``"glue"``) or to one operation (``"glue.GetWorkflowRun"``); the
most specific rule matching a request wins, and no rule means no wait. The JSON form::

    0.05                                      # every request waits 50 ms
    {"*": 0.05, "dataworks": {"delay": 0.3, "jitter": 0.1}, "glue.GetWorkflowRun": 0.3}

It comes from ``Emulator(latency=...)`` / ``set_latency``, a scenario's ``"latency"`` key,
``PUT /_emulator/latency`` or the CLI's ``--latency [SERVICE[.OPERATION]=]DELAY[/JITTER]``
(:func:`parse_cli_specs`). Only service requests wait, each in its connection's own thread; the
control API answers at once. The wait is in real time, whatever clock the store uses.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GLOBAL = "*"
CLI_FORM = "[SERVICE[.OPERATION]=]DELAY[/JITTER]"
_FIELDS = frozenset({"delay", "jitter"})


@dataclass(frozen=True)
class Rule:
    """One rule: a request it applies to waits ``delay`` give or take ``jitter`` seconds (never < 0)."""

    delay: float
    jitter: float = 0.0

    @property
    def bounds(self) -> tuple[float, float]:
        return max(0.0, self.delay - self.jitter), self.delay + self.jitter

    def to_dict(self) -> dict[str, float]:
        return {"delay": self.delay, "jitter": self.jitter}


def _seconds(key: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"latency rule {key!r}: {field!r} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def _rule(key: str, raw: Any) -> Rule:
    if not isinstance(raw, Mapping):
        return Rule(_seconds(key, "delay", raw))
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(
            f"latency rule {key!r}: unknown fields {sorted(map(str, unknown))}; allowed: {sorted(_FIELDS)}"
        )
    if "delay" not in raw:
        raise ValueError(f"latency rule {key!r} needs a 'delay'")
    return Rule(_seconds(key, "delay", raw["delay"]), _seconds(key, "jitter", raw.get("jitter", 0)))


def _check_key(key: Any, services: Mapping[str, frozenset[str]]) -> str:
    """Mirrors the dispatcher's fault-target check: known services, operations they list."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"a latency rule is keyed by '*', a service or 'service.Operation', got {key!r}")
    if key == GLOBAL:
        return key
    name, dot, operation = key.partition(".")
    if name == GLOBAL:
        raise ValueError(f"latency rule {key!r}: a rule naming an operation must name its service too")
    operations = services.get(name)
    if operations is None:
        raise ValueError(f"latency rule {key!r}: unknown service {name!r}; known: {sorted(services)}")
    if dot and (not operation or (operations and operation not in operations)):
        raise ValueError(f"latency rule {key!r}: {name} has no operation {operation!r}; known: {sorted(operations)}")
    return key


def parse_latency(raw: Any, services: Mapping[str, frozenset[str]]) -> dict[str, Rule]:
    """Validate the JSON form against ``services`` (name -> operations); ``None`` means no rules."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        return {GLOBAL: _rule(GLOBAL, raw)}
    return {_check_key(key, services): _rule(key, value) for key, value in raw.items()}


def parse_cli_specs(specs: Iterable[str]) -> dict[str, Any]:
    """The JSON form of repeated ``--latency`` flags (``0.05``, ``dataworks=0.3/0.1``, ...).

    Only the flag syntax is checked here; services, operations and ranges are checked by
    :func:`parse_latency` like any other source.
    """
    out: dict[str, Any] = {}
    for spec in specs:
        key, eq, value = spec.partition("=")
        if not eq:
            key, value = GLOBAL, spec
        delay, slash, jitter = value.partition("/")
        malformed = ValueError(f"--latency {spec!r}: expected {CLI_FORM} in seconds, e.g. glue=0.3/0.1")
        if not key:
            raise malformed
        try:
            rule = {"delay": float(delay), "jitter": float(jitter) if slash else 0.0}
        except ValueError:
            raise malformed from None
        if key in out:
            raise ValueError(f"--latency {spec!r}: {key!r} already has a latency from an earlier --latency")
        out[key] = rule
    return out


def to_json(rules: Mapping[str, Rule]) -> dict[str, dict[str, float]]:
    """The normalized JSON form: every rule as ``{"delay", "jitter"}``, keys sorted."""
    return {key: rules[key].to_dict() for key in sorted(rules)}


class Latency:
    """The rules in force and the default :meth:`restore` returns to; thread-safe.

    The default is what the emulator was constructed with, so a reset between tests never
    leaves one test's latency behind for the next.
    """

    def __init__(
        self,
        services: Mapping[str, frozenset[str]],
        default: Any = None,
        rng: random.Random | None = None,
    ) -> None:
        self._services = dict(services)
        self._lock = threading.Lock()
        self._rng = rng or random.Random()
        self._default = self.parse(default)
        self._rules = self._default

    def parse(self, raw: Any) -> dict[str, Rule]:
        return parse_latency(raw, self._services)

    def set(self, raw: Any) -> dict[str, dict[str, float]]:
        """Replace every rule (``None`` or ``{}``: no latency); returns the normalized form."""
        rules = self.parse(raw)
        with self._lock:
            self._rules = rules
        return to_json(rules)

    def restore(self) -> dict[str, dict[str, float]]:
        """Go back to the default rules; returns them normalized."""
        with self._lock:
            self._rules = self._default
        return to_json(self._default)

    def rule_for(self, service: str, operation: str) -> Rule | None:
        """The most specific rule for a request: operation, then service, then global."""
        with self._lock:
            rules = self._rules
        for key in (f"{service}.{operation}", service, GLOBAL):
            rule = rules.get(key)
            if rule is not None:
                return rule
        return None

    def sample(self, service: str, operation: str) -> float:
        """Seconds this request should wait (0.0 when no rule applies)."""
        rule = self.rule_for(service, operation)
        if rule is None:
            return 0.0
        low, high = rule.bounds
        if low == high:
            return low
        with self._lock:
            return self._rng.uniform(low, high)

    def to_dict(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return to_json(self._rules)
