"""Starting a DataWorks workflow instance: the CreateWorkflowInstances request, and the wait for
its asynchronous creation (GetCreateWorkflowInstancesResult, polled until ``Created``). The
client's :meth:`~.dataworks.DataWorksRunClient.start_run` validates the ids and makes the calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from alibabacloud_dataworks_public20240518 import models as dw_models

from airflow_workflow_runs.clients.dataworks_runs import SERVICE
from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.model import InvalidRunReference, ServiceError, TransientServiceError

#: CreateWorkflowInstances types that run one existing workflow (one instance per business date).
START_TYPES = ("ManualWorkflow", "TriggerWorkflow")
ENV_TYPES = ("Prod", "Dev")
#: The tag holding an instance's run key, to find the instance again.
RUN_KEY_TAG = "airflow_run_key"


def choice(field_name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidRunReference(f"dataworks {field_name} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def creation_request(
    project: str,
    workflow: str,
    *,
    name: str,
    workflow_type: str,
    env_type: str,
    biz_date: date | None,
    workflow_parameters: str | None,
    run_key: str | None,
    comment: str | None,
) -> dw_models.CreateWorkflowInstancesRequest:
    """The request for one instance of a (validated) workflow; the choices and the name (with the
    run key appended) are checked first (``InvalidRunReference``)."""
    choice("workflow_type", workflow_type, START_TYPES)
    choice("env_type", env_type, ENV_TYPES)
    if run_key:
        name = f"{name}-{run_key}"
    check_string("name", name, max_length=128, service=SERVICE, path_segment=False)  # a body field
    tags = [dw_models.CreateWorkflowInstancesRequestTags(key=RUN_KEY_TAG, value=run_key)] if run_key else None
    periods = None
    if biz_date is not None:
        day = biz_date.isoformat()
        periods = dw_models.CreateWorkflowInstancesRequestPeriods(
            biz_dates=[dw_models.CreateWorkflowInstancesRequestPeriodsBizDates(start_biz_date=day, end_biz_date=day)]
        )
    return dw_models.CreateWorkflowInstancesRequest(
        name=name,
        project_id=int(project),
        workflow_id=int(workflow),
        type=workflow_type,
        env_type=env_type,
        periods=periods,
        workflow_parameters=workflow_parameters,
        tags=tags,
        tag_creation_policy="Append" if tags else None,
        comment=comment,
        auto_start_enabled=True,
    )


def wait_for_creation(
    read_result: Callable[[], Any], operation_id: str, what: str, timeout: float, poll_interval: float
) -> list[str]:
    """The ids of the instances created by the operation, once ``Created``.

    ``read_result`` makes one GetCreateWorkflowInstancesResult call (its errors already the
    model's); a transient one backs off by the shared policy, for as long as ``timeout`` allows.
    """
    deadline = time.monotonic() + timeout
    failures = 0
    while True:
        try:
            response = read_result()
            result = response.body.result.to_map() if response.body and response.body.result else {}
            status = result.get("Status")
            if status == "Created":
                return [str(i) for i in result.get("WorkflowInstanceIds") or []]
            if status == "CreateFailure":
                raise ServiceError(f"{what}: DataWorks could not create the instance: {result.get('FailureMessage')}")
            if status not in (None, "Creating"):
                raise ServiceError(f"{what}: unexpected creation status {status!r} (operation {operation_id})")
            failures, delay = 0, poll_interval
        except TransientServiceError as error:  # the shared policy: back off, as long as asked
            failures += 1
            delay = backoff_delay(poll_interval, failures, error.retry_after)
        if time.monotonic() + delay > deadline:
            raise ServiceError(
                f"{what}: the instance was still being created after {timeout:.0f}s (operation {operation_id})"
            )
        time.sleep(delay)
