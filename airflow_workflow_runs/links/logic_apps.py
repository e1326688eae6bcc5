"""The Azure Logic Apps workflow runs console link (made from the declaration in ``services/logic_apps.py``)."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.services.logic_apps import SERVICE


class LogicAppsWorkflowRunLink(WorkflowRunLink, service=SERVICE):
    pass
