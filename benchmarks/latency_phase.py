"""Latency phase of the benchmarks: many waits, each in a fresh process, polling an emulator that
answers like a real network (``--latency`` seconds per request), ours and amazon's in the same run.

The emulator runs in the driver; each side is a child (``latency_cost.py``) that starts N waits at
once, like a triggerer that has just started: ours for each of the five services
(``WorkflowRunTrigger``), amazon's ``GlueJobCompleteTrigger`` on Glue job runs. Every wait follows
its own run in its own workflow, RUNNING for 6.5 poll intervals, then succeeded. The emulator
notes when each run was observed (``RunRecord.observed_at``), which gives poll adherence and the
intervals between polls. Then two checks: one wait of each service started at once in a fresh
process (the loop must not stall), and reads shared by Glue waits one request can answer.

Modules: ``latency_driver.py`` (the plan, children, the waits they run), ``latency_stats.py``
(statistics, targets), ``latency_report.py`` (the markdown); this one runs the phase's parts.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiobotocore_stack import AmazonStack
from latency_driver import AMAZON, Log, Plan, amazon_wait, child_env, ours_wait, run_child, spec_for
from latency_stats import (
    by_interval,
    latency_ratios,
    observed_at,
    per_round_after,
    poll_stats,
    request_stats,
    side_summary,
    targets,
)

FRESH_INTERVAL = 1.0
SHARED_CHECKS = {
    "a": "K waits on ONE run, deferred at the same moment",
    "b": "K waits on K runs of ONE workflow, deferred at the same moment",
    "c": "K waits on ONE run, deferring spread evenly over one interval",
}


# --- the sides: one child each ---------------------------------------------------------------


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
    from airflow_workflow_runs.emulator.glue_jobs import JOB_RUNS

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


def side_names(selected: Sequence[str] | None = None) -> list[str]:
    """Glue, amazon, then the other four services (only the ``selected`` ones, when given)."""
    from airflow_workflow_runs.emulator.sample_runs import SERVICES

    names = [SERVICES[0], AMAZON, *SERVICES[1:]]
    return names if selected is None else [name for name in names if name in selected]


def latency_sides(emu: Any, args: argparse.Namespace, tmp: Path, stack: AmazonStack, log: Log) -> dict[str, Any]:
    """Each side (``--latency-services``, default all six) in its own fresh child, the emulator reset."""
    plan = Plan(args.latency_interval)
    sides: dict[str, Any] = {}
    for name in side_names(args.latency_services):
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


# --- fresh start: one wait of each service at once --------------------------------------------


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


# --- shared requests: Glue waits one request can answer ---------------------------------------


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


# --- the phase -------------------------------------------------------------------------------


def latency_phase(args: argparse.Namespace, tmp: Path, stack: AmazonStack, log: Log) -> dict[str, Any]:
    """The sides, then (unless ``--latency-services`` left some side out) the fresh start and the
    shared-request checks."""
    from airflow_workflow_runs.emulator import Emulator

    every_side = args.latency_services is None
    with Emulator(state_dir=tmp / "emulator-latency", latency=args.latency) as emu:
        sides = latency_sides(emu, args, tmp, stack, log)
        fresh = fresh_start(emu, args, tmp, log) if every_side else None
        shared = shared_requests(emu, args, tmp, log) if every_side else None
    plan = Plan(args.latency_interval)
    report = {
        "latency_s": args.latency,
        "waits": args.latency_waits,
        "interval_s": plan.interval,
        "running_s": plan.running,
        "expected_polls": {"ours": plan.expected_polls, AMAZON: plan.expected_polls + 1},
        "io_threads": f"default ({default_io_threads()})" if args.io_threads is None else args.io_threads,
        "sides": sides,
        "ratios": latency_ratios(sides),
        "fresh_start": fresh,
        "shared": shared,
    }
    report["targets"] = targets(report)
    return report


def default_io_threads() -> int:
    """The provider's default pool size (the driver imports no Airflow, only this constant)."""
    from airflow_workflow_runs.clients.io import DEFAULT_IO_THREADS

    return DEFAULT_IO_THREADS
