"""Link to the Glue workflow in the AWS console."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink


class GlueWorkflowRunLink(WorkflowRunLink):
    name = "AWS Glue workflow"
