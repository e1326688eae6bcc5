"""Child process: waits started together in a fresh process, polled against an emulator with latency.

``python benchmarks/latency_cost.py WORKDIR``. Like a triggerer that has just started, the process
imports only what a triggerer has before its first trigger (``airflow.sdk``, ``airflow.triggers.base``),
writes ``WORKDIR/ready`` and waits for ``WORKDIR/spec.json``: the driver creates the runs only
then, so their timelines start at the phase start and not before this process finished importing.

On the loop, a heartbeat (sleep 50 ms, note how late it wakes) runs from before the phase. At the
phase start the trigger class's module is imported on the loop (as the triggerer's
``import_string`` does) and every wait starts at its offset (0: all at once). Measured over the
phase: process CPU time (all threads; the loop's thread alone too), peak RSS, the loop's lateness,
and each wait's outcome. With ``count_polls``, when each of our waits' polls was sent
(``Reading.sent_at``, read by wrapping ``read_run_renewing``: instrumentation only); with ``profile_path``,
a cProfile of the loop's thread (it slows the loop: for finding where its time goes, not for the
numbers). The driver reads the emulator's side: observations, requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import importlib
import json
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# What a triggerer has imported before any trigger runs:
import airflow.sdk
import airflow.triggers.base  # noqa: F401
from benchlib import POLLS, PeakRss, count_polls, raise_fd_limit, rss_bytes, versions, write_json

SPEC_POLL_SECONDS = 0.02
CANCEL_GRACE_SECONDS = 10.0
TOP_LAGS = 5
MAX_STALL_SAMPLES = 3000
TOP_STALL_STACKS = 12

#: The current wait's list of poll send times (set in each wait's task; read by the read_run_renewing wrapper).


class Heartbeat:
    """Sleeps ``period`` seconds over and over and notes how late each wake-up is: the loop's lag.

    Each beat also notes the loop thread's own CPU time over it: a late beat with as much loop CPU
    as lateness was work on the loop; one with little was the loop waiting (for the GIL, a lock).
    """

    def __init__(self, period: float) -> None:
        self.period = period
        self.beats: list[tuple[float, float, float]] = []  # (epoch of the wake-up, seconds late, loop CPU)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            started, cpu = time.monotonic(), time.thread_time()
            await asyncio.sleep(self.period)
            late = time.monotonic() - started - self.period
            self.beats.append((time.time(), late, time.thread_time() - cpu))

    def stop(self) -> None:
        self._stop.set()

    def summary(self, phase_start: float) -> dict[str, Any]:
        lags = sorted(lag for _, lag, _ in self.beats)
        top = sorted(self.beats, key=lambda beat: beat[1], reverse=True)[:TOP_LAGS]
        return {
            "period_s": self.period,
            "beats": len(lags),
            "worst_s": lags[-1] if lags else None,
            "p99_s": lags[int(0.99 * (len(lags) - 1))] if lags else None,
            "over_100ms": sum(lag > 0.1 for lag in lags),
            "over_250ms": sum(lag > 0.25 for lag in lags),
            # The worst wake-ups: seconds after the phase start (negative: before), seconds late, loop CPU.
            "top": [[round(at - phase_start, 3), round(lag, 4), round(cpu, 4)] for at, lag, cpu in top],
        }


class StallSampler:
    """A thread that, while the heartbeat is overdue by more than ``threshold``, samples the loop
    thread's stack every 10 ms: what the loop was doing (or waiting in) when it stalled."""

    def __init__(self, heartbeat: Heartbeat, threshold: float = 0.1) -> None:
        self.heartbeat = heartbeat
        self.threshold = threshold
        self.loop_thread = threading.get_ident()
        self.stacks: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _overdue(self) -> bool:
        beats = self.heartbeat.beats
        last = beats[-1][0] if beats else time.time()
        return time.time() - last > self.heartbeat.period + self.threshold

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            if self._overdue() and sum(self.stacks.values()) < MAX_STALL_SAMPLES:
                frame = sys._current_frames().get(self.loop_thread)
                if frame is not None:
                    self.stacks[_stack(frame)] += 1

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join(timeout=1)
        return dict(self.stacks.most_common(TOP_STALL_STACKS))


def _stack(frame: Any, depth: int = 8) -> str:
    """The innermost ``depth`` frames, outermost first, as ``file:line function`` joined by ' < '."""
    parts = [f"{Path(f.f_code.co_filename).name}:{line} {f.f_code.co_name}" for f, line in traceback.walk_stack(frame)]
    return " < ".join(parts[:depth])


def load_class(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def succeeded(kind: str, payload: Mapping[str, Any]) -> bool:
    if kind == "amazon":
        return payload.get("status") == "success"
    return payload.get("status") == "terminal" and (payload.get("run") or {}).get("state") == "succeeded"


async def one_wait(trigger_class: Any, item: Mapping[str, Any], start: float, polls: list[float]) -> Any:
    """Start one wait at its moment, as a triggerer starts a trigger; its first event's payload."""
    POLLS.set(polls)
    await asyncio.sleep(max(0.0, start - time.time()))
    trigger = trigger_class(**item["kwargs"])
    async with contextlib.aclosing(trigger.run()) as events:
        async for event in events:
            return dict(event.payload)
    return None


def outcome(kind: str, task: asyncio.Task[Any]) -> tuple[str, str | None]:
    """A finished or cancelled wait's outcome, and an error text worth reporting."""
    if not task.done() or task.cancelled():
        return "still running at the timeout (cancelled)", None
    if task.exception() is not None:
        return "raised", repr(task.exception())[:300]
    payload = task.result()
    if payload is not None and succeeded(kind, payload):
        return "succeeded", None
    status = (payload or {}).get("status")
    return f"event {status}", json.dumps(payload, default=str)[:300]


async def run_waits(spec: Mapping[str, Any]) -> dict[str, Any]:
    """At the phase start: import the trigger class, start every wait, measure until all ended."""
    phase_start = spec["phase_start"]
    await asyncio.sleep(max(0.0, phase_start - time.time()))
    late_start = time.time() - phase_start
    rss0 = rss_bytes()
    with PeakRss() as peak:
        cpu0, loop_cpu0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        trigger_class = load_class(spec["trigger_class"])
        trigger_import_s = time.perf_counter() - wall0
        if spec.get("count_polls"):
            count_polls()
        items: Sequence[Mapping[str, Any]] = spec["waits"]
        polls: list[list[float]] = [[] for _ in items]
        tasks = [
            asyncio.create_task(one_wait(trigger_class, item, phase_start + item["offset"], polls[i]))
            for i, item in enumerate(items)
        ]
        _, pending = await asyncio.wait(tasks, timeout=max(1.0, phase_start + spec["timeout"] - time.time()))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=CANCEL_GRACE_SECONDS)
        cpu1, loop_cpu1 = time.process_time(), time.thread_time()
        wall1, epoch1 = time.perf_counter(), time.time()
    return {
        "late_start_s": late_start,
        "phase_start_epoch": phase_start,
        "phase_end_epoch": epoch1,
        "wall_s": wall1 - wall0,
        "cpu_s": cpu1 - cpu0,
        "loop_cpu_s": loop_cpu1 - loop_cpu0,  # the event loop's thread alone
        "trigger_import_s": trigger_import_s,
        "rss_before_bytes": rss0,
        "rss_peak_bytes": peak.peak,
        "rss_peak_method": peak.method,
        "threads_after": threading.active_count(),
        "labels": label_outcomes(spec, tasks, polls),
    }


def label_outcomes(spec: Mapping[str, Any], tasks: Sequence[asyncio.Task[Any]], polls: list[list[float]]) -> dict:
    """Outcomes (and, when counted, poll send times) per label of the spec's waits."""
    labels: dict[str, dict[str, Any]] = {}
    for item, task, sent in zip(spec["waits"], tasks, polls, strict=True):
        entry = labels.setdefault(item["label"], {"waits": 0, "outcomes": Counter(), "errors": [], "polls": []})
        entry["waits"] += 1
        result, error = outcome(spec["kind"], task)
        entry["outcomes"][result] += 1
        if error and len(entry["errors"]) < 5:
            entry["errors"].append(error)
        if spec.get("count_polls"):
            entry["polls"].append(sent)
    for entry in labels.values():
        entry["outcomes"] = dict(entry["outcomes"])
    return labels


@contextlib.contextmanager
def loop_profile(path: str | None) -> Iterator[None]:
    """cProfile of the event loop's thread (cProfile follows the thread it is enabled in), to ``path``."""
    if not path:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


async def measure(spec: Mapping[str, Any]) -> dict[str, Any]:
    heartbeat = Heartbeat(spec["heartbeat_s"])
    sampler = StallSampler(heartbeat)
    beat = asyncio.create_task(heartbeat.run())
    await asyncio.sleep(0)  # the heartbeat is running before the first wait starts
    sampler.start()
    with loop_profile(spec.get("profile_path")):
        result = await run_waits(spec)
    heartbeat.stop()
    await beat
    stalls = sampler.stop()
    return {**result, "loop_lag": {**heartbeat.summary(spec["phase_start"]), "stall_stacks": stalls}}


def wait_for_spec(workdir: Path) -> dict[str, Any]:
    """Say we are ready, then read the spec the driver writes once it has created the runs."""
    (workdir / "ready").write_text(str(time.time()))
    spec_path = workdir / "spec.json"
    while not spec_path.exists():
        time.sleep(SPEC_POLL_SECONDS)
    return json.loads(spec_path.read_text())


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: latency_cost.py WORKDIR")
    workdir = Path(sys.argv[1])
    raise_fd_limit()
    out: dict[str, Any] = {
        "cpu_before_phase_s": time.process_time(),  # mostly importing Airflow
        "rss_after_import_bytes": rss_bytes(),
        "versions": versions("aiobotocore", "boto3", "botocore", "aiohttp", "apache-airflow-providers-amazon"),
    }
    spec = wait_for_spec(workdir)
    out["spec_received_epoch"] = time.time()
    out.update(asyncio.run(measure(spec)))
    write_json(workdir / "result.json", out)


if __name__ == "__main__":
    main()
