"""The AWS Glue workflow runs sensor, made from the declaration in ``services/glue.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services.glue import SERVICE


class GlueWorkflowRunSensor(WorkflowRunSensor, service=SERVICE):
    pass
