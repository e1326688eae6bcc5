"""A thread pool that never starts a thread in the caller's thread: an event loop submits to it.

``ThreadPoolExecutor`` starts its worker threads inside ``submit``, one per call while none is idle,
and ``Thread.start()`` waits until the new thread runs, which under load means waiting for the
GIL. Submitted from an event loop, a burst of polls (a poll round of a thousand waits, a restarted
triggerer) then stalls the loop once per new thread: measured 0.9 s with 128 threads. Here a
starter thread starts workers on demand (up to ``max_workers``, while none is idle), so ``submit``
only queues the call; a started worker lives as long as the pool.
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
        self._lock = threading.Lock()
        self._workers = 0  # started or being started
        self._idle = 0
        self._wanted: queue.SimpleQueue[bool] = queue.SimpleQueue()  # True: start one; False: stop
        self._names = itertools.count(1)
        self._shutdown = False
        self._starter = threading.Thread(target=self._start_workers, name=f"{thread_name_prefix}-starter", daemon=True)
        self._starter.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._work.put((future, fn, args, kwargs))
            grow = self._idle == 0 and self._workers < self._max_workers
            if grow:
                self._workers += 1
        if grow:
            self._wanted.put(True)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            workers = self._workers
        if cancel_futures:
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in range(workers):
            self._work.put(None)
        self._wanted.put(False)
        if wait:
            self._starter.join()

    @property
    def threads(self) -> int:
        """Worker threads started so far (for checks and tests)."""
        with self._lock:
            return self._workers

    def _start_workers(self) -> None:
        while self._wanted.get():
            name = f"{self._prefix}_{next(self._names)}"
            threading.Thread(target=self._run_worker, name=name, daemon=True).start()

    def _run_worker(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._work.get()
            with self._lock:
                self._idle -= 1
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
