"""A Glue run's graph (IncludeGraph) as boto3 parses it: the job outcomes a timeline step declares."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator

JOBS = [
    {"name": "extract", "state": "SUCCEEDED"},
    {"name": "transform", "state": "FAILED", "error_message": "ZeroDivisionError: division by zero"},
    {"name": "load", "state": "TIMEOUT", "run_id": "jr_declared"},
]


def job_runs(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each JOB node's name -> its one job run."""
    nodes = [node for node in run["Graph"]["Nodes"] if node["Type"] == "JOB"]
    assert all(len(node["JobDetails"]["JobRuns"]) == 1 for node in nodes)
    return {node["Name"]: node["JobDetails"]["JobRuns"][0] for node in nodes}


def test_the_graph_holds_a_job_node_per_declared_job_and_the_counters_follow(emu: Emulator, glue: Any):
    run_id = emu.glue.add_run(
        "etl", timeline=[{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED", "jobs": JOBS}]
    )
    running = glue.get_workflow_run(Name="etl", RunId=run_id, IncludeGraph=True)["Run"]
    assert running["Graph"] == {"Nodes": [], "Edges": []}  # the running step declares no jobs
    done = glue.get_workflow_run(Name="etl", RunId=run_id, IncludeGraph=True)["Run"]
    runs = job_runs(done)
    assert {name: r["JobRunState"] for name, r in runs.items()} == {
        "extract": "SUCCEEDED",
        "transform": "FAILED",
        "load": "TIMEOUT",
    }
    assert runs["transform"]["ErrorMessage"] == "ZeroDivisionError: division by zero"
    assert "ErrorMessage" not in runs["extract"]
    assert runs["load"]["Id"] == "jr_declared" and runs["transform"]["Id"].startswith("jr_")
    assert all(r["JobName"] == name and "CompletedOn" in r for name, r in runs.items())
    trigger = next(node for node in done["Graph"]["Nodes"] if node["Type"] == "TRIGGER")
    assert {edge["SourceId"] for edge in done["Graph"]["Edges"]} == {trigger["UniqueId"]}
    assert len(done["Graph"]["Edges"]) == 3
    counted = {key: count for key, count in done["Statistics"].items() if count}
    assert counted == {"TotalActions": 3, "SucceededActions": 1, "FailedActions": 1, "TimeoutActions": 1}
    again = glue.get_workflow_run(Name="etl", RunId=run_id, IncludeGraph=True)["Run"]
    assert job_runs(again)["transform"]["Id"] == runs["transform"]["Id"]  # stable across polls
    assert "Graph" not in glue.get_workflow_run(Name="etl", RunId=run_id, IncludeGraph=False)["Run"]


def test_explicit_statistics_win_over_the_jobs(emu: Emulator, glue: Any):
    step = {"status": "COMPLETED", "jobs": JOBS, "statistics": {"TotalActions": 5, "FailedActions": 2}}
    run = glue.get_workflow_run(Name="etl", RunId=emu.glue.add_run("etl", timeline=[step]))["Run"]
    assert (run["Statistics"]["TotalActions"], run["Statistics"]["FailedActions"]) == (5, 2)


def test_runs_started_through_the_api_follow_the_workflows_jobs(emu: Emulator, glue: Any):
    emu.glue.define_workflow("etl", timeline=[{"status": "ERROR", "jobs": JOBS[1:2]}])
    run_id = glue.start_workflow_run(Name="etl")["RunId"]
    listed = glue.get_workflow_runs(Name="etl", IncludeGraph=True)["Runs"][0]
    assert listed["WorkflowRunId"] == run_id and job_runs(listed)["transform"]["JobRunState"] == "FAILED"


def test_jobs_travel_in_the_control_api(emu: Emulator, control_call: Any, glue: Any):
    status, answer = control_call(
        emu, "POST", "glue/workflows/etl/runs", {"timeline": [{"status": "COMPLETED", "jobs": JOBS}]}
    )
    assert status == 200, answer
    run = glue.get_workflow_run(Name="etl", RunId=answer["run_id"], IncludeGraph=True)["Run"]
    assert job_runs(run)["transform"]["ErrorMessage"].startswith("ZeroDivisionError")


@pytest.mark.parametrize(
    ("jobs", "match"),
    [
        ({"name": "x"}, "must be a list"),
        ([{"name": "x"}], "takes 'name', 'state'"),
        ([{"name": "x", "state": "BROKEN"}], "not one of Glue's"),
        ([{"name": "x", "state": "FAILED", "exit_code": "1"}], "takes 'name', 'state'"),
        ([{"name": "", "state": "FAILED"}], "non-empty strings"),
        ([{"name": "x", "state": "FAILED"}, {"name": "x", "state": "SUCCEEDED"}], "appears once"),
    ],
)
def test_bad_job_declarations_are_refused(emu: Emulator, jobs: Any, match: str):
    with pytest.raises(ValueError, match=match):
        emu.glue.add_run("etl", timeline=[{"status": "COMPLETED", "jobs": jobs}])
