"""The Azure Logic Apps workflow runs sensor, made from the declaration in ``services/logic_apps.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services.logic_apps import SERVICE


class LogicAppsWorkflowRunSensor(WorkflowRunSensor, service=SERVICE):
    pass
