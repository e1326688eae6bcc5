"""The AWS CodeCatalyst workflow runs sensor, made from the declaration in ``services/codecatalyst.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services.codecatalyst import SERVICE


class CodeCatalystWorkflowRunSensor(WorkflowRunSensor, service=SERVICE):
    pass
