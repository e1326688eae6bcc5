"""Whether the next read of a run came no sooner than the service asked, after a throttling answer
that named a delay (``Retry-After``, Datadog's ``X-RateLimit-Reset``, ARM's ``Retry-After``).

A wait that ignores the delay still ends correctly, so outcomes alone cannot show it; the
emulator's request log can: each read's arrival time, its run, and the fault it got.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

#: Slack for clocks and scheduling: a read this much early still counts as honouring the delay.
TOLERANCE = 0.05
#: Chaos kinds whose answer names a delay, per service ("*": every service), in seconds.
HINTED = {"throttle_retry_after": "*", "service_throttle": ("datadog", "logic_apps")}


def run_of(entry: Mapping[str, Any]) -> str | None:
    """The run a read names (``None`` for a read of many, such as Glue's GetWorkflowRuns)."""
    service, operation = entry.get("service"), entry.get("operation")
    if operation not in ("GetWorkflowRun", "GetWorkflowInstance"):
        return None
    if service == "glue":
        return (entry.get("body") or {}).get("RunId")
    if service == "dataworks":
        return ((entry.get("query") or {}).get("Id") or [None])[-1]
    return str(entry.get("path", "")).rstrip("/").rsplit("/", 1)[-1] or None


def _delay(entry: Mapping[str, Any], retry_after: float) -> float | None:
    kind = str(entry.get("fault") or "").removeprefix("chaos:")
    services = HINTED.get(kind)
    if services is None or (services != "*" and entry.get("service") not in services):
        return None
    return retry_after


def check(entries: Iterable[Mapping[str, Any]], modes: Mapping[str, tuple[str, str]], retry_after: float) -> Any:
    """``{service: {mode: {"asked", "ignored", "examples"}}}`` over every read answered with a delay
    that was followed by another read of the same run; ``modes`` maps run ids to (service, mode)."""
    by_run: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        run = run_of(entry)
        if run is not None and run in modes:
            by_run[run].append(entry)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for run, reads in by_run.items():
        service, mode = modes[run]
        reads.sort(key=lambda e: e["seq"])
        for asked, following in pairwise(reads):
            delay = _delay(asked, retry_after)
            if delay is None:
                continue
            line = out.setdefault(service, {}).setdefault(mode, {"asked": 0, "ignored": 0, "examples": []})
            line["asked"] += 1
            gap = following["time"] - asked["time"]
            if gap < delay - TOLERANCE:
                line["ignored"] += 1
                if len(line["examples"]) < 3:
                    line["examples"].append(f"run {run}: {asked['fault']} asked {delay:g}s, next read after {gap:.2f}s")
    return out
