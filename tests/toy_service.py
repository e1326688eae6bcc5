"""A sixth service, declared outside the package: a declaration, a client, a hook, an emulator service.

This is the whole of it. The sensor, operator and link classes below are one line each, from the
declaration; the gate, the triggers and provider info need nothing more (tests/test_sixth_service.py).
The "toy" API: ``GET /toy/runs/{id}`` answers ``{"id", "status"}``, ``POST /toy/runs`` starts a run,
``POST /toy/runs/{id}/cancel`` stops one; statuses are ``RUNNING``, ``DONE``, ``BROKEN``, ``STOPPED``.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.clients.base import RunClient, RunRef, map_status
from airflow_workflow_runs.clients.retry_policy import retry_after_seconds
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.emulator.service import CallContext, ControlRequest, Route, Service
from airflow_workflow_runs.emulator.wire import Request, Response
from airflow_workflow_runs.hooks.base import WorkflowRunHook
from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.model import RunNotFound, RunState, ServiceError, TransientServiceError, WorkflowRun
from airflow_workflow_runs.operators.workflow_run import WorkflowRunOperator
from airflow_workflow_runs.sensors.workflow_run import WorkflowRunSensor
from airflow_workflow_runs.services import Argument, ServiceDeclaration

if TYPE_CHECKING:
    from airflow.sdk import Connection

CONNECTION = Argument("toy_conn_id", "str | None", "a ``toy`` connection", default="toy_default")

TOY = ServiceDeclaration(
    name="toy",
    title="Toy workflow runs",
    doc_url="https://example.com/toy",
    tags=("software",),
    conn_type="toy",
    conn_arg="toy_conn_id",
    hook_class="ToyRunHook",
    hook_name="Toy",
    ref_args=("run_id",),
    workflow_args=(),
    sensor_class="ToyRunSensor",
    sensor_doc="Wait until a toy run ends; succeed only on ``DONE``.",
    sensor_returns="Returns (XCom) the terminal run as a dict.",
    sensor_arguments=(Argument("run_id", "str | None", "the toy run's id", default=None), CONNECTION),
    operator_class="ToyRunOperator",
    operator_doc="Start a toy run, then wait for it.",
    operator_arguments=(Argument("steps", "int", "polls the run stays RUNNING", default=1), CONNECTION),
    start=lambda client, request: client.start_run(request["steps"], request.run_key),
    link_class="ToyRunLink",
    link_name="Toy run",
    connection_form={"ui-field-behaviour": {"hidden-fields": ["schema", "login", "port", "password"]}},
    home=__name__,
)

STATUS_TABLE = {
    "RUNNING": RunState.RUNNING,
    "DONE": RunState.SUCCEEDED,
    "BROKEN": RunState.FAILED,
    "STOPPED": RunState.CANCELLED,
}


class ToyRunClient(RunClient, service=TOY):
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        return {"run_id": check_string("run_id", ref.get("run_id"), pattern=r"t-\d+", rule="t-<digits>", service="toy")}

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise RunNotFound(f"toy {path} does not exist") from None
            if error.code == 429 or error.code >= 500:
                raise TransientServiceError(f"toy answered {error.code}", retry_after_seconds(error.headers)) from None
            raise ServiceError(f"toy answered {error.code} to {method} {path}") from None
        except OSError as error:
            raise TransientServiceError(f"toy unreachable: {error}") from None

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        raw = self._call("GET", f"/toy/runs/{ref['run_id']}")
        return WorkflowRun(
            service="toy",
            ref=ref,
            run_id=ref["run_id"],
            state=map_status(STATUS_TABLE, raw.get("status")),
            raw_status=str(raw.get("status")),
            console_url=self.console_url(ref),
        )

    def start_run(self, steps: int, run_key: str) -> dict[str, str]:
        return {"run_id": self._call("POST", "/toy/runs", {"steps": steps, "key": run_key})["id"]}

    def cancel_run(self, ref: RunRef) -> None:
        self._call("POST", f"/toy/runs/{self.validate_ref(ref)['run_id']}/cancel", {})

    def console_url(self, ref: RunRef) -> str | None:
        return f"{self.base_url}/toy/ui/{ref.get('run_id')}"


class ToyRunHook(WorkflowRunHook[ToyRunClient], service=TOY):
    client_class = ToyRunClient

    def __init__(self, toy_conn_id: str | None = TOY.default_conn) -> None:
        super().__init__(conn_id=toy_conn_id)

    def build_client(self, conn: Connection | None) -> ToyRunClient:
        return ToyRunClient(conn.host if conn is not None and conn.host else "http://127.0.0.1:1")


class ToyRunLink(WorkflowRunLink, service=TOY):
    pass


class ToyRunSensor(WorkflowRunSensor, service=TOY):
    pass


class ToyRunOperator(WorkflowRunOperator["ToyRunHook"], service=TOY):
    pass


class ToyService(Service):
    """The toy API in the emulator: each read of a running run counts down its steps."""

    name = "toy"
    operations = frozenset({"GetRun", "StartRun", "CancelRun"})

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.runs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def matches(self, request: Request) -> bool:
        return request.path.startswith("/toy/")

    def operation(self, request: Request) -> str:
        if request.method == "GET":
            return "GetRun"
        return "CancelRun" if request.path.endswith("/cancel") else "StartRun"

    def add_run(self, steps: int, end: str = "DONE", key: str | None = None) -> str:
        run_id = f"t-{next(self._ids)}"
        self.runs[run_id] = {"steps": steps, "end": end, "status": "RUNNING", "key": key}
        return run_id

    def handle(self, request: Request, ctx: CallContext) -> Response:
        parts = request.path.strip("/").split("/")  # toy, runs[, id[, cancel]]
        if self.operation(request) == "StartRun":
            body = request.json() or {}
            return Response.json({"id": self.add_run(int(body.get("steps", 1)), key=body.get("key"))})
        run = self.runs.get(parts[2]) if len(parts) > 2 else None
        if run is None:
            return self.error_response(404, None, "no such run")
        if self.operation(request) == "CancelRun":
            run.update(status="STOPPED", steps=0)
        elif run["status"] == "RUNNING" and ctx.observe:
            run["steps"] -= 1
            if run["steps"] < 0:
                run["status"] = run["end"]
        return Response.json({"id": parts[2], "status": run["status"]})

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        return Response.json({"error": message or error_type or "error"}, status=status)

    def control_routes(self) -> list[Route]:
        def add(call: ControlRequest) -> dict[str, str]:
            body = call.body_object()
            return {"id": self.add_run(int(body.get("steps", 1)), str(body.get("end", "DONE")))}

        return [Route("POST", r"runs", add)]

    def reset(self) -> None:
        self.runs.clear()
