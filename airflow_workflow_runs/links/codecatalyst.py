"""The AWS CodeCatalyst workflow runs console link (made from the declaration in ``services/codecatalyst.py``)."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.services.codecatalyst import SERVICE


class CodeCatalystWorkflowRunLink(WorkflowRunLink, service=SERVICE):
    pass
