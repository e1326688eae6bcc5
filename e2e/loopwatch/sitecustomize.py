"""e2e diagnostics for the trigger runner: what held its event loop whenever the loop fell behind.

``make e2e`` puts this directory on the triggerers' ``PYTHONPATH`` (and on no other process's) with
``E2E_LOOPWATCH_DIR`` set; Python imports it at start-up. An asyncio loop run on a process's main
thread (the trigger runner's; not the supervisor's in-process API loop, which runs in a thread) gets
a watcher thread: it schedules a no-op on the loop every 50 ms and, while the no-op has not run after
0.1 s, samples every 20 ms the loop thread's stack and the innermost frame of each other thread
that is running Python. Garbage collections of 50 ms or more are recorded with the stack of the
thread that ran them (a collection holds the GIL: every thread stops). Lags of 0.1 s or more and
those collections go as JSON lines to ``$E2E_LOOPWATCH_DIR/loopwatch-<process>-<pid>.log``; the logs
check reads them to say whose code held the loop.

Everything here runs in Python, holding the GIL (faulthandler's watchdog, which reads other threads'
frames without it, crashed a triggerer resumed after SIGSTOP). A stall in C code that holds the GIL
therefore shows as a lag without samples.
"""

from __future__ import annotations

import asyncio.base_events
import collections
import gc
import json
import os
import sys
import threading
import time
import traceback
from typing import Any

PROBE_EVERY = 0.05
FIRST_SAMPLE_AFTER = 0.1
SAMPLE_EVERY = 0.02
RECORD_LAG = 0.1
GC_WORTH_NOTING = 0.05
#: Innermost Python frames of a thread that is blocked in C with the GIL released.
WAITING = frozenset(
    {"wait", "get", "select", "poll", "sleep", "acquire", "_wait_for_tstate_lock", "_worker", "accept", "recv",
     "recv_into", "read", "readinto", "_run_worker", "_start_workers", "run_forever", "serve_forever", "_watch"}
)  # fmt: skip


def _frames(frame: Any, limit: int = 40) -> list[str]:
    """Innermost first, without the import system's own frames (an SDK import is dozens deep)."""
    summary = traceback.StackSummary.extract(traceback.walk_stack(frame), limit=200, lookup_lines=False)
    frames = [f"{f.filename}:{f.lineno} {f.name}" for f in summary if not f.filename.startswith("<frozen")]
    return frames[:limit]


class _Watch:
    def __init__(self, directory: str) -> None:
        name = os.environ.get("E2E_PROCESS_NAME", "process")
        self.pid = os.getpid()
        self.path = os.path.join(directory, f"loopwatch-{name}-{self.pid}.log")
        self.lock = threading.RLock()  # a collection can start inside write(), and its callback writes
        self.gc_began = 0.0

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        loop_thread = threading.get_ident()
        self.write({"kind": "start", "loop_thread": loop_thread, "pid": self.pid})
        gc.callbacks.append(self.on_gc)
        threading.Thread(target=self.watch, args=(loop, loop_thread), name="e2e-loopwatch", daemon=True).start()

    def watch(self, loop: asyncio.AbstractEventLoop, loop_thread: int) -> None:
        me = threading.get_ident()
        while not loop.is_closed():
            ran = threading.Event()
            sent = time.monotonic()
            try:
                loop.call_soon_threadsafe(ran.set)
            except RuntimeError:  # closed meanwhile
                return
            stacks: collections.Counter[tuple[str, ...]] = collections.Counter()
            others: collections.Counter[str] = collections.Counter()
            if not ran.wait(FIRST_SAMPLE_AFTER):
                while not ran.wait(SAMPLE_EVERY) and not loop.is_closed():
                    for ident, frame in sys._current_frames().items():
                        if ident == loop_thread:
                            stacks[tuple(_frames(frame))] += 1
                        elif ident != me and frame.f_code.co_name not in WAITING:
                            others[" <- ".join(_frames(frame, limit=20))] += 1
            lag = time.monotonic() - sent
            if lag >= RECORD_LAG:
                self.write(
                    {
                        "kind": "stall",
                        "end": time.time(),
                        "lag": round(lag, 3),
                        "samples": sum(stacks.values()),
                        "loop_stacks": [{"count": n, "frames": list(s)} for s, n in stacks.most_common(4)],
                        "others": others.most_common(6),
                    }
                )
            time.sleep(PROBE_EVERY)

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.gc_began = time.monotonic()
            return
        took = time.monotonic() - self.gc_began
        if took >= GC_WORTH_NOTING:
            try:
                stack = _frames(sys._getframe(1))
            except ValueError:  # set off by C code with no Python frame above
                stack = []
            self.write(
                {
                    "kind": "gc",
                    "end": time.time(),
                    "seconds": round(took, 3),
                    "generation": info.get("generation"),
                    "thread": threading.get_ident(),
                    "stack": stack,
                }
            )


def _install(directory: str) -> None:
    original = asyncio.base_events.BaseEventLoop.run_forever
    watching: list[_Watch] = []

    def run_forever(self: asyncio.base_events.BaseEventLoop) -> None:
        main = threading.current_thread() is threading.main_thread()
        if main and (not watching or watching[0].pid != os.getpid()):
            watching[:] = [_Watch(directory)]
            watching[0].start(self)
        original(self)

    asyncio.base_events.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]


if os.environ.get("E2E_LOOPWATCH_DIR"):
    _install(os.environ["E2E_LOOPWATCH_DIR"])
