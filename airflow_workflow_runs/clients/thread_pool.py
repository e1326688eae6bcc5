"""A thread pool that never starts a thread in the caller's thread: an event loop submits to it.

``ThreadPoolExecutor`` starts its worker threads inside ``submit``, one per call while none is idle,
and ``Thread.start()`` waits until the new thread runs, which under load means waiting for the
GIL. Submitted from an event loop, a burst of polls (a poll round of a thousand waits, a restarted
triggerer) then stalls the loop once per new thread: measured 0.9 s with 128 threads. Here a
starter thread starts workers on demand (up to ``max_workers``, while none is idle), and
``submit`` takes no lock a worker could hold: it only queues the call, so a hundred busy workers
never make the loop wait for one of them to be scheduled. A started worker lives as long as the pool.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class IOThreadPool(Executor):
    """Runs calls in threads started off the caller's thread, on demand, up to ``max_workers``."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._work: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        #: One token per idle worker (SimpleQueue's size is exact and needs no lock of ours).
        self._idle: queue.SimpleQueue[None] = queue.SimpleQueue()
        #: Asks the starter for a worker (True) or to stop (False).
        self._wanted: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._workers = 0  # written by the starter thread only
        self._shutdown = False
        self._starter = threading.Thread(target=self._start_workers, name=f"{thread_name_prefix}-starter", daemon=True)
        self._starter.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new calls after shutdown")
        future: Future[Any] = Future()
        self._work.put((future, fn, args, kwargs))
        if self._workers < self._max_workers and self._work.qsize() > self._idle.qsize():
            self._wanted.put(True)  # more calls wait than workers are idle
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True
        if cancel_futures:
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        self._wanted.put(False)  # the starter stops every worker it started, then itself
        if wait:
            self._starter.join()

    @property
    def threads(self) -> int:
        """Worker threads started so far (for checks and tests)."""
        return self._workers

    def _start_workers(self) -> None:
        names = itertools.count(1)
        while self._wanted.get():
            # Several submits may ask while one worker starts: start one only while work waits.
            if self._workers >= self._max_workers or self._work.qsize() <= self._idle.qsize():
                continue
            self._workers += 1
            threading.Thread(target=self._run_worker, name=f"{self._prefix}_{next(names)}", daemon=True).start()
        for _ in range(self._workers):
            self._work.put(None)

    def _run_worker(self) -> None:
        while True:
            self._idle.put(None)
            item = self._work.get()
            self._idle.get_nowait()
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)
            del future, fn, args, kwargs, item  # drop references before waiting for more work
