"""The AWS Glue workflow runs console link (made from the declaration in ``services/glue.py``)."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.services.glue import SERVICE


class GlueWorkflowRunLink(WorkflowRunLink, service=SERVICE):
    pass
