"""Wait for an AWS CodeCatalyst workflow run. Importing this module imports no AWS SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.codecatalyst import CodeCatalystWorkflowRunLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor


class CodeCatalystWorkflowRunSensor(WorkflowRunSensor):
    """Wait until a CodeCatalyst workflow run ends; succeed only on ``SUCCEEDED``.

    ``FAILED``/``ABANDONED`` fail, ``STOPPED``/``CANCELLED``/``SUPERSEDED`` fail as cancelled
    (with the status reasons), ``NOT_RUN`` skips; an unknown status fails, naming it.

    :param space_name: the CodeCatalyst space (templated).
    :param project_name: the project in the space (templated).
    :param run_id: the workflow run id, a UUID (templated).
    :param codecatalyst_conn_id: a ``codecatalyst`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    """

    hook_class_path = "airflow_workflow_runs.hooks.codecatalyst.CodeCatalystWorkflowRunHook"
    template_fields: Sequence[str] = ("space_name", "project_name", "run_id", "codecatalyst_conn_id")
    operator_extra_links = (CodeCatalystWorkflowRunLink(),)

    def __init__(
        self,
        *,
        space_name: str,
        project_name: str,
        run_id: str,
        codecatalyst_conn_id: str | None = "codecatalyst_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.space_name = space_name
        self.project_name = project_name
        self.run_id = run_id
        self.codecatalyst_conn_id = codecatalyst_conn_id

    def run_ref(self) -> dict[str, str]:
        return {"space_name": self.space_name, "project_name": self.project_name, "run_id": self.run_id}

    def hook_kwargs(self) -> dict[str, Any]:
        return {"codecatalyst_conn_id": self.codecatalyst_conn_id}
