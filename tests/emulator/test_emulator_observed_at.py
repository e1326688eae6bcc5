"""Every observation of a run is noted with the store's clock (the benchmarks read poll times from it)."""

from __future__ import annotations

from typing import Any

from airflow_workflow_runs.emulator import Emulator, ManualClock
from airflow_workflow_runs.emulator.glue_jobs import JOB_RUNS


def test_workflow_run_observations_are_noted_with_the_store_clock(make_glue: Any):
    clock = ManualClock(1_800_000_000)
    with Emulator(clock=clock) as emu:
        glue = make_glue(emu.http_url)
        run_id = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
        record = emu.store.run("glue", "etl", run_id)
        assert record is not None and record.observed_at == []
        glue.get_workflow_run(Name="etl", RunId=run_id)
        clock.advance(10)
        glue.get_workflow_runs(Name="etl")
        emu.glue.run("etl", run_id)  # a snapshot peeks: not an observation
        assert record.observed_at == [1_800_000_000, 1_800_000_010]
        assert record.observations == len(record.observed_at)


def test_job_run_observations_are_noted_too(emu: Emulator, glue: Any):
    run_id = emu.glue.add_job_run("nightly", [{"status": "RUNNING", "polls": 1}, {"status": "SUCCEEDED"}])
    record = emu.store.run(JOB_RUNS, "nightly", run_id)
    assert record is not None
    for expected in (1, 2, 3):
        glue.get_job_run(JobName="nightly", RunId=run_id)
        assert len(record.observed_at) == expected
    assert record.observed_at == sorted(record.observed_at)
