"""A triggerer's event loop is never blocked by our waits, and never lent to their blocking calls.

In a fresh process (tests/loop_probe.py), waits of all five services start, poll, choose runs in
windows and cancel, as in a triggerer: no cloud SDK or HTTP-stack module may be imported for the
first time on the loop's thread (a hook module imports its SDK: seconds for DataWorks), and the
loop's default executor (six threads on two cores, shared with Airflow) is never used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from airflow_workflow_runs.emulator.connections import connection_env, emulator_connections
from airflow_workflow_runs.emulator.sample_runs import SERVICES, SampleRun, add_sample_run
from airflow_workflow_runs.model import TimeWindow
from airflow_workflow_runs.targets import RunTarget

PROBE = Path(__file__).with_name("loop_probe.py")
CANCELLABLE = ("glue", "datadog", "dataworks", "logic_apps")
CANCEL_OPERATIONS = ("StopWorkflowRun", "CancelWorkflowInstance", "StopWorkflowInstances", "CancelWorkflowRun")


def wait_kwargs(run: SampleRun, **extra: object) -> dict[str, object]:
    return {
        "hook_class": run.hook_class,
        "hook_kwargs": dict(run.hook_kwargs),
        "ref": dict(run.ref),
        "poll_interval": 0.1,
        **extra,
    }


def target(run: SampleRun, *, by_window: bool) -> dict[str, object]:
    common = {"service": run.service, "hook_class": run.hook_class, "hook_kwargs": dict(run.hook_kwargs)}
    if not by_window:
        return RunTarget(**common, ref=dict(run.ref)).to_dict()
    window = TimeWindow(started_after=datetime.now(timezone.utc) - timedelta(days=3))  # DataWorks: by date
    return RunTarget(**common, workflow=dict(run.workflow), window=window).to_dict()


@pytest.fixture(scope="module")
def probe_report(_emulator, tmp_path_factory) -> dict:
    emu = _emulator
    emu.reset()
    now = time.time()
    waits = [wait_kwargs(add_sample_run(emu, s, f"loop-{s}", polls=2), last_poll_at=now) for s in SERVICES]
    gate_runs = [add_sample_run(emu, s, f"gate-{s}", polls=1) for s in SERVICES]
    window_runs = [add_sample_run(emu, s, f"window-{s}") for s in SERVICES]
    gates = [
        {"targets": [target(r, by_window=False) for r in gate_runs], "poll_interval": 0.1, "first_poll_at": _iso(now)},
        {"targets": [target(r, by_window=True) for r in window_runs], "poll_interval": 0.1, "first_poll_at": _iso(now)},
    ]
    kills = [wait_kwargs(add_sample_run(emu, s, f"kill-{s}", seconds=600), cancel_on_kill=True) for s in CANCELLABLE]
    spec = tmp_path_factory.mktemp("probe") / "spec.json"
    spec.write_text(json.dumps({"waits": waits, "gates": gates, "kills": kills}))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")},
        **connection_env(emulator_connections(emu.https_url, emu.ca_bundle)),
        "PYTHONPATH": str(PROBE.parent.parent),
    }
    done = subprocess.run(
        [sys.executable, str(PROBE), str(spec)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["cancel_requests"] = [
        (entry["service"], entry["operation"]) for entry in emu.requests() if entry["operation"] in CANCEL_OPERATIONS
    ]
    emu.reset()
    return report


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def test_waits_of_every_service_end_as_they_should(probe_report):
    singles, gate, window_gate = probe_report["events"][:5], probe_report["events"][5], probe_report["events"][6]
    assert [(e["status"], e["run"]["service"], e["run"]["state"]) for e in singles] == [
        ("terminal", service, "succeeded") for service in SERVICES
    ]
    assert gate["status"] == "done"
    assert [t["run"]["state"] for t in gate["targets"]] == ["succeeded"] * len(SERVICES)
    assert window_gate["status"] == "done"  # every window's run had already succeeded: chosen and done
    assert all(t["run"]["state"] == "succeeded" for t in window_gate["targets"])


def test_no_cloud_sdk_module_is_imported_on_the_event_loop(probe_report):
    assert probe_report["imports_on_loop"] == [], probe_report["imports_on_loop"]
    print("worst loop lag", probe_report["worst_lag_seconds"])


def test_the_event_loops_default_executor_is_never_used(probe_report):
    uses = probe_report["default_executor_uses"]
    assert uses == [], f"{len(uses)} uses; the first from:\n{uses[0] if uses else ''}"


def test_killing_a_deferred_operator_cancels_its_run_from_the_loop(probe_report):
    assert sorted({service for service, _ in probe_report["cancel_requests"]}) == sorted(CANCELLABLE)
