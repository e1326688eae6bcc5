"""The DataWorks start-and-wait operator, made from the declaration in ``services/dataworks.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.services.dataworks import SERVICE

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.dataworks import DataWorksWorkflowInstanceHook  # noqa: F401 (the hook type, by name)


class DataWorksRunWorkflowOperator(WorkflowRunOperator["DataWorksWorkflowInstanceHook"], service=SERVICE):
    pass
