"""The soak: every service's waits against the bundled emulator with a seeded share of its answers
faulted, credentials rotated mid-wait, and every outcome, crash and leaked secret counted.

``python -m soak.run [--seed N] [--waits N] [--poke-waits N] [--reschedule-waits N] [--rate R]
[--services a,b]`` (``make soak``). For each service: ``--waits`` deferred waits (the real trigger,
one asyncio loop), ``--poke-waits`` and ``--reschedule-waits`` through the real sensors, each on a
run scripted to end succeeded, failed or cancelled. When a service has served about a third of its
expected reads, its connection is rotated (new secrets in ``AIRFLOW_CONN_<ID>``) and the emulator
refuses the old ones. Prints one line per service and a total, writes ``soak/results/latest.json``
and exits 1 unless there were no false outcomes, no crashes and no leaked secret.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
ROTATE_AT = 0.33  # share of a service's expected reads after which its credentials are rotated


@dataclass(frozen=True)
class Config:
    seed: int = 1
    waits: int = 100
    poke_waits: int = 20
    reschedule_waits: int = 10
    rate: float = 0.35
    services: tuple[str, ...] = ("glue", "codecatalyst", "datadog", "dataworks", "logic_apps")
    interval: float = 0.5
    running_polls: tuple[int, int] = (4, 12)
    #: Each wait's timeout. Long against the interval: a streak of k faulted polls backs off
    #: 2**k - 1 intervals, so a timeout here means a wait stalled, not that it was unlucky.
    timeout: float = 600.0
    rotate: bool = True
    progress_every: float = 5.0
    show_logs: bool = False


def isolate_airflow() -> None:
    """Standalone runs get an Airflow home of their own and nothing from the shell's cloud settings
    (as tests/conftest.py does); must run before Airflow is imported."""
    if "airflow" in sys.modules:
        return
    home = Path(tempfile.mkdtemp(prefix="awr-soak-airflow-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)  # the soak's own throwaway home
    (home / "dags").mkdir()
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        }
    )
    for name in [n for n in os.environ if n.startswith(("AIRFLOW_CONN_", "AWS_", "AZURE_", "DD_", "ALIBABA_CLOUD_"))]:
        del os.environ[name]


def run_soak(config: Config, out: Any = sys.stdout) -> dict[str, Any]:
    """Run the soak in this process and return its result (what ``latest.json`` holds)."""
    import asyncio

    from airflow_workflow_runs.emulator import Emulator
    from airflow_workflow_runs.hooks.shared_clients import clear_shared_clients
    from soak import plan
    from soak.capture import Capture, leaks
    from soak.driver import Driver
    from soak.retry_after import check as check_retry_after

    rng = random.Random(config.seed)
    chaos = {"seed": config.seed, "rate": config.rate, "slow_seconds": plan.SLOW_SECONDS}
    capture = Capture()
    saved_env = {plan.env_name(s): os.environ.get(plan.env_name(s)) for s in config.services}
    modes = {"deferred": config.waits, "poke": config.poke_waits, "reschedule": config.reschedule_waits}
    started = time.monotonic()
    with Emulator(chaos={**chaos, "services": list(config.services)}) as emu:
        plans = {
            s: plan.ServicePlan(s, plan.credentials(s, "old"), plan.credentials(s, "new")) for s in config.services
        }
        for service_plan in plans.values():
            service_plan.install(emu)
        waits = [w for s in config.services for w in plan.add_runs(emu, s, modes, rng, config.running_polls)]
        expected_reads: dict[str, float] = dict.fromkeys(config.services, 0.0)
        for w in waits:
            expected_reads[w.service] += (w.running_polls + 1) / max(0.05, 1 - config.rate)
        driver = Driver(waits, capture, interval=config.interval, timeout=config.timeout)
        totals = Counter(w.service for w in waits)
        running_at_rotation: dict[str, int] = {}
        last_progress = [time.monotonic()]

        def tick() -> None:
            reads = emu.chaos()["requests"]
            for service, service_plan in plans.items():
                due = reads.get(service, 0) >= ROTATE_AT * expected_reads[service]
                if config.rotate and service_plan.rotated_at is None and due:
                    service_plan.rotate(emu, time.monotonic() - started)
                    running_at_rotation[service] = totals[service] - driver.done.get(service, 0)
            if time.monotonic() - last_progress[0] >= config.progress_every:
                last_progress[0] = time.monotonic()
                done = " ".join(f"{s} {driver.done.get(s, 0)}/{totals[s]}" for s in config.services)
                print(f"[{time.monotonic() - started:5.0f}s] waits done: {done}; reads {sum(reads.values())}", file=out)
                out.flush()

        print(
            f"soak: {len(waits)} waits, chaos {config.rate:.0%} (seed {config.seed}), emulator {emu.https_url}",
            file=out,
        )
        clear_shared_clients()
        capture.install(quiet=not config.show_logs)
        try:
            asyncio.run(driver.run_all(tick))
        finally:
            capture.uninstall()
            clear_shared_clients()
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        chaos_state = emu.chaos()
        new_uses = {s: p.new_credential_uses(emu) for s, p in plans.items()}
        entries = emu.requests()
        for entry in entries:
            capture.add("emulator request log", json.dumps(entry, default=str))
        run_modes = {w.run_id: (w.service, "deferred" if w.mode == "deferred" else "sync") for w in waits}
        retry_after = check_retry_after(entries, run_modes, float(chaos_state["settings"]["retry_after"]))
        found = leaks(capture, [plan.SENTINEL, plan.ISSUED_TOKEN_PREFIX])
    rotation = {s: (p.rotated_at, running_at_rotation.get(s), new_uses[s]) for s, p in plans.items()}
    result = _result(config, waits, chaos_state, rotation, capture, found, time.monotonic() - started)
    for service, line in result["services"].items():
        line["retry_after"] = retry_after.get(service, {})
    return result


def _result(
    config: Config,
    waits: Sequence[Any],
    chaos: dict[str, Any],
    rotation: dict[str, tuple[float | None, int | None, int | None]],
    capture: Any,
    found: list[dict[str, str]],
    seconds: float,
) -> dict[str, Any]:
    from soak.plan import NO_SETTABLE_TIMEOUT

    services: dict[str, Any] = {}
    for service in config.services:
        mine = [w for w in waits if w.service == service]
        kinds = Counter(w.outcome.get("kind", "unfinished") for w in mine)
        faults = chaos["faults"].get(service, {})
        services[service] = {
            "polls": chaos["requests"].get(service, 0),
            "faults": sum(faults.values()),
            "fault_kinds": faults,
            "throttling_variants": chaos["throttling_variants"].get(service, {}),
            "waits": len(mine),
            "waits_by_mode": dict(Counter(w.mode for w in mine)),
            "correct": kinds["correct"],
            "false": kinds["false"] + kinds["unfinished"],
            "crashes": kinds["crash"],
            "rotated_at_s": rotation[service][0],
            "waits_running_at_rotation": rotation[service][1],
            "requests_with_rotated_credentials": rotation[service][2],
            "client_timeout_note": NO_SETTABLE_TIMEOUT.get(service),
            "problems": [
                {"wait": w.name, "scripted": w.raw_final, **w.outcome}
                for w in mine
                if w.outcome.get("kind") != "correct"
            ],
        }
    total = {
        key: sum(s[key] for s in services.values())
        for key in ("polls", "faults", "waits", "correct", "false", "crashes")
    }
    injected = {kind for s in services.values() for kind in s["fault_kinds"]}
    from airflow_workflow_runs.emulator.chaos import KINDS

    return {
        "config": {**config.__dict__, "services": list(config.services)},
        "seconds": round(seconds, 1),
        "services": services,
        "total": total,
        "fault_kinds_missing": [k for k in KINDS if k not in injected],
        "searched": capture.counts(),
        "leaks": found,
        "ok": total["false"] == 0 and total["crashes"] == 0 and not found,
    }


def report(result: dict[str, Any], out: Any = sys.stdout) -> None:
    """One line per service, a total, the leak search and the verdict."""
    for name, line in [*result["services"].items(), ("total", result["total"])]:
        print(
            f"{name:<13} polls {line['polls']:>6}  faults {line['faults']:>5}  waits {line['waits']:>4}  "
            f"correct {line['correct']:>4}  false outcomes {line['false']:>3}  crashes {line['crashes']:>3}",
            file=out,
        )
    for name, service in result["services"].items():
        for mode, check in service.get("retry_after", {}).items():
            if check["ignored"]:
                print(
                    f"{name}: {mode} waits read again sooner than the service asked after {check['ignored']} "
                    f"of {check['asked']} delays (e.g. {check['examples'][0]})",
                    file=out,
                )
    searched = ", ".join(f"{n} {source}" for source, n in result["searched"].items())
    print(f"secrets leaked: {len(result['leaks'])} (searched {searched})", file=out)
    if result["fault_kinds_missing"]:
        print(f"fault kinds never injected: {', '.join(result['fault_kinds_missing'])}", file=out)
    for service in result["services"].values():
        for problem in service["problems"][:3]:
            detail = problem["detail"][:300]
            print(f"  {problem['wait']}: expected {problem['expected']}, got {problem['got']}: {detail}", file=out)
    print(f"soak {'passed' if result['ok'] else 'FAILED'} in {result['seconds']:.0f}s", file=out)


def _parser() -> argparse.ArgumentParser:
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m soak.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--waits", type=int, default=defaults.waits, help="deferred waits per service")
    parser.add_argument("--poke-waits", type=int, default=defaults.poke_waits, help="poke-mode waits per service")
    parser.add_argument("--reschedule-waits", type=int, default=defaults.reschedule_waits)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="share of reads faulted (0..1)")
    parser.add_argument("--services", default=",".join(defaults.services), help="comma-separated")
    parser.add_argument("--interval", type=float, default=defaults.interval, help="poll interval, seconds")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="each wait's timeout, seconds")
    parser.add_argument("--no-rotate", action="store_true", help="do not rotate credentials mid-wait")
    parser.add_argument("--show-logs", action="store_true", help="print the waits' log records too")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON result goes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    services = tuple(s.strip() for s in args.services.split(",") if s.strip())
    config = Config(
        seed=args.seed,
        waits=args.waits,
        poke_waits=args.poke_waits,
        reschedule_waits=args.reschedule_waits,
        rate=args.rate,
        services=services,
        interval=args.interval,
        timeout=args.timeout,
        rotate=not args.no_rotate,
        show_logs=args.show_logs,
    )
    isolate_airflow()
    result = run_soak(config)
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"details: {args.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
