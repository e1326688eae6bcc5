"""Datadog Workflow Automation instances as ``datadog-api-client`` speaks them.

``/api/v2/workflows/{workflow_id}/instances`` (GET: ListWorkflowInstances with ``page[size]``
<= 100, default 10, and 0-based ``page[number]``; newest first unless ``list_order`` says "creation";
items carry only status and timestamps, as in Datadog's recorded answers; POST: CreateWorkflowInstance with
``{"meta": {"payload": {...}}}``), ``.../instances/{instance_id}`` (GET: GetWorkflowInstance) and
``.../instances/{instance_id}/cancel`` (PUT: CancelWorkflowInstance, answers ``{}``). Over plain
HTTP or HTTPS (the SDK takes either through ``Configuration(host=...)``). A connection test's reads
(ListWorkflows, ValidateApiKey, GetCurrentUser) are in :mod:`.datadog_account`.

Every request needs ``DD-API-KEY`` and ``DD-APPLICATION-KEY``: without them the answer is 403
``{"errors": ["Forbidden"]}``, as Datadog's, and so are keys revoked mid-wait
(:meth:`DatadogService.revoke_credentials`). Keys are kept only as SHA-256 digests. Errors are
``{"errors": [...]}`` (objects with ``code``/``detail`` where Datadog's recorded answers have them);
a 429 carries ``X-RateLimit-Limit/Period/Remaining/Reset/Name``.

A timeline step's ``status`` is the instance's ``instanceStatus.detailsKind``; optional step fields
``steps`` (``[{stepName, stepState, ...}]``), ``outputs`` and ``error_detail``. A workflow's
``not_found_polls`` makes each new instance answer 404 INSTANCE_NOT_FOUND to that many reads, as
Datadog can right after a create. The payload an instance was created with is shown in
``attributes.trigger`` (where Datadog exposes the trigger's inputs to ``{{ Trigger.* }}``).

The service's pieces: the paths, instance attributes and errors in :mod:`.datadog_wire`, JSON set-up
(scenario, control routes) in :mod:`.datadog_control`; this module answers the requests and keeps
the keys and the Python set-up API.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from . import datadog_account, datadog_control
from .datadog_wire import (
    MESSAGES,
    PATH,
    TERMINAL,
    UUID,
    DatadogError,
    errors_response,
    instance_attributes,
    int_query,
    validate_step,
)
from .service import CallContext, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response

DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"})


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class DatadogService(Service):
    """The Workflow Automation instance API and its set-up helpers."""

    name = "datadog"
    operations = frozenset(
        {"GetWorkflowInstance", "CreateWorkflowInstance", "CancelWorkflowInstance", "ListWorkflowInstances"}
    ) | frozenset(datadog_account.OPERATIONS.values())
    chaos_operations = frozenset({"GetWorkflowInstance", "ListWorkflowInstances"})
    throttling = ({"status": 429},)  # every 429 carries X-RateLimit-Reset (see _errors)

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.reset()

    def reset(self) -> None:
        #: ``(api key digest, application key digest)`` of every authenticated request, in order.
        self.key_digests: list[tuple[str, str]] = []
        self._valid: tuple[str, str] | None = None
        self._revoked: set[str] = set()
        #: Seconds put in ``X-RateLimit-Reset`` of a 429.
        self.rate_limit_reset: int = 1
        #: ListWorkflowInstances order: "newest_first", or "creation" (oldest added first). Datadog
        #: documents no order, so clients must not rely on one; "creation" lets tests prove it.
        self.list_order: str = "newest_first"

    # --- wire protocol -------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return PATH.match(request.path) is not None or datadog_account.operation(request) is not None

    def operation(self, request: Request) -> str:
        account = datadog_account.operation(request)
        if account is not None:
            return account
        match = PATH.match(request.path)
        if match is None:
            return "Unknown"
        if match.group("cancel"):
            return "CancelWorkflowInstance"
        if match.group("instance"):
            return "GetWorkflowInstance"
        return {"POST": "CreateWorkflowInstance", "GET": "ListWorkflowInstances"}.get(request.method, "Unknown")

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        errors: list[Any] = [message or MESSAGES.get(status, "Internal Server Error")]
        if error_type:
            errors = [{"code": error_type, "detail": message or MESSAGES.get(status, "error")}]
        return self._errors(DatadogError(status, errors))

    def _errors(self, error: DatadogError) -> Response:
        return errors_response(error, self.rate_limit_reset)

    def handle(self, request: Request, ctx: CallContext) -> Response:
        try:
            account = datadog_account.operation(request)
            self._authenticate(request, api_key_only=account == "ValidateApiKey")
            if account is not None:
                return Response.json(datadog_account.answer(self.store, self.name, account, request))
            match = PATH.match(request.path)
            assert match is not None
            workflow_id, instance_id = match.group("workflow"), match.group("instance")
            operation = self.operation(request)
            if not UUID.match(workflow_id):
                raise DatadogError(
                    400,
                    [{"code": "INVALID_FIELD_VALUE", "detail": "value <no value> is invalid for field workflow_id"}],
                )
            if operation == "GetWorkflowInstance" and request.method == "GET":
                return Response.json(self._get(workflow_id, instance_id or "", ctx))
            if operation == "CancelWorkflowInstance" and request.method == "PUT":
                return Response.json(self._cancel(workflow_id, instance_id or ""))
            if operation == "CreateWorkflowInstance":
                return Response.json(self._create(workflow_id, request))
            if operation == "ListWorkflowInstances":
                return Response.json(self._list(workflow_id, request, ctx))
            raise DatadogError(405, ["Method Not Allowed"])
        except DatadogError as exc:
            return self._errors(exc)

    def _authenticate(self, request: Request, api_key_only: bool = False) -> None:
        api_key = (request.header("dd-api-key") or "").strip()
        app_key = (request.header("dd-application-key") or "").strip()
        if api_key_only:  # GET /api/v1/validate: the API key alone
            key = digest(api_key)
            if not api_key or key in self._revoked or (self._valid is not None and key != self._valid[0]):
                raise DatadogError(403, ["Forbidden"])
            return
        if not api_key or not app_key:
            raise DatadogError(403, ["Forbidden"])
        pair = (digest(api_key), digest(app_key))
        self.key_digests.append(pair)
        if pair[0] in self._revoked or pair[1] in self._revoked:
            raise DatadogError(403, ["Forbidden"])
        if self._valid is not None and pair != self._valid:
            raise DatadogError(403, ["Forbidden"])

    def _find(self, workflow_id: str, instance_id: str) -> RunRecord:
        run = self.store.run(self.name, workflow_id, instance_id)
        if run is None:
            raise DatadogError(404, [{"code": "INSTANCE_NOT_FOUND", "detail": f"instance {instance_id} not found"}])
        return run

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _get(self, workflow_id: str, instance_id: str, ctx: CallContext) -> dict[str, Any]:
        with self.store.lock:
            run = self._find(workflow_id, instance_id)
            if run.data.get("hidden_reads", 0) > 0:
                if ctx.observe:
                    run.data["hidden_reads"] -= 1
                raise DatadogError(404, [{"code": "INSTANCE_NOT_FOUND", "detail": f"instance {instance_id} not found"}])
            attributes = instance_attributes(run, self._position(run, ctx), full=True)
        return {
            "data": {
                "attributes": attributes,
                "id": instance_id,
                "relationships": {"workflow": {"data": {"id": workflow_id, "type": "workflows"}}},
                "type": "instances",
            },
            "meta": {"outputsTooBig": False, "sourceTooBig": False, "triggerTooBig": False},
        }

    def _create(self, workflow_id: str, request: Request) -> dict[str, Any]:
        try:
            body = request.json() or {}
        except ValueError:
            raise DatadogError(400, ["Bad Request"]) from None
        meta = body.get("meta") if isinstance(body, dict) else None
        payload = (meta or {}).get("payload") if isinstance(meta, dict) else None
        if payload is not None and not isinstance(payload, dict):
            raise DatadogError(400, [{"code": "INVALID_FIELD_VALUE", "detail": "payload must be an object"}])
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_id)
            if workflow is None:
                raise DatadogError(404, [{"code": "WORKFLOW_NOT_FOUND", "detail": f"workflow {workflow_id} not found"}])
            run = self._new_run(workflow_id, workflow.timeline, payload or {})
            run.data["hidden_reads"] = int(workflow.data.get("not_found_polls", 0))
        return {"data": {"attributes": {}, "id": run.run_id, "type": "instances"}, "meta": {"workflowId": workflow_id}}

    def _cancel(self, workflow_id: str, instance_id: str) -> dict[str, Any]:
        with self.store.lock:
            run = self._find(workflow_id, instance_id)
            if run.stop_requested:
                return {}
            run.stop_requested_at = self.store.now()
            position = self.store.peek(run)
            if position.step.status not in TERMINAL:
                steps = [
                    {**step, "stepState": "CANCELED"} if step.get("stepState") == "IN_PROGRESS" else step
                    for step in position.step.extra.get("steps", [])
                ]
                run.timeline.interrupt([Step("CANCELED", extra={"steps": steps})], self.store.now())
        return {}

    def _list(self, workflow_id: str, request: Request, ctx: CallContext) -> dict[str, Any]:
        size = int_query(request, "page[size]", 10)
        number = int_query(request, "page[number]", 0)
        if not 1 <= size <= 100 or number < 0:
            raise DatadogError(
                400, [{"code": "INVALID_FIELD_VALUE", "detail": "page[size] must be 1..100 and page[number] >= 0"}]
            )
        with self.store.lock:
            runs = list(self.store.runs(self.name, workflow_id))
            if self.list_order != "creation":
                runs.sort(key=lambda r: (-r.started_on, -r.seq))
            counts = {"SUCCEEDED": 0, "CANCELED": 0, "failed": 0}
            items = []
            for index, run in enumerate(runs):
                in_page = number * size <= index < (number + 1) * size
                pos = self._position(run, ctx) if in_page else self.store.peek(run)
                status = pos.step.status
                key = status if status in ("SUCCEEDED", "CANCELED") else "failed" if status in TERMINAL else None
                if key:
                    counts[key] += 1
                if in_page:
                    attributes = instance_attributes(run, pos, full=False)
                    items.append({"attributes": attributes, "id": run.run_id, "type": "instances"})
        return {
            "data": items,
            "meta": {
                "canceledCount": counts["CANCELED"],
                "failedCount": counts["failed"],
                "page": {"totalCount": len(runs), "totalFilteredCount": len(runs)},
                "succeededCount": counts["SUCCEEDED"],
            },
        }

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        data = payload.get("data")
        items = data if isinstance(data, list) else [data]
        return drop_key([i.get("attributes") for i in items if isinstance(i, dict)], "instanceStatus")

    # --- set-up (Python; the JSON spelling is in datadog_control) ------------------------------

    def revoke_credentials(self, *secrets: str) -> int:
        """Answer 403 to requests with any of these API or application keys (none given: every key
        seen so far)."""
        digests = {digest(k) for k in secrets} if secrets else {d for pair in self.key_digests for d in pair}
        self._revoked |= digests
        return len(digests)

    def require_keys(self, api_key: str | None = None, app_key: str | None = None) -> None:
        """Answer 403 to any key pair but this one (none given: accept any present keys)."""
        self._valid = (digest(api_key), digest(app_key)) if api_key and app_key else None

    def define_workflow(
        self, workflow_id: str, timeline: Sequence[Any] | None = None, *, not_found_polls: int = 0, name: str = ""
    ) -> None:
        """A workflow whose created instances follow ``timeline`` (and first answer 404 ``not_found_polls`` times)."""
        if not UUID.match(workflow_id):
            raise ValueError(f"a Datadog workflow id is a UUID, got {workflow_id!r}")
        if isinstance(not_found_polls, bool) or not isinstance(not_found_polls, int) or not_found_polls < 0:
            raise ValueError(f"not_found_polls must be an integer >= 0, got {not_found_polls!r}")
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        data = {"name": name or workflow_id, "not_found_polls": not_found_polls}
        self.store.put_workflow(Workflow(self.name, workflow_id, steps, data))

    def _new_run(
        self,
        workflow_id: str,
        steps: Any,
        payload: Mapping[str, Any],
        instance_id: str | None = None,
        started_on: float | None = None,
    ) -> RunRecord:
        return self.store.new_run(
            self.name,
            workflow_id,
            instance_id or str(uuid.uuid4()),
            steps,
            started_on=started_on,
            properties=dict(payload),
            data={"user": str(uuid.uuid5(uuid.NAMESPACE_URL, "airflow")), "hidden_reads": 0},
        )

    def add_instance(
        self,
        workflow_id: str,
        timeline: Sequence[Any] | None = None,
        *,
        instance_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        started_on: float | None = None,
    ) -> str:
        """Add an instance (its workflow defined if missing); returns the instance id (a UUID)."""
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_id)
            if workflow is None:
                self.define_workflow(workflow_id)
                workflow = self.store.workflow(self.name, workflow_id)
            assert workflow is not None
            steps = workflow.timeline if timeline is None else self.parse_timeline(timeline)
            return self._new_run(workflow_id, steps, payload or {}, instance_id, started_on).run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_instance` for a schedule's tick (``run``: ``workflow_id``, ``timeline``, ``payload``)."""
        return self.add_instance(**run, started_on=started_on)

    def instance(self, workflow_id: str, instance_id: str) -> dict[str, Any]:
        """The current record of an instance (not counted as an observation); ``KeyError`` if absent."""
        with self.store.lock:
            run = self.store.run(self.name, workflow_id, instance_id)
            if run is None:
                raise KeyError(f"no datadog instance {instance_id!r} of workflow {workflow_id!r}")
            attributes = instance_attributes(run, self.store.peek(run), full=True)
            return {
                "id": run.run_id,
                "workflow_id": workflow_id,
                "attributes": attributes,
                "payload": dict(run.properties),
                "observations": run.observations,
                "cancel_requested": run.stop_requested,
                "timeline": run.timeline.to_list(),
            }

    def instances(self) -> list[dict[str, Any]]:
        """Every instance, in creation order (not counted as observations)."""
        return [self.instance(r.workflow, r.run_id) for r in self.store.runs(self.name)]

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return validate_step(extra)

    # --- scenarios and control API --------------------------------------------------------------

    def load_scenario(self, section: Any) -> None:
        datadog_control.load_scenario(self, section)

    def control_routes(self) -> Sequence[Route]:
        return datadog_control.control_routes(self)
