"""Link to the workspace's Operation Center in the DataWorks console."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink


class DataWorksWorkflowInstanceLink(WorkflowRunLink):
    name = "DataWorks Operation Center"
