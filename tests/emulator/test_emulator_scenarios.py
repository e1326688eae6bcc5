"""Scenarios: the built-in ``demo`` and JSON scenario files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator, ManualClock
from airflow_workflow_runs.emulator.scenarios import DEMO_GLUE_RUN_ID, DEMO_GLUE_WORKFLOW


def test_demo_scenario_timelines(make_glue: Any):
    clock = ManualClock(1_800_000_000)
    with Emulator(clock=clock, scenario="demo") as emu:
        glue = make_glue(emu.http_url)
        assert re.fullmatch(r"wr_[0-9a-f]{64}", DEMO_GLUE_RUN_ID)
        run = glue.get_workflow_run(Name=DEMO_GLUE_WORKFLOW, RunId=DEMO_GLUE_RUN_ID)["Run"]
        assert run["Status"] == "RUNNING" and run["Statistics"]["TotalActions"] == 3
        started = glue.start_workflow_run(Name=DEMO_GLUE_WORKFLOW)["RunId"]
        clock.advance(3600)  # the demo run advances by observations, not time
        statuses = [glue.get_workflow_run(Name=DEMO_GLUE_WORKFLOW, RunId=DEMO_GLUE_RUN_ID)["Run"] for _ in range(4)]
        assert [r["Status"] for r in statuses] == ["RUNNING"] * 3 + ["COMPLETED"]
        run = statuses[-1]
        assert run["Statistics"]["SucceededActions"] == run["Statistics"]["TotalActions"] == 3
        assert glue.get_workflow_run(Name=DEMO_GLUE_WORKFLOW, RunId=started)["Run"]["Status"] == "COMPLETED"


def test_scenario_file(tmp_path: Path, make_glue: Any):
    path = tmp_path / "scenario.json"
    path.write_text(
        json.dumps(
            {
                "glue": {
                    "workflows": {"nightly": {"timeline": [{"status": "RUNNING"}]}, "plain": {}},
                    "runs": [
                        {
                            "workflow": "nightly",
                            "run_id": "wr_x",
                            "timeline": [{"status": "ERROR", "error_message": "bad"}],
                        }
                    ],
                },
                "faults": [{"service": "glue", "operation": "StartWorkflowRun", "status": 500}],
            }
        )
    )
    with Emulator(scenario=str(path)) as emu:
        glue = make_glue(emu.http_url)
        assert glue.get_workflow_run(Name="nightly", RunId="wr_x")["Run"]["ErrorMessage"] == "bad"
        assert set(emu.glue.workflows()) == {"nightly", "plain"}
        assert len(emu.faults()) == 1


@pytest.mark.parametrize(
    ("scenario", "match"),
    [
        ("no-such-scenario", "neither built in"),
        ({"aws": {}}, "unknown services"),
        ({"glue": {"runs": [{"run_id": "x"}]}}, "glue scenario run"),
        ({"glue": {"jobs": {}}}, "glue scenario takes"),
    ],
)
def test_bad_scenarios_are_rejected(scenario: Any, match: str):
    with pytest.raises(ValueError, match=match):
        Emulator(scenario=scenario)
