"""Datadog Workflow Automation instances, declared once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.services.declaration import CA_BUNDLE_FIELD, Argument, ServiceDeclaration, StartRequest

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.datadog import DatadogRunClient
    from airflow_workflow_runs.model import WorkflowRun

CONNECTION = Argument(
    "datadog_conn_id", "str", "a ``datadog_workflows`` connection", default="datadog_workflows_default"
)


def start(client: DatadogRunClient, request: StartRequest) -> dict[str, str]:
    inputs = dict(request["payload"] or {})
    if request["run_key_input"]:
        inputs[request["run_key_input"]] = request.run_key
    return client.start_run(request["workflow_id"], inputs)


def reattach(client: DatadogRunClient, request: StartRequest) -> WorkflowRun | None:
    if not request["run_key_input"]:
        request.log.info(
            "Not looking for the instance an earlier try started: Datadog cannot find it without "
            "run_key_input (see the operator's documentation). Starting a new instance."
        )
        return None
    return client.find_running_run(
        request["workflow_id"], request["run_key_input"], request.run_key, started_after=request.lookback_start
    )


SERVICE = ServiceDeclaration(
    name="datadog",
    title="Datadog Workflow Automation",
    doc_url="https://docs.datadoghq.com/api/latest/workflow-automation/",
    tags=("software",),
    extra="datadog",
    conn_type="datadog_workflows",
    conn_arg="datadog_conn_id",
    hook_class="DatadogWorkflowInstanceHook",
    hook_name="Datadog Workflow Automation",
    ref_args=("workflow_id", "instance_id"),
    workflow_args=("workflow_id",),
    sensor_class="DatadogWorkflowInstanceSensor",
    sensor_doc="""
        Wait until a Datadog workflow instance ends; succeed only on ``SUCCEEDED``.

        ``INSTANCE_ERROR``/``STEP_ERROR`` fail (naming the error detail and the steps that did not
        succeed), ``CANCELED`` fails as cancelled; any other ``instanceStatus.detailsKind`` fails,
        naming it.
    """,
    sensor_returns="""
        Returns (XCom) the terminal instance as a dict, its workflow outputs under ``outputs``.
    """,
    sensor_arguments=(
        Argument("workflow_id", "str", "the workflow's id, a UUID"),
        Argument(
            "instance_id",
            "str | None",
            "the instance's id. Leave it out to wait for the newest instance of the workflow whose "
            "``startTimestamp`` is in ``[started_after, started_before)``",
            default=None,
        ),
        CONNECTION,
    ),
    operator_class="DatadogRunWorkflowOperator",
    operator_doc="""
        Execute a Datadog workflow (CreateWorkflowInstance), then wait like ``DatadogWorkflowInstanceSensor``.

        The workflow must be published and have an API trigger; ``payload`` is its input parameters and
        must match the workflow's input schema. Killing the task cancels the instance
        (CancelWorkflowInstance). The application key needs ``workflows_run`` and ``workflows_read``.

        **Reattaching on retry.** On Airflow 3.3 the task state store keeps the started instance, and a
        retry follows it while it runs. Before 3.3: Datadog's create call takes no idempotency token,
        the instance list does not return inputs, and a workflow rejects inputs its schema does not
        declare, so by default a retry cannot find the instance an earlier try started: it starts a
        new one. To reattach there, declare a string input parameter on the workflow (for example ``airflow_run_key``)
        and name it in ``run_key_input``: each instance then gets the task instance's run key in that
        input, and a retry reads the workflow's unfinished instances started since shortly before the
        DAG run and follows the one carrying its key.
    """,
    operator_arguments=(
        Argument("workflow_id", "str", "the workflow's id, a UUID"),
        Argument(
            "payload",
            "Mapping[str, Any] | None",
            "the workflow's inputs; they are visible in Datadog, never put secrets there",
            default=None,
            renderer="json",
        ),
        Argument(
            "run_key_input", "str | None", "name of a declared string input that receives the run key", default=None
        ),
        CONNECTION,
    ),
    start=start,
    reattach=reattach,
    link_class="DatadogWorkflowInstanceLink",
    link_name="Datadog workflow instance",
    connection_form={
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "login", "port"],
            "relabeling": {"host": "API URL override", "password": "Application key"},
            "placeholders": {
                "host": "empty: https://api.<site> (a proxy or the emulator; http:// works)",
                "password": "an application key with workflows_read (and workflows_run to execute or cancel); "
                "empty: the app_key extra below",
            },
        },
        "conn-fields": {
            "api_key": {
                "label": "API key",
                "description": "The organization's Datadog API key.",
                "schema": {"type": ["string", "null"], "format": "password"},
            },
            "app_key": {
                "label": "Application key (extra)",
                "description": "Where Airflow's own Datadog provider keeps the application key: used only when "
                "the Password field is empty (the Password takes precedence).",
                "schema": {"type": ["string", "null"], "format": "password"},
            },
            "site": {
                "label": "Site",
                "description": "The Datadog site of the organization (default datadoghq.com).",
                "schema": {
                    "type": ["string", "null"],
                    "default": "datadoghq.com",
                    "enum": [
                        "datadoghq.com",
                        "us3.datadoghq.com",
                        "us5.datadoghq.com",
                        "datadoghq.eu",
                        "ap1.datadoghq.com",
                        "ap2.datadoghq.com",
                        "uk1.datadoghq.com",
                        "ddog-gov.com",
                        "us2.ddog-gov.com",
                        None,
                    ],
                },
            },
            "timeout": {
                "label": "Timeout (s)",
                "description": "Seconds per API request (default 60).",
                "schema": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": 60},
            },
            "ca_bundle": CA_BUNDLE_FIELD,
        },
    },
)
