"""Start a Datadog Workflow Automation instance and wait for it. Importing this module imports no Datadog SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.links.datadog import DatadogWorkflowInstanceLink
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook
    from airflow_workflow_runs.model import WorkflowRun

#: How far before the DAG run's start a retry looks for the instance an earlier try started.
REATTACH_LOOKBACK = timedelta(minutes=10)


class DatadogRunWorkflowOperator(WorkflowRunOperator["DatadogWorkflowInstanceHook"]):
    """Execute a Datadog workflow (CreateWorkflowInstance), then wait like ``DatadogWorkflowInstanceSensor``.

    The workflow must be published and have an API trigger; ``payload`` is its input parameters and
    must match the workflow's input schema. Killing the task cancels the instance
    (CancelWorkflowInstance). The application key needs ``workflows_run`` and ``workflows_read``.

    **Reattaching on retry.** Datadog's create call takes no idempotency token, the instance list
    does not return inputs, and a workflow rejects inputs its schema does not declare, so by
    default a retry cannot find the instance an earlier try started: it starts a new one. To
    reattach, declare a string input parameter on the workflow (for example ``airflow_run_key``)
    and name it in ``run_key_input``: each instance then gets the task instance's run key in that
    input, and a retry reads the workflow's unfinished instances started since shortly before the
    DAG run and follows the one carrying its key.

    :param workflow_id: the workflow's id, a UUID (templated).
    :param payload: the workflow's inputs (templated); they are visible in Datadog, never put
        secrets there.
    :param run_key_input: name of a declared string input that receives the run key (see above).
    :param datadog_conn_id: a ``datadog_workflows`` connection (templated).

    See ``WorkflowRunOperator`` for ``wait_for_completion``, ``poll_interval``, ``wait_timeout``,
    ``deferrable``, ``cancel_on_kill`` and ``reattach_on_retry``. XCom: ``run_id`` (the instance id)
    and ``run_ref`` are pushed as soon as the instance exists; the return value is the terminal
    instance as a dict, its workflow outputs under ``outputs``.
    """

    hook_class_path = "airflow_workflow_runs.hooks.datadog.DatadogWorkflowInstanceHook"
    template_fields: Sequence[str] = ("workflow_id", "payload", "run_key_input", "datadog_conn_id")
    template_fields_renderers = {"payload": "json"}
    operator_extra_links = (DatadogWorkflowInstanceLink(),)

    def __init__(
        self,
        *,
        workflow_id: str,
        payload: Mapping[str, Any] | None = None,
        run_key_input: str | None = None,
        datadog_conn_id: str = "datadog_workflows_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.workflow_id = workflow_id
        self.payload = payload
        self.run_key_input = run_key_input
        self.datadog_conn_id = datadog_conn_id

    def hook_kwargs(self) -> dict[str, Any]:
        return {"datadog_conn_id": self.datadog_conn_id}

    def start_run(self, hook: DatadogWorkflowInstanceHook, run_key: str, context: Context) -> dict[str, str]:
        inputs = dict(self.payload or {})
        if self.run_key_input:
            inputs[self.run_key_input] = run_key
        return hook.client.start_run(self.workflow_id, inputs)

    def find_run_to_reattach(
        self, hook: DatadogWorkflowInstanceHook, run_key: str, context: Context
    ) -> WorkflowRun | None:
        if not self.run_key_input:
            self.log.info(
                "Not looking for the instance an earlier try started: Datadog cannot find it without "
                "run_key_input (see the operator's documentation). Starting a new instance."
            )
            return None
        dag_run = context.get("dag_run")
        started = getattr(dag_run, "start_date", None)
        since = started - REATTACH_LOOKBACK if started is not None else None
        return hook.client.find_running_run(self.workflow_id, self.run_key_input, run_key, started_after=since)
