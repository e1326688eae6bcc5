"""Wait for an Alibaba Cloud DataWorks workflow instance. Importing this module imports no Alibaba SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.dataworks import DataWorksWorkflowInstanceLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.targets import ServiceArguments

DATAWORKS_ARGUMENTS = ServiceArguments(
    service="dataworks",
    hook_class_path="airflow_workflow_runs.hooks.dataworks.DataWorksWorkflowInstanceHook",
    conn_arg="dataworks_conn_id",
    default_conn="alibaba_dataworks_default",
    ref_args=("project_id", "instance_id"),
    workflow_args=("project_id", "workflow_id"),
)


class DataWorksWorkflowInstanceSensor(WorkflowRunSensor):
    """Wait until a DataWorks workflow instance ends; succeed only on ``Success``.

    ``NotRun``, ``WaitTime``, ``WaitResource``, ``CheckingCondition``, ``Running`` and ``Checking``
    keep waiting; ``Failure`` fails (DataWorks also reports a *stopped* instance as ``Failure``);
    an unknown status fails, naming it.

    :param instance_id: the workflow instance id, a positive integer (templated). Leave it out (and give
        ``project_id`` and ``workflow_id``) to wait for the newest instance of that workflow whose
        BUSINESS DATE falls in the window: every date D with ``started_after.date() <= D`` and
        ``D 00:00 < started_before``, so a daily data interval selects its own date.
    :param workflow_id: without ``instance_id``: the workflow, a positive integer (templated).
    :param started_after: without ``instance_id``: the window's start (templated; default: the DAG
        run's data interval).
    :param started_before: without ``instance_id``: the window's end, exclusive (templated).
    :param dataworks_conn_id: an ``alibaba_dataworks`` connection (templated).
    :param project_id: the workspace id, optional: only completes the console link before the
        instance has been read (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    arguments = DATAWORKS_ARGUMENTS
    template_fields: Sequence[str] = (
        "instance_id",
        "dataworks_conn_id",
        "project_id",
        "workflow_id",
        *WorkflowRunSensor.window_template_fields,
    )
    operator_extra_links = (DataWorksWorkflowInstanceLink(),)

    def __init__(
        self,
        *,
        instance_id: int | str | None = None,
        dataworks_conn_id: str | None = "alibaba_dataworks_default",
        project_id: int | str | None = None,
        workflow_id: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.instance_id = instance_id
        self.dataworks_conn_id = dataworks_conn_id
        self.project_id = project_id
        self.workflow_id = workflow_id
