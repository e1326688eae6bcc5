"""The AWS Glue workflow runs event trigger (an AssetWatcher's).

Made from the declaration in ``services/glue.py``; importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.services.glue import SERVICE
from airflow_workflow_runs.triggers.run_events import WorkflowRunEventTrigger


class GlueWorkflowRunEventTrigger(WorkflowRunEventTrigger, service=SERVICE):
    pass
