"""Latency: service requests wait as over a real network; the request log says how long.

Nothing here times anything: the applied latency is read from the request log and the model.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.__main__ import _parser
from airflow_workflow_runs.emulator.latency import Latency, parse_cli_specs
from airflow_workflow_runs.emulator.registry import BUILTIN_SERVICES
from airflow_workflow_runs.emulator.scenarios import DEMO_LATENCY

REPO = Path(__file__).resolve().parents[2]
SERVICES = {service.name: service.operations for service in BUILTIN_SERVICES}
HOUR = 3600.0  # longer than any test waits: a request given it must never be answered


def rule(delay: float, jitter: float = 0.0) -> dict[str, float]:
    return {"delay": delay, "jitter": jitter}


def latencies(emu: Emulator, **filters: Any) -> list[tuple[str | None, float]]:
    return [(e["operation"], e["latency"]) for e in emu.requests(**filters)]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "airflow_workflow_runs.emulator", *args]


def cli_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


# --- the JSON form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "normalized"),
    [
        (None, {}),
        ({}, {}),
        (0.05, {"*": rule(0.05)}),
        (1, {"*": rule(1.0)}),
        (0, {"*": rule(0.0)}),
        ({"glue": {"delay": 0.3}}, {"glue": rule(0.3)}),
        (
            {"*": 0.05, "dataworks": {"delay": 0.3, "jitter": 0.1}, "glue.GetWorkflowRun": 0.3},
            {"*": rule(0.05), "dataworks": rule(0.3, 0.1), "glue.GetWorkflowRun": rule(0.3)},
        ),
    ],
)
def test_json_forms_normalize_to_delay_and_jitter_per_rule(emu: Emulator, spec: Any, normalized: Any):
    assert emu.set_latency(spec) == normalized
    assert emu.latency() == normalized
    assert emu.set_latency(json.loads(json.dumps(normalized))) == normalized  # the normal form reads back


def test_normalized_keys_are_sorted_global_first(emu: Emulator):
    emu.set_latency({"glue.GetWorkflowRun": 1, "datadog": 2, "glue": 3, "*": 4})
    assert list(emu.latency()) == ["*", "datadog", "glue", "glue.GetWorkflowRun"]


def test_the_most_specific_rule_wins():
    latency = Latency(SERVICES, {"*": 1, "glue": 2, "glue.GetWorkflowRun": 3})
    assert latency.sample("glue", "GetWorkflowRun") == 3.0  # operation
    assert latency.sample("glue", "GetWorkflowRuns") == 2.0  # service
    assert latency.sample("datadog", "GetWorkflowInstance") == 1.0  # global


def test_no_matching_rule_means_no_wait():
    latency = Latency(SERVICES, {"glue.GetWorkflowRun": 3})
    assert latency.rule_for("glue", "GetWorkflowRuns") is None
    assert latency.sample("glue", "GetWorkflowRuns") == 0.0
    assert Latency(SERVICES).sample("glue", "GetWorkflowRun") == 0.0


def test_a_zero_rule_exempts_a_service_from_the_global_latency():
    latency = Latency(SERVICES, {"*": 0.2, "datadog": 0})
    assert latency.sample("datadog", "GetWorkflowInstance") == 0.0
    assert latency.sample("glue", "GetWorkflowRun") == 0.2


@pytest.mark.parametrize(
    ("delay", "jitter", "low", "high"),
    [
        (0.1, 0.05, 0.05, 0.15),
        (0.01, 0.05, 0.0, 0.06),  # never below zero
    ],
)
def test_jitter_spreads_samples_uniformly_within_its_bounds(delay: float, jitter: float, low: float, high: float):
    latency = Latency(SERVICES, {"*": {"delay": delay, "jitter": jitter}}, rng=random.Random(7))
    samples = [latency.sample("glue", "GetWorkflowRun") for _ in range(2000)]
    assert all(low <= s <= high for s in samples)
    assert len(set(samples)) > 1900  # it varies
    width = high - low
    assert min(samples) < low + width / 10 and max(samples) > high - width / 10  # and fills its range


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (-1, "latency rule '*': 'delay' must be a finite number of seconds >= 0, got -1"),
        (float("nan"), "latency rule '*': 'delay' must be a finite number of seconds >= 0, got nan"),
        ({"glue": float("inf")}, "latency rule 'glue': 'delay' must be a finite number of seconds >= 0, got inf"),
        (True, "latency rule '*': 'delay' must be a finite number of seconds >= 0, got True"),
        ({"*": "0.1"}, "latency rule '*': 'delay' must be a finite number of seconds >= 0, got '0.1'"),
        (
            {"glue": {"delay": 0.1, "jitter": -0.5}},
            "latency rule 'glue': 'jitter' must be a finite number of seconds >= 0, got -0.5",
        ),
        (
            {"glue": {"delay": 0.1, "jitter": False}},
            "latency rule 'glue': 'jitter' must be a finite number of seconds >= 0, got False",
        ),
        (
            {"glue": {"delay": 0.1, "jiter": 0.1}},
            "latency rule 'glue': unknown fields ['jiter']; allowed: ['delay', 'jitter']",
        ),
        ({"glue": {"jitter": 0.1}}, "latency rule 'glue' needs a 'delay'"),
        ({"aws": 0.1}, "latency rule 'aws': unknown service 'aws'; known: ["),
        ({"aws.GetWorkflowRun": 0.1}, "latency rule 'aws.GetWorkflowRun': unknown service 'aws'"),
        ({"glue.GetWorkflowRunz": 0.1}, "latency rule 'glue.GetWorkflowRunz': glue has no operation 'GetWorkflowRunz'"),
        ({"glue.": 0.1}, "latency rule 'glue.': glue has no operation ''"),
        (
            {"*.GetWorkflowRun": 0.1},
            "latency rule '*.GetWorkflowRun': a rule naming an operation must name its service",
        ),
        ({"": 0.1}, "a latency rule is keyed by '*', a service or 'service.Operation', got ''"),
    ],
)
def test_invalid_latencies_are_rejected_naming_the_rule(emu: Emulator, spec: Any, message: str):
    emu.set_latency({"glue": 0.5})
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        emu.set_latency(spec)
    assert emu.latency() == {"glue": rule(0.5)}  # all or nothing


def test_an_invalid_constructor_latency_is_rejected():
    with pytest.raises(ValueError, match="unknown service 'aws'"):
        Emulator(latency={"aws": 0.1})


# --- what requests get -----------------------------------------------------------------------


def test_the_request_log_records_each_service_requests_latency(emu: Emulator, glue: Any):
    emu.glue.define_workflow("etl")
    emu.set_latency({"glue": 0.002, "glue.StartWorkflowRun": {"delay": 0.003}})
    run_id = glue.start_workflow_run(Name="etl")["RunId"]
    glue.get_workflow_run(Name="etl", RunId=run_id)
    emu.set_latency(None)
    glue.get_workflow_runs(Name="etl")
    assert latencies(emu) == [("StartWorkflowRun", 0.003), ("GetWorkflowRun", 0.002), ("GetWorkflowRuns", 0.0)]


def test_jittered_latency_in_the_log_stays_within_bounds(emu: Emulator, glue_http: Any):
    emu.glue.define_workflow("etl")
    emu.set_latency({"glue": {"delay": 0.004, "jitter": 0.003}})
    for _ in range(5):
        glue_http.get_workflow_runs(Name="etl")
    assert all(0.001 <= applied <= 0.007 for _, applied in latencies(emu))


def test_control_requests_and_unknown_paths_never_wait(emu: Emulator, control_call: Any):
    emu.set_latency(HOUR)  # a control call that waited would time out (5 s) instead of answering
    assert control_call(emu, "GET", "health")[0] == 200
    assert control_call(emu, "GET", "latency") == (200, {"latency": {"*": rule(HOUR)}})
    assert emu.requests() == []  # control calls are not logged at all
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{emu.http_url}/no/service/here", timeout=5)
    with raised.value:
        assert raised.value.code == 404
    assert [(e["service"], e["status"], e["latency"]) for e in emu.requests()] == [(None, 404, 0.0)]


def test_faults_still_apply_and_a_fault_delay_adds_to_the_latency(emu: Emulator, glue_https: Any):
    emu.glue.define_workflow("etl")
    emu.set_latency({"glue": 0.002})
    emu.add_fault([{"service": "glue", "status": 500}, {"service": "glue", "delay": 0.01}])
    with pytest.raises(ClientError, match="InternalServiceException"):
        glue_https.get_workflow_runs(Name="etl")
    glue_https.get_workflow_runs(Name="etl")
    assert [(e["status"], e["fault"], e["latency"]) for e in emu.requests()] == [
        (500, "error", 0.002),
        (200, "delay", 0.002),
    ]


def test_stop_drops_a_request_still_waiting_and_others_are_not_held_up(make_glue: Any):
    emu = Emulator(latency={"glue.GetWorkflowRun": HOUR}).start()
    outcome: dict[str, Any] = {}

    def waiting_call() -> None:
        try:
            outcome["answer"] = make_glue(emu.http_url).get_workflow_run(Name="etl", RunId="wr_1")
        except Exception as exc:  # the outcome under test
            outcome["error"] = exc

    caller = threading.Thread(target=waiting_call, daemon=True)
    try:
        emu.glue.add_run("etl", [{"status": "RUNNING"}], run_id="wr_1")
        caller.start()
        deadline = time.monotonic() + 10
        while not emu.requests(operation="GetWorkflowRun") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert latencies(emu) == [("GetWorkflowRun", HOUR)]
        # Another connection is answered while the first waits out its hour.
        assert len(make_glue(emu.https_url, emu.ca_bundle).get_workflow_runs(Name="etl")["Runs"]) == 1
    finally:
        emu.stop()  # returns although a request has most of an hour left to wait
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert isinstance(outcome.get("error"), ConnectionClosedError), outcome
    assert emu.glue.run("etl", "wr_1")["observations"] == 1  # by GetWorkflowRuns: the dropped call was never handled


# --- ways to set it --------------------------------------------------------------------------


def test_control_api_get_put_delete(emu: Emulator, control_call: Any):
    assert control_call(emu, "GET", "latency") == (200, {"latency": {}})
    spec = {"*": 0.05, "dataworks": {"delay": 0.3, "jitter": 0.1}}
    normalized = {"*": rule(0.05), "dataworks": rule(0.3, 0.1)}
    assert control_call(emu, "PUT", "latency", spec) == (200, {"latency": normalized})
    assert control_call(emu, "GET", "latency") == (200, {"latency": normalized})
    assert emu.latency() == normalized
    assert control_call(emu, "PUT", "latency", 0.02) == (200, {"latency": {"*": rule(0.02)}})  # replaces, no merge
    assert control_call(emu, "DELETE", "latency") == (200, {"latency": {}})  # the constructor's: none
    assert emu.latency() == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"glue.Nope": 0.1}, "latency rule 'glue.Nope': glue has no operation 'Nope'"),
        ({"glue": -1}, "latency rule 'glue': 'delay' must be a finite number of seconds >= 0, got -1"),
        ([0.1], "latency rule '*': 'delay' must be a finite number of seconds >= 0, got [0.1]"),
        (None, "send a latency"),
    ],
)
def test_a_bad_put_is_a_400_that_says_why(emu: Emulator, control_call: Any, body: Any, message: str):
    emu.set_latency(0.5)
    status, answer = control_call(emu, "PUT", "latency", body)
    assert status == 400 and answer["error"].startswith(message)
    assert emu.latency() == {"*": rule(0.5)}


def test_a_scenario_sets_the_latency(emu: Emulator, control_call: Any, tmp_path: Path):
    emu.load_scenario({"latency": {"glue": 0.01}, "glue": {"workflows": {"etl": {}}}})
    assert emu.latency() == {"glue": rule(0.01)} and set(emu.glue.workflows()) == {"etl"}
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"latency": 0.02}))
    emu.load_scenario(str(path))
    assert emu.latency() == {"*": rule(0.02)}
    assert control_call(emu, "POST", "scenario", {"latency": {"datadog": {"delay": 0.1, "jitter": 0.05}}})[0] == 200
    assert emu.latency() == {"datadog": rule(0.1, 0.05)}


def test_a_scenario_with_a_bad_latency_changes_nothing(emu: Emulator):
    with pytest.raises(ValueError, match="unknown service 'aws'"):
        emu.load_scenario({"glue": {"workflows": {"etl": {}}}, "latency": {"aws": 1}})
    assert emu.latency() == {} and emu.glue.workflows() == {}


def test_the_demo_scenario_keeps_a_small_realistic_latency():
    assert Emulator(scenario="demo").latency() == DEMO_LATENCY == {"*": rule(0.05, 0.02)}  # 50 ms +/- 20 ms
    assert Emulator(scenario="demo", latency=0).latency() == {"*": rule(0.0)}  # an explicit latency wins


def test_reset_restores_the_constructors_latency():
    emu = Emulator(latency={"glue": 0.01})
    emu.set_latency(HOUR)
    emu.reset()
    assert emu.latency() == {"glue": rule(0.01)}
    emu.set_latency(None)
    emu.reset()
    assert emu.latency() == {"glue": rule(0.01)}
    demo = Emulator(scenario="demo")
    demo.reset()  # forgets the scenario's latency with the rest of the scenario
    assert demo.latency() == {}


def test_reset_and_delete_over_http_restore_the_constructors_latency(control_call: Any):
    with Emulator(latency=0.01) as emu:
        assert control_call(emu, "PUT", "latency", {"glue": 1})[0] == 200
        assert control_call(emu, "DELETE", "latency") == (200, {"latency": {"*": rule(0.01)}})
        emu.set_latency(None)
        assert control_call(emu, "POST", "reset") == (200, {"ok": True})
        assert emu.latency() == {"*": rule(0.01)}


def test_a_shared_emulator_never_inherits_the_previous_tests_latency(emu: Emulator):
    assert emu.latency() == {}  # the tests above set several; the fixture's reset cleared them


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "spec"),
    [
        (["0.05"], {"*": rule(0.05)}),
        (["*=0.1/0.05"], {"*": rule(0.1, 0.05)}),
        (
            ["0.05", "dataworks=0.3/0.1", "glue.GetWorkflowRun=0.5"],
            {"*": rule(0.05), "dataworks": rule(0.3, 0.1), "glue.GetWorkflowRun": rule(0.5)},
        ),
    ],
)
def test_latency_flags_parse_to_the_json_form(flags: list[str], spec: Any):
    args = _parser().parse_args([arg for flag in flags for arg in ("--latency", flag)])
    assert parse_cli_specs(args.latency) == spec
    assert Emulator(latency=spec).latency() == spec


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["fast"], "--latency 'fast': expected [SERVICE[.OPERATION]=]DELAY[/JITTER] in seconds"),
        (["glue="], "--latency 'glue=': expected"),
        (["=0.1"], "--latency '=0.1': expected"),
        (["glue=0.3/"], "--latency 'glue=0.3/': expected"),
        (["glue=0.3/x"], "--latency 'glue=0.3/x': expected"),
        (["0.1", "*=0.2"], "--latency '*=0.2': '*' already has a latency from an earlier --latency"),
    ],
)
def test_malformed_latency_flags_are_rejected(flags: list[str], message: str):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_cli_specs(flags)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("soon", "--latency 'soon': expected"),
        ("glue=-1", "latency rule 'glue': 'delay' must be"),
        ("aws=0.1", "latency rule 'aws': unknown service 'aws'"),
    ],
)
def test_cli_exits_2_with_one_line_on_a_bad_latency(tmp_path: Path, flag: str, message: str):
    result = subprocess.run(
        cli("--state-dir", str(tmp_path), "--latency", flag),
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"emulator: {message}") and result.stderr.count("\n") == 1


def test_cli_latency_flags_replace_the_demo_scenarios(tmp_path: Path, control_call: Any):
    proc = subprocess.Popen(
        cli("--state-dir", str(tmp_path), "--scenario", "demo", "--latency", "0.01", "--latency", "glue=0.02/0.01"),
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        answer = {"latency": {"*": rule(0.01), "glue": rule(0.02, 0.01)}}
        assert control_call(info["http_url"], "GET", "latency") == (200, answer)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
