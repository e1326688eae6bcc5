"""Link to the workflow instance in the Datadog app of the connection's site."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink


class DatadogWorkflowInstanceLink(WorkflowRunLink):
    name = "Datadog workflow instance"
