"""The Datadog Workflow Automation event trigger (an AssetWatcher's).

Made from the declaration in ``services/datadog.py``; importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.services.datadog import SERVICE
from airflow_workflow_runs.triggers.run_events import WorkflowRunEventTrigger


class DatadogWorkflowInstanceEventTrigger(WorkflowRunEventTrigger, service=SERVICE):
    pass
