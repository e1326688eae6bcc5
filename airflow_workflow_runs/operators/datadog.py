"""The Datadog Workflow Automation start-and-wait operator, made from the declaration in ``services/datadog.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.services.datadog import SERVICE

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook  # noqa: F401 (the hook type, by name)


class DatadogRunWorkflowOperator(WorkflowRunOperator["DatadogWorkflowInstanceHook"], service=SERVICE):
    pass
