"""Exit codes of ``airflow-workflow-runs``, and the one-line error every refusal becomes.

Scripts branch on the code, so each outcome of a wait and each kind of error has its own, and the
README's table lists them. An error is one line on stderr, never a traceback (``-v`` adds one for
the unexpected kind).
"""

from __future__ import annotations

from airflow_workflow_runs.model import (
    InvalidRunReference,
    RunNotFound,
    RunState,
    TransientServiceError,
    WorkflowRunError,
)

OK = 0  #: wait: the run succeeded; get, list: the run(s) were read
FAILED = 1  #: wait: the run failed
USAGE = 2  #: unknown service or command, a missing or malformed option
CANCELLED = 3  #: wait: the run was cancelled (stopped)
SKIPPED = 4  #: wait: the run was skipped
TIMED_OUT = 5  #: wait: --timeout passed before the run ended (transient answers included)
UNKNOWN_STATUS = 6  #: wait: the run ended in a status this provider does not know (fails closed)
BAD_IDS = 7  #: an id or the window broke a rule; nothing was sent
NO_CONNECTION = 8  #: the Airflow connection is not defined, or cannot be used
NOT_FOUND = 9  #: the service has no such run or workflow (or no run in the window)
REFUSED = 10  #: the service refused: credentials, permissions, a bad request, no such API
GAVE_UP = 11  #: get, list: the service answered only transient errors until --timeout
UNEXPECTED = 12  #: anything else (a bug): one line, ``-v`` for the traceback
INTERRUPTED = 130  #: Ctrl-C

#: What ``wait`` exits with for a terminal run.
BY_STATE = {
    RunState.SUCCEEDED: OK,
    RunState.FAILED: FAILED,
    RunState.CANCELLED: CANCELLED,
    RunState.SKIPPED: SKIPPED,
    RunState.UNKNOWN: UNKNOWN_STATUS,
}


class CliError(Exception):
    """An outcome that ends the command: its exit code and its one-line message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def code_of(error: WorkflowRunError) -> int:
    """The exit code of an error a hook or client raised."""
    if isinstance(error, InvalidRunReference):
        return BAD_IDS
    if isinstance(error, RunNotFound):
        return NOT_FOUND
    if isinstance(error, TransientServiceError):
        return GAVE_UP
    return REFUSED


def one_line(text: str) -> str:
    """Messages stay on one line (SDK texts sometimes hold newlines)."""
    return " ".join(text.split())
