"""The Azure Logic Apps workflow runs event trigger (an AssetWatcher's).

Made from the declaration in ``services/logic_apps.py``; importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.services.logic_apps import SERVICE
from airflow_workflow_runs.triggers.run_events import WorkflowRunEventTrigger


class LogicAppsWorkflowRunEventTrigger(WorkflowRunEventTrigger, service=SERVICE):
    pass
