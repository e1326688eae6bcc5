"""AWS CodeCatalyst workflow runs, declared once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.services.declaration import CA_BUNDLE_FIELD, Argument, ServiceDeclaration, StartRequest

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.codecatalyst import CodeCatalystRunClient
    from airflow_workflow_runs.model import WorkflowRun

CONNECTION = Argument(
    "codecatalyst_conn_id", "str | None", "a ``codecatalyst`` connection", default="codecatalyst_default"
)
SPACE = Argument("space_name", "str", "the CodeCatalyst space")
PROJECT = Argument("project_name", "str", "the project in the space")


def _start(client: CodeCatalystRunClient, request: StartRequest, try_number: int) -> dict[str, str]:
    token = f"{request.run_key}-{try_number}"
    return client.start_run(request["space_name"], request["project_name"], request["workflow_id"], token)


def start(client: CodeCatalystRunClient, request: StartRequest) -> dict[str, str]:
    return _start(client, request, request.try_number)


def reattach(client: CodeCatalystRunClient, request: StartRequest) -> WorkflowRun | None:
    """Present the previous try's client token again: CodeCatalyst answers with that try's run."""
    run = client.get_run(_start(client, request, request.try_number - 1))
    return None if run.is_terminal else run


SERVICE = ServiceDeclaration(
    name="codecatalyst",
    title="AWS CodeCatalyst workflow runs",
    doc_url="https://docs.aws.amazon.com/codecatalyst/latest/APIReference/API_GetWorkflowRun.html",
    tags=("aws",),
    conn_type="codecatalyst",
    conn_arg="codecatalyst_conn_id",
    hook_class="CodeCatalystWorkflowRunHook",
    hook_name="AWS CodeCatalyst",
    ref_args=("space_name", "project_name", "run_id"),
    workflow_args=("space_name", "project_name", "workflow_id"),
    sensor_class="CodeCatalystWorkflowRunSensor",
    sensor_doc="""
        Wait until a CodeCatalyst workflow run ends; succeed only on ``SUCCEEDED``.

        ``FAILED``/``ABANDONED`` fail, ``STOPPED``/``CANCELLED``/``SUPERSEDED`` fail as cancelled
        (with the status reasons), ``NOT_RUN`` skips; an unknown status fails, naming it.
    """,
    sensor_returns="""
        Returns (XCom) the terminal run as a dict: ``state``, ``raw_status``, ``started_at``,
        ``ended_at``, ``error``, ``console_url``, ``details`` (``workflow_id``, ``status_reasons``).
    """,
    sensor_arguments=(
        SPACE,
        PROJECT,
        Argument(
            "run_id",
            "str | None",
            "the workflow run id, a UUID. Leave it out (and give ``workflow_id``) to wait for the newest "
            "run of that workflow whose ``startTime`` is in ``[started_after, started_before)``",
            default=None,
        ),
        Argument(
            "workflow_id",
            "str | None",
            "without ``run_id``: the workflow whose runs to choose from, a UUID",
            default=None,
        ),
        CONNECTION,
    ),
    operator_class="CodeCatalystRunWorkflowOperator",
    operator_doc="""
        Start a CodeCatalyst workflow run (StartWorkflowRun), then wait like the sensor.

        Each try starts its run with the client token ``<task-instance key>-<try number>``, so a
        start the SDK retries is idempotent. On a retry, the previous try's token is presented again:
        CodeCatalyst answers with the run that try started, and the operator follows it while it is
        still running (or starts this try's run if it already ended). CodeCatalyst has no API to stop
        a run: killing the task logs that the run goes on.
    """,
    operator_arguments=(SPACE, PROJECT, Argument("workflow_id", "str", "the workflow's id, a UUID"), CONNECTION),
    start=start,
    reattach=reattach,
    link_class="CodeCatalystWorkflowRunLink",
    link_name="CodeCatalyst workflow run",
    connection_form={
        "ui-field-behaviour": {
            "hidden-fields": ["schema", "login", "port"],
            "relabeling": {"host": "Endpoint URL", "password": "Personal access token"},
            "placeholders": {
                "host": "empty: https://codecatalyst.global.api.aws",
                "password": "empty: botocore's token chain (AWS_BEARER_TOKEN_CODECATALYST, SSO)",
            },
        },
        "conn-fields": {
            "region_name": {
                "label": "Region",
                "description": "Signing region of the CodeCatalyst API (default us-west-2).",
                "schema": {"type": ["string", "null"]},
            },
            "max_attempts": {
                "label": "Attempts per call",
                "description": "botocore standard-mode attempts for one API call (default 3).",
                "schema": {"type": ["integer", "null"], "minimum": 1, "default": 3},
            },
            "ca_bundle": CA_BUNDLE_FIELD,
        },
    },
)
