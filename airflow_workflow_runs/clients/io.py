"""The thread pool that runs blocking SDK work for async callers: ours, sized for I/O, never the loop's.

boto3, datadog-api-client's and DataWorks' synchronous clients block on the network. A triggerer
runs every wait in one event loop, so their calls (and every SDK import, client and credential
construction) go to threads. ``asyncio.to_thread`` would use the loop's default executor:
``min(32, cores + 4)`` threads (6 on 2 cores) for the whole process, shared with Airflow's own
``sync_to_async`` work, so 0.3 s answers would cap a triggerer at 20 polls a second. This pool has
its own threads, created on demand up to :func:`io_threads` (``[workflow_runs] io_threads``); a
thread waiting on the network holds no CPU, so the size bounds concurrency, not cost. Clients size
their HTTP connection pools to the same number, so every thread has a kept-alive connection.

Nothing here imports Airflow; the hook layer sets the size from Airflow's configuration.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from airflow_workflow_runs.clients.thread_pool import IOThreadPool

P = ParamSpec("P")
T = TypeVar("T")

#: Threads by default, measured (benchmarks/, 1,000 waits, 0.3 s answers, 10 s interval, 2 cores):
#: 100 polls a second need 30 in flight; 64 make ~210 a second, while a 2-core triggerer parses
#: ~350 under the GIL at most. More threads add no throughput there, only GIL hand-offs that delay
#: the event loop in a burst (worst loop lag 0.31 s at 128 threads, 0.19 s at 64; 32 lost polls).
DEFAULT_IO_THREADS = 64
THREAD_NAME_PREFIX = "workflow-runs-io"

_lock = threading.Lock()
_size_source: Callable[[], int] | None = None
_executor: IOThreadPool | None = None


def set_io_threads_source(source: Callable[[], int] | None) -> None:
    """Where the pool's size comes from (the hook layer reads Airflow's configuration), asked
    when the pool is created; ``None``: :data:`DEFAULT_IO_THREADS`."""
    global _size_source
    _size_source = source


def io_threads() -> int:
    """The pool's size, and the size of the clients' connection pools."""
    threads = DEFAULT_IO_THREADS if _size_source is None else _size_source()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"[workflow_runs] io_threads must be a whole number >= 1, got {threads!r}")
    return threads


def io_executor() -> IOThreadPool:
    """The process-wide pool (threads start when work arrives, up to :func:`io_threads`, started by
    a thread of its own: submitting never starts a thread on the event loop)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = IOThreadPool(max_workers=io_threads(), thread_name_prefix=THREAD_NAME_PREFIX)
        return _executor


async def run_blocking(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call in the I/O pool; like ``asyncio.to_thread`` (context variables included,
    so log records keep the trigger's context), but never in the loop's default executor."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await loop.run_in_executor(io_executor(), call)


def in_io_thread() -> bool:
    """Whether the caller runs in one of the pool's threads (for checks and tests)."""
    return threading.current_thread().name.startswith(THREAD_NAME_PREFIX)


def shutdown_io_executor() -> None:
    """Stop the pool's threads (tests; a triggerer keeps its pool for its life)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


def _reset_after_fork() -> None:
    # A forked child (Celery's prefork, Airflow's supervisor) must not reuse the parent's threads.
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)
