"""Scenarios: canned emulator state, built in (``demo``) or loaded from a JSON file.

A scenario maps service names to that service's section, plus optional ``faults``,
``schedules`` and ``latency``::

    {"glue": {"workflows": {"nightly": {"timeline": [...]}},
              "runs": [{"workflow": "nightly", "run_id": "wr_...", "timeline": [...]}]},
     "faults": [{"service": "glue", "operation": "GetWorkflowRun", "status": 500}],
     "schedules": [{"service": "glue", "every_seconds": 20, "run": {"name": "nightly"}}],
     "latency": {"*": 0.05, "glue.GetWorkflowRun": {"delay": 0.3, "jitter": 0.1}}}

``schedules`` start a run every ``every_seconds`` (the first when the scenario loads); ``run``
holds the arguments of the service's add method (see :mod:`.schedules`). ``latency`` replaces the
emulator's latency rules (see :mod:`.latency`) until the next reset.

The built-in ``demo`` scenario (ids below are stable, so docs and example DAGs can use them):

* Glue workflow ``demo_nightly_etl`` (:data:`DEMO_GLUE_WORKFLOW`): runs started through
  StartWorkflowRun are RUNNING for 4 seconds, then COMPLETED.
* Glue run :data:`DEMO_GLUE_RUN_ID` on that workflow, present from start-up: RUNNING (1 of 3
  actions done) for its first 4 observations (whenever a DAG gets to it), then COMPLETED with
  all 3 succeeded.
* CodeCatalyst workflow :data:`DEMO_CODECATALYST_WORKFLOW_ID` in space ``demo-space``, project
  ``demo-project``: started runs go PROVISIONING, IN_PROGRESS (2 polls), SUCCEEDED; run
  :data:`DEMO_CODECATALYST_RUN_ID` is IN_PROGRESS for 3 observations, then SUCCEEDED.
* Datadog workflow :data:`DEMO_DATADOG_WORKFLOW_ID`: started instances are IN_PROGRESS for 2 polls,
  then SUCCEEDED; instance :data:`DEMO_DATADOG_INSTANCE_ID` is IN_PROGRESS for 3 observations, then
  SUCCEEDED.
* DataWorks workspace 10086: instances started for workflow 700001 go NotRun, Running (2 polls),
  Success; instance 900001 is Running for 3 observations, then Success.
* Azure Logic Apps, subscription ``6f0d2b1e-...`` (the emulator's default), resource group
  ``rg-airflow``: Consumption workflow ``la-ingest-orders`` with run :data:`DEMO_LOGIC_APPS_RUN`
  (Running for 3 observations, then Succeeded); Standard site ``la-standard-site`` with workflow
  ``export-invoices`` whose triggered runs succeed after 2 polls.
* Schedules, one per service, every :data:`DEMO_SCHEDULE_SECONDS` (30) seconds from start-up, for
  a DAG that waits for the latest run of a workflow: each run is running for 8 seconds, then
  succeeds. Glue workflow :data:`DEMO_SCHEDULED_GLUE_WORKFLOW`; CodeCatalyst workflow
  :data:`DEMO_SCHEDULED_CODECATALYST_WORKFLOW_ID` (``demo-space``/``demo-project``); Datadog
  workflow :data:`DEMO_SCHEDULED_DATADOG_WORKFLOW_ID`; DataWorks workflow
  :data:`DEMO_SCHEDULED_DATAWORKS_WORKFLOW_ID` in workspace 10086 (business date: the tick's own
  date in UTC+8, not the day before, so today's data interval finds them); Logic Apps Consumption
  workflow :data:`DEMO_SCHEDULED_LOGIC_APPS_WORKFLOW` in ``rg-airflow``.
* Latency :data:`DEMO_LATENCY`: every request waits 50 ms +/- 20 ms, so ``make demo`` and
  ``make emulator`` are never unrealistically instant (``--latency 0`` turns it off).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

DEMO_CODECATALYST_SPACE = "demo-space"
DEMO_CODECATALYST_PROJECT = "demo-project"
DEMO_CODECATALYST_WORKFLOW_ID = "5f0c1d6e-2b7a-4c3e-9d81-0a1b2c3d4e5f"
DEMO_CODECATALYST_RUN_ID = "9e8d7c6b-5a49-4c3b-8a2d-1f0e9d8c7b6a"

DEMO_GLUE_WORKFLOW = "demo_nightly_etl"
DEMO_GLUE_RUN_ID = "wr_" + hashlib.sha256(b"airflow-workflow-runs demo glue run").hexdigest()

DEMO: dict[str, Any] = {
    "glue": {
        "workflows": {DEMO_GLUE_WORKFLOW: {"timeline": [{"status": "RUNNING", "seconds": 4}, {"status": "COMPLETED"}]}},
        "runs": [
            {
                "workflow": DEMO_GLUE_WORKFLOW,
                "run_id": DEMO_GLUE_RUN_ID,
                "run_properties": {"source": "demo"},
                "timeline": [
                    {
                        "status": "RUNNING",
                        "polls": 4,
                        "statistics": {
                            "TotalActions": 3,
                            "SucceededActions": 1,
                            "RunningActions": 1,
                            "WaitingActions": 1,
                        },
                    },
                    {"status": "COMPLETED", "statistics": {"TotalActions": 3}},
                ],
            }
        ],
    }
}

DEMO["codecatalyst"] = {
    "workflows": [
        {
            "space": DEMO_CODECATALYST_SPACE,
            "project": DEMO_CODECATALYST_PROJECT,
            "workflow_id": DEMO_CODECATALYST_WORKFLOW_ID,
            "name": "build-and-test",
            "timeline": [
                {"status": "PROVISIONING", "polls": 1},
                {"status": "IN_PROGRESS", "polls": 2},
                {"status": "SUCCEEDED"},
            ],
        }
    ],
    "runs": [
        {
            "space": DEMO_CODECATALYST_SPACE,
            "project": DEMO_CODECATALYST_PROJECT,
            "workflow_id": DEMO_CODECATALYST_WORKFLOW_ID,
            "run_id": DEMO_CODECATALYST_RUN_ID,
            "timeline": [{"status": "IN_PROGRESS", "polls": 3}, {"status": "SUCCEEDED"}],
        }
    ],
}

DEMO_DATADOG_WORKFLOW_ID = "7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
DEMO_DATADOG_INSTANCE_ID = "3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a"
_DD_STEP = "Clean_up_tmp"
DEMO["datadog"] = {
    "workflows": [
        {
            "workflow_id": DEMO_DATADOG_WORKFLOW_ID,
            "name": "remediate-disk-full",
            "timeline": [
                {"status": "IN_PROGRESS", "polls": 2, "steps": [{"stepName": _DD_STEP, "stepState": "IN_PROGRESS"}]},
                {
                    "status": "SUCCEEDED",
                    "steps": [{"stepName": _DD_STEP, "stepState": "SUCCEEDED"}],
                    "outputs": {"freed_gb": 12},
                },
            ],
        }
    ],
    "instances": [
        {
            "workflow_id": DEMO_DATADOG_WORKFLOW_ID,
            "instance_id": DEMO_DATADOG_INSTANCE_ID,
            "payload": {"host": "db-02"},
            "timeline": [
                {"status": "IN_PROGRESS", "polls": 3, "steps": [{"stepName": _DD_STEP, "stepState": "IN_PROGRESS"}]},
                {
                    "status": "SUCCEEDED",
                    "steps": [{"stepName": _DD_STEP, "stepState": "SUCCEEDED"}],
                    "outputs": {"freed_gb": 7},
                },
            ],
        }
    ],
}

DEMO_DATAWORKS_PROJECT_ID = 10086
DEMO_DATAWORKS_WORKFLOW_ID = 700001
DEMO_DATAWORKS_INSTANCE_ID = 900001
DEMO["dataworks"] = {
    "workflows": [
        {
            "project_id": DEMO_DATAWORKS_PROJECT_ID,
            "workflow_id": DEMO_DATAWORKS_WORKFLOW_ID,
            "name": "ods_to_dws_manual",
            "creation_polls": 1,
            "timeline": [{"status": "NotRun", "polls": 1}, {"status": "Running", "polls": 2}, {"status": "Success"}],
        }
    ],
    "instances": [
        {
            "project_id": DEMO_DATAWORKS_PROJECT_ID,
            "workflow_id": DEMO_DATAWORKS_WORKFLOW_ID,
            "instance_id": DEMO_DATAWORKS_INSTANCE_ID,
            "name": "nightly_ods_to_dws",
            "type": "Normal",
            "timeline": [{"status": "Running", "polls": 3}, {"status": "Success"}],
        }
    ],
}

DEMO_LOGIC_APPS_RUN = "08584737551867954143243946780CU57"
DEMO["logic_apps"] = {
    "workflows": [
        {"workflow": "la-ingest-orders", "resource_group": "rg-airflow"},
        {
            "workflow": "export-invoices",
            "resource_group": "rg-airflow",
            "site": "la-standard-site",
            "timeline": [{"status": "Running", "polls": 2}, {"status": "Succeeded"}],
        },
    ],
    "runs": [
        {
            "workflow": "la-ingest-orders",
            "resource_group": "rg-airflow",
            "run_id": DEMO_LOGIC_APPS_RUN,
            "timeline": [{"status": "Running", "polls": 3}, {"status": "Succeeded"}],
        }
    ],
}

DEMO_SCHEDULE_SECONDS = 30
DEMO_SCHEDULED_GLUE_WORKFLOW = "demo_scheduled_refresh"
DEMO_SCHEDULED_CODECATALYST_WORKFLOW_ID = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
DEMO_SCHEDULED_DATADOG_WORKFLOW_ID = "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"
DEMO_SCHEDULED_DATAWORKS_WORKFLOW_ID = 700002
DEMO_SCHEDULED_LOGIC_APPS_WORKFLOW = "la-scheduled-sync"


def _every_demo_period(service: str, running: str, succeeded: str, **run: Any) -> dict[str, Any]:
    timeline = [{"status": running, "seconds": 8}, {"status": succeeded}]
    return {"service": service, "every_seconds": DEMO_SCHEDULE_SECONDS, "run": {**run, "timeline": timeline}}


DEMO["schedules"] = [
    _every_demo_period("glue", "RUNNING", "COMPLETED", name=DEMO_SCHEDULED_GLUE_WORKFLOW),
    _every_demo_period(
        "codecatalyst",
        "IN_PROGRESS",
        "SUCCEEDED",
        space=DEMO_CODECATALYST_SPACE,
        project=DEMO_CODECATALYST_PROJECT,
        workflow_id=DEMO_SCHEDULED_CODECATALYST_WORKFLOW_ID,
    ),
    _every_demo_period("datadog", "IN_PROGRESS", "SUCCEEDED", workflow_id=DEMO_SCHEDULED_DATADOG_WORKFLOW_ID),
    _every_demo_period(
        "dataworks",
        "Running",
        "Success",
        project_id=DEMO_DATAWORKS_PROJECT_ID,
        workflow_id=DEMO_SCHEDULED_DATAWORKS_WORKFLOW_ID,
        name="ods_refresh_every_30s",
        biz_date_offset_days=0,
    ),
    _every_demo_period(
        "logic_apps", "Running", "Succeeded", workflow=DEMO_SCHEDULED_LOGIC_APPS_WORKFLOW, resource_group="rg-airflow"
    ),
]

DEMO_LATENCY = {"*": {"delay": 0.05, "jitter": 0.02}}
DEMO["latency"] = DEMO_LATENCY

BUILTIN_SCENARIOS: dict[str, dict[str, Any]] = {"demo": DEMO}


def resolve_scenario(scenario: Any, *, allow_files: bool = True) -> dict[str, Any]:
    """A scenario dict from a built-in name, a JSON file path or a dict (copied, not mutated)."""
    if isinstance(scenario, dict):
        return copy.deepcopy(scenario)
    if isinstance(scenario, str | Path):
        builtin = BUILTIN_SCENARIOS.get(str(scenario))
        if builtin is not None:
            return copy.deepcopy(builtin)
        if not allow_files:
            raise ValueError(f"unknown scenario {str(scenario)!r}; built-in: {sorted(BUILTIN_SCENARIOS)}")
        path = Path(scenario)
        if not path.is_file():
            raise ValueError(
                f"scenario {str(scenario)!r} is neither built in ({sorted(BUILTIN_SCENARIOS)}) nor a JSON file"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read scenario file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"scenario file {path} must hold a JSON object")
        return data
    raise ValueError(f"a scenario is a name, a path or an object, got {type(scenario).__name__}")
