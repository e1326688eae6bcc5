"""Start an AWS Glue workflow run and wait for it. Importing this module imports no AWS SDK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.links.glue import GlueWorkflowRunLink
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
    from airflow_workflow_runs.model import WorkflowRun

#: How far before the DAG run's start a retry looks for the run an earlier try started.
REATTACH_LOOKBACK = timedelta(minutes=10)


class GlueRunWorkflowOperator(WorkflowRunOperator["GlueWorkflowRunHook"]):
    """Start a Glue workflow run (StartWorkflowRun), then wait for it like ``GlueWorkflowRunSensor``.

    The run is tagged with the run property ``airflow_run_key`` (a hash of the task instance), so
    a retry reattaches to the run an earlier try left running. Killing the task stops the run
    (StopWorkflowRun).

    :param workflow_name: the Glue workflow to run (templated).
    :param run_properties: run properties for this run (templated); they are visible in Glue,
        never put secrets there.
    :param aws_conn_id: the amazon provider's ``aws`` connection (templated).
    :param region_name: overrides the connection's region (templated).

    See ``WorkflowRunOperator`` for ``wait_for_completion``, ``poll_interval``, ``wait_timeout``,
    ``deferrable``, ``cancel_on_kill`` and ``reattach_on_retry``. XCom: ``run_id`` and ``run_ref``
    are pushed as soon as the run starts; the return value is the terminal run as a dict (or the
    run id when not waiting).
    """

    hook_class_path = "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook"
    template_fields: Sequence[str] = ("workflow_name", "run_properties", "aws_conn_id", "region_name")
    template_fields_renderers = {"run_properties": "json"}
    operator_extra_links = (GlueWorkflowRunLink(),)

    def __init__(
        self,
        *,
        workflow_name: str,
        run_properties: Mapping[str, str] | None = None,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.workflow_name = workflow_name
        self.run_properties = run_properties
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def hook_kwargs(self) -> dict[str, Any]:
        return {"aws_conn_id": self.aws_conn_id, "region_name": self.region_name}

    def start_run(self, hook: GlueWorkflowRunHook, run_key: str, context: Context) -> dict[str, str]:
        return hook.client.start_run(self.workflow_name, self.run_properties, run_key=run_key)

    def find_run_to_reattach(self, hook: GlueWorkflowRunHook, run_key: str, context: Context) -> WorkflowRun | None:
        started = context["dag_run"].start_date
        since = started - REATTACH_LOOKBACK if started is not None else None
        return hook.client.find_running_run(self.workflow_name, run_key, started_after=since)
