"""The AWS Glue workflow runs start-and-wait operator, made from the declaration in ``services/glue.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.services.glue import SERVICE

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook  # noqa: F401 (the hook type, by name)


class GlueRunWorkflowOperator(WorkflowRunOperator["GlueWorkflowRunHook"], service=SERVICE):
    pass
