"""Benchmarks: this provider against the amazon provider, measured in the same run.

    .venv/bin/python benchmarks/run.py [--waits N] [--repeat R] [--gate-runs N] [--quick]

1. DAG-parse import cost: ``import airflow_workflow_runs.sensors.glue`` vs
   ``import airflow.providers.amazon.aws.sensors.glue``, each in a fresh process on top of an
   already imported ``airflow.sdk``; median over R processes per side, alternating sides.
2. Per-wait triggerer cost: N concurrent waits in one process, each on its own run in its own
   workflow, so no two share a read (ours: ``WorkflowRunTrigger``; amazon: ``GlueJobCompleteTrigger``),
   against the bundled emulator, which runs here in the driver so its work is not billed to either
   side. One child process per side.
3. Gate: a task waiting on N runs of one Glue workflow. Ours: ONE ``CrossCloudGateTrigger`` holding
   N targets (one GetWorkflowRuns per poll for all of them), and N independent ``WorkflowRunTrigger``
   (which share one GetWorkflowRuns per poll round, too); amazon: N ``GlueJobCompleteTrigger``
   (it has no workflow-run trigger).
4. Latency: the emulator answers every request after ``--latency`` seconds; N waits per side, each
   side in a fresh child (ours for each of the five services, amazon's on Glue job runs): poll
   adherence, intervals, CPU per poll, memory, event-loop lag, requests per poll; then one wait of
   each service at once in a fresh process, and Glue waits that share requests (latency_phase.py).

Prints a markdown report and writes JSON to benchmarks/results/latest.json. Ratios are
ours/amazon: below 1 means this provider costs less. Nothing here asserts a time; it measures.
See benchmarks/README.md for the method.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aiobotocore_stack import AmazonStack
from aiobotocore_stack import resolve as resolve_amazon_stack
from benchlib import (
    BENCH_DIR,
    CONN_ID,
    REPO,
    MiB,
    airflow_env,
    aws_connection,
    fmt,
    fmt_ratio,
    median,
    ratio,
    versions,
    write_json,
)
from latency_phase import latency_phase, side_names
from latency_report import latency_markdown

OURS_SENSOR = "airflow_workflow_runs.sensors.glue"
AMAZON_SENSOR = "airflow.providers.amazon.aws.sensors.glue"
WORKFLOW = "bench-workflow"
JOB = "bench-job"
WARMUP_WAITS = 2
CHILD_IMPORT_ALLOWANCE = 90.0  # seconds a child may spend importing Airflow before its phase

#: A run a child waits on: (workflow or job name, run id).
Target = tuple[str, str]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_child(script: str, args: Sequence[str], env: Mapping[str, str], timeout: float, workdir: Path) -> None:
    """Run a child script to completion within ``timeout``; its output goes to files in workdir."""
    stdout, stderr = workdir / "stdout.txt", workdir / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        try:
            done = subprocess.run(
                [sys.executable, str(BENCH_DIR / script), *args],
                env=dict(env),
                cwd=REPO,
                stdout=out,
                stderr=err,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{script} did not finish within {timeout:.0f} s (see {workdir})") from exc
    if done.returncode != 0:
        tail = stderr.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{script} exited with {done.returncode}:\n{tail}")


# --- 1. import cost ----------------------------------------------------------------------------


def import_cost(repeat: int, tmp: Path) -> dict[str, Any]:
    sides = {"ours": OURS_SENSOR, "amazon": AMAZON_SENSOR}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for i in range(repeat):
        order = list(sides) if i % 2 == 0 else list(reversed(sides))
        for name in order:
            workdir = tmp / f"import-{name}-{i}"
            (workdir / "home" / "dags").mkdir(parents=True)
            out = workdir / "result.json"
            run_child("import_cost.py", [sides[name], str(out)], airflow_env(workdir / "home"), 180, workdir)
            runs[name].append(json.loads(out.read_text()))
        log(f"import cost: run {i + 1}/{repeat} done")
    summary: dict[str, Any] = {}
    for name, results in runs.items():
        summary[name] = {
            "module": sides[name],
            "runs": results,
            "median": {
                key: median(r[key] for r in results)
                for key in ("wall_s", "cpu_s", "rss_delta_bytes", "uss_delta_bytes", "new_modules", "baseline_import_s")
            },
            "sdk_modules_imported": {
                mod: any(r["sdk_modules_imported"][mod] for r in results) for mod in results[0]["sdk_modules_imported"]
            },
            "new_top_level_packages": results[0]["new_top_level_packages"],
        }
    summary["ratios"] = {
        key: ratio(summary["ours"]["median"][key], summary["amazon"]["median"][key])
        for key in ("wall_s", "cpu_s", "rss_delta_bytes", "uss_delta_bytes", "new_modules")
    }
    return summary


# --- 2. per-wait triggerer cost ----------------------------------------------------------------


def trigger_cost(args: argparse.Namespace, tmp: Path, amazon_stack: AmazonStack, log_level: str) -> dict[str, Any]:
    from airflow_workflow_runs.emulator import Emulator

    results: dict[str, Any] = {}
    running = {"status": "RUNNING", "polls": args.polls}
    with Emulator(state_dir=tmp / "emulator") as emu:
        # Every wait follows its own run in its own workflow (job), so no two waits share a read:
        # what one more wait costs. Waits on runs of one workflow share reads (phase 3).
        sides: dict[str, tuple[Callable[[str], Target], str]] = {
            "ours": (lambda w: (w, emu.glue.add_run(w, [running, {"status": "COMPLETED"}])), "GetWorkflowRun"),
            "amazon": (lambda j: (j, emu.glue.add_job_run(j, [running, {"status": "SUCCEEDED"}])), "GetJobRun"),
        }
        for name, (add_run, operation) in sides.items():
            if name == "amazon" and not amazon_stack.available:
                results[name] = {"skipped": amazon_stack.error}
                log(f"trigger cost: amazon side skipped: {amazon_stack.error}")
                continue
            emu.reset()
            base = JOB if name == "amazon" else WORKFLOW
            warmup = [add_run(f"{base}-warmup-{i}") for i in range(WARMUP_WAITS)]
            runs = [add_run(f"{base}-{i}") for i in range(args.waits)]
            spec = {"side": name, "warmup": warmup, "runs": runs}
            log(f"trigger cost: {name}: {args.waits} concurrent waits, each on its own run in its own workflow ...")
            result = _run_trigger_child(emu, spec, args, tmp / f"trigger-{name}", amazon_stack, log_level)
            result.update(_server_side(emu, result, runs, operation, jobs=name == "amazon"))
            results[name] = result
            log(
                f"trigger cost: {name}: {result['cpu_s']:.1f} s CPU, {result['wall_s']:.1f} s wall, "
                f"{result['requests']} requests for {result['polls']} polls"
            )
    return _trigger_summary(results, args)


def _run_trigger_child(
    emu: Any, spec: dict[str, Any], args: argparse.Namespace, workdir: Path, amazon_stack: AmazonStack, log_level: str
) -> dict[str, Any]:
    """Run ``trigger_cost.py`` on ``spec`` (plus the poll settings) against the emulator; its result."""
    spec = {**spec, "interval": args.interval, "max_polls": args.polls + 20, "timeout": args.timeout}
    (workdir / "home" / "dags").mkdir(parents=True)
    (workdir / "spec.json").write_text(json.dumps(spec))
    env = airflow_env(workdir / "home", log_level=log_level)
    env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = aws_connection(emu.https_url, emu.ca_bundle)
    if spec["side"] == "amazon" and amazon_stack.pythonpath:
        env["PYTHONPATH"] = amazon_stack.pythonpath
    out = workdir / "result.json"
    run_child(
        "trigger_cost.py",
        [str(workdir / "spec.json"), str(out)],
        env,
        2 * args.timeout + CHILD_IMPORT_ALLOWANCE,
        workdir,
    )
    return json.loads(out.read_text())


def _server_side(
    emu: Any, result: Mapping[str, Any], runs: Sequence[Target], operation: str, *, jobs: bool
) -> dict[str, Any]:
    """What the emulator saw during the measured phase: requests, polls answered, connections."""
    start, end = result["phase_start_epoch"], result["phase_end_epoch"]
    entries = [e for e in emu.requests() if start <= e["time"] <= end + 1.0]
    read = emu.glue.job_run if jobs else emu.glue.run
    observations = [read(name, run_id)["observations"] for name, run_id in runs]
    return {
        "requests": len(entries),
        "requests_by_operation": dict(Counter(str(e["operation"]) for e in entries)),
        "request_statuses": dict(Counter(str(e["status"]) for e in entries)),
        "poll_operation": operation,
        "polls": sum(observations),
        "polls_per_wait": dict(Counter(observations)),
        "tls_connections": len({(e["scheme"], e["connection"]) for e in entries}),
    }


def _trigger_summary(results: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    for result in results.values():
        if "skipped" in result:
            continue
        n = result["waits"]
        result["per_wait"] = {
            "cpu_ms": 1000 * result["cpu_s"] / n,
            "peak_rss_mib": (result["rss_peak_bytes"] - result["rss_before_bytes"]) / MiB / n,
            "retained_rss_mib": (result["rss_after_bytes"] - result["rss_before_bytes"]) / MiB / n,
        }
        result["requests_per_poll"] = result["requests"] / result["polls"] if result["polls"] else None
    ours, amazon = results.get("ours", {}), results.get("amazon", {})
    ratios: dict[str, float | None] = {}
    if "per_wait" in ours and "per_wait" in amazon:
        for key in ("cpu_ms", "peak_rss_mib"):
            ratios[key] = ratio(ours["per_wait"][key], amazon["per_wait"][key])
        for key in ("wall_s", "requests_per_poll", "clients_built", "tls_connections"):
            ratios[key] = ratio(ours[key], amazon[key])
    return {
        "waits": args.waits,
        "polls_running": args.polls,
        "expected_polls_per_wait": args.polls + 1,
        "poll_interval_s": args.interval,
        "timeout_s": args.timeout,
        "ours": ours,
        "amazon": amazon,
        "ratios": ratios,
    }


# --- 3. gate on N runs of one workflow ---------------------------------------------------------

#: Gate sides: report name -> (trigger_cost.py side, what it is).
GATE_SIDES = {
    "ours": ("gate", "ours: 1 `CrossCloudGateTrigger` (a gate)"),
    "ours_waits": ("ours", "ours: N independent `WorkflowRunTrigger` (shared reads)"),
    "amazon": ("amazon", "amazon: N `GlueJobCompleteTrigger`"),
}
#: Ratio columns of the gate table: (numerator side, denominator side, heading).
GATE_RATIOS = (
    ("ours", "amazon", "gate/amazon"),
    ("ours_waits", "amazon", "N waits/amazon"),
    ("ours", "ours_waits", "gate/N waits"),
)
GATE_RATIO_KEYS = (
    "cpu_s",
    "peak_rss_growth_mib",
    "wall_s",
    "requests",
    "requests_per_poll",
    "clients_built",
    "tls_connections",
)


def gate_cost(args: argparse.Namespace, tmp: Path, amazon_stack: AmazonStack, log_level: str) -> dict[str, Any]:
    """A task gating on N runs of one Glue workflow: one gate trigger (ours), N independent waits of
    ours on them (which share GetWorkflowRuns), and amazon's one trigger per run."""
    from airflow_workflow_runs.emulator import Emulator

    running = {"status": "RUNNING", "polls": args.polls}
    results: dict[str, Any] = {}
    with Emulator(state_dir=tmp / "emulator-gate") as emu:
        for name, (child_side, _) in GATE_SIDES.items():
            if name == "amazon" and not amazon_stack.available:
                results[name] = {"skipped": amazon_stack.error}
                log(f"gate: amazon side skipped: {amazon_stack.error}")
                continue
            emu.reset()
            jobs = name == "amazon"
            run_name = JOB if jobs else WORKFLOW
            operation = "GetJobRun" if jobs else "GetWorkflowRuns"
            add_run = emu.glue.add_job_run if jobs else emu.glue.add_run
            timeline = [running, {"status": "SUCCEEDED" if jobs else "COMPLETED"}]
            # Warm-up runs in another workflow: the measured GetWorkflowRuns lists the N runs only.
            warmup = [(f"{run_name}-warmup", add_run(f"{run_name}-warmup", timeline)) for _ in range(WARMUP_WAITS)]
            runs = [(run_name, add_run(run_name, timeline)) for _ in range(args.gate_runs)]
            # Ours defer together (their first polls one interval later, at the same moment), as N
            # sensors deferring in one scheduling round would; amazon's triggers poll at once.
            spec = {"side": child_side, "warmup": warmup, "runs": runs, "deferred_together": not jobs}
            log(f"gate: {name}: {args.gate_runs} runs of one workflow ...")
            result = _run_trigger_child(emu, spec, args, tmp / f"gate-{name}", amazon_stack, log_level)
            result.update(_server_side(emu, result, runs, operation, jobs=jobs))
            results[name] = result
            log(
                f"gate: {name}: {result['triggers']} trigger(s), {result['cpu_s']:.2f} s CPU, "
                f"{result['wall_s']:.2f} s wall, {result['requests']} requests for {result['polls']} polls"
            )
    return _gate_summary(results, args)


def _gate_summary(results: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    for name, result in results.items():
        if "skipped" in result:
            continue
        result["peak_rss_growth_mib"] = (result["rss_peak_bytes"] - result["rss_before_bytes"]) / MiB
        result["retained_rss_mib"] = (result["rss_after_bytes"] - result["rss_before_bytes"]) / MiB
        # Poll rounds: the polls each of our waits sent (counted in the child), or, for a gate (one
        # read of every run per round) and amazon (a trigger per run), the observations per run.
        if name == "ours_waits":
            rounds = result["polls_sent"] / result["triggers"] if result["triggers"] else 0.0
        else:
            rounds = result["polls"] / result["waits"]
        result["poll_rounds"] = rounds
        result["requests_per_poll"] = result["requests"] / rounds if rounds else None
    ratios: dict[str, dict[str, float | None]] = {}
    for mine, theirs, _ in GATE_RATIOS:
        a, b = results.get(mine, {}), results.get(theirs, {})
        if "cpu_s" in a and "cpu_s" in b:
            ratios[f"{mine}/{theirs}"] = {key: ratio(a[key], b[key]) for key in GATE_RATIO_KEYS}
    return {
        "runs": args.gate_runs,
        "polls_running": args.polls,
        "expected_polls_per_run": args.polls + 1,
        "poll_interval_s": args.interval,
        "timeout_s": args.timeout,
        **results,
        "ratios": ratios,
    }


# --- checks and report -------------------------------------------------------------------------


def checks(report: Mapping[str, Any]) -> list[str]:
    """Project rules the measurements can confirm or contradict (listed, never asserted)."""
    out: list[str] = []
    imp = report.get("import_cost")
    if imp:
        sdk = [m for m in ("boto3", "botocore", "aiobotocore") if imp["ours"]["sdk_modules_imported"][m]]
        out.append(
            f"{'FAIL' if sdk else 'ok'}: importing {OURS_SENSOR} imports {', '.join(sdk) if sdk else 'no cloud SDK'}"
        )
    trig = report.get("trigger_cost")
    if trig and "per_wait" in trig["ours"]:
        ours = trig["ours"]
        expected = trig["expected_polls_per_wait"]
        rpp = ours["requests_per_poll"]
        out.append(f"{'ok' if rpp == 1 else 'FAIL'}: ours makes {rpp:.3f} requests per poll (rule: one)")
        out.append(
            f"{'ok' if ours['clients_built'] == 1 else 'FAIL'}: ours built {ours['clients_built']} SDK client(s) "
            f"for {ours['waits']} waits on one connection (rule: shared per connection)"
        )
        wrong = {k: v for k, v in ours["polls_per_wait"].items() if int(k) != expected}
        out.append(
            f"{'ok' if not wrong else 'FAIL'}: ours polled each run {expected} times"
            + (f" (other counts: {wrong})" if wrong else "")
        )
        for name in ("ours", "amazon"):
            side = trig[name]
            if "outcomes" in side and side["outcomes"].get("succeeded") != side["waits"]:
                out.append(f"FAIL: {name}: not every wait succeeded: {side['outcomes']} {side.get('errors')}")
    gate = report.get("gate_cost")
    if gate and "requests" in gate["ours"]:
        out += gate_checks(gate)
    lat = report.get("latency")
    if lat:
        missed = [t["target"] for t in lat["targets"] if not t["met"]]
        out.append(
            f"{'MISS' if missed else 'ok'}: latency: {len(lat['targets']) - len(missed)} of {len(lat['targets'])} "
            "targets met" + (f"; not met: {'; '.join(missed)}" if missed else "")
        )
        out += latency_outcome_checks(lat)
    return out


def latency_outcome_checks(lat: Mapping[str, Any]) -> list[str]:
    """Every wait of the latency phase succeeded (sides, fresh start, shared checks): those that did not."""
    failed: list[str] = []
    for name, side in lat["sides"].items():
        if "outcomes" in side and side["succeeded"] != side["waits"]:
            failed.append(f"{name}: {side['outcomes']} {side['errors'][:2]}")
    for service, wait in (lat["fresh_start"] or {}).get("waits", {}).items():
        if set(wait["outcomes"]) != {"succeeded"}:
            failed.append(f"fresh start {service}: {wait['outcomes']} {wait['errors'][:2]}")
    for label, check in (lat["shared"] or {}).get("checks", {}).items():
        if set(check["outcomes"]) != {"succeeded"}:
            failed.append(f"shared {label}: {check['outcomes']} {check['errors'][:2]}")
    if failed:
        return [f"FAIL: latency: not every wait succeeded: {'; '.join(failed)}"]
    return ["ok: latency: every wait succeeded"]


def gate_checks(gate: Mapping[str, Any]) -> list[str]:
    """The gate's, and our N independent waits', one shared read per poll round; every run polled
    as often as its timeline says; every run succeeded."""
    from airflow_workflow_runs.clients.glue import MAX_BATCH_PAGE_SIZE

    out: list[str] = []
    n = gate["runs"]
    # One GetWorkflowRuns page holds every watched run (up to its largest page; past it, one by one).
    expected = 1 + max(0, n - MAX_BATCH_PAGE_SIZE)
    ours = gate["ours"]
    rpp = ours["requests_per_poll"]
    out.append(
        f"{'ok' if rpp == expected else 'FAIL'}: the gate made {fmt(rpp, 3)} requests per poll round for {n} runs "
        f"of one workflow (expected {expected}: {dict(ours['requests_by_operation'])})"
    )
    waits = gate.get("ours_waits", {})
    if "requests" in waits:
        rpp = waits["requests_per_poll"]
        out.append(
            f"{'ok' if rpp == expected else 'FAIL'}: {n} independent WorkflowRunTriggers on runs of one workflow "
            f"made {fmt(rpp, 3)} requests per poll round, as the gate (expected {expected}: "
            f"{dict(waits['requests_by_operation'])}; polls per wait: {waits['polls_per_trigger']}, "
            f"reads serving them: {waits['reads']})"
        )
    for name in GATE_SIDES:
        side = gate[name]
        if "outcomes" not in side:
            continue
        wrong = {k: v for k, v in side["polls_per_wait"].items() if int(k) != gate["expected_polls_per_run"]}
        if wrong:
            out.append(f"FAIL: gate: {name} did not poll every run {gate['expected_polls_per_run']} times: {wrong}")
        if side["outcomes"].get("succeeded") != side["waits"]:
            out.append(f"FAIL: gate: {name}: not every run succeeded: {side['outcomes']} {side.get('errors')}")
    if not any(c.startswith("FAIL: gate:") for c in out):
        out.append(f"ok: gate: every side polled each run {gate['expected_polls_per_run']} times; all runs succeeded")
    return out


def markdown(report: Mapping[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        "# airflow-workflow-runs benchmarks",
        "",
        f"{meta['date']} · Python {meta['python']} · {meta['cpus']} CPUs · apache-airflow {meta['airflow']} · "
        f"amazon provider {meta['amazon_provider']} · ratios are ours/amazon (below 1: we cost less)",
        "",
    ]
    imp = report.get("import_cost")
    if imp:
        o, a, r = imp["ours"]["median"], imp["amazon"]["median"], imp["ratios"]
        mib = 1 / MiB
        lines += [
            f"## DAG-parse import cost (median of {report['meta']['repeat']} fresh processes each)",
            "",
            "On top of `import airflow.sdk` (+ `DAG`, `BaseOperator`, `BaseSensorOperator`), which every "
            f"DAG file pays anyway (median {fmt(1000 * o['baseline_import_s'], 0)} ms here). "
            "Memory: RSS and USS deltas (psutil/`/proc`), not tracemalloc.",
            "",
            f"| | ours `{OURS_SENSOR}` | amazon `{AMAZON_SENSOR}` | ours/amazon |",
            "|---|---:|---:|---:|",
            f"| wall time (ms) | {fmt(1000 * o['wall_s'])} | {fmt(1000 * a['wall_s'])} | {fmt_ratio(r['wall_s'])} |",
            f"| CPU time (ms) | {fmt(1000 * o['cpu_s'])} | {fmt(1000 * a['cpu_s'])} | {fmt_ratio(r['cpu_s'])} |",
            f"| RSS delta (MiB) | {fmt(o['rss_delta_bytes'] * mib)} | {fmt(a['rss_delta_bytes'] * mib)} "
            f"| {fmt_ratio(r['rss_delta_bytes'])} |",
            f"| USS delta (MiB) | {fmt(_scale(o['uss_delta_bytes'], mib))} | {fmt(_scale(a['uss_delta_bytes'], mib))} "
            f"| {fmt_ratio(r['uss_delta_bytes'])} |",
            f"| modules newly imported | {fmt(o['new_modules'], 0)} | {fmt(a['new_modules'], 0)} "
            f"| {fmt_ratio(r['new_modules'])} |",
        ]
        for mod in ("boto3", "botocore", "aiobotocore"):
            lines.append(
                f"| imports `{mod}`? | {fmt(imp['ours']['sdk_modules_imported'][mod])} "
                f"| {fmt(imp['amazon']['sdk_modules_imported'][mod])} | |"
            )
        lines.append("")
    trig = report.get("trigger_cost")
    if trig:
        o, a, r = trig["ours"], trig["amazon"], trig["ratios"]
        lines += [
            f"## Per-wait triggerer cost ({trig['waits']} concurrent waits in one process)",
            "",
            f"Each run answers RUNNING for {trig['polls_running']} polls, then succeeds "
            f"({trig['expected_polls_per_wait']} polls per wait); poll interval {trig['poll_interval_s']} s. "
            "CPU = `time.process_time()` of the whole process over the measured phase (all threads, "
            "every SDK client built included); memory from `/proc/self/status` "
            f"(peak: {o.get('rss_peak_method', 'n/a')}). Emulator work is in another process.",
            "",
            "| | ours `WorkflowRunTrigger` | amazon `GlueJobCompleteTrigger` | ours/amazon |",
            "|---|---:|---:|---:|",
        ]
        if "skipped" in a:
            lines.insert(-3, f"Amazon side skipped: {a['skipped']}")

        def row(label: str, get: Callable[[Mapping[str, Any]], Any], key: str | None = None, digits: int = 2) -> None:
            ov = get(o) if "per_wait" in o else None
            av = get(a) if "per_wait" in a else None
            shown = fmt_ratio(r.get(key)) if key else ""
            lines.append(f"| {label} | {fmt(ov, digits)} | {fmt(av, digits)} | {shown} |")

        row("CPU per wait (ms)", lambda s: s["per_wait"]["cpu_ms"], "cpu_ms")
        row("peak RSS growth per wait (MiB)", lambda s: s["per_wait"]["peak_rss_mib"], "peak_rss_mib", 3)
        row("RSS retained per wait after all ended (MiB)", lambda s: s["per_wait"]["retained_rss_mib"], None, 3)
        row("wall time, all waits (s)", lambda s: s["wall_s"], "wall_s")
        row("requests per poll", lambda s: s["requests_per_poll"], "requests_per_poll", 3)
        row("polls answered / requests", lambda s: f"{s['polls']} / {s['requests']}")
        row("SDK clients built", lambda s: s["clients_built"], "clients_built")
        row("TLS connections opened", lambda s: s["tls_connections"], "tls_connections")
        row("SDK clients still alive after all waits ended", lambda s: s["live_sdk_clients_after"])
        row("waits succeeded", lambda s: f"{s['outcomes'].get('succeeded', 0)} / {s['waits']}")
        row(
            "botocore",
            lambda s: (
                s["botocore"] + (f" + aiobotocore {s['versions']['aiobotocore']}" if s["side"] == "amazon" else "")
            ),
        )
        lines.append("")
        if report["meta"].get("amazon_stack"):
            lines += [f"Amazon side's aiobotocore stack: {report['meta']['amazon_stack']}.", ""]
    if report.get("gate_cost"):
        lines += gate_markdown(report["gate_cost"])
    if report.get("latency"):
        lines += latency_markdown(report["latency"])
    lines += ["## Checks", ""] + [f"- {c}" for c in report["checks"]] + [""]
    return "\n".join(lines)


def gate_markdown(gate: Mapping[str, Any]) -> list[str]:
    n = gate["runs"]
    sides = [gate[name] for name in GATE_SIDES]
    ratios = [gate["ratios"].get(f"{mine}/{theirs}", {}) for mine, theirs, _ in GATE_RATIOS]
    lines = [
        f"## Gate: one task waiting on {n} runs of one Glue workflow",
        "",
        f"Every run answers RUNNING for {gate['polls_running']} polls, then succeeds "
        f"({gate['expected_polls_per_run']} polls per run); poll interval {gate['poll_interval_s']} s. "
        "Totals for the whole gate (CPU of the process, all threads; memory from `/proc/self/status`). "
        "Our two sides defer together (first poll one interval later); our independent waits share one "
        "GetWorkflowRuns per poll round (shared reads), as the gate does. A poll round: one read of every run "
        "(for our independent waits: the polls each wait sent). "
        "Amazon has no Glue workflow-run trigger: its side is one `GlueJobCompleteTrigger` per run.",
        "",
        "| | "
        + " | ".join(label.replace("N ", f"{n} ") for _, label in GATE_SIDES.values())
        + " | "
        + " | ".join(heading.replace("N ", f"{n} ") for _, _, heading in GATE_RATIOS)
        + " |",
        "|---|" + "---:|" * (len(GATE_SIDES) + len(GATE_RATIOS)),
    ]
    skipped = [f"{name}: {gate[name]['skipped']}" for name in GATE_SIDES if "skipped" in gate[name]]
    if skipped:
        lines.insert(-3, f"Skipped: {'; '.join(skipped)}")

    def row(label: str, get: Callable[[Mapping[str, Any]], Any], key: str | None = None, digits: int = 2) -> None:
        values = [fmt(get(side) if "cpu_s" in side else None, digits) for side in sides]
        shown = [fmt_ratio(r.get(key)) if key else "" for r in ratios]
        lines.append(f"| {label} | {' | '.join(values)} | {' | '.join(shown)} |")

    row("triggers in the triggerer", lambda s: s["triggers"])
    row("CPU, all runs (s)", lambda s: s["cpu_s"], "cpu_s", 3)
    row("peak RSS growth (MiB)", lambda s: s["peak_rss_growth_mib"], "peak_rss_growth_mib")
    row("RSS retained after all ended (MiB)", lambda s: s["retained_rss_mib"])
    row("wall time until all terminal (s)", lambda s: s["wall_s"], "wall_s")
    row(f"requests per poll round (all {n} runs)", lambda s: s["requests_per_poll"], "requests_per_poll")
    row("poll rounds", lambda s: s["poll_rounds"])
    row("requests until all terminal", lambda s: s["requests"], "requests")
    row("requests by operation", lambda s: ", ".join(f"{k} {v}" for k, v in s["requests_by_operation"].items()))
    row("polls per run (observations)", lambda s: ", ".join(f"{k}: {v} runs" for k, v in s["polls_per_wait"].items()))
    row("SDK clients built", lambda s: s["clients_built"], "clients_built")
    row("TLS connections opened", lambda s: s["tls_connections"], "tls_connections")
    row("runs succeeded", lambda s: f"{s['outcomes'].get('succeeded', 0)} / {s['waits']}")
    return [*lines, ""]


def _scale(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waits", type=int, help="concurrent waits per trigger side (default 500; --quick 50)")
    parser.add_argument("--gate-runs", type=int, help="runs of one workflow the gate waits on (default 50; --quick 10)")
    parser.add_argument("--repeat", type=int, help="fresh processes per import-cost side (default 5; --quick 3)")
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--polls", type=int, default=3, help="RUNNING polls before each run ends (default 3)")
    parser.add_argument("--interval", type=float, default=0.1, help="poll interval in seconds (default 0.1)")
    parser.add_argument("--timeout", type=float, default=150.0, help="bound on one side's waits, seconds")
    parser.add_argument("--log-level", default="WARNING", help="Airflow log level in the children (default WARNING)")
    parser.add_argument("--only", choices=("imports", "triggers", "gate", "latency"), help="run one of the benchmarks")
    parser.add_argument("--latency", type=float, default=0.3, help="latency phase: seconds per request (default 0.3)")
    parser.add_argument("--latency-waits", type=int, help="latency phase: waits per side (default 1000; --quick 100)")
    parser.add_argument(
        "--latency-interval", type=float, help="latency phase: poll interval, seconds (default 10; --quick 2)"
    )
    parser.add_argument(
        "--io-threads", type=int, help="latency phase: our I/O pool's size in the children (default: the provider's)"
    )
    parser.add_argument(
        "--latency-profile", metavar="DIR", help="latency phase: cProfile each side's event-loop thread into DIR"
    )
    parser.add_argument(
        "--shared-waits", type=int, help="latency phase: waits per shared-request check (default 100; --quick 20)"
    )
    parser.add_argument(
        "--latency-services",
        metavar="NAMES",
        help="latency phase: only these sides, comma-separated, of glue, amazon, codecatalyst, datadog, dataworks, "
        "logic_apps (default: all; with fewer, the fresh start and the shared checks are not run)",
    )
    parser.add_argument("--aiobotocore-path", help="a directory with aiobotocore + botocore for the amazon side")
    parser.add_argument("--json", default=str(BENCH_DIR / "results" / "latest.json"), help="where to write JSON")
    args = parser.parse_args(argv)
    args.waits = args.waits if args.waits is not None else (50 if args.quick else 500)
    args.repeat = args.repeat if args.repeat is not None else (3 if args.quick else 5)
    args.gate_runs = args.gate_runs if args.gate_runs is not None else (10 if args.quick else 50)
    args.latency_waits = args.latency_waits if args.latency_waits is not None else (100 if args.quick else 1000)
    args.latency_interval = (
        args.latency_interval if args.latency_interval is not None else (2.0 if args.quick else 10.0)
    )
    args.shared_waits = args.shared_waits if args.shared_waits is not None else (20 if args.quick else 100)
    if not 1 <= args.waits <= 5000 or not 1 <= args.repeat <= 50 or not 0 <= args.polls <= 100:
        parser.error("--waits must be 1..5000, --repeat 1..50, --polls 0..100")
    if not 1 <= args.gate_runs <= 5000:
        parser.error("--gate-runs must be 1..5000")
    if not 0.01 <= args.interval <= 10 or not 1 <= args.timeout <= 900:
        parser.error("--interval must be 0.01..10 s and --timeout 1..900 s")
    if not 0 <= args.latency <= 5 or not 0.5 <= args.latency_interval <= 60:
        parser.error("--latency must be 0..5 s and --latency-interval 0.5..60 s")
    if not 1 <= args.latency_waits <= 5000 or not 1 <= args.shared_waits <= 1000:
        parser.error("--latency-waits must be 1..5000 and --shared-waits 1..1000")
    if args.io_threads is not None and not 1 <= args.io_threads <= 1024:
        parser.error("--io-threads must be 1..1024")
    if args.latency_services is not None:
        every = side_names()
        chosen = [name.strip() for name in args.latency_services.split(",") if name.strip()]
        unknown = sorted(set(chosen) - set(every))
        if unknown or not chosen:
            named = ", ".join(unknown) or "(none given)"
            parser.error(f"--latency-services: unknown {named}; known: {', '.join(every)}")
        # All six named is the default run: the fresh start and the shared checks too.
        args.latency_services = None if set(chosen) == set(every) else sorted(set(chosen), key=every.index)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="awr-bench-"))
    vers = versions("apache-airflow", "apache-airflow-providers-amazon", "botocore", "boto3")
    report: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "airflow": vers["apache-airflow"],
            "amazon_provider": vers["apache-airflow-providers-amazon"],
            "venv_botocore": vers["botocore"],
            "venv_boto3": vers["boto3"],
            "argv": sys.argv[1:],
            "quick": args.quick,
            "waits": args.waits,
            "repeat": args.repeat,
            "gate_runs": args.gate_runs,
            "latency": args.latency,
            "latency_waits": args.latency_waits,
            "latency_interval": args.latency_interval,
            "shared_waits": args.shared_waits,
            "io_threads": args.io_threads,
            "latency_services": args.latency_services,
        }
    }
    try:
        if args.only in (None, "imports"):
            report["import_cost"] = import_cost(args.repeat, tmp)
        if args.only in (None, "triggers", "gate", "latency"):
            stack = resolve_amazon_stack(sys.executable, args.aiobotocore_path, log=log)
            report["meta"]["amazon_stack"] = stack.source
        if args.only in (None, "triggers"):
            report["trigger_cost"] = trigger_cost(args, tmp, stack, args.log_level)
        if args.only in (None, "gate"):
            report["gate_cost"] = gate_cost(args, tmp, stack, args.log_level)
        if args.only in (None, "latency"):
            report["latency"] = latency_phase(args, tmp, stack, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["checks"] = checks(report)
    report["meta"]["duration_s"] = time.perf_counter() - started
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, report)
    print(markdown(report))
    log(f"done in {report['meta']['duration_s']:.0f} s; JSON in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
