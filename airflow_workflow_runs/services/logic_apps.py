"""Azure Logic Apps workflow runs (Standard and Consumption), declared once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.services.declaration import (
    CA_BUNDLE_FIELD,
    Argument,
    ServiceDeclaration,
    StartRequest,
    present,
)

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
    from airflow_workflow_runs.model import WorkflowRun

WORKFLOW_ARGS = ("subscription_id", "resource_group_name", "site_name", "workflow_name")

RESOURCE_GROUP = Argument(
    "resource_group_name", "str | None", "the resource group; ``None`` uses the connection's default", default=None
)
SITE = Argument(
    "site_name", "str | None", "the Standard logic app (site) name, or ``None`` for Consumption", default=None
)
SUBSCRIPTION = Argument("subscription_id", "str | None", "overrides the connection's subscription", default=None)
CONNECTION = Argument(
    "azure_logic_apps_conn_id", "str | None", "an ``azure_logic_apps`` connection", default="azure_logic_apps_default"
)


def start(client: LogicAppsRunClient, request: StartRequest) -> dict[str, str]:
    workflow = present(request.arguments, WORKFLOW_ARGS)
    return client.start_run(workflow, request["trigger_name"], request["body"], run_key=request.run_key)


def reattach(client: LogicAppsRunClient, request: StartRequest) -> WorkflowRun | None:
    return client.find_running_run(present(request.arguments, WORKFLOW_ARGS), request.run_key)


SERVICE = ServiceDeclaration(
    name="logic_apps",
    title="Azure Logic Apps workflow runs",
    doc_url="https://learn.microsoft.com/rest/api/appservice/workflow-runs/get",
    tags=("azure",),
    extra="azure",
    conn_type="azure_logic_apps",
    conn_arg="azure_logic_apps_conn_id",
    hook_class="LogicAppsWorkflowRunHook",
    hook_name="Azure Logic Apps",
    ref_args=(*WORKFLOW_ARGS, "run_name"),
    workflow_args=WORKFLOW_ARGS,
    sensor_class="LogicAppsWorkflowRunSensor",
    sensor_doc="""
        Wait until a Logic Apps run ends; succeed only if it ``Succeeded`` without an error.

        ``site_name=None`` means a Consumption logic app (``Microsoft.Logic/workflows``); a site name means a
        workflow of that Standard logic app (``Microsoft.Web/sites``; stateful workflows only: stateless ones
        keep no run history). ``Failed``, ``Faulted``, ``TimedOut``, ``Aborted``, ``Cancelled`` and
        ``Suspended`` fail the sensor with the run's error code and message; so does a ``Succeeded`` run
        whose ``properties.error`` is set. ``Skipped`` and ``Ignored`` skip the task. ``Running``,
        ``Waiting``, ``Paused`` and ``NotSpecified`` keep waiting. A status this provider does not know
        fails it, naming the status.
    """,
    sensor_returns="""
        Returns (XCom) the terminal run as a dict: ``state``, ``raw_status``, ``started_at``, ``ended_at``,
        ``error``, ``outputs`` (the workflow's outputs, name -> value), ``console_url``, ``details``
        (``tier``, ``code``, ``error``, ``client_tracking_id``, ``trigger``, ``resource_id``).
    """,
    sensor_arguments=(
        RESOURCE_GROUP,
        Argument("workflow_name", "str", "the workflow's name"),
        Argument(
            "run_name",
            "str | None",
            "the run's name, e.g. ``08585...CU21``. Leave it out to wait for the newest run of the workflow "
            "whose ``startTime`` is in ``[started_after, started_before)``",
            default=None,
        ),
        SITE,
        SUBSCRIPTION,
        CONNECTION,
    ),
    operator_class="LogicAppsRunWorkflowOperator",
    operator_doc="""
        Run a workflow's Request trigger, then wait for the run like ``LogicAppsWorkflowRunSensor``.

        The trigger ("When an HTTP request is received"; named ``manual`` by default in Consumption) is
        invoked through its callback URL with ``body`` as JSON; the run name comes back in the
        ``x-ms-workflow-run-id`` header. The run's client tracking id (``x-ms-client-tracking-id``) is set to
        a hash of the task instance, so a retry lists the workflow's runs with
        ``$filter=ClientTrackingId eq '<hash>'`` and reattaches to the run an earlier try left running
        instead of starting another. Killing the task cancels the run (``.../runs/{run}/cancel``).
        Standard workflows must be stateful (stateless ones keep no run history to wait on).
    """,
    operator_arguments=(
        RESOURCE_GROUP,
        Argument("workflow_name", "str", "the workflow to run"),
        Argument("trigger_name", "str", "its Request trigger; default ``manual``", default="manual"),
        Argument(
            "body",
            "Any",
            "the JSON body sent to the trigger; it is visible in the run history, never put secrets there",
            default=None,
            renderer="json",
        ),
        SITE,
        SUBSCRIPTION,
        CONNECTION,
    ),
    start=start,
    reattach=reattach,
    link_class="LogicAppsWorkflowRunLink",
    link_name="Azure Logic Apps run",
    connection_form={
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "port"],
            "relabeling": {"host": "Resource Manager endpoint", "login": "Client ID", "password": "Client secret"},
            "placeholders": {
                "host": "empty: the cloud's, e.g. https://management.azure.com",
                "login": "application (client) id; without a secret: managed identity client id",
                "password": "empty: DefaultAzureCredential (workload/managed identity, env, Azure CLI)",
            },
        },
        "conn-fields": {
            "tenant_id": {
                "label": "Tenant ID",
                "description": "Microsoft Entra tenant (directory) id of the service principal.",
                "schema": {"type": ["string", "null"]},
            },
            "subscription_id": {
                "label": "Subscription ID",
                "description": "Subscription of the logic apps (a UUID). Empty: AZURE_SUBSCRIPTION_ID.",
                "schema": {"type": ["string", "null"]},
            },
            "resource_group": {
                "label": "Default resource group",
                "description": "Used by tasks that do not name a resource group.",
                "schema": {"type": ["string", "null"], "maxLength": 90},
            },
            "cloud": {
                "label": "Azure cloud",
                "description": "Sets the ARM endpoint, token scope, sign-in authority and portal links.",
                "schema": {
                    "type": ["string", "null"],
                    "enum": ["AZURE_PUBLIC_CLOUD", "AZURE_CHINA_CLOUD", "AZURE_US_GOVERNMENT", None],
                    "default": "AZURE_PUBLIC_CLOUD",
                },
            },
            "token_scope": {
                "label": "Token scope",
                "description": "OAuth scope of ARM tokens. Empty: the cloud's (https://management.azure.com/.default).",
                "schema": {"type": ["string", "null"]},
            },
            "authority_host": {
                "label": "Authority host",
                "description": "Microsoft Entra sign-in host. Empty: the cloud's (login.microsoftonline.com).",
                "schema": {"type": ["string", "null"]},
            },
            "ca_bundle": CA_BUNDLE_FIELD,
            "location": {
                "label": "Region (portal links)",
                "description": "Region of Standard logic apps, e.g. westeurope; only used for portal links.",
                "schema": {"type": ["string", "null"]},
            },
            "retry_total": {
                "label": "Retries per call",
                "description": "azure-core retries of one API call (throttling, 5xx, network); default 3.",
                "schema": {"type": ["integer", "null"], "minimum": 0, "default": 3},
            },
            "timeout": {
                "label": "Timeout (s)",
                "description": "Seconds to wait for an answer; default 60.",
                "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
            },
        },
    },
)
