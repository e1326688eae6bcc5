"""The CodeCatalyst start-and-wait operator, made from the declaration in ``services/codecatalyst.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.services.codecatalyst import SERVICE

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.codecatalyst import CodeCatalystWorkflowRunHook  # noqa: F401 (the hook type, by name)


class CodeCatalystRunWorkflowOperator(WorkflowRunOperator["CodeCatalystWorkflowRunHook"], service=SERVICE):
    pass
