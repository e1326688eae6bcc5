"""The Datadog Workflow Automation console link (made from the declaration in ``services/datadog.py``)."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.services.datadog import SERVICE


class DatadogWorkflowInstanceLink(WorkflowRunLink, service=SERVICE):
    pass
