"""The Azure Logic Apps workflow runs start-and-wait operator, made from the declaration in ``services/logic_apps.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.services.logic_apps import SERVICE

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.logic_apps import LogicAppsWorkflowRunHook  # noqa: F401 (the hook type, by name)


class LogicAppsRunWorkflowOperator(WorkflowRunOperator["LogicAppsWorkflowRunHook"], service=SERVICE):
    pass
