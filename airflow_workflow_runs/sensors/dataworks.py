"""The Alibaba Cloud DataWorks workflow instances sensor, made from the declaration in ``services/dataworks.py``.

Importing this module imports no cloud SDK.
"""

from __future__ import annotations

from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services.dataworks import SERVICE


class DataWorksWorkflowInstanceSensor(WorkflowRunSensor, service=SERVICE):
    pass
