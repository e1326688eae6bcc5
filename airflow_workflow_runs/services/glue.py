"""AWS Glue workflow runs, declared once; on the amazon provider's ``aws`` connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_workflow_runs.services.declaration import Argument, ServiceDeclaration, StartRequest

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.glue import GlueRunClient
    from airflow_workflow_runs.model import WorkflowRun

CONNECTION = Argument("aws_conn_id", "str | None", "the amazon provider's ``aws`` connection", default="aws_default")
REGION = Argument("region_name", "str | None", "overrides the connection's region", default=None)


def start(client: GlueRunClient, request: StartRequest) -> dict[str, str]:
    return client.start_run(request["workflow_name"], request["run_properties"], run_key=request.run_key)


def reattach(client: GlueRunClient, request: StartRequest) -> WorkflowRun | None:
    return client.find_running_run(request["workflow_name"], request.run_key, started_after=request.lookback_start)


SERVICE = ServiceDeclaration(
    name="glue",
    title="AWS Glue workflow runs",
    doc_url="https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html",
    tags=("aws",),
    conn_type="aws",
    conn_arg="aws_conn_id",
    hook_class="GlueWorkflowRunHook",
    hook_name="AWS Glue workflow runs",
    ref_args=("workflow_name", "run_id"),
    workflow_args=("workflow_name",),
    option_args=("region_name",),
    sensor_class="GlueWorkflowRunSensor",
    sensor_doc="""
        Wait until a Glue workflow run ends; succeed only if it COMPLETED with every action successful.

        A run that is ``COMPLETED`` but whose ``Statistics`` count failed, errored, timed-out or stopped
        actions fails the sensor, with the counts in the message. ``STOPPED`` and ``ERROR`` fail it; a
        status this provider does not know fails it too, naming the status.
    """,
    sensor_returns="""
        Returns (XCom) the terminal run as a dict: ``state``, ``raw_status``, ``started_at``,
        ``ended_at``, ``error``, ``outputs`` (the run properties), ``console_url``, ``details``
        (``statistics``).
    """,
    sensor_arguments=(
        Argument("workflow_name", "str", "the Glue workflow's name"),
        Argument(
            "run_id",
            "str | None",
            "the workflow run id, ``wr_...``. Leave it out to wait for the newest run of the workflow "
            "whose ``StartedOn`` is in ``[started_after, started_before)`` instead",
            default=None,
        ),
        CONNECTION,
        REGION,
    ),
    operator_class="GlueRunWorkflowOperator",
    operator_doc="""
        Start a Glue workflow run (StartWorkflowRun), then wait for it like ``GlueWorkflowRunSensor``.

        The run is tagged with the run property ``airflow_run_key`` (a hash of the task instance), so
        a retry reattaches to the run an earlier try left running. Killing the task stops the run
        (StopWorkflowRun).
    """,
    operator_arguments=(
        Argument("workflow_name", "str", "the Glue workflow to run"),
        Argument(
            "run_properties",
            "Mapping[str, str] | None",
            "run properties for this run; they are visible in Glue, never put secrets there",
            default=None,
            renderer="json",
        ),
        CONNECTION,
        REGION,
    ),
    start=start,
    reattach=reattach,
    link_class="GlueWorkflowRunLink",
    link_name="AWS Glue workflow",
)
