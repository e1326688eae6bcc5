"""The Alibaba Cloud DataWorks workflow instances event trigger (an AssetWatcher's).

Made from the declaration in ``services/dataworks.py``; importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.services.dataworks import SERVICE
from airflow_workflow_runs.triggers.run_events import WorkflowRunEventTrigger


class DataWorksWorkflowInstanceEventTrigger(WorkflowRunEventTrigger, service=SERVICE):
    pass
