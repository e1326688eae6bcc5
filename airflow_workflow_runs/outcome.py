"""Turn a terminal run into the task's result: its XCom value, a skip, or an exception.

Fail closed: only ``SUCCEEDED`` succeeds. Messages name the run, its raw status, the remote error
text and the console URL, so the task log alone says what happened and where to look.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from airflow_workflow_runs.model import RunState, WorkflowRun


class WorkflowRunFailed(AirflowException):
    """The remote run ended without success (or could not be read). Task retries apply."""

    def __init__(self, message: str, run: WorkflowRun | None = None) -> None:
        super().__init__(message)
        self.run = run


class WatchedRunFailed(WorkflowRunFailed, AirflowFailException):
    """A sensor's run ended without success: retrying the sensor cannot change that outcome."""


def failure_message(run: WorkflowRun) -> str:
    return run.outcome_text()


def finish(run: WorkflowRun, failure: type[WorkflowRunFailed] = WorkflowRunFailed) -> dict[str, Any]:
    """Return the XCom value of a successful run; raise for every other terminal state."""
    if run.state is RunState.SUCCEEDED:
        return run.to_dict()
    if run.state is RunState.SKIPPED:
        raise AirflowSkipException(failure_message(run))
    raise failure(failure_message(run), run)
