"""Check: a user marks a deferred operator task failed from the REST API; its remote run is cancelled once.

What the UI's "Mark as failed" does: ``PATCH .../taskInstances/{task_id}`` with ``new_state: failed``.
Airflow then drops the trigger, the triggerer cancels it as a user action and calls the trigger's
``on_kill``, which asks the service to cancel the run the operator started (Glue StopWorkflowRun,
Logic Apps Cancel). The remote runs here never end by themselves.
"""

from __future__ import annotations

import time

from .api import wait_for
from .examples import wait_all
from .remote import FOREVER, GLUE, LOGIC_APPS
from .report import CheckResult, Timer
from .stack import Stack
from .waits import launch, operator_ti, poll_counts, wait_deferred, wait_polled

CANCELLED = {"glue": {"STOPPING", "STOPPED"}, "logic_apps": {"Cancelled"}}
SETTLE = 5.0  # seconds to wait after the first cancel for a second one that must not come


def check_kill_task(stack: Stack) -> CheckResult:
    result = CheckResult("kill-task", "a deferred operator marked failed from the REST API cancels its remote run once")
    timer = Timer()
    api = stack.airflow_api()
    emulator = stack.emulator_api()
    waits = [
        *launch(stack, GLUE, "e2e_kill_etl", polls=FOREVER),
        *launch(stack, LOGIC_APPS, "e2e-kill-export", polls=FOREVER),
    ]
    before = poll_counts(stack, waits)
    wait_deferred(stack, waits, None, timeout=180)
    wait_polled(stack, waits, before)
    for wait in waits:
        api.set_task_state(wait.dag.dag_id, wait.run_id, wait.dag.operator_task, "failed")
        result.info(f"{wait.label}: PATCHed {wait.dag.operator_task} to failed while deferred")
    for wait in waits:
        try:
            wait_for(
                f"a {wait.dag.cancel_operation} call for {wait.label}",
                lambda w=wait: w.dag.cancels(emulator, w.workflow),  # type: ignore[misc]
                timeout=60,
            )
        except TimeoutError as exc:
            result.fail(str(exc))
    time.sleep(SETTLE)
    finished = wait_all(stack, [(w.dag.dag_id, w.run_id) for w in waits], time.monotonic() + 120)
    for wait in waits:
        cancels = wait.dag.cancels(emulator, wait.workflow)
        starts = wait.dag.starts(emulator, wait.workflow, wait.run_id)
        remote = [r for r in wait.dag.started_runs(emulator, wait.workflow) if r.dag_run_id == wait.run_id]
        ti = operator_ti(stack, wait)
        result.expect(len(starts) == 1, f"{wait.label}: {len(starts)} {wait.dag.start_operation} call(s)")
        result.expect(len(cancels) == 1, f"  {len(cancels)} {wait.dag.cancel_operation} call(s)")
        result.expect(
            len(remote) == 1 and remote[0].status in CANCELLED[wait.dag.service],
            f"  the remote run: {[(r.run_id, r.status) for r in remote]}",
        )
        result.expect(
            ti["state"] == "failed" and ti["try_number"] == 1,
            f"  {wait.dag.operator_task} {ti['state']} (try {ti['try_number']}), no retry",
        )
        run = finished[wait.dag.dag_id, wait.run_id]
        result.expect(run["state"] == "failed", f"  DAG run {run['state']}")
    result.seconds = timer()
    return result
