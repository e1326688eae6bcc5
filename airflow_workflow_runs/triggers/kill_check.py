"""Whether a trigger's cancellation is a user's kill, or a triggerer handing its triggers over.

Airflow runs ``on_kill`` when a trigger is cancelled "by user action". Airflow 3.3.2 also cancels
that way the triggers a paused triggerer lost to another one while it was stalled (a long GC, a
SIGSTOP, an overloaded node) once it resumes (apache/airflow#73454): cancelling the remote run then
would fail a task whose wait goes on elsewhere, and its retry would start a second run. A user who
kills a deferred task changes its state first (failed, success, cleared); a task still ``deferred``
was not killed, so its remote run is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow_workflow_runs.clients.io import run_blocking

log = logging.getLogger(__name__)


async def task_still_deferred(trigger: Any) -> bool:
    """True only when the task instance behind ``trigger`` is known to be still deferred."""
    ti = getattr(trigger, "task_instance", None)
    if ti is None:  # not run by a triggerer (tests, the soak): a cancellation is a kill
        return False
    try:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        states = await run_blocking(
            RuntimeTaskInstance.get_task_states,
            dag_id=ti.dag_id,
            map_index=ti.map_index,
            task_ids=[ti.task_id],
            run_ids=[ti.run_id],
        )
    except Exception as error:  # the API server's answer, not ours: when unknown, a kill is a kill
        log.warning("Could not read the state of task %s (%s); treating the cancellation as a kill", ti.task_id, error)
        return False
    state = (states.get(ti.run_id) or {}).get(ti.task_id)
    return str(getattr(state, "value", state)) == "deferred"
