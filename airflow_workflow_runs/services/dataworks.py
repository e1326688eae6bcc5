"""Alibaba Cloud DataWorks workflow instances (API 2024-05-18), declared once."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from airflow_workflow_runs.model import InvalidRunReference
from airflow_workflow_runs.services.declaration import (
    CA_BUNDLE_FIELD,
    Argument,
    ServiceDeclaration,
    StartRequest,
    id_text,
)

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.dataworks import DataWorksRunClient
    from airflow_workflow_runs.model import WorkflowRun

#: Business dates are midnights in China Standard Time (UTC+8), as in DataWorks' own examples
#: (``1743350400000`` is 2025-03-31 00:00 +08:00).
BIZ_DATE_TZ = datetime.timezone(datetime.timedelta(hours=8))

CONNECTION = Argument(
    "dataworks_conn_id", "str | None", "an ``alibaba_dataworks`` connection", default="alibaba_dataworks_default"
)


def biz_date(request: StartRequest) -> datetime.date:
    """The given business date, else the day before the DAG run's date in UTC+8 (as DataWorks
    does for scheduled instances)."""
    value = request["biz_date"]
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidRunReference(f"dataworks biz_date must be YYYY-MM-DD, got {value!r}") from None
    when = request.when or datetime.datetime.now(datetime.timezone.utc)
    return when.astimezone(BIZ_DATE_TZ).date() - datetime.timedelta(days=1)


def start(client: DataWorksRunClient, request: StartRequest) -> dict[str, str]:
    parameters = request["workflow_parameters"]
    if isinstance(parameters, Mapping):
        parameters = json.dumps(dict(parameters), sort_keys=True)
    comment = f"Started by Airflow: {request.dag_id}.{request.task_id}, run {request.run_id}, try {request.try_number}"
    return client.start_run(
        id_text(request["project_id"]),
        id_text(request["workflow_id"]),
        name=(request["instance_name"] or f"airflow-{request.task_id}")[:90],
        workflow_type=request["workflow_type"],
        env_type=request["env_type"],
        biz_date=biz_date(request),
        workflow_parameters=parameters or None,
        run_key=request.run_key,
        comment=comment[:200],
    )


def reattach(client: DataWorksRunClient, request: StartRequest) -> WorkflowRun | None:
    return client.find_running_run(
        id_text(request["project_id"]),
        id_text(request["workflow_id"]),
        biz_date(request),
        request.run_key,
        request["env_type"],
    )


SERVICE = ServiceDeclaration(
    name="dataworks",
    title="Alibaba Cloud DataWorks workflow instances",
    doc_url="https://www.alibabacloud.com/help/en/dataworks/developer-reference/"
    "api-dataworks-public-2024-05-18-getworkflowinstance",
    tags=("alibaba",),
    extra="dataworks",
    conn_type="alibaba_dataworks",
    conn_arg="dataworks_conn_id",
    hook_class="DataWorksWorkflowInstanceHook",
    hook_name="Alibaba Cloud DataWorks",
    ref_args=("project_id", "instance_id"),
    workflow_args=("project_id", "workflow_id"),
    sensor_class="DataWorksWorkflowInstanceSensor",
    sensor_doc="""
        Wait until a DataWorks workflow instance ends; succeed only on ``Success``.

        ``NotRun``, ``WaitTime``, ``WaitResource``, ``CheckingCondition``, ``Running`` and ``Checking``
        keep waiting; ``Failure`` fails (DataWorks also reports a *stopped* instance as ``Failure``);
        an unknown status fails, naming it.
    """,
    sensor_returns="""
        Returns (XCom) the terminal instance as a dict: ``state``, ``raw_status``, ``started_at``,
        ``ended_at``, ``error``, ``console_url``, ``details`` (``workflow_id``, ``name``, ``type``,
        ``env_type``, ``biz_date``, ...).
    """,
    sensor_arguments=(
        Argument(
            "instance_id",
            "int | str | None",
            "the workflow instance id, a positive integer. Leave it out (and give ``project_id`` and "
            "``workflow_id``) to wait for the newest instance of that workflow whose BUSINESS DATE falls in "
            "the window: every date D with ``started_after.date() <= D`` and ``D 00:00 < started_before``, "
            "so a daily data interval selects its own date",
            default=None,
        ),
        CONNECTION,
        Argument(
            "project_id",
            "int | str | None",
            "the workspace id, optional with ``instance_id``: it only completes the console link before "
            "the instance has been read",
            default=None,
        ),
        Argument(
            "workflow_id", "int | str | None", "without ``instance_id``: the workflow, a positive integer", default=None
        ),
    ),
    operator_class="DataWorksRunWorkflowOperator",
    operator_doc="""
        Run an existing DataWorks workflow (CreateWorkflowInstances), then wait like the sensor.

        CreateWorkflowInstances is used rather than ExecuteAdhocWorkflowInstance, which runs task
        definitions sent inline instead of a deployed workflow. Creation is asynchronous: the operator
        polls GetCreateWorkflowInstancesResult until the instance exists, pushes its ref to XCom, then
        waits on GetWorkflowInstance. The instance is named ``<instance_name>-<task-instance key>`` and
        tagged ``airflow_run_key``; a retry lists the workflow's instances of the same business date
        (ListWorkflowInstances) and follows the one an earlier try left running instead of starting
        another. Killing the task calls StopWorkflowInstances (the instance then ends as ``Failure``).
    """,
    operator_arguments=(
        Argument("project_id", "int | str", "the workspace id"),
        Argument("workflow_id", "int | str", "the workflow id"),
        Argument(
            "workflow_type",
            "str",
            "``ManualWorkflow`` (default) or ``TriggerWorkflow``",
            default="ManualWorkflow",
            templated=False,
        ),
        Argument("env_type", "str", "``Prod`` (default) or ``Dev``", default="Prod", templated=False),
        Argument(
            "biz_date",
            "str | datetime.date | None",
            "the business date, ``YYYY-MM-DD`` or a date. Default: the day before the DAG run's logical "
            "date (or, without one, its run-after time) in UTC+8, as DataWorks itself does for scheduled instances",
            default=None,
        ),
        Argument(
            "workflow_parameters",
            "str | Mapping[str, Any] | None",
            "parameters of a manual workflow: a JSON string or a mapping. Visible in DataWorks: never put secrets here",
            default=None,
        ),
        Argument(
            "instance_name", "str | None", "prefix of the instance name (default ``airflow-<task_id>``)", default=None
        ),
        CONNECTION,
    ),
    start=start,
    reattach=reattach,
    link_class="DataWorksWorkflowInstanceLink",
    link_name="DataWorks Operation Center",
    connection_form={
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port"],
            "relabeling": {"host": "Endpoint URL", "login": "AccessKey ID", "password": "AccessKey secret"},
            "placeholders": {
                "host": "empty: https://dataworks.{region}.aliyuncs.com (a port goes in the URL)",
                "login": "empty: the Alibaba default credential chain (ALIBABA_CLOUD_ACCESS_KEY_ID, ...)",
                "password": "empty: the Alibaba default credential chain",
            },
        },
        "conn-fields": {
            "region": {
                "label": "Region",
                "description": "Region id of the DataWorks workspace, e.g. cn-hangzhou, cn-shanghai, "
                "ap-southeast-1 (default cn-hangzhou). Picks the endpoint dataworks.{region}.aliyuncs.com "
                "and the console link.",
                "schema": {"type": ["string", "null"], "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            },
            "security_token": {
                "label": "STS security token",
                "description": "Only with a temporary (STS) AccessKey pair.",
                "schema": {"type": ["string", "null"], "format": "password"},
            },
            "ca_bundle": CA_BUNDLE_FIELD,
        },
    },
)
