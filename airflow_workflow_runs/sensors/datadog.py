"""Wait for a Datadog Workflow Automation instance. Importing this module imports no Datadog SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.datadog import DatadogWorkflowInstanceLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.targets import ServiceArguments

DATADOG_ARGUMENTS = ServiceArguments(
    service="datadog",
    hook_class_path="airflow_workflow_runs.hooks.datadog.DatadogWorkflowInstanceHook",
    conn_arg="datadog_conn_id",
    default_conn="datadog_workflows_default",
    ref_args=("workflow_id", "instance_id"),
    workflow_args=("workflow_id",),
)


class DatadogWorkflowInstanceSensor(WorkflowRunSensor):
    """Wait until a Datadog workflow instance ends; succeed only on ``SUCCEEDED``.

    ``INSTANCE_ERROR``/``STEP_ERROR`` fail (naming the error detail and the steps that did not
    succeed), ``CANCELED`` fails as cancelled; any other ``instanceStatus.detailsKind`` fails,
    naming it. The terminal instance (with its ``outputs``) is the XCom return value.

    :param workflow_id: the workflow's id, a UUID (templated).
    :param instance_id: the instance's id (templated). Leave it out to wait for the newest instance of
        the workflow whose ``startTimestamp`` is in ``[started_after, started_before)``.
    :param started_after: without ``instance_id``: the window's start, inclusive (templated; default:
        the DAG run's data interval).
    :param started_before: without ``instance_id``: the window's end, exclusive (templated).
    :param datadog_conn_id: a ``datadog_workflows`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    arguments = DATADOG_ARGUMENTS
    template_fields: Sequence[str] = (
        "workflow_id",
        "instance_id",
        "datadog_conn_id",
        *WorkflowRunSensor.window_template_fields,
    )
    operator_extra_links = (DatadogWorkflowInstanceLink(),)

    def __init__(
        self,
        *,
        workflow_id: str,
        instance_id: str | None = None,
        datadog_conn_id: str = "datadog_workflows_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.workflow_id = workflow_id
        self.instance_id = instance_id
        self.datadog_conn_id = datadog_conn_id
