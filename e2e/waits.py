"""Deferred waits the triggerer checks launch and follow: one DAG run each, one deferred operator each."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .api import wait_for
from .examples import wait_all
from .remote import LongWaitDag
from .report import CheckResult, describe_logs
from .stack import Stack

SUCCEEDED = {"glue": "COMPLETED", "logic_apps": "Succeeded"}


@dataclass
class Wait:
    dag: LongWaitDag
    workflow: str
    run_id: str  # the DAG run's

    @property
    def label(self) -> str:
        return f"{self.dag.dag_id} {self.run_id} ({self.dag.service} workflow {self.workflow})"


def launch(stack: Stack, dag: LongWaitDag, workflow: str, polls: int, count: int = 1) -> list[Wait]:
    """Define ``workflow`` and trigger ``count`` runs of ``dag`` aimed at it (conf overrides the params)."""
    api = stack.airflow_api()
    conf = dag.prepare(stack.emulator_api(), workflow, polls)
    api.unpause(dag.dag_id)
    return [Wait(dag, workflow, api.trigger(dag.dag_id, conf)) for _ in range(count)]


def operator_ti(stack: Stack, wait: Wait) -> dict[str, Any]:
    return stack.airflow_api().task_instance(wait.dag.dag_id, wait.run_id, wait.dag.operator_task)


def triggerer_of(ti: dict[str, Any]) -> int | None:
    """The triggerer job id the TI's trigger is assigned to (None: not deferred or not yet assigned)."""
    trigger = ti.get("trigger") or {}
    return trigger.get("triggerer_id") if ti["state"] == "deferred" else None


def wait_deferred(stack: Stack, waits: list[Wait], on: set[int] | None, timeout: float) -> dict[str, int]:
    """Wait until every wait's operator is deferred with its trigger assigned (to one of ``on``, if
    given); DAG run id -> triggerer job id."""

    def assigned() -> dict[str, int] | None:
        stack.check_alive()
        seen: dict[str, int] = {}
        for wait in waits:
            ti = operator_ti(stack, wait)
            if ti["state"] not in ("deferred", "scheduled", "queued", "running", None):
                raise RuntimeError(f"{wait.label}: {wait.dag.operator_task} is {ti['state']} before it deferred")
            job = triggerer_of(ti)
            if job is None or (on is not None and job not in on):
                return None
            seen[wait.run_id] = job
        return seen

    return wait_for(f"{len(waits)} operators deferred and their triggers assigned", assigned, timeout)


def wait_polled(stack: Stack, waits: list[Wait], before: dict[str, int], timeout: float = 60) -> None:
    """Wait until the emulator saw a new poll of each wait's workflow since ``before`` (workflow -> polls)."""
    emulator = stack.emulator_api()

    def polled() -> bool:
        return all(w.dag.polls(emulator, w.workflow) > before[w.workflow] for w in waits)

    wait_for("the triggers to poll their runs", polled, timeout)


def poll_counts(stack: Stack, waits: list[Wait]) -> dict[str, int]:
    emulator = stack.emulator_api()
    return {w.workflow: w.dag.polls(emulator, w.workflow) for w in waits}


def verify_succeeded(stack: Stack, result: CheckResult, waits: list[Wait], timeout: float) -> None:
    """Each DAG run succeeded with its operator on try 1, one start call, no cancel, and the operator's
    result is the run that start call created, succeeded."""
    api = stack.airflow_api()
    emulator = stack.emulator_api()
    finished = wait_all(stack, [(w.dag.dag_id, w.run_id) for w in waits], time.monotonic() + timeout)
    for wait in waits:
        run = finished[wait.dag.dag_id, wait.run_id]
        ti = operator_ti(stack, wait)
        tries = ti["try_number"]
        starts = wait.dag.starts(emulator, wait.workflow, wait.run_id)
        remote = [r for r in wait.dag.started_runs(emulator, wait.workflow) if r.dag_run_id == wait.run_id]
        xcom_run = api.xcom(wait.dag.dag_id, wait.run_id, wait.dag.operator_task)["run_id"] if tries else None
        ok = result.expect(
            run["state"] == "success" and ti["state"] == "success" and tries == 1,
            f"{wait.label}: DAG run {run['state']}, {wait.dag.operator_task} {ti['state']} on try {tries}",
        )
        if not ok:
            logs = describe_logs(stack.home, ti)
            result.info(f"  log: {logs}")
        result.expect(len(starts) == 1, f"  {len(starts)} {wait.dag.start_operation} call(s) for this DAG run")
        result.expect(
            len(remote) == 1 and remote[0].run_id == xcom_run and remote[0].status == SUCCEEDED[wait.dag.service],
            f"  remote runs it started: {[(r.run_id, r.status) for r in remote]}; the operator's result: {xcom_run}",
        )
    for workflow, dag in {w.workflow: w.dag for w in waits}.items():
        cancels = dag.cancels(emulator, workflow)
        result.expect(not cancels, f"{len(cancels)} {dag.cancel_operation} calls on {dag.service} workflow {workflow}")
