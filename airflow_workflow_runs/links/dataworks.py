"""The DataWorks console link, made from the declaration in ``services/dataworks.py``."""

from __future__ import annotations

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.services.dataworks import SERVICE


class DataWorksWorkflowInstanceLink(WorkflowRunLink, service=SERVICE):
    pass
