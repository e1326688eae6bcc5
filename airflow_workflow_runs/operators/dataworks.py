"""Start an Alibaba Cloud DataWorks workflow instance and wait for it. Importing this module imports no Alibaba SDK."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.links.dataworks import DataWorksWorkflowInstanceLink
from airflow_workflow_runs.model import InvalidRunReference
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.dataworks import DataWorksWorkflowInstanceHook
    from airflow_workflow_runs.model import WorkflowRun

#: DataWorks business dates are days in China Standard Time (as ``clients.dataworks.BIZ_DATE_TZ``).
_BIZ_DATE_TZ = datetime.timezone(datetime.timedelta(hours=8))


class DataWorksRunWorkflowOperator(WorkflowRunOperator["DataWorksWorkflowInstanceHook"]):
    """Run an existing DataWorks workflow (CreateWorkflowInstances), then wait like the sensor.

    CreateWorkflowInstances is used rather than ExecuteAdhocWorkflowInstance, which runs task
    definitions sent inline instead of a deployed workflow. Creation is asynchronous: the operator
    polls GetCreateWorkflowInstancesResult until the instance exists, pushes its ref to XCom, then
    waits on GetWorkflowInstance. The instance is named ``<instance_name>-<task-instance key>`` and
    tagged ``airflow_run_key``; a retry lists the workflow's instances of the same business date
    (ListWorkflowInstances) and follows the one an earlier try left running instead of starting
    another. Killing the task calls StopWorkflowInstances (the instance then ends as ``Failure``).

    :param project_id: the workspace id (templated).
    :param workflow_id: the workflow id (templated).
    :param workflow_type: ``ManualWorkflow`` (default) or ``TriggerWorkflow``.
    :param env_type: ``Prod`` (default) or ``Dev``.
    :param biz_date: the business date, ``YYYY-MM-DD`` or a date (templated). Default: the day
        before the DAG run's logical date (or, without one, its run-after time) in UTC+8, as
        DataWorks itself does for scheduled instances.
    :param workflow_parameters: parameters of a manual workflow: a JSON string or a mapping
        (templated). Visible in DataWorks: never put secrets here.
    :param instance_name: prefix of the instance name (default ``airflow-<task_id>``).
    :param dataworks_conn_id: an ``alibaba_dataworks`` connection (templated).
    """

    hook_class_path = "airflow_workflow_runs.hooks.dataworks.DataWorksWorkflowInstanceHook"
    template_fields: Sequence[str] = (
        "project_id",
        "workflow_id",
        "biz_date",
        "workflow_parameters",
        "instance_name",
        "dataworks_conn_id",
    )
    operator_extra_links = (DataWorksWorkflowInstanceLink(),)

    def __init__(
        self,
        *,
        project_id: int | str,
        workflow_id: int | str,
        workflow_type: str = "ManualWorkflow",
        env_type: str = "Prod",
        biz_date: str | datetime.date | None = None,
        workflow_parameters: str | Mapping[str, Any] | None = None,
        instance_name: str | None = None,
        dataworks_conn_id: str | None = "alibaba_dataworks_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        self.env_type = env_type
        self.biz_date = biz_date
        self.workflow_parameters = workflow_parameters
        self.instance_name = instance_name
        self.dataworks_conn_id = dataworks_conn_id

    def hook_kwargs(self) -> dict[str, Any]:
        return {"dataworks_conn_id": self.dataworks_conn_id}

    def start_run(self, hook: DataWorksWorkflowInstanceHook, run_key: str, context: Context) -> dict[str, str]:
        ti = context["ti"]
        parameters = self.workflow_parameters
        if isinstance(parameters, Mapping):
            parameters = json.dumps(dict(parameters), sort_keys=True)
        return hook.client.start_run(
            _id(self.project_id),
            _id(self.workflow_id),
            name=(self.instance_name or f"airflow-{ti.task_id}")[:90],
            workflow_type=self.workflow_type,
            env_type=self.env_type,
            biz_date=self._biz_date(context),
            workflow_parameters=parameters or None,
            run_key=run_key,
            comment=f"Started by Airflow: {ti.dag_id}.{ti.task_id}, run {ti.run_id}, try {ti.try_number}"[:200],
        )

    def find_run_to_reattach(
        self, hook: DataWorksWorkflowInstanceHook, run_key: str, context: Context
    ) -> WorkflowRun | None:
        return hook.client.find_running_run(
            _id(self.project_id), _id(self.workflow_id), self._biz_date(context), run_key, self.env_type
        )

    def _biz_date(self, context: Context) -> datetime.date:
        value = self.biz_date
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str) and value.strip():
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise InvalidRunReference(f"dataworks biz_date must be YYYY-MM-DD, got {value!r}") from None
        when = context.get("logical_date") or context["dag_run"].run_after
        return when.astimezone(_BIZ_DATE_TZ).date() - datetime.timedelta(days=1)


def _id(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
