"""Latency phase of the benchmarks: many waits, each in a fresh process, polling an emulator that
answers like a real network (``--latency`` seconds per request), ours and amazon's in the same run.

The emulator runs in the driver; each side is a child (``latency_cost.py``) that starts N waits at
once, like a triggerer that has just started: ours for each of the five services
(``WorkflowRunTrigger``), amazon's ``GlueJobCompleteTrigger`` on Glue job runs. Every wait follows
its own run in its own workflow, RUNNING for 6.5 poll intervals, then succeeded. The emulator
notes when each run was observed (``RunRecord.observed_at``), which gives poll adherence and the
intervals between polls. Then two checks: one wait of each service started at once in a fresh
process (the loop must not stall), and reads shared by Glue waits one request can answer.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiobotocore_stack import AmazonStack
from benchlib import BENCH_DIR, REPO, MiB, airflow_env, fmt, fmt_ratio, ratio

OURS_TRIGGER = "airflow_workflow_runs.triggers.workflow_run.WorkflowRunTrigger"
AMAZON_TRIGGER = "airflow.providers.amazon.aws.triggers.glue.GlueJobCompleteTrigger"
AMAZON = "amazon"
#: A run is RUNNING for this many poll intervals, then succeeds: 7 polls for ours, 8 for amazon.
RUNNING_INTERVALS = 6.5
HEARTBEAT_SECONDS = 0.05
CHILD_READY_SECONDS = 120.0  # a child may spend this long importing Airflow before it is ready
SPEC_LEAD_SECONDS = 2.0  # the phase starts this long (plus 2 ms per wait) after the spec is written
FRESH_INTERVAL = 1.0
SHARED_CHECKS = {
    "a": "K waits on ONE run, deferred at the same moment",
    "b": "K waits on K runs of ONE workflow, deferred at the same moment",
    "c": "K waits on ONE run, deferring spread evenly over one interval",
}
#: Targets the report shows next to the numbers (the conditions they are stated for, where any).
TARGET_ADHERENCE = 0.95
TARGET_CPU_RATIO = 1 / 3
TARGET_LOOP_LAG = 0.25
TARGET_SHARED_RPP = 1.1  # "about 1" request per poll round
TARGET_CONDITIONS = {"waits": 1000, "latency": 0.3, "interval": 10.0}

#: Operations that are not reads of a run: asked once per credential (and again when a token expires).
ONE_OFF_OPERATIONS = frozenset({"logic_apps.GetToken"})

IO_THREADS_ENV = "AIRFLOW__WORKFLOW_RUNS__IO_THREADS"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """One child's timing: the poll interval, how long runs stay RUNNING, and the budgets that end stragglers."""

    interval: float

    @property
    def running(self) -> float:
        return RUNNING_INTERVALS * self.interval

    @property
    def expected_polls(self) -> int:
        """Polls a perfect poller of ours makes until the first terminal one (at k·interval, k = 1..)."""
        return math.ceil(self.running / self.interval)

    @property
    def deadline_after(self) -> float:
        """Our waits' deadline, after the phase start: three polls late, and half a minute more."""
        return self.running + 3 * self.interval + 30.0

    @property
    def amazon_attempts(self) -> int:
        return self.expected_polls + 1 + 3

    @property
    def timeout(self) -> float:
        """After this (from the phase start) the child cancels what is still running: past every budget."""
        return self.deadline_after + self.interval + 60.0


# --- one child ---------------------------------------------------------------------------------


@dataclass
class ChildRun:
    """What one child reported, when its phase started, and the emulator's CPU over it."""

    result: dict[str, Any]
    phase_start: float
    emulator_cpu_s: float
    #: The machine's 1-minute load average at the phase start and at its end (others' work shows here).
    load: tuple[float, float] = (0.0, 0.0)


def child_env(emu: Any, workdir: Path, args: argparse.Namespace, pythonpath: str | None = None) -> dict[str, str]:
    """An Airflow home of its own, every default connection on the emulator, and our I/O pool's
    size when ``--io-threads`` sets it (amazon's side has no such pool: it is ignored there)."""
    from airflow_workflow_runs.emulator.connections import connection_env, emulator_connections

    (workdir / "home" / "dags").mkdir(parents=True)
    env = airflow_env(workdir / "home", log_level=args.log_level)
    env.update(connection_env(emulator_connections(emu.https_url, emu.ca_bundle)))
    if args.io_threads is not None:
        env[IO_THREADS_ENV] = str(args.io_threads)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _wait_ready(proc: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + CHILD_READY_SECONDS
    while not (workdir / "ready").exists():
        if proc.poll() is not None:
            raise RuntimeError(f"latency_cost.py exited with {proc.returncode} before it was ready ({workdir})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"latency_cost.py was not ready within {CHILD_READY_SECONDS:.0f} s ({workdir})")
        time.sleep(0.05)


def run_child(
    emu: Any, workdir: Path, env: Mapping[str, str], make_spec: Callable[[float], dict[str, Any]], waits: int
) -> ChildRun:
    """Start a child; once it is ready, create the runs (their timelines start at the phase start)
    and hand it the spec; the emulator's CPU (this process) is read from the phase start to the end."""
    stdout, stderr = (workdir / "stdout.txt").open("wb"), (workdir / "stderr.txt").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "latency_cost.py"), str(workdir)],
        env=dict(env),
        cwd=REPO,
        stdout=stdout,
        stderr=stderr,
    )
    try:
        _wait_ready(proc, workdir)
        phase_start = time.time() + SPEC_LEAD_SECONDS + 0.002 * waits
        with emu.store.backdated(phase_start):
            spec = make_spec(phase_start)
        (workdir / "spec.tmp").write_text(json.dumps(spec))
        (workdir / "spec.tmp").rename(workdir / "spec.json")
        time.sleep(max(0.0, phase_start - time.time()))
        cpu0, load0 = time.process_time(), os.getloadavg()[0]
        returncode = proc.wait(timeout=spec["timeout"] + 60.0)
        emulator_cpu, load1 = time.process_time() - cpu0, os.getloadavg()[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stdout.close()
        stderr.close()
    if returncode != 0:
        tail = (workdir / "stderr.txt").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"latency_cost.py exited with {returncode}:\n{tail}")
    return ChildRun(json.loads((workdir / "result.json").read_text()), phase_start, emulator_cpu, (load0, load1))


def spec_for(kind: str, waits: list[dict[str, Any]], plan: Plan, phase_start: float, **extra: Any) -> dict[str, Any]:
    """What the child runs; ``extra``: ``count_polls``, ``profile_path``."""
    return {
        "kind": kind,
        "trigger_class": AMAZON_TRIGGER if kind == AMAZON else OURS_TRIGGER,
        "phase_start": phase_start,
        "timeout": plan.timeout,
        "heartbeat_s": HEARTBEAT_SECONDS,
        "waits": waits,
        **extra,
    }


def ours_wait(run: Any, plan: Plan, phase_start: float, label: str, offset: float = 0.0) -> dict[str, Any]:
    """A ``WorkflowRunTrigger`` deferred at ``phase_start + offset``: it polls one interval later."""
    start = phase_start + offset
    kwargs = {
        "hook_class": run.hook_class,
        "hook_kwargs": dict(run.hook_kwargs),
        "ref": dict(run.ref),
        "poll_interval": plan.interval,
        "deadline": start + plan.deadline_after,
        "last_poll_at": start,
    }
    return {"label": label, "offset": offset, "kwargs": kwargs}


def amazon_wait(job: str, run_id: str, plan: Plan) -> dict[str, Any]:
    """A ``GlueJobCompleteTrigger``: polls at once, then every ``waiter_delay``, for a bounded number of attempts."""
    kwargs = {
        "job_name": job,
        "run_id": run_id,
        "verbose": False,
        "aws_conn_id": "aws_default",
        "waiter_delay": plan.interval,
        "waiter_max_attempts": plan.amazon_attempts,
    }
    return {"label": AMAZON, "offset": 0.0, "kwargs": kwargs}


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


# --- 2. the latency phase: one child per side -------------------------------------------------


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


def ours_side(
    emu: Any, service: str, plan: Plan, waits: int, workdir: Path, env: Mapping[str, str], profile: str | None = None
) -> dict:
    from airflow_workflow_runs.emulator.sample_runs import add_sample_run

    def make_spec(phase_start: float) -> dict[str, Any]:
        runs = [add_sample_run(emu, service, f"lat-{service}-{i}", seconds=plan.running) for i in range(waits)]
        items = [ours_wait(run, plan, phase_start, service) for run in runs]
        return spec_for("ours", items, plan, phase_start, profile_path=profile)

    child = run_child(emu, workdir, env, make_spec, waits)
    start = child.phase_start
    polls = poll_stats(observed_at(emu, service), start + plan.running, plan.expected_polls, start + plan.interval)
    requests = request_stats(emu, start - 1.0, child.result["phase_end_epoch"] + 1.0)
    return side_summary(child, polls, requests, waits)


def amazon_side(
    emu: Any, plan: Plan, waits: int, workdir: Path, env: Mapping[str, str], profile: str | None = None
) -> dict:
    from airflow_workflow_runs.emulator.glue import JOB_RUNS

    timeline = [{"status": "RUNNING", "seconds": plan.running}, {"status": "SUCCEEDED"}]

    def make_spec(phase_start: float) -> dict[str, Any]:
        jobs = [(f"lat-job-{i}", emu.glue.add_job_run(f"lat-job-{i}", timeline)) for i in range(waits)]
        items = [amazon_wait(job, run_id, plan) for job, run_id in jobs]
        return spec_for(AMAZON, items, plan, phase_start, profile_path=profile)

    child = run_child(emu, workdir, env, make_spec, waits)
    start = child.phase_start
    polls = poll_stats(observed_at(emu, JOB_RUNS), start + plan.running, plan.expected_polls + 1, start)
    requests = request_stats(emu, start - 1.0, child.result["phase_end_epoch"] + 1.0)
    return side_summary(child, polls, requests, waits)


def profile_path(args: argparse.Namespace, name: str) -> str | None:
    """Where a side's child writes its loop-thread profile (``--latency-profile DIR``), if asked."""
    if not args.latency_profile:
        return None
    Path(args.latency_profile).mkdir(parents=True, exist_ok=True)
    return str(Path(args.latency_profile).resolve() / f"{name}.pstats")


def latency_sides(emu: Any, args: argparse.Namespace, tmp: Path, stack: AmazonStack, log: Log) -> dict[str, Any]:
    """Glue, amazon, then the other four services: each side in its own fresh child, the emulator reset."""
    from airflow_workflow_runs.emulator.sample_runs import SERVICES

    plan = Plan(args.latency_interval)
    sides: dict[str, Any] = {}
    for name in (SERVICES[0], AMAZON, *SERVICES[1:]):
        emu.reset()
        workdir = tmp / f"latency-{name}"
        log(f"latency: {name}: {args.latency_waits} waits, interval {plan.interval} s, latency {args.latency} s ...")
        if name == AMAZON:
            if not stack.available:
                sides[name] = {"skipped": stack.error}
                continue
            env = child_env(emu, workdir, args, stack.pythonpath)
            sides[name] = amazon_side(emu, plan, args.latency_waits, workdir, env, profile_path(args, name))
        else:
            env = child_env(emu, workdir, args)
            sides[name] = ours_side(emu, name, plan, args.latency_waits, workdir, env, profile_path(args, name))
        side = sides[name]
        log(
            f"latency: {name}: adherence {side['polls']['adherence']:.3f}, {side['cpu_per_poll_ms']:.2f} ms CPU/poll, "
            f"worst lag {side['loop_lag']['worst_s']:.3f} s, {side['succeeded']}/{side['waits']} succeeded"
        )
    return sides


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


# --- 3. fresh start: one wait of each service at once ------------------------------------------


def fresh_start(emu: Any, args: argparse.Namespace, tmp: Path, log: Log) -> dict[str, Any]:
    """One wait of every service started at once in a fresh process: does the loop stall?"""
    from airflow_workflow_runs.emulator.sample_runs import SERVICES, add_sample_run

    plan = Plan(FRESH_INTERVAL)
    emu.reset()
    workdir = tmp / "latency-fresh-start"
    env = child_env(emu, workdir, args)

    def make_spec(phase_start: float) -> dict[str, Any]:
        runs = [add_sample_run(emu, s, f"fresh-{s}", seconds=plan.running) for s in SERVICES]
        return spec_for("ours", [ours_wait(r, plan, phase_start, r.service) for r in runs], plan, phase_start)

    log("latency: fresh start: one wait of each service at once ...")
    child = run_child(emu, workdir, env, make_spec, len(SERVICES))
    start, result = child.phase_start, child.result
    waits = {}
    for service in SERVICES:
        label = result["labels"][service]
        polls = poll_stats(observed_at(emu, service), start + plan.running, plan.expected_polls, start + plan.interval)
        waits[service] = {"outcomes": label["outcomes"], "errors": label["errors"], "polls": polls}
    log(f"latency: fresh start: worst loop lag {result['loop_lag']['worst_s']:.3f} s")
    return {
        "interval_s": plan.interval,
        "running_s": plan.running,
        "expected_polls": plan.expected_polls,
        "loop_lag": result["loop_lag"],
        "cpu_s": result["cpu_s"],
        "trigger_import_s": result["trigger_import_s"],
        "late_start_s": result["late_start_s"],
        "load_average_1m": list(child.load),
        "waits": waits,
    }


# --- 4. shared requests: Glue waits one request can answer -------------------------------------


def shared_waits(emu: Any, plan: Plan, phase_start: float, k: int) -> list[dict[str, Any]]:
    """The waits of checks a, b and c, each check in its own workflow (its requests name it)."""
    from airflow_workflow_runs.emulator.sample_runs import add_sample_run

    one = add_sample_run(emu, "glue", "shared-a", seconds=plan.running)
    batch = [add_sample_run(emu, "glue", "shared-b", seconds=plan.running) for _ in range(k)]
    spread = add_sample_run(emu, "glue", "shared-c", seconds=plan.running)
    return [
        *(ours_wait(one, plan, phase_start, "a") for _ in range(k)),
        *(ours_wait(run, plan, phase_start, "b") for run in batch),
        *(ours_wait(spread, plan, phase_start, "c", offset=i * plan.interval / k) for i in range(k)),
    ]


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


def shared_check(emu: Any, label: str, result: Mapping[str, Any], start: float, end: float, plan: Plan) -> dict:
    """Requests one check's waits made, per poll round (a wait's polls counted in the child)."""
    workflow = f"shared-{label}"
    entry = result["labels"][label]
    polls: list[list[float]] = entry["polls"]
    entries = [e for e in emu.requests() if (e.get("body") or {}).get("Name") == workflow]
    requests = request_stats(emu, start - 1.0, end, lambda e: (e.get("body") or {}).get("Name") == workflow)
    observed = observed_at(emu, "glue", [workflow])
    polls_per_wait = statistics.fmean(len(p) for p in polls) if polls else 0.0
    observations_per_run = statistics.fmean(len(o) for o in observed) if observed else 0.0
    return {
        "what": SHARED_CHECKS[label],
        "waits": entry["waits"],
        "runs": len(observed),
        **requests,
        "observations_per_run": observations_per_run,
        "polls_per_wait": polls_per_wait,
        "requests_per_poll_round": requests["requests"] / polls_per_wait if polls_per_wait else None,
        "requests_per_observation_per_run": requests["requests"] / observations_per_run if observed else None,
        # Round 1 (first polls) is in [I, 2I) after the start, round 2 in [2I, 3I).
        "requests_per_poll_round_after_two": per_round_after(polls, start + 3 * plan.interval),
        "requests_per_poll_round_after_three": per_round_after(polls, start + 4 * plan.interval),
        "requests_by_interval": by_interval([e["time"] for e in entries], start, plan.interval),
        "reads_counted_by_the_waits": len({t for p in polls for t in p}),
        "poll_times_s": [[round(t - start, 3) for t in p] for p in polls],
        "outcomes": entry["outcomes"],
        "errors": entry["errors"],
    }


def shared_requests(emu: Any, args: argparse.Namespace, tmp: Path, log: Log) -> dict[str, Any]:
    """Checks a, b, c in one child: their waits never share a request with another check's."""
    plan = Plan(args.latency_interval)
    k = args.shared_waits
    emu.reset()
    workdir = tmp / "latency-shared"
    env = child_env(emu, workdir, args)

    def make_spec(phase_start: float) -> dict[str, Any]:
        return spec_for("ours", shared_waits(emu, plan, phase_start, k), plan, phase_start, count_polls=True)

    log(f"latency: shared requests: 3 x {k} Glue waits ...")
    child = run_child(emu, workdir, env, make_spec, 3 * k)
    end = child.result["phase_end_epoch"] + 1.0
    checks = {label: shared_check(emu, label, child.result, child.phase_start, end, plan) for label in SHARED_CHECKS}
    for label, check in checks.items():
        log(f"latency: shared {label}: {check['requests_per_poll_round']:.2f} requests per poll round")
    return {
        "waits_per_check": k,
        "interval_s": plan.interval,
        "running_s": plan.running,
        "loop_lag": child.result["loop_lag"],
        "cpu_s": child.result["cpu_s"],
        "load_average_1m": list(child.load),
        "checks": checks,
    }


# --- the phase, targets ------------------------------------------------------------------------


def latency_phase(args: argparse.Namespace, tmp: Path, stack: AmazonStack, log: Log) -> dict[str, Any]:
    from airflow_workflow_runs.emulator import Emulator

    with Emulator(state_dir=tmp / "emulator-latency", latency=args.latency) as emu:
        sides = latency_sides(emu, args, tmp, stack, log)
        fresh = fresh_start(emu, args, tmp, log)
        shared = shared_requests(emu, args, tmp, log)
    plan = Plan(args.latency_interval)
    report = {
        "latency_s": args.latency,
        "waits": args.latency_waits,
        "interval_s": plan.interval,
        "running_s": plan.running,
        "expected_polls": {"ours": plan.expected_polls, AMAZON: plan.expected_polls + 1},
        "io_threads": "default (128)" if args.io_threads is None else args.io_threads,
        "sides": sides,
        "ratios": latency_ratios(sides),
        "fresh_start": fresh,
        "shared": shared,
    }
    report["targets"] = targets(report)
    return report


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
    lag = report["fresh_start"]["loop_lag"]["worst_s"]
    add("fresh start of all five services: worst loop lag <= 0.25 s", lag, lag is not None and lag <= TARGET_LOOP_LAG)
    for name, side in ours.items():
        rpp = side["run_reads_per_poll"]
        add(f"{name}: run reads per poll <= 1 (one per distinct run)", rpp, rpp is not None and rpp <= 1.0)
    for label, check in report["shared"]["checks"].items():
        key = "requests_per_poll_round_after_two" if label == "c" else "requests_per_poll_round"
        value = check[key]
        add(f"shared {label}: requests per poll round about 1", value, value is not None and value <= TARGET_SHARED_RPP)
    return out


# --- report ------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _pair(a: Any, b: Any, digits: int = 2) -> str:
    return f"{fmt(a, digits)} / {fmt(b, digits)}"


#: The latency table's rows: label and target; :func:`_side_column` gives the cells in this order.
SIDE_ROWS = (
    ("poll adherence", ">= 95 % (1,000 waits, 0.3 s, 10 s)"),
    ("polls per run: min / p50", ""),
    ("interval between polls: p50 / p99 (s)", ""),
    ("first poll after its schedule: p50 / max (s)", ""),
    ("CPU per poll (ms)", ""),
    ("CPU per poll, ours/amazon", "<= 0.33x"),
    ("... of it on the event loop's thread (ms)", ""),
    ("peak RSS growth per wait (MiB)", ""),
    ("peak RSS growth per wait, ours/amazon", ""),
    ("worst event-loop lag (s)", "<= 0.25 s"),
    ("... at (s after the phase start)", ""),
    ("... loop thread's CPU during that beat (s)", ""),
    ("heartbeats later than 0.1 s / 0.25 s", ""),
    ("requests per poll", "<= 1 per distinct run"),
    ("observations / requests", ""),
    ("TLS connections", ""),
    ("waits succeeded", ""),
    ("CPU over the phase / wall time (s)", ""),
    ("trigger module import on the loop (ms)", ""),
    ("emulator CPU per request (ms)", ""),
    ("machine load average (1 min) at start / end", ""),
)


def _requests_cell(side: Mapping[str, Any]) -> str:
    cell = fmt(side["requests_per_poll"], 3)
    if side["one_off_requests"]:
        cell += f" ({fmt(side['run_reads_per_poll'], 3)} without {side['one_off_requests']} token)"
    return cell


def _side_column(side: Mapping[str, Any], ratios: Mapping[str, Any]) -> list[str]:
    polls, lag = side["polls"], side["loop_lag"]
    return [
        _pct(polls["adherence"]),
        _pair(polls["per_run"]["min"], polls["per_run"]["p50"]),
        _pair(polls["interval_p50_s"], polls["interval_p99_s"]),
        _pair(polls["first_poll_after_schedule_p50_s"], polls["first_poll_after_schedule_max_s"]),
        fmt(side["cpu_per_poll_ms"]),
        fmt_ratio(ratios.get("cpu_per_poll_ms")) if ratios else "",
        fmt(side["loop_cpu_per_poll_ms"], 3),
        fmt(side["peak_rss_growth_per_wait_mib"], 3),
        fmt_ratio(ratios.get("peak_rss_growth_per_wait_mib")) if ratios else "",
        fmt(lag["worst_s"], 3),
        fmt(lag["top"][0][0] if lag["top"] else None, 1),
        fmt(lag["top"][0][2] if lag["top"] else None, 3),
        _pair(lag["over_100ms"], lag["over_250ms"]),
        _requests_cell(side),
        f"{polls['observations']} / {side['requests']}",
        fmt(side["tls_connections"]),
        f"{side['succeeded']} / {side['waits']}",
        _pair(side["cpu_s"], side["wall_s"], 1),
        fmt(1000 * side["trigger_import_s"], 0),
        fmt(side["emulator_cpu_per_request_ms"]),
        _pair(side["load_average_1m"][0], side["load_average_1m"][1], 1),
    ]


def _sides_table(report: Mapping[str, Any]) -> list[str]:
    names = list(report["sides"])
    heads = ["amazon `GlueJobCompleteTrigger`" if n == AMAZON else f"ours: {n}" for n in names]
    columns = [
        _side_column(side, report["ratios"].get(n, {})) if "polls" in side else ["n/a"] * len(SIDE_ROWS)
        for n, side in report["sides"].items()
    ]
    lines = ["| | " + " | ".join(heads) + " | target |", "|---|" + "---:|" * len(names) + "---|"]
    for i, (label, target) in enumerate(SIDE_ROWS):
        lines.append(f"| {label} | {' | '.join(column[i] for column in columns)} | {target} |")
    skipped = [f"{n}: {s['skipped']}" for n, s in report["sides"].items() if "skipped" in s]
    return lines + ([f"Skipped: {'; '.join(skipped)}"] if skipped else [])


def _fresh_table(fresh: Mapping[str, Any]) -> list[str]:
    lines = [
        f"One wait of each service started at once in a fresh process (interval {fmt(fresh['interval_s'], 1)} s, "
        f"RUNNING {fmt(fresh['running_s'], 1)} s: {fresh['expected_polls']} polls). Worst event-loop lag "
        f"**{fmt(fresh['loop_lag']['worst_s'], 3)} s** (target <= 0.25 s); worst beats (s after the start, s late, "
        "loop CPU in it): "
        f"{fresh['loop_lag']['top']}; trigger module import on the loop {fmt(1000 * fresh['trigger_import_s'], 0)} ms.",
        "",
        "| service | outcome | polls | interval between polls: p50 / max (s) | first poll after its schedule (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for service, wait in fresh["waits"].items():
        polls = wait["polls"]
        outcome = ", ".join(f"{k} {v}" for k, v in wait["outcomes"].items())
        intervals = _pair(polls["interval_p50_s"], polls["interval_max_s"])
        first = fmt(polls["first_poll_after_schedule_p50_s"])
        lines.append(f"| {service} | {outcome} | {polls['observations']} | {intervals} | {first} |")
    return lines


def _shared_table(shared: Mapping[str, Any]) -> list[str]:
    lines = [
        f"Glue, ours only; {shared['waits_per_check']} waits per check, interval {fmt(shared['interval_s'], 1)} s, "
        f"runs RUNNING {fmt(shared['running_s'], 1)} s; the three checks ran in one child (each in its own "
        f"workflow, so no request serves two checks); worst loop lag {fmt(shared['loop_lag']['worst_s'], 3)} s. "
        "Requests per poll round = requests / polls per wait (a wait's polls counted in the child); "
        "for b also requests / observations per run.",
        "",
        "| check | waits / runs | requests | operations | polls per wait | requests per poll round "
        "| requests in each interval after the start | target |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    for label, check in shared["checks"].items():
        ops = ", ".join(f"{k.split('.', 1)[1]} {v}" for k, v in check["requests_by_operation"].items())
        value = fmt(check["requests_per_poll_round"])
        if label == "b":
            value += f" ({fmt(check['requests_per_observation_per_run'])} per observation per run)"
        if label == "c":
            value += (
                f"; after the first two rounds: **{fmt(check['requests_per_poll_round_after_two'])}**, "
                f"after three: {fmt(check['requests_per_poll_round_after_three'])}"
            )
        lines.append(
            f"| {label}: {check['what']} | {check['waits']} / {check['runs']} | {check['requests']} | {ops} "
            f"| {fmt(check['polls_per_wait'])} | {value} | {check['requests_by_interval']} | about 1 |"
        )
    return lines


def latency_markdown(report: Mapping[str, Any]) -> list[str]:
    expected = report["expected_polls"]
    lines = [
        f"## Latency: {report['waits']} waits per side, {fmt(report['latency_s'])} s per request, "
        f"{fmt(report['interval_s'], 1)} s interval",
        "",
        f"Each side in its own fresh child process; every wait follows its own run in its own workflow, RUNNING "
        f"{fmt(report['running_s'], 1)} s, then succeeded; all waits start at once. A perfect poller polls "
        f"{expected['ours']} times (ours: one interval after deferring, then every interval) or {expected[AMAZON]} "
        "(amazon: at once, then every interval) until the first terminal answer. Poll times are the emulator's "
        "(`observed_at`); CPU is the child's (all threads) over the phase, from before the trigger module's "
        f"import; I/O threads: {report['io_threads']}. The emulator runs in the driver, on the same 2 cores.",
        "",
        *_sides_table(report),
        "",
        "Requests by operation: "
        + "; ".join(
            f"{name}: " + ", ".join(f"{k} {v}" for k, v in side["requests_by_operation"].items())
            for name, side in report["sides"].items()
            if "requests_by_operation" in side
        ),
        "",
        "### Fresh start",
        "",
        *_fresh_table(report["fresh_start"]),
        "",
        "### Shared requests",
        "",
        *_shared_table(report["shared"]),
        "",
        "### Targets",
        "",
    ]
    if not at_target_conditions(report):
        lines += ["This run is not at the targets' conditions (1,000 waits, 0.3 s latency, 10 s interval).", ""]
    for target in report["targets"]:
        verdict = "met" if target["met"] else "**NOT met**"
        lines.append(f"- {verdict}: {target['target']}: {fmt(target['value'], 3)}")
    return [*lines, ""]
