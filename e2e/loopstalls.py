"""Whose code held a triggerer's event loop: Airflow's "async thread was blocked" warnings, attributed.

Each warning is matched (by time) with what ``e2e/loopwatch/sitecustomize.py`` recorded in that
triggerer: the stack of every thread while the loop was stalled, and the garbage collections that
took 50 ms or more. The stall is ours when the loop thread was in ``airflow_workflow_runs``; when a
collection, which stops every thread, ran in a thread that was in our code (a hook loading its SDK,
say); or when the loop waited while a thread of ours was running (a C call such as unmarshalling a
module or parsing a large JSON file holds the GIL). Otherwise it is Airflow's own work, or a starved
process (no stack: not even faulthandler's thread ran; or the loop idle with no thread of ours busy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

OURS = "airflow_workflow_runs/"
FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')
THREAD = re.compile(r"^(?:Current thread|Thread) (?P<id>0x[0-9a-f]+)")
WAITING = frozenset(  # functions a blocked thread sits in (innermost Python frame): queues, locks, I/O, pools
    {
        "wait",
        "get",
        "select",
        "poll",
        "sleep",
        "acquire",
        "_wait_for_tstate_lock",
        "_worker",
        "accept",
        "recv",
        "recv_into",
        "read",
        "readinto",
        "_run_worker",
        "_start_workers",
        "__enter__",
        "run_forever",
        "serve_forever",
    }
)
WARNING = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT[\d:.]+)Z? .*async thread was blocked for (?P<secs>[\d.]+) seconds")


@dataclass
class Stall:
    end: float
    lag: float
    threads: dict[str, list[str]]  # thread id -> frames, innermost first ("file:line func")


@dataclass
class Collection:
    end: float
    seconds: float
    generation: str
    thread: str


@dataclass
class Watch:
    loop_thread: str = ""
    stalls: list[Stall] = field(default_factory=list)
    collections: list[Collection] = field(default_factory=list)


def read_watch(path: Path) -> Watch:
    watch = Watch()
    dump: dict[str, list[str]] | None = None
    current: list[str] | None = None
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("E2E-LOOP-THREAD "):
            watch.loop_thread = line.split()[1]
        elif line.startswith("Timeout ("):
            dump, current = {}, None
        elif (thread := THREAD.match(line)) and dump is not None:
            current = dump.setdefault(thread["id"], [])
        elif (match := FRAME.match(line)) and current is not None:
            current.append(f"{match['file']}:{match['line']} {match['func']}")
        elif line.startswith("E2E-LOOP-RESUMED "):
            fields = dict(kv.split("=", 1) for kv in line.split()[1:])
            watch.stalls.append(Stall(float(fields["end"]), float(fields["lag"]), dump or {}))
            dump, current = None, None
        elif line.startswith("E2E-GC "):
            fields = dict(kv.split("=", 1) for kv in line.split()[1:])
            gc = Collection(float(fields["end"]), float(fields["seconds"]), fields["generation"], fields["thread"])
            watch.collections.append(gc)
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
    stalls = [(abs(s.end - when), s, w) for w in watches for s in w.stalls if abs(s.end - when) <= 1.0]
    collections = [
        (c, w)
        for w in watches
        for c in w.collections
        if when - blocked - 0.5 <= c.end <= when + 0.5 and c.seconds >= 0.05
    ]
    if not stalls and not collections:
        return Verdict(False, "no stack was captured for it (unattributed)")
    stall, watch = (min(stalls, key=lambda x: x[0])[1:]) if stalls else (None, collections[0][1])
    threads = stall.threads if stall else {}
    loop = threads.get(watch.loop_thread, [])
    if _ours(loop):
        return Verdict(True, f"the event loop was running our code: {_ours(loop)[0]}")
    if collections:
        gc, _ = max(collections, key=lambda x: x[0].seconds)
        stack = threads.get(gc.thread, [])
        what = (
            f"a generation-{gc.generation} garbage collection of {gc.seconds:.2f} s stopped every thread; "
            f"it ran in thread {gc.thread}"
        )
        if _ours(stack):
            return Verdict(True, f"{what}, in our code: {_ours(stack)[0]} -> {stack[0]}")
        return Verdict(False, f"{what} ({stack[0] if stack else 'stack not captured'})")
    if not threads:
        return Verdict(False, "no stack: not even faulthandler's thread ran during it, the process was starved of CPU")
    busy = [(i, st) for i, st in threads.items() if i != watch.loop_thread and st and not _waiting(st[0])]
    for ident, stack in busy:
        if _ours(stack):
            return Verdict(
                True, f"the loop waited for the GIL while our thread {ident} ran {stack[0]} (from {_ours(stack)[0]})"
            )
    if loop and "selectors.py" in loop[0]:
        return Verdict(False, "the loop was idle in select() and no thread of ours was running: CPU starvation")
    return Verdict(False, f"Airflow's own work: {_first_outside_stdlib(loop)}")


def _waiting(frame: str) -> bool:
    """Whether a thread whose innermost Python frame is ``frame`` is blocked (in C, GIL released)."""
    return frame.rsplit(" ", 1)[-1] in WAITING


def _ours(stack: list[str]) -> list[str]:
    return [frame for frame in stack if OURS in frame]


def _first_outside_stdlib(stack: list[str]) -> str:
    for frame in stack:
        if "site-packages" in frame:
            return frame
    return stack[0] if stack else "stack not captured"
