"""GetJobRun: the minimal Glue job-run API the benchmarks poll with the amazon provider's trigger."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airflow_workflow_runs.emulator import Emulator

JOB_RUN_ID = re.compile(r"^jr_[0-9a-f]{64}$")


def get(glue: Any, job: str, run_id: str) -> dict[str, Any]:
    return dict(glue.get_job_run(JobName=job, RunId=run_id)["JobRun"])


def test_get_job_run_follows_a_poll_timeline(emu: Emulator, glue: Any):
    run_id = emu.glue.add_job_run(
        "nightly", [{"status": "RUNNING", "polls": 2}, {"status": "FAILED", "error_message": "OOM"}]
    )
    assert JOB_RUN_ID.match(run_id)
    runs = [get(glue, "nightly", run_id) for _ in range(4)]
    assert [r["JobRunState"] for r in runs] == ["RUNNING", "RUNNING", "FAILED", "FAILED"]
    running, done = runs[0], runs[-1]
    assert (running["Id"], running["JobName"]) == (run_id, "nightly")
    assert "CompletedOn" not in running and "ErrorMessage" not in running
    assert done["ErrorMessage"] == "OOM" and done["CompletedOn"] >= done["StartedOn"]
    assert emu.glue.job_run("nightly", run_id)["observations"] == 4
    assert [e["operation"] for e in emu.requests(service="glue")] == ["GetJobRun"] * 4


def test_default_job_timeline_and_explicit_run_id(emu: Emulator, glue_https: Any):
    run_id = emu.glue.add_job_run("etl", run_id="jr_given")
    assert run_id == "jr_given"
    assert [get(glue_https, "etl", run_id)["JobRunState"] for _ in range(3)] == ["RUNNING", "RUNNING", "SUCCEEDED"]


def test_job_runs_are_apart_from_workflow_runs(emu: Emulator, glue_https: Any):
    workflow_run = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    job_run = emu.glue.add_job_run("etl", [{"status": "RUNNING"}])
    assert [r["WorkflowRunId"] for r in glue_https.get_workflow_runs(Name="etl")["Runs"]] == [workflow_run]
    assert [r["run_id"] for r in emu.glue.runs()] == [workflow_run]
    with pytest.raises(ClientError) as raised:
        glue_https.get_job_run(JobName="etl", RunId=workflow_run)
    assert raised.value.response["Error"]["Code"] == "EntityNotFoundException"
    emu.reset()
    with pytest.raises(KeyError):
        emu.glue.job_run("etl", job_run)


def test_job_timeline_rejects_workflow_fields(emu: Emulator):
    with pytest.raises(ValueError, match="statistics"):
        emu.glue.add_job_run("etl", [{"status": "SUCCEEDED", "statistics": {"FailedActions": 1}}])
    with pytest.raises(ValueError, match="job name"):
        emu.glue.add_job_run("", None)


def test_get_job_run_fault_targets_the_operation(emu: Emulator, glue_https: Any):
    run_id = emu.glue.add_job_run("etl", [{"status": "SUCCEEDED"}])
    emu.add_fault({"service": "glue", "operation": "GetJobRun", "status": 500})
    with pytest.raises(ClientError) as raised:
        get(glue_https, "etl", run_id)
    assert raised.value.response["Error"]["Code"] == "InternalServiceException"
    assert get(glue_https, "etl", run_id)["JobRunState"] == "SUCCEEDED"
