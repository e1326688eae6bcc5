"""Whose code held a triggerer's event loop: Airflow's "async thread was blocked" warnings, attributed.

Each warning is matched (by time) with what ``e2e/loopwatch/sitecustomize.py`` recorded in that
trigger runner: samples of the loop thread's stack (and of the other threads running Python) while
the loop was late, and the garbage collections of 50 ms or more with the stack that set them off.
The stall is ours when the loop thread was in ``airflow_workflow_runs``; when a collection, which
stops every thread, was set off by our code (a hook importing its SDK, say); or when the loop sat
idle in ``select()`` while a thread of ours was running. Otherwise it is Airflow's own work, or a
starved process: no sample at all means the GIL was held in C or the process got no CPU.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

OURS = "airflow_workflow_runs/"
WARNING = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT[\d:.]+)Z? .*async thread was blocked for (?P<secs>[\d.]+) seconds")


@dataclass
class Watch:
    stalls: list[dict[str, Any]] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=list)


def read_watch(path: Path) -> Watch:
    watch = Watch()
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        if record.get("kind") == "stall":
            watch.stalls.append(record)
        elif record.get("kind") == "gc":
            watch.collections.append(record)
    return watch


@dataclass
class Verdict:
    ours: bool
    why: str


def warnings_in(log: Path) -> list[tuple[int, float, float]]:
    """(line number, epoch seconds, blocked seconds) of each "async thread was blocked" warning."""
    found = []
    for number, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
        if match := WARNING.match(line):
            when = datetime.fromisoformat(match["ts"] + "+00:00").timestamp()
            found.append((number, when, float(match["secs"])))
    return found


def attribute(watches: list[Watch], when: float, blocked: float) -> Verdict:
    """Why the loop was blocked for ``blocked`` seconds until about ``when`` (epoch seconds)."""
    collections = [c for w in watches for c in w.collections if when - blocked - 0.5 <= c["end"] <= when + 0.5]
    if collections:
        gc = max(collections, key=lambda c: c["seconds"])
        what = f"a generation-{gc['generation']} garbage collection of {gc['seconds']:.2f} s stopped every thread"
        if _ours(gc["stack"]):
            return Verdict(True, f"{what}; our code set it off: {_ours(gc['stack'])[0]} -> {gc['stack'][0]}")
        return Verdict(False, f"{what}; set off by {_first_outside_stdlib(gc['stack'])}")
    stalls = [s for w in watches for s in w.stalls if abs(s["end"] - when) <= 1.0]
    if not stalls:
        return Verdict(False, "nothing recorded for it (unattributed)")
    stall = min(stalls, key=lambda s: abs(s["end"] - when))
    if not stall["samples"]:
        return Verdict(False, "no sample could be taken: the GIL was held in C code, or the process got no CPU")
    loop = max(stall["loop_stacks"], key=lambda s: s["count"])["frames"]
    if _ours(loop):
        return Verdict(True, f"the event loop was running our code: {_ours(loop)[0]}")
    if loop and "selectors.py" in loop[0]:
        for stack, _count in stall["others"]:
            if OURS in stack:
                return Verdict(True, f"the loop waited for the GIL while our thread ran: {stack[:300]}")
        return Verdict(False, "the loop was idle in select() and no thread of ours was running: CPU starvation")
    return Verdict(False, f"Airflow's own work: {_first_outside_stdlib(loop)}")


def _ours(stack: list[str]) -> list[str]:
    return [frame for frame in stack if OURS in frame]


def _first_outside_stdlib(stack: list[str]) -> str:
    for frame in stack:
        if "site-packages" in frame:
            return frame
    return stack[0] if stack else "stack not captured"
