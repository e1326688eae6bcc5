"""Wait for an AWS CodeCatalyst workflow run. Importing this module imports no AWS SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.codecatalyst import CodeCatalystWorkflowRunLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.targets import ServiceArguments

CODECATALYST_ARGUMENTS = ServiceArguments(
    service="codecatalyst",
    hook_class_path="airflow_workflow_runs.hooks.codecatalyst.CodeCatalystWorkflowRunHook",
    conn_arg="codecatalyst_conn_id",
    default_conn="codecatalyst_default",
    ref_args=("space_name", "project_name", "run_id"),
    workflow_args=("space_name", "project_name", "workflow_id"),
)


class CodeCatalystWorkflowRunSensor(WorkflowRunSensor):
    """Wait until a CodeCatalyst workflow run ends; succeed only on ``SUCCEEDED``.

    ``FAILED``/``ABANDONED`` fail, ``STOPPED``/``CANCELLED``/``SUPERSEDED`` fail as cancelled
    (with the status reasons), ``NOT_RUN`` skips; an unknown status fails, naming it.

    :param space_name: the CodeCatalyst space (templated).
    :param project_name: the project in the space (templated).
    :param run_id: the workflow run id, a UUID (templated). Leave it out (and give ``workflow_id``) to
        wait for the newest run of that workflow whose ``startTime`` is in ``[started_after, started_before)``.
    :param workflow_id: without ``run_id``: the workflow whose runs to choose from, a UUID (templated).
    :param started_after: without ``run_id``: the window's start, inclusive (templated; default: the
        DAG run's data interval).
    :param started_before: without ``run_id``: the window's end, exclusive (templated).
    :param codecatalyst_conn_id: a ``codecatalyst`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    arguments = CODECATALYST_ARGUMENTS
    template_fields: Sequence[str] = (
        "space_name",
        "project_name",
        "run_id",
        "workflow_id",
        "codecatalyst_conn_id",
        *WorkflowRunSensor.window_template_fields,
    )
    operator_extra_links = (CodeCatalystWorkflowRunLink(),)

    def __init__(
        self,
        *,
        space_name: str,
        project_name: str,
        run_id: str | None = None,
        workflow_id: str | None = None,
        codecatalyst_conn_id: str | None = "codecatalyst_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.space_name = space_name
        self.project_name = project_name
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.codecatalyst_conn_id = codecatalyst_conn_id
