"""The JSON control API under /_emulator/, driven over plain HTTP as another process would."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.control_client import control as call
from airflow_workflow_runs.emulator.registry import BUILTIN_SERVICES
from airflow_workflow_runs.emulator.scenarios import DEMO_GLUE_RUN_ID, DEMO_GLUE_WORKFLOW


def test_health_and_info(emu: Emulator):
    expected = sorted(service.name for service in BUILTIN_SERVICES)
    assert call(emu, "GET", "health") == (200, {"ok": True, "services": expected})
    assert {"glue", "codecatalyst"} <= set(expected)
    status, info = call(emu, "GET", "info")
    assert status == 200 and info["https_url"] == emu.https_url and info["ca_bundle"] == emu.ca_bundle


def test_workflows_and_runs(emu: Emulator, glue_https: Any):
    assert (
        call(
            emu,
            "PUT",
            "glue/workflows/nightly",
            {"timeline": [{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}]},
        )[0]
        == 200
    )
    status, body = call(
        emu,
        "POST",
        "glue/workflows/nightly/runs",
        {
            "run_id": "wr_given",
            "timeline": [{"status": "RUNNING"}],
            "started_on": 1_700_000_000,
            "run_properties": {"a": "b"},
        },
    )
    assert (status, body) == (200, {"run_id": "wr_given"})
    started = glue_https.start_workflow_run(Name="nightly")["RunId"]
    glue_https.stop_workflow_run(Name="nightly", RunId="wr_given")
    status, body = call(emu, "GET", "glue/runs")
    runs = {r["run_id"]: r for r in body["runs"]}
    assert status == 200 and set(runs) == {"wr_given", started}
    assert runs["wr_given"]["stop_requested"] is True and runs["wr_given"]["started_on"] == 1_700_000_000
    assert runs["wr_given"]["run_properties"] == {"a": "b"}
    assert runs[started]["stop_requested"] is False and runs[started]["status"] == "RUNNING"
    assert call(emu, "GET", f"glue/workflows/nightly/runs/{started}")[1]["run_id"] == started
    assert call(emu, "GET", "glue/workflows/nightly/runs/wr_nope")[0] == 404
    assert call(emu, "GET", "glue/workflows")[1]["workflows"]["nightly"][0] == {
        "status": "RUNNING",
        "polls": 1,
    }


def test_workflow_names_are_url_decoded(emu: Emulator):
    assert call(emu, "POST", "glue/workflows/my%20etl%2Fv2/runs", {})[0] == 200
    assert [r["workflow"] for r in emu.glue.runs()] == ["my etl/v2"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "glue/workflows/x", {"timeline": [{"status": "A"}, {"status": "B"}]}, 400),
        ("PUT", "glue/workflows/x", {"timeline": [{"status": "A", "statistics": {"Bogus": 1}}]}, 400),
        ("PUT", "glue/workflows/x", {"timline": []}, 400),
        ("POST", "glue/workflows/x/runs", {"run_properties": {"a": 1}}, 400),
        ("POST", "glue/workflows/x/runs", [1, 2], 400),
        ("POST", "faults", {"service": "nope", "status": 500}, 400),
        ("POST", "scenario", "/etc/passwd", 400),
        ("GET", "nowhere", None, 404),
        ("DELETE", "health", None, 405),
    ],
)
def test_bad_control_calls_say_why(emu: Emulator, method: str, path: str, body: Any, status: int):
    got, answer = call(emu, method, path, body)
    assert got == status and answer["error"]
    assert emu.glue.runs() == [] and emu.faults() == []


def test_duplicate_run_id_is_rejected(emu: Emulator):
    assert call(emu, "POST", "glue/workflows/x/runs", {"run_id": "wr_1"})[0] == 200
    assert call(emu, "POST", "glue/workflows/x/runs", {"run_id": "wr_1"})[0] == 400


def test_faults_and_request_log(emu: Emulator, glue_https: Any):
    emu.glue.define_workflow("etl")
    status, body = call(emu, "POST", "faults", [{"service": "glue", "operation": "GetWorkflowRuns", "status": 500}])
    assert status == 200 and body["faults"][0]["remaining"] == 1
    assert len(call(emu, "GET", "faults")[1]["faults"]) == 1
    with pytest.raises(Exception, match="InternalServiceException"):
        glue_https.get_workflow_runs(Name="etl")
    glue_https.get_workflow_runs(Name="etl")
    glue_https.start_workflow_run(Name="etl")
    _, log = call(emu, "GET", "requests?service=glue&operation=GetWorkflowRuns")
    assert [(e["status"], e["fault"]) for e in log["requests"]] == [(500, "error"), (200, None)]
    assert len(call(emu, "GET", "requests")[1]["requests"]) == 3
    call(emu, "POST", "faults", {"service": "glue", "status": 503})
    assert call(emu, "DELETE", "faults") == (200, {"ok": True}) and emu.faults() == []
    assert call(emu, "DELETE", "requests") == (200, {"ok": True}) and emu.requests() == []


def test_reset_forgets_everything(emu: Emulator, glue_https: Any):
    emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault({"service": "glue", "status": 500})
    call(emu, "GET", "nowhere")
    assert call(emu, "POST", "reset") == (200, {"ok": True})
    assert emu.glue.runs() == [] and emu.glue.workflows() == {} and emu.faults() == [] and emu.requests() == []


def test_builtin_scenario_over_the_control_api(emu: Emulator):
    assert call(emu, "POST", "scenario", "demo") == (200, {"ok": True})
    assert call(emu, "GET", f"glue/workflows/{DEMO_GLUE_WORKFLOW}/runs/{DEMO_GLUE_RUN_ID}")[0] == 200
