"""Wait for an Azure Logic Apps workflow run. Importing this module imports no Azure SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_workflow_runs.links.logic_apps import LogicAppsWorkflowRunLink
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.targets import ServiceArguments

LOGIC_APPS_ARGUMENTS = ServiceArguments(
    service="logic_apps",
    hook_class_path="airflow_workflow_runs.hooks.logic_apps.LogicAppsWorkflowRunHook",
    conn_arg="azure_logic_apps_conn_id",
    default_conn="azure_logic_apps_default",
    ref_args=("subscription_id", "resource_group_name", "site_name", "workflow_name", "run_name"),
    workflow_args=("subscription_id", "resource_group_name", "site_name", "workflow_name"),
)


class LogicAppsWorkflowRunSensor(WorkflowRunSensor):
    """Wait until a Logic Apps run ends; succeed only if it ``Succeeded`` without an error.

    ``site_name=None`` means a Consumption logic app (``Microsoft.Logic/workflows``); a site name means a
    workflow of that Standard logic app (``Microsoft.Web/sites``; stateful workflows only: stateless ones
    keep no run history). ``Failed``, ``Faulted``, ``TimedOut``, ``Aborted``, ``Cancelled`` and
    ``Suspended`` fail the sensor with the run's error code and message; so does a ``Succeeded`` run
    whose ``properties.error`` is set. ``Skipped`` and ``Ignored`` skip the task. ``Running``,
    ``Waiting``, ``Paused`` and ``NotSpecified`` keep waiting. A status this provider does not know
    fails it, naming the status.

    :param resource_group_name: the resource group (templated); ``None`` uses the connection's default.
    :param workflow_name: the workflow's name (templated).
    :param run_name: the run's name, e.g. ``08585...CU21`` (templated). Leave it out to wait for the
        newest run of the workflow whose ``startTime`` is in ``[started_after, started_before)``.
    :param started_after: without ``run_name``: the window's start, inclusive (templated; default: the
        DAG run's data interval).
    :param started_before: without ``run_name``: the window's end, exclusive (templated).
    :param site_name: the Standard logic app (site) name, or ``None`` for Consumption (templated).
    :param subscription_id: overrides the connection's subscription (templated).
    :param azure_logic_apps_conn_id: an ``azure_logic_apps`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).

    Returns (XCom) the terminal run as a dict: ``state``, ``raw_status``, ``started_at``, ``ended_at``,
    ``error``, ``outputs`` (the workflow's outputs, name -> value), ``console_url``, ``details``
    (``tier``, ``code``, ``error``, ``client_tracking_id``, ``trigger``, ``resource_id``).
    """

    arguments = LOGIC_APPS_ARGUMENTS
    template_fields: Sequence[str] = (
        "resource_group_name",
        "workflow_name",
        "run_name",
        "site_name",
        "subscription_id",
        "azure_logic_apps_conn_id",
        *WorkflowRunSensor.window_template_fields,
    )
    operator_extra_links = (LogicAppsWorkflowRunLink(),)

    def __init__(
        self,
        *,
        resource_group_name: str | None = None,
        workflow_name: str,
        run_name: str | None = None,
        site_name: str | None = None,
        subscription_id: str | None = None,
        azure_logic_apps_conn_id: str | None = "azure_logic_apps_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.resource_group_name = resource_group_name
        self.workflow_name = workflow_name
        self.run_name = run_name
        self.site_name = site_name
        self.subscription_id = subscription_id
        self.azure_logic_apps_conn_id = azure_logic_apps_conn_id
