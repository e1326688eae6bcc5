"""Long waits for the triggerer checks: example DAGs pointed (through their params) at e2e workflows.

Each check defines workflows of its own in the emulator, whose started runs stay running for a
number of polls (observations, so a slow machine or a triggerer hand-over cannot make a run end
before the check has done its part), and a finished run for the example's sensors, so that only
the start-and-wait operator defers. The DAG run is triggered with ``conf`` overriding the example's
params, as a user would from the UI. The emulator's request log and run listings then say how many
runs were started and cancelled, and which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .api import Emulator

FOREVER = 100_000  # polls: a run that only a cancel ends


@dataclass(frozen=True)
class LongWaitDag:
    """An example DAG whose deferred start-and-wait operator can be aimed at an e2e workflow."""

    service: str
    dag_id: str
    operator_task: str
    start_operation: str
    cancel_operation: str
    poll_operations: tuple[str, ...]

    def prepare(self, emulator: Emulator, workflow: str, polls: int) -> dict[str, Any]:
        """Define ``workflow`` (runs stay running for ``polls`` observations) and return the DAG run conf."""
        if self.service == "glue":
            timeline = [{"status": "RUNNING", "polls": polls}, {"status": "COMPLETED"}]
            emulator.call("PUT", f"glue/workflows/{workflow}", {"timeline": timeline})
            done = emulator.call("POST", f"glue/workflows/{workflow}/runs", {"timeline": [{"status": "COMPLETED"}]})
            return {"workflow_name": workflow, "run_id": done["run_id"]}
        timeline = [{"status": "Running", "polls": polls}, {"status": "Succeeded"}]
        emulator.call("PUT", "logic_apps/workflows", {**STANDARD, "workflow": workflow, "timeline": timeline})
        done = emulator.call("POST", "logic_apps/runs", {**CONSUMPTION, "timeline": [{"status": "Succeeded"}]})
        return {
            "consumption_workflow": CONSUMPTION["workflow"],
            "run_name": done["run_id"],
            "standard_workflow": workflow,
        }

    def _for(self, entry: dict[str, Any], workflow: str) -> bool:
        if self.service == "glue":
            return bool((entry.get("body") or {}).get("Name") == workflow)
        return f"/workflows/{workflow}/" in entry["path"] or entry["path"].endswith(f"/workflows/{workflow}")

    def starts(self, emulator: Emulator, workflow: str, dag_run_id: str) -> list[dict[str, Any]]:
        """The start requests the DAG run ``dag_run_id`` sent for ``workflow`` (Logic Apps' invoke URL names
        the workflow by an opaque id: there the body's ``airflow_run_id`` alone says whose start it is)."""
        entries = emulator.requests(self.service, self.start_operation)
        if self.service == "glue":
            entries = [e for e in entries if self._for(e, workflow)]
        return [e for e in entries if self._started_by(e) == dag_run_id]

    def _started_by(self, entry: dict[str, Any]) -> str | None:
        body = entry.get("body") or {}
        if self.service == "glue":
            return str((body.get("RunProperties") or {}).get("triggered_by") or "").partition("/")[2] or None
        value = body.get("airflow_run_id")
        return str(value) if value else None

    def cancels(self, emulator: Emulator, workflow: str) -> list[dict[str, Any]]:
        return [e for e in emulator.requests(self.service, self.cancel_operation) if self._for(e, workflow)]

    def polls(self, emulator: Emulator, workflow: str) -> int:
        return sum(
            1 for op in self.poll_operations for e in emulator.requests(self.service, op) if self._for(e, workflow)
        )

    def started_runs(self, emulator: Emulator, workflow: str) -> list[StartedRun]:
        """Every run of ``workflow`` a DAG run started (not the finished run for the sensors), oldest first."""
        query = f"glue/workflows/{workflow}/runs" if self.service == "glue" else f"logic_apps/runs?workflow={workflow}"
        started = []
        for run in emulator.call("GET", query)["runs"]:
            if self.service == "glue":
                by = str((run.get("run_properties") or {}).get("triggered_by") or "")
                dag_run_id = by.partition("/")[2] or None
            else:
                dag_run_id = (run.get("trigger_body") or {}).get("airflow_run_id")
            if dag_run_id:
                started.append(StartedRun(run["run_id"], run["status"], dag_run_id))
        return started


@dataclass(frozen=True)
class StartedRun:
    run_id: str
    status: str
    dag_run_id: str


STANDARD = {"resource_group": "rg-airflow", "site": "la-standard-site"}
CONSUMPTION = {"workflow": "la-ingest-orders", "resource_group": "rg-airflow"}

GLUE = LongWaitDag(
    service="glue",
    dag_id="example_glue_workflow_runs",
    operator_task="run_workflow",
    start_operation="StartWorkflowRun",
    cancel_operation="StopWorkflowRun",
    poll_operations=("GetWorkflowRun", "GetWorkflowRuns"),
)
LOGIC_APPS = LongWaitDag(
    service="logic_apps",
    dag_id="example_logic_apps_workflow_runs",
    operator_task="run_export",
    start_operation="InvokeTrigger",
    cancel_operation="CancelWorkflowRun",
    poll_operations=("GetWorkflowRun", "ListWorkflowRuns"),
)
LONG_WAIT_DAGS = (GLUE, LOGIC_APPS)
