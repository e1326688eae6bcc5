"""Chaos: a seeded random share of the answers to reads of runs replaced by faults of every kind.

Queued faults (:mod:`.faults`) script one test's trouble exactly; chaos is for soaks, where many
waits poll at once and what matters is that no fault, whichever request it hits, ends a wait
wrongly. With a ``seed`` and a ``rate``, each read of runs (a service's ``chaos_operations``: its
get and list calls, never a start, a cancel or a token request, so what a soak expects of its runs
stays exact) is faulted with probability ``rate``, by a kind drawn uniformly from ``kinds``:

======================  ======================================================================
``throttle_retry_after``  429 with ``Retry-After: <retry_after>``, in the service's error shape
``throttle``              429 with no delay header
``service_throttle``      one of the service's own throttling answers (``Service.throttling``:
                          Glue's 400 ThrottlingException, DataWorks' 400 Throttling.User or 429
                          with x-acs-retry-after, Datadog's 429 with X-RateLimit-Reset, ...)
``http_500/502/503``      that status, in the service's error shape
``disconnect``            the connection closed without an answer
``truncated``             the real answer cut in half (status 200)
``html_200``              an HTML page with status 200 (a proxy or a captive gateway)
``empty_list`` ...        JSON ``[]``, ``null``, a bare string (``string``), ``{}`` (``empty_object``),
                          status 200
``no_status``             the real answer with its runs' status field removed
``slow``                  ``slow_seconds`` of silence, then the real answer: a client whose read
                          timeout is shorter gives up first
======================  ======================================================================

The JSON form is ``{"seed": 7, "rate": 0.35}`` plus optional ``kinds`` (a subset), ``services``
(names; default all), ``slow_seconds`` (default 3) and ``retry_after`` (seconds, default 1);
``None`` or ``{}`` turns chaos off. Draws come from one ``random.Random(seed)`` in request order:
a seed gives the same sequence of decisions (which request meets which decision depends on the
order requests arrive). It comes from ``Emulator(chaos=...)``/``set_chaos``, a scenario's
``"chaos"`` key, ``PUT /_emulator/chaos`` or the CLI's ``--chaos RATE --chaos-seed N``. ``restore``
(reset, ``DELETE /_emulator/chaos``) goes back to the constructor's setting with a fresh generator
and zeroed counts. A queued fault wins over chaos; every injected fault is logged in the request
log as ``chaos:<kind>`` and counted per service (:meth:`Chaos.to_dict`).
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .faults import Fault

if TYPE_CHECKING:
    from .service import Service

#: Every kind, in the order the generator indexes them (changing it changes what a seed draws).
KINDS: tuple[str, ...] = (
    "throttle_retry_after",
    "throttle",
    "service_throttle",
    "http_500",
    "http_502",
    "http_503",
    "disconnect",
    "truncated",
    "html_200",
    "empty_list",
    "null",
    "string",
    "empty_object",
    "no_status",
    "slow",
)
LABEL_PREFIX = "chaos:"
_FIELDS = frozenset({"seed", "rate", "kinds", "services", "slow_seconds", "retry_after"})


@dataclass(frozen=True)
class ChaosSettings:
    """Validated chaos: who is faulted, how often and how."""

    seed: int
    rate: float
    kinds: tuple[str, ...] = KINDS
    services: tuple[str, ...] | None = None
    slow_seconds: float = 3.0
    retry_after: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rate": self.rate,
            "kinds": list(self.kinds),
            "services": list(self.services) if self.services is not None else None,
            "slow_seconds": self.slow_seconds,
            "retry_after": self.retry_after,
        }


def _seconds(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"chaos {key!r} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def parse_chaos(raw: Any, services: Mapping[str, Any]) -> ChaosSettings | None:
    """Validate the JSON form against the emulator's service names; ``None``/``{}`` means off."""
    if raw is None or (isinstance(raw, Mapping) and not raw):
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f'chaos is an object such as {{"seed": 7, "rate": 0.35}}, got {raw!r}')
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"unknown chaos fields {sorted(map(str, unknown))}; allowed: {sorted(_FIELDS)}")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"chaos 'seed' must be an integer, got {seed!r}")
    rate = raw.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError(f"chaos 'rate' must be a fraction of answers in [0, 1], got {rate!r}")
    kinds = raw.get("kinds", KINDS)
    if isinstance(kinds, str) or not isinstance(kinds, list | tuple) or not kinds:
        raise ValueError(f"chaos 'kinds' must be a non-empty list of {list(KINDS)}")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"unknown chaos kinds {bad}; known: {list(KINDS)}")
    names = raw.get("services")
    if names is not None:
        if isinstance(names, str) or not isinstance(names, list | tuple):
            raise ValueError("chaos 'services' must be a list of service names")
        missing = [n for n in names if n not in services]
        if missing:
            raise ValueError(f"chaos names unknown services {missing}; known: {sorted(services)}")
    return ChaosSettings(
        seed=seed,
        rate=float(rate),
        kinds=tuple(k for k in KINDS if k in kinds),  # the canonical order: a seed means one thing
        services=tuple(names) if names is not None else None,
        slow_seconds=_seconds(raw, "slow_seconds", 3.0),
        retry_after=_seconds(raw, "retry_after", 1.0),
    )


def fault_for(kind: str, service: Service, settings: ChaosSettings, rng: random.Random) -> Fault:
    """The fault a kind stands for at this service (``rng`` picks among its throttling shapes)."""
    label = LABEL_PREFIX + kind
    retry_after: float | int = int(settings.retry_after) if settings.retry_after.is_integer() else settings.retry_after
    if kind == "throttle_retry_after":
        return Fault(id=0, status=429, retry_after=retry_after, label=label)
    if kind == "throttle":
        return Fault(id=0, status=429, label=label)
    if kind == "service_throttle":
        shapes = service.throttling
        spec = shapes[rng.randrange(len(shapes))] if len(shapes) > 1 else shapes[0]
        return Fault(
            id=0,
            status=int(spec.get("status", 429)),
            error_type=spec.get("error_type"),
            message=spec.get("message"),
            retry_after=spec.get("retry_after"),
            headers=dict(spec.get("headers") or {}) or None,
            label=label,
        )
    if kind.startswith("http_"):
        return Fault(id=0, status=int(kind[5:]), label=label)
    if kind == "html_200":
        return Fault(id=0, status=200, body="non_json", label=label)
    if kind == "slow":
        return Fault(id=0, delay=settings.slow_seconds, label=label)
    return Fault(id=0, body=kind, label=label)  # disconnect, truncated, the JSON bodies, no_status


class Chaos:
    """The chaos in force, its generator and what it injected; thread-safe.

    ``default`` (the JSON form) is what :meth:`restore` returns to, so a reset between tests
    never leaves one test's chaos behind for the next.
    """

    def __init__(self, services: Mapping[str, Service], default: Any = None) -> None:
        self._services = dict(services)
        self._lock = threading.Lock()
        self._default = parse_chaos(default, self._services)
        self._install(self._default)

    def _install(self, settings: ChaosSettings | None) -> None:
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed if settings else 0)
            self._requests: Counter[str] = Counter()
            self._faults: dict[str, Counter[str]] = {}
            self._variants: dict[str, Counter[str]] = {}

    def set(self, raw: Any) -> dict[str, Any]:
        """Replace the chaos (``None``/``{}``: off), with a fresh generator and counts; returns :meth:`to_dict`."""
        self._install(parse_chaos(raw, self._services))
        return self.to_dict()

    def restore(self) -> dict[str, Any]:
        """Back to the constructor's chaos, from its seed's first draw."""
        self._install(self._default)
        return self.to_dict()

    @property
    def settings(self) -> ChaosSettings | None:
        with self._lock:
            return self._settings

    def draw(self, service: Service, operation: str) -> Fault | None:
        """This request's fault, or ``None`` to answer it (only reads of runs are ever drawn for)."""
        with self._lock:
            settings = self._settings
            if settings is None or operation not in service.chaos_operations:
                return None
            if settings.services is not None and service.name not in settings.services:
                return None
            self._requests[service.name] += 1
            if self._rng.random() >= settings.rate:
                return None
            kind = settings.kinds[self._rng.randrange(len(settings.kinds))]
            return fault_for(kind, service, settings, self._rng)

    def injected(self, service: str, fault: Fault) -> None:
        """Count a chaos fault that was answered (a ``no_status`` with no status to drop is not)."""
        if not (fault.label or "").startswith(LABEL_PREFIX):
            return
        kind = (fault.label or "")[len(LABEL_PREFIX) :]
        with self._lock:
            self._faults.setdefault(service, Counter())[kind] += 1
            if kind == "service_throttle":
                variant = f"{fault.status} {fault.error_type or ''}".strip()
                if fault.headers:
                    variant += " " + ",".join(sorted(fault.headers))
                self._variants.setdefault(service, Counter())[variant] += 1

    def to_dict(self) -> dict[str, Any]:
        """Settings (``None``: off), reads seen per service, and faults injected per service and kind."""
        with self._lock:
            return {
                "settings": self._settings.to_dict() if self._settings else None,
                "requests": dict(self._requests),
                "faults": {name: dict(counts) for name, counts in self._faults.items()},
                "throttling_variants": {name: dict(counts) for name, counts in self._variants.items()},
            }


def parse_cli(rate: float | None, seed: int | None) -> dict[str, Any] | None:
    """The JSON form of ``--chaos RATE [--chaos-seed N]`` (no rate: off)."""
    if rate is None:
        if seed is not None:
            raise ValueError("--chaos-seed needs --chaos RATE")
        return None
    return {"rate": rate, "seed": seed if seed is not None else 0}
