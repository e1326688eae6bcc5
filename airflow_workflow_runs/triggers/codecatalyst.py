"""The AWS CodeCatalyst workflow runs event trigger (an AssetWatcher's).

Made from the declaration in ``services/codecatalyst.py``; importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.services.codecatalyst import SERVICE
from airflow_workflow_runs.triggers.run_events import WorkflowRunEventTrigger


class CodeCatalystWorkflowRunEventTrigger(WorkflowRunEventTrigger, service=SERVICE):
    pass
