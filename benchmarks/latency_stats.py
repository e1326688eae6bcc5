"""The latency phase's statistics: what the emulator saw (poll adherence, intervals between polls,
requests), each side's summary and its ratios to amazon's, the shared checks' poll rounds, and the
targets the report shows next to the numbers (listed as met or not, never asserted).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from benchlib import MiB, ratio
from latency_driver import AMAZON, ChildRun

#: Targets the report shows next to the numbers (the conditions they are stated for, where any).
TARGET_ADHERENCE = 0.95
TARGET_CPU_RATIO = 1 / 3
TARGET_LOOP_LAG = 0.25
TARGET_SHARED_RPP = 1.1  # "about 1" request per poll round
TARGET_CONDITIONS = {"waits": 1000, "latency": 0.3, "interval": 10.0}

#: Operations that are not reads of a run: asked once per credential (and again when a token expires).
ONE_OFF_OPERATIONS = frozenset({"logic_apps.GetToken"})


# --- what the emulator saw ---------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of unsorted values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def until_terminal(observed: Sequence[float], terminal_at: float) -> list[float]:
    """Observations up to and including the first one at or after the run turned terminal."""
    for i, moment in enumerate(observed):
        if moment >= terminal_at:
            return list(observed[: i + 1])
    return list(observed)


def observed_at(emu: Any, namespace: str, workflows: Sequence[str] | None = None) -> list[list[float]]:
    """Each run's observation times (runs of these workflows, or every run of the namespace)."""
    with emu.store.lock:
        runs = emu.store.runs(namespace)
        return [list(r.observed_at) for r in runs if workflows is None or r.workflow in workflows]


def poll_stats(observed: Sequence[Sequence[float]], terminal_at: float, expected: int, first_due: float) -> dict:
    """Adherence to a perfect poller's schedule, per-run poll counts, intervals between polls."""
    polls = [until_terminal(obs, terminal_at) for obs in observed]
    counts = [len(p) for p in polls]
    intervals = [b - a for p in polls for a, b in itertools.pairwise(p)]
    first = [p[0] - first_due for p in polls if p]
    return {
        "expected_per_run": expected,
        "observations": sum(len(obs) for obs in observed),
        "observations_until_terminal": sum(counts),
        "observations_after_terminal": sum(len(obs) for obs in observed) - sum(counts),
        "runs_never_seen_terminal": sum(1 for p in polls if not p or p[-1] < terminal_at),
        "adherence": sum(counts) / (expected * len(polls)) if polls else None,
        "per_run": {"min": min(counts, default=None), "p50": percentile(counts, 50), "max": max(counts, default=None)},
        "per_run_counts": dict(Counter(counts)),
        "interval_p50_s": percentile(intervals, 50),
        "interval_p99_s": percentile(intervals, 99),
        "interval_max_s": max(intervals, default=None),
        # When the first observation came after its scheduled send (includes the emulator's latency).
        "first_poll_after_schedule_p50_s": percentile(first, 50),
        "first_poll_after_schedule_max_s": max(first, default=None),
    }


def request_stats(emu: Any, start: float, end: float, predicate: Callable[[Mapping], bool] | None = None) -> dict:
    entries = [e for e in emu.requests() if start <= e["time"] <= end and (predicate is None or predicate(e))]
    return {
        "requests": len(entries),
        "requests_by_operation": dict(Counter(f"{e['service']}.{e['operation']}" for e in entries)),
        "request_statuses": dict(Counter(str(e["status"]) for e in entries)),
        "tls_connections": len({(e["scheme"], e["connection"]) for e in entries}),
    }


def one_off(requests: Mapping[str, Any]) -> int:
    """Requests made once per process or connection, not per poll (an OAuth token)."""
    return sum(n for op, n in requests["requests_by_operation"].items() if op in ONE_OFF_OPERATIONS)


def side_summary(child: ChildRun, polls: dict, requests: dict, waits: int) -> dict[str, Any]:
    result = child.result
    label = next(iter(result["labels"].values()))
    observations = polls["observations"]
    return {
        "waits": waits,
        "polls": polls,
        **requests,
        "requests_per_poll": requests["requests"] / observations if observations else None,
        "one_off_requests": one_off(requests),
        "run_reads_per_poll": (requests["requests"] - one_off(requests)) / observations if observations else None,
        "cpu_s": result["cpu_s"],
        "cpu_per_poll_ms": 1000 * result["cpu_s"] / observations if observations else None,
        "loop_cpu_per_poll_ms": 1000 * result["loop_cpu_s"] / observations if observations else None,
        "peak_rss_growth_per_wait_mib": (result["rss_peak_bytes"] - result["rss_before_bytes"]) / MiB / waits,
        "rss_before_mib": result["rss_before_bytes"] / MiB,
        "rss_peak_method": result["rss_peak_method"],
        "loop_lag": result["loop_lag"],
        "succeeded": label["outcomes"].get("succeeded", 0),
        "outcomes": label["outcomes"],
        "errors": label["errors"],
        "wall_s": result["wall_s"],
        "late_start_s": result["late_start_s"],
        "trigger_import_s": result["trigger_import_s"],
        "threads_after": result["threads_after"],
        "emulator_cpu_s": child.emulator_cpu_s,
        "load_average_1m": list(child.load),
        "emulator_cpu_per_request_ms": 1000 * child.emulator_cpu_s / max(requests["requests"], 1),
        "versions": result["versions"],
    }


def latency_ratios(sides: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    amazon = sides.get(AMAZON, {})
    if "cpu_per_poll_ms" not in amazon:
        return {}
    return {
        name: {
            "cpu_per_poll_ms": ratio(side["cpu_per_poll_ms"], amazon["cpu_per_poll_ms"]),
            "peak_rss_growth_per_wait_mib": ratio(
                side["peak_rss_growth_per_wait_mib"], amazon["peak_rss_growth_per_wait_mib"]
            ),
        }
        for name, side in sides.items()
        if name != AMAZON and "cpu_per_poll_ms" in side
    }


def per_round_after(polls: Sequence[Sequence[float]], cut: float) -> float | None:
    """Requests per poll round from ``cut`` on: the distinct send times of the polls sent since
    (a shared read gives all its waits one send time) / those polls per wait."""
    later = [[t for t in p if t >= cut] for p in polls]
    rounds = statistics.fmean(len(p) for p in later) if later else 0.0
    return len({t for p in later for t in p}) / rounds if rounds else None


def by_interval(times: Sequence[float], start: float, interval: float) -> list[int]:
    """How many of ``times`` fall in each poll interval after ``start`` ([k·I, (k+1)·I))."""
    counts = Counter(int((t - start) // interval) for t in times if t >= start)
    return [counts.get(k, 0) for k in range(max(counts, default=-1) + 1)]


# --- targets -----------------------------------------------------------------------------------


def at_target_conditions(report: Mapping[str, Any]) -> bool:
    run = {"waits": report["waits"], "latency": report["latency_s"], "interval": report["interval_s"]}
    return run == TARGET_CONDITIONS


def targets(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met (listed, never asserted)."""
    out: list[dict[str, Any]] = []

    def add(target: str, value: float | None, met: bool | None) -> None:
        out.append({"target": target, "value": value, "met": met})

    ours = {name: side for name, side in report["sides"].items() if name != AMAZON and "polls" in side}
    for name, side in ours.items():
        adherence = side["polls"]["adherence"]
        add(f"{name}: poll adherence >= 95 %", adherence, adherence is not None and adherence >= TARGET_ADHERENCE)
    for name, ratios in report["ratios"].items():
        value = ratios["cpu_per_poll_ms"]
        add(f"{name}: CPU per poll <= 1/3 of amazon's", value, value is not None and value <= TARGET_CPU_RATIO)
    for name, side in ours.items():
        lag = side["loop_lag"]["worst_s"]
        add(f"{name}: worst loop lag <= 0.25 s", lag, lag is not None and lag <= TARGET_LOOP_LAG)
    if report["fresh_start"] is not None:
        lag = report["fresh_start"]["loop_lag"]["worst_s"]
        met = lag is not None and lag <= TARGET_LOOP_LAG
        add("fresh start of all five services: worst loop lag <= 0.25 s", lag, met)
    for name, side in ours.items():
        rpp = side["run_reads_per_poll"]
        add(f"{name}: run reads per poll <= 1 (one per distinct run)", rpp, rpp is not None and rpp <= 1.0)
    for label, check in (report["shared"] or {"checks": {}})["checks"].items():
        key = "requests_per_poll_round_after_two" if label == "c" else "requests_per_poll_round"
        value = check[key]
        add(f"shared {label}: requests per poll round about 1", value, value is not None and value <= TARGET_SHARED_RPP)
    return out
