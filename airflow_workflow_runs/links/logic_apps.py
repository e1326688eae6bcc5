"""Link to the Logic Apps run in the Azure portal (Consumption run blade or Standard monitor view)."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink


class LogicAppsWorkflowRunLink(WorkflowRunLink):
    name = "Azure Logic Apps run"
