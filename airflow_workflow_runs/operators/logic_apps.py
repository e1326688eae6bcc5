"""Start an Azure Logic Apps workflow run and wait for it. Importing this module imports no Azure SDK."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.links.logic_apps import LogicAppsWorkflowRunLink
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.logic_apps import LogicAppsWorkflowRunHook
    from airflow_workflow_runs.model import WorkflowRun


class LogicAppsRunWorkflowOperator(WorkflowRunOperator["LogicAppsWorkflowRunHook"]):
    """Run a workflow's Request trigger, then wait for the run like ``LogicAppsWorkflowRunSensor``.

    The trigger ("When an HTTP request is received"; named ``manual`` by default in Consumption) is
    invoked through its callback URL with ``body`` as JSON; the run name comes back in the
    ``x-ms-workflow-run-id`` header. The run's client tracking id (``x-ms-client-tracking-id``) is set to
    a hash of the task instance, so a retry lists the workflow's runs with
    ``$filter=ClientTrackingId eq '<hash>'`` and reattaches to the run an earlier try left running
    instead of starting another. Killing the task cancels the run (``.../runs/{run}/cancel``).
    Standard workflows must be stateful (stateless ones keep no run history to wait on).

    :param resource_group_name: the resource group (templated); ``None`` uses the connection's default.
    :param workflow_name: the workflow to run (templated).
    :param trigger_name: its Request trigger (templated); default ``manual``.
    :param body: the JSON body sent to the trigger (templated); it is visible in the run history, never
        put secrets there.
    :param site_name: the Standard logic app (site) name, or ``None`` for Consumption (templated).
    :param subscription_id: overrides the connection's subscription (templated).
    :param azure_logic_apps_conn_id: an ``azure_logic_apps`` connection (templated).

    See ``WorkflowRunOperator`` for ``wait_for_completion``, ``poll_interval``, ``wait_timeout``,
    ``deferrable``, ``cancel_on_kill`` and ``reattach_on_retry``. XCom: ``run_id`` (the run name) and
    ``run_ref`` are pushed as soon as the run starts; the return value is the terminal run as a dict (or
    the run name when not waiting).
    """

    hook_class_path = "airflow_workflow_runs.hooks.logic_apps.LogicAppsWorkflowRunHook"
    template_fields: Sequence[str] = (
        "resource_group_name",
        "workflow_name",
        "trigger_name",
        "body",
        "site_name",
        "subscription_id",
        "azure_logic_apps_conn_id",
    )
    template_fields_renderers = {"body": "json"}
    operator_extra_links = (LogicAppsWorkflowRunLink(),)

    def __init__(
        self,
        *,
        resource_group_name: str | None = None,
        workflow_name: str,
        trigger_name: str = "manual",
        body: Any = None,
        site_name: str | None = None,
        subscription_id: str | None = None,
        azure_logic_apps_conn_id: str | None = "azure_logic_apps_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.resource_group_name = resource_group_name
        self.workflow_name = workflow_name
        self.trigger_name = trigger_name
        self.body = body
        self.site_name = site_name
        self.subscription_id = subscription_id
        self.azure_logic_apps_conn_id = azure_logic_apps_conn_id

    def hook_kwargs(self) -> dict[str, Any]:
        return {"azure_logic_apps_conn_id": self.azure_logic_apps_conn_id}

    def workflow_ref(self) -> dict[str, str]:
        ref = {"workflow_name": self.workflow_name}
        for key in ("subscription_id", "resource_group_name", "site_name"):
            value = getattr(self, key)
            if value is not None:
                ref[key] = value
        return ref

    def start_run(self, hook: LogicAppsWorkflowRunHook, run_key: str, context: Context) -> dict[str, str]:
        return hook.client.start_run(self.workflow_ref(), self.trigger_name, self.body, run_key=run_key)

    def find_run_to_reattach(
        self, hook: LogicAppsWorkflowRunHook, run_key: str, context: Context
    ) -> WorkflowRun | None:
        return hook.client.find_running_run(self.workflow_ref(), run_key)
