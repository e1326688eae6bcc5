"""e2e diagnostics for the trigger runner: what held its event loop whenever the loop fell behind.

``make e2e`` puts this directory on the triggerers' ``PYTHONPATH`` (and on no other process's) with
``E2E_LOOPWATCH_DIR`` set; Python imports it at start-up. An asyncio loop run on a process's main
thread (the trigger runner's; not the supervisor's in-process API loop, which runs in a thread) gets
a tick every 50 ms that notes how late it ran, as Airflow's own watchdog does, and a watcher thread
that, while a tick is over 0.05 s overdue, samples every 20 ms the loop thread's stack and the
frames of each other thread that is running Python. Garbage collections of 50 ms or more are
recorded with the stack that set them off (a collection holds the GIL: every thread stops). Ticks
0.1 s late or more, with their samples, and those collections go as JSON lines to
``$E2E_LOOPWATCH_DIR/loopwatch-<process>-<pid>.log``; the logs check reads them to say whose code
held the loop.

Everything here runs in Python, holding the GIL (faulthandler's watchdog, which reads other threads'
frames without it, crashed a triggerer resumed after SIGSTOP). A stall in C code that holds the GIL
therefore shows as a late tick without samples.
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

TICK = 0.05
FIRST_SAMPLE_AFTER = 0.05  # overdue by this much: sample
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
        self.due = time.monotonic() + TICK
        self.samples: collections.Counter[tuple[str, ...]] = collections.Counter()
        self.others: collections.Counter[str] = collections.Counter()
        self.late: list[tuple[float, float]] = []  # (epoch end, seconds late) of late ticks, for the watcher

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        loop_thread = threading.get_ident()
        self.write({"kind": "start", "loop_thread": loop_thread, "pid": self.pid})
        gc.callbacks.append(self.on_gc)
        self.due = time.monotonic() + TICK
        loop.call_later(TICK, self.tick, loop)
        threading.Thread(target=self.watch, args=(loop, loop_thread), name="e2e-loopwatch", daemon=True).start()

    def tick(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop: note how late this tick ran, schedule the next."""
        now = time.monotonic()
        late = now - self.due
        if late >= RECORD_LAG:
            with self.lock:
                self.late.append((time.time(), late))
        self.due = now + TICK
        if not loop.is_closed():
            loop.call_later(TICK, self.tick, loop)

    def watch(self, loop: asyncio.AbstractEventLoop, loop_thread: int) -> None:
        """In a thread: sample while a tick is overdue; write each late tick with its samples."""
        me = threading.get_ident()
        while not loop.is_closed():
            time.sleep(SAMPLE_EVERY)
            if time.monotonic() - self.due > FIRST_SAMPLE_AFTER:
                for ident, frame in sys._current_frames().items():
                    if ident == loop_thread:
                        self.samples[tuple(_frames(frame))] += 1
                    elif ident != me and frame.f_code.co_name not in WAITING:
                        self.others[" <- ".join(_frames(frame, limit=20))] += 1
            with self.lock:
                late, self.late = self.late, []
            for end, seconds in late:
                self.write(
                    {
                        "kind": "stall",
                        "end": end,
                        "lag": round(seconds, 3),
                        "samples": sum(self.samples.values()),
                        "loop_stacks": [{"count": n, "frames": list(s)} for s, n in self.samples.most_common(4)],
                        "others": self.others.most_common(6),
                    }
                )
            if late or time.monotonic() - self.due <= FIRST_SAMPLE_AFTER:
                self.samples.clear()
                self.others.clear()

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
