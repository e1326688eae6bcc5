"""Start an AWS CodeCatalyst workflow run and wait for it. Importing this module imports no AWS SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.links.codecatalyst import CodeCatalystWorkflowRunLink
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.codecatalyst import CodeCatalystWorkflowRunHook
    from airflow_workflow_runs.model import WorkflowRun


class CodeCatalystRunWorkflowOperator(WorkflowRunOperator["CodeCatalystWorkflowRunHook"]):
    """Start a CodeCatalyst workflow run (StartWorkflowRun), then wait like the sensor.

    Each try starts its run with the client token ``<task-instance key>-<try number>``, so a
    start the SDK retries is idempotent. On a retry, the previous try's token is presented again:
    CodeCatalyst answers with the run that try started, and the operator follows it while it is
    still running (or starts this try's run if it already ended). CodeCatalyst has no API to stop
    a run: killing the task logs that the run goes on.

    :param space_name: the CodeCatalyst space (templated).
    :param project_name: the project in the space (templated).
    :param workflow_id: the workflow's id, a UUID (templated).
    :param codecatalyst_conn_id: a ``codecatalyst`` connection (templated).
    """

    hook_class_path = "airflow_workflow_runs.hooks.codecatalyst.CodeCatalystWorkflowRunHook"
    template_fields: Sequence[str] = ("space_name", "project_name", "workflow_id", "codecatalyst_conn_id")
    operator_extra_links = (CodeCatalystWorkflowRunLink(),)

    def __init__(
        self,
        *,
        space_name: str,
        project_name: str,
        workflow_id: str,
        codecatalyst_conn_id: str | None = "codecatalyst_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.space_name = space_name
        self.project_name = project_name
        self.workflow_id = workflow_id
        self.codecatalyst_conn_id = codecatalyst_conn_id

    def hook_kwargs(self) -> dict[str, Any]:
        return {"codecatalyst_conn_id": self.codecatalyst_conn_id}

    def _start(self, hook: CodeCatalystWorkflowRunHook, run_key: str, try_number: int) -> dict[str, str]:
        return hook.client.start_run(self.space_name, self.project_name, self.workflow_id, f"{run_key}-{try_number}")

    def start_run(self, hook: CodeCatalystWorkflowRunHook, run_key: str, context: Context) -> dict[str, str]:
        return self._start(hook, run_key, context["ti"].try_number)

    def find_run_to_reattach(
        self, hook: CodeCatalystWorkflowRunHook, run_key: str, context: Context
    ) -> WorkflowRun | None:
        run = hook.client.get_run(self._start(hook, run_key, context["ti"].try_number - 1))
        return None if run.is_terminal else run
