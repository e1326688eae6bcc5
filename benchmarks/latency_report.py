"""The latency phase's report: markdown tables of the sides, the fresh start, the shared checks and
the targets, from the report ``latency_phase.latency_phase`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchlib import fmt, fmt_ratio
from latency_driver import AMAZON
from latency_stats import at_target_conditions


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
    ]
    if report["fresh_start"] is None or report["shared"] is None:
        lines += ["Fresh start and shared requests: not run (`--latency-services` left some sides out).", ""]
    else:
        lines += ["### Fresh start", "", *_fresh_table(report["fresh_start"]), ""]
        lines += ["### Shared requests", "", *_shared_table(report["shared"]), ""]
    lines += ["### Targets", ""]
    if not at_target_conditions(report):
        lines += ["This run is not at the targets' conditions (1,000 waits, 0.3 s latency, 10 s interval).", ""]
    for target in report["targets"]:
        verdict = "met" if target["met"] else "**NOT met**"
        lines.append(f"- {verdict}: {target['target']}: {fmt(target['value'], 3)}")
    return [*lines, ""]
