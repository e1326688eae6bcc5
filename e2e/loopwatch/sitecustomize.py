"""e2e diagnostics for triggerer processes: what held the event loop whenever it fell behind.

``make e2e`` puts this directory on the triggerers' ``PYTHONPATH`` (and on no other process's) with
``E2E_LOOPWATCH_DIR`` set; Python imports it at start-up. The first asyncio event loop a process
runs then re-arms :func:`faulthandler.dump_traceback_later` every 25 ms from a callback on the loop.
If the loop does not get to that callback for 0.1 s (Airflow warns "async thread was blocked" when
its 0.1 s sleep takes over 0.2 s), faulthandler's own C thread writes every thread's stack, without
needing the GIL, so a stall in C code that holds it is caught as well as a slow Python callback.
When the loop runs again it appends ``E2E-LOOP-RESUMED``; garbage collections of 50 ms or more are
appended as ``E2E-GC``. All of it goes to ``$E2E_LOOPWATCH_DIR/loopwatch-<process>-<pid>.log``,
which the logs check reads to say whose code held the loop.
"""

from __future__ import annotations

import asyncio.base_events
import faulthandler
import gc
import os
import threading
import time
from typing import Any

TICK = 0.025
DUMP_AFTER = 0.1
GC_WORTH_NOTING = 0.05


class _Watch:
    def __init__(self, directory: str) -> None:
        name = os.environ.get("E2E_PROCESS_NAME", "process")
        self.path = os.path.join(directory, f"loopwatch-{name}-{os.getpid()}.log")
        self.file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - faulthandler writes to its fd until exit
        self.pid = os.getpid()
        self.last_tick = time.monotonic()
        self.gc_began = 0.0

    def write(self, line: str) -> None:
        os.write(self.file.fileno(), (line + "\n").encode())

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.write(f"E2E-LOOP-THREAD 0x{threading.get_ident():016x} pid={os.getpid()}")
        gc.callbacks.append(self.on_gc)
        loop.call_soon(self.tick, loop)

    def tick(self, loop: asyncio.AbstractEventLoop) -> None:
        now = time.monotonic()
        lag = now - self.last_tick - TICK
        if lag >= DUMP_AFTER - TICK:
            self.write(f"E2E-LOOP-RESUMED end={time.time():.3f} lag={lag:.3f}")
        self.last_tick = now
        faulthandler.dump_traceback_later(DUMP_AFTER, repeat=False, file=self.file)
        if not loop.is_closed():
            loop.call_later(TICK, self.tick, loop)

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.gc_began = time.monotonic()
            return
        took = time.monotonic() - self.gc_began
        if took >= GC_WORTH_NOTING:
            self.write(
                f"E2E-GC end={time.time():.3f} seconds={took:.3f} generation={info.get('generation')} "
                f"collected={info.get('collected')} thread=0x{threading.get_ident():016x}"
            )


def _install(directory: str) -> None:
    original = asyncio.base_events.BaseEventLoop.run_forever
    watching: list[_Watch] = []

    def run_forever(self: asyncio.base_events.BaseEventLoop) -> None:
        if not watching or watching[0].pid != os.getpid():  # one faulthandler timer per process: first loop
            watching[:] = [_Watch(directory)]
            watching[0].start(self)
        try:
            original(self)
        finally:
            faulthandler.cancel_dump_traceback_later()

    asyncio.base_events.BaseEventLoop.run_forever = run_forever  # type: ignore[method-assign]


if os.environ.get("E2E_LOOPWATCH_DIR"):
    _install(os.environ["E2E_LOOPWATCH_DIR"])
