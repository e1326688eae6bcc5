"""The Datadog Workflow Automation sensor, made from the declaration in ``services/datadog.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services.datadog import SERVICE


class DatadogWorkflowInstanceSensor(WorkflowRunSensor, service=SERVICE):
    pass
