"""Wait for an AWS Glue workflow run. Importing this module imports no AWS SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.glue import GlueWorkflowRunLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.targets import ServiceArguments

GLUE_ARGUMENTS = ServiceArguments(
    service="glue",
    hook_class_path="airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
    conn_arg="aws_conn_id",
    default_conn="aws_default",
    ref_args=("workflow_name", "run_id"),
    workflow_args=("workflow_name",),
    option_args=("region_name",),
)


class GlueWorkflowRunSensor(WorkflowRunSensor):
    """Wait until a Glue workflow run ends; succeed only if it COMPLETED with every action successful.

    A run that is ``COMPLETED`` but whose ``Statistics`` count failed, errored, timed-out or stopped
    actions fails the sensor, with the counts in the message. ``STOPPED`` and ``ERROR`` fail it; a
    status this provider does not know fails it too, naming the status.

    :param workflow_name: the Glue workflow's name (templated).
    :param run_id: the workflow run id, ``wr_...`` (templated). Leave it out to wait for the newest run
        of the workflow whose ``StartedOn`` is in ``[started_after, started_before)`` instead.
    :param started_after: without ``run_id``: the window's start, inclusive (templated; default: the
        DAG run's data interval).
    :param started_before: without ``run_id``: the window's end, exclusive (templated).
    :param aws_conn_id: the amazon provider's ``aws`` connection (templated).
    :param region_name: overrides the connection's region (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).

    Returns (XCom) the terminal run as a dict: ``state``, ``raw_status``, ``started_at``,
    ``ended_at``, ``error``, ``outputs`` (the run properties), ``console_url``, ``details``
    (``statistics``).
    """

    arguments = GLUE_ARGUMENTS
    template_fields: Sequence[str] = (
        "workflow_name",
        "run_id",
        "aws_conn_id",
        "region_name",
        *WorkflowRunSensor.window_template_fields,
    )
    operator_extra_links = (GlueWorkflowRunLink(),)

    def __init__(
        self,
        *,
        workflow_name: str,
        run_id: str | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.workflow_name = workflow_name
        self.run_id = run_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
