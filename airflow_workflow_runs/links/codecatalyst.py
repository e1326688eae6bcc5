"""Link to the workflow run in the CodeCatalyst console."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink


class CodeCatalystWorkflowRunLink(WorkflowRunLink):
    name = "CodeCatalyst workflow run"
