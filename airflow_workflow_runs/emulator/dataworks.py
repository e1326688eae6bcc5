"""Alibaba Cloud DataWorks workflow instances (OpenAPI 2024-05-18) as the Tea/Darabonba SDK speaks them.

RPC style at ``/``: the operation is in ``x-acs-action``, the version in ``x-acs-version:
2024-05-18``; GET operations carry their parameters in the query (``GET /?Id=1234``), POST ones
as a form body (lists as JSON strings: ``Ids=[1234]``). Every request must be ACS3-HMAC-SHA256 signed:
see :mod:`.dataworks_auth` for what is checked (:meth:`DataWorksService.require_credentials` verifies
secrets; :meth:`DataWorksService.revoke_credentials` revokes keys and STS tokens mid-wait). Errors are
``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` like Alibaba's gateway.

Operations: GetWorkflowInstance, CreateWorkflowInstances, GetCreateWorkflowInstancesResult,
StopWorkflowInstances (a stopped instance ends as ``Failure``, as in DataWorks),
ListWorkflowInstances and ListProjects (a connection test's call).

The service's pieces: parameters, the instance document and errors in :mod:`.dataworks_wire`,
signatures and credentials in :mod:`.dataworks_auth`, the listings in :mod:`.dataworks_list`,
JSON set-up (scenario, control routes) in :mod:`.dataworks_control`; this module runs the other
operations and keeps the Python set-up API.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from . import dataworks_control
from .dataworks_auth import AcsCredentials
from .dataworks_list import list_instances, list_projects
from .dataworks_wire import (
    BIZ_DATE_TZ,
    TERMINAL,
    VERSION,
    DataWorksError,
    biz_date_ms,
    biz_days,
    error_response,
    int_param,
    json_param,
    request_params,
    wire_instance,
    workflow_key,
)
from .service import CallContext, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response

DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "Running", "polls": 2}, {"status": "Success"})


class DataWorksService(Service):
    """The DataWorks workflow-instance API and its set-up helpers."""

    name = "dataworks"
    operations = frozenset(
        {
            "GetWorkflowInstance",
            "CreateWorkflowInstances",
            "GetCreateWorkflowInstancesResult",
            "StopWorkflowInstances",
            "ListWorkflowInstances",
            "ListProjects",
        }
    )
    chaos_operations = frozenset({"GetWorkflowInstance", "ListWorkflowInstances"})
    throttling = (
        {"status": 400, "error_type": "Throttling.User", "message": "Request was denied due to user flow control."},
        {"status": 429, "error_type": "Throttling", "headers": {"x-acs-retry-after": "1000"}},
    )

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.reset()

    def reset(self) -> None:
        self.auth = AcsCredentials()
        self.throttle_retry_after_ms: int | None = None
        self._ids = itertools.count(1_000_001)
        self._operations: dict[str, dict[str, Any]] = {}

    @property
    def access_key_ids(self) -> list[str]:
        """The access key id of every signed request, in order."""
        return self.auth.access_key_ids

    @property
    def security_token_digests(self) -> list[str | None]:
        """The SHA-256 digest of every signed request's STS token (None: none sent), in order."""
        return self.auth.security_token_digests

    # --- wire protocol -------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return request.header("x-acs-version") == VERSION and bool(request.header("x-acs-action"))

    def operation(self, request: Request) -> str:
        return request.header("x-acs-action") or "Unknown"

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        return error_response(status, error_type, message, self.throttle_retry_after_ms)

    def handle(self, request: Request, ctx: CallContext) -> Response:
        try:
            self.auth.authenticate(request)
            params = request_params(request)
            operation = self.operation(request)
            handler = {
                "GetWorkflowInstance": ("GET", self._get),
                "CreateWorkflowInstances": ("POST", self._create),
                "GetCreateWorkflowInstancesResult": ("GET", self._create_result),
                "StopWorkflowInstances": ("POST", self._stop),
                "ListWorkflowInstances": ("POST", lambda p, c: list_instances(self.store, self.name, p, c)),
                "ListProjects": ("POST", lambda p, c: list_projects(self.store, self.name, p)),
            }.get(operation)
            if handler is None:
                raise DataWorksError(404, "InvalidAction.NotFound", f"Specified api {operation} is not found.")
            method, function = handler
            if request.method != method or request.path != "/":
                raise DataWorksError(400, "InvalidParameter", f"{operation} is served as {method} /")
            body = {"RequestId": str(uuid.uuid4()).upper(), **function(params, ctx)}
            return Response.json(body, content_type="application/json;charset=utf-8")
        except DataWorksError as exc:
            return self.error_response(exc.status, exc.code, exc.message)

    # --- operations ----------------------------------------------------------------------

    def _find(self, instance_id: int) -> RunRecord:
        for run in self.store.runs(self.name):
            if run.run_id == str(instance_id):
                return run
        raise DataWorksError(
            404, "InvalidWorkflowInstance.NotFound", f"The workflow instance {instance_id} does not exist."
        )

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _get(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        instance_id = int_param(params, "Id")
        assert instance_id is not None
        with self.store.lock:
            run = self._find(instance_id)
            return {"WorkflowInstance": wire_instance(run, self._position(run, ctx))}

    def _create(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        project_id, workflow_id = int_param(params, "ProjectId"), int_param(params, "WorkflowId")
        assert project_id is not None and workflow_id is not None
        for name in ("Name", "Type"):
            if not params.get(name):
                raise DataWorksError(
                    400, "MissingParameter", f"The input parameter {name} that is mandatory is missing."
                )
        tags = {str(t.get("Key")): str(t.get("Value")) for t in json_param(params, "Tags") or []}
        days = biz_days(json_param(params, "Periods"))
        operation_id = str(uuid.uuid4())
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_key(project_id, workflow_id))
            if workflow is None:
                raise DataWorksError(
                    400, "Invalid.Workflow.NotExists", f"The workflow {workflow_id} does not exist in {project_id}."
                )
            failure = workflow.data.get("create_failure")
            ids: list[str] = []
            if not failure:
                unified = next(self._ids)
                for day in days:
                    ids.append(
                        self._new_instance(
                            project_id,
                            workflow_id,
                            workflow.timeline,
                            name=params["Name"],
                            instance_type=params["Type"],
                            env_type=params.get("EnvType") or "Prod",
                            biz_date=day,
                            tags=tags,
                            workflow_parameters=params.get("WorkflowParameters"),
                            unified_id=unified,
                        ).run_id
                    )
            self._operations[operation_id] = {
                "polls": int(workflow.data.get("creation_polls", 1)),
                "ids": ids,
                "failure": failure,
                "comment": params.get("Comment"),
            }
        return {"OperationId": operation_id}

    def _create_result(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        operation_id = params.get("OperationId") or ""
        with self.store.lock:
            operation = self._operations.get(operation_id)
            if operation is None:
                raise DataWorksError(404, "InvalidOperation.NotFound", f"The operation {operation_id} does not exist.")
            if operation["polls"] > 0:
                if ctx.observe:
                    operation["polls"] -= 1
                return {"Result": {"Status": "Creating"}}
            if operation["failure"]:
                return {"Result": {"Status": "CreateFailure", "FailureMessage": operation["failure"]}}
            runs = [self._find(int(i)) for i in operation["ids"]]
            return {
                "Result": {
                    "Status": "Created",
                    "WorkflowInstanceIds": [int(i) for i in operation["ids"]],
                    "WorkflowTaskInstanceIds": [r.data["task_instance_id"] for r in runs],
                    "UnifiedWorkflowInstanceIds": sorted({r.data["unified_id"] for r in runs}),
                }
            }

    def _stop(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        ids = json_param(params, "Ids")
        if not isinstance(ids, list) or not ids:
            raise DataWorksError(400, "MissingParameter", "The input parameter Ids that is mandatory is missing.")
        info: dict[str, Any] = {}
        with self.store.lock:
            for raw in ids:
                try:
                    run = self._find(int(raw))
                except (DataWorksError, ValueError, TypeError):
                    info[str(raw)] = {"Success": False, "Message": f"The workflow instance {raw} does not exist."}
                    continue
                status = self.store.peek(run).step.status
                if status in TERMINAL:
                    info[str(raw)] = {
                        "Success": False,
                        "Message": f"The workflow instance is {status} and cannot be stopped.",
                    }
                    continue
                run.stop_requested_at = self.store.now()
                run.timeline.interrupt([Step("Failure")], self.store.now())
                info[str(raw)] = {"Success": True}
        return {"SuccessInfo": info}

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        if operation == "ListWorkflowInstances":
            return drop_key((payload.get("PagingInfo") or {}).get("WorkflowInstances"), "Status")
        return drop_key(payload.get("WorkflowInstance"), "Status")

    # --- set-up (Python; the JSON spelling is in dataworks_control) ----------------------------

    def revoke_credentials(self, *secrets: str) -> int:
        """Refuse these access key ids or STS tokens from now on (none given: every one seen so far)."""
        return self.auth.revoke(*secrets)

    def require_credentials(self, credentials: Mapping[str, str | tuple[str, str | None]] | None = None) -> None:
        """Verify signatures: ``{access_key_id: secret}`` or ``{id: (secret, sts_token)}``; None: any."""
        self.auth.require(credentials)

    def define_workflow(
        self,
        project_id: int,
        workflow_id: int,
        timeline: Sequence[Any] | None = None,
        name: str = "",
        *,
        creation_polls: int = 1,
        create_failure: str | None = None,
    ) -> None:
        """A workflow instances are created from: their timeline, GetCreateWorkflowInstancesResult
        polls answered ``Creating`` first, and (optionally) a ``CreateFailure`` message."""
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        data = {
            "project_id": int(project_id),
            "workflow_id": int(workflow_id),
            "name": name or f"workflow_{workflow_id}",
            "creation_polls": int(creation_polls),
            "create_failure": create_failure,
        }
        self.store.put_workflow(Workflow(self.name, workflow_key(int(project_id), int(workflow_id)), steps, data))

    def _new_instance(
        self,
        project_id: int,
        workflow_id: int,
        steps: Any,
        *,
        name: str,
        instance_type: str,
        env_type: str = "Prod",
        biz_date: date | None = None,
        tags: Mapping[str, str] | None = None,
        workflow_parameters: str | None = None,
        instance_id: int | None = None,
        unified_id: int | None = None,
        started_on: float | None = None,
    ) -> RunRecord:
        instance_id = instance_id or next(self._ids)
        day = biz_date or datetime.now(BIZ_DATE_TZ).date() - timedelta(days=1)
        data = {
            "project_id": project_id,
            "workflow_id": workflow_id,
            "task_instance_id": instance_id + 500_000_000,
            "unified_id": unified_id or instance_id,
            "name": name,
            "type": instance_type,
            "env_type": env_type,
            "biz_date": biz_date_ms(day),
            "owner": "1000000000000001",
            "tags": dict(tags or {}),
            "workflow_parameters": workflow_parameters,
        }
        return self.store.new_run(
            self.name, workflow_key(project_id, workflow_id), str(instance_id), steps, started_on=started_on, data=data
        )

    def add_instance(
        self,
        project_id: int,
        timeline: Sequence[Any] | None = None,
        *,
        workflow_id: int = 1,
        instance_id: int | None = None,
        instance_type: str = "Normal",
        name: str = "",
        biz_date: date | None = None,
        tags: Mapping[str, str] | None = None,
        started_on: float | None = None,
    ) -> str:
        """Add an instance (its workflow defined if missing); returns its id as a string.

        The default ``workflow_id`` 1 is what DataWorks uses for periodically scheduled tasks;
        ``biz_date`` defaults to yesterday in UTC+8; ``started_on`` (epoch seconds) only changes
        the reported CreateTime/StartedTime.
        """
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_key(project_id, workflow_id))
            if workflow is None:
                self.define_workflow(project_id, workflow_id)
                workflow = self.store.workflow(self.name, workflow_key(project_id, workflow_id))
            assert workflow is not None
            steps = workflow.timeline if timeline is None else self.parse_timeline(timeline)
            return self._new_instance(
                int(project_id),
                int(workflow_id),
                steps,
                name=name or workflow.data["name"],
                instance_type=instance_type,
                biz_date=biz_date,
                tags=tags,
                instance_id=instance_id,
                started_on=started_on,
            ).run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_instance` for a schedule's tick; the business date defaults to the tick's date
        in UTC+8 minus ``biz_date_offset_days`` (default 1, DataWorks' convention; 0 for the same day)."""
        spec = dict(run)
        offset = spec.pop("biz_date_offset_days", 1)
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise ValueError(f"'biz_date_offset_days' must be an integer, got {offset!r}")
        biz_date = spec.pop("biz_date", None)
        if isinstance(biz_date, str):
            biz_date = date.fromisoformat(biz_date)
        if biz_date is None:
            biz_date = datetime.fromtimestamp(started_on, BIZ_DATE_TZ).date() - timedelta(days=offset)
        project_id = spec.pop("project_id")
        return self.add_instance(project_id, biz_date=biz_date, started_on=started_on, **spec)

    def instance(self, instance_id: int | str) -> dict[str, Any]:
        """The current wire record of an instance plus bookkeeping (not an observation); ``KeyError``."""
        with self.store.lock:
            try:
                run = self._find(int(instance_id))
            except (DataWorksError, ValueError):
                raise KeyError(f"no dataworks workflow instance {instance_id!r}") from None
            wire = wire_instance(run, self.store.peek(run))
            return {
                **wire,
                "observations": run.observations,
                "stop_requested": run.stop_requested,
                "timeline": run.timeline.to_list(),
            }

    def instances(self) -> list[dict[str, Any]]:
        """Every instance, in creation order (not counted as observations)."""
        return [self.instance(r.run_id) for r in self.store.runs(self.name)]

    def operations_log(self) -> dict[str, dict[str, Any]]:
        """CreateWorkflowInstances operations by id: created ids, failure and the Comment sent."""
        with self.store.lock:
            return json.loads(json.dumps(self._operations))

    # --- scenarios and control API --------------------------------------------------------------

    def load_scenario(self, section: Any) -> None:
        dataworks_control.load_scenario(self, section)

    def control_routes(self) -> Sequence[Route]:
        return dataworks_control.control_routes(self)
