"""AWS CodeCatalyst workflow runs as botocore's ``codecatalyst`` client speaks them.

rest-json over HTTPS with ``Authorization: Bearer <token>`` (botocore refuses bearer tokens over
plain HTTP): GetWorkflowRun, StartWorkflowRun (idempotent on ``clientToken``), ListWorkflowRuns, and
VerifySession (``GET /session``, a connection test's call: the token's user, or 401 for a token that
is not valid or was revoked).
ListWorkflowRuns filters by ``workflowId`` and pages with ``maxResults`` (1..50) and an opaque
cursor ``nextToken`` (runs starting meanwhile do not shift later pages). Its order is undocumented:
newest first here, as the console shows runs; ``list_oldest_first(True)`` flips it so tests can
check that clients do not rely on it.
Errors carry ``x-amzn-ErrorType`` and ``{"message": ...}``. Tokens are kept only as SHA-256
digests, so tests can check which token arrived without the emulator holding secrets; a token
revoked mid-wait (:meth:`CodeCatalystService.revoke_credentials`) is answered 401 UnauthorizedException.
Paths, errors, times and page cursors are spelled in :mod:`.codecatalyst_wire`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .codecatalyst_wire import (
    ERROR_TYPES,
    PREFIX,
    SESSION,
    TERMINAL,
    CodeCatalystError,
    decode_cursor,
    digest,
    encode_cursor,
    iso,
    workflow_key,
)
from .service import CallContext, ControlError, ControlRequest, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position
from .wire import Request, Response

DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"})


class CodeCatalystService(Service):
    """The CodeCatalyst workflow-run API and its set-up helpers."""

    name = "codecatalyst"
    operations = frozenset({"GetWorkflowRun", "StartWorkflowRun", "ListWorkflowRuns", "VerifySession"})
    chaos_operations = frozenset({"GetWorkflowRun", "ListWorkflowRuns"})
    throttling = ({"status": 429, "error_type": "ThrottlingException"},)

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.reset()

    def reset(self) -> None:
        self.token_digests: list[str] = []
        self._valid_digests: set[str] | None = None
        self._revoked: set[str] = set()
        self._client_tokens: dict[tuple[str, str, str], str] = {}
        self._oldest_first = False

    # --- wire protocol -------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return request.path == SESSION or PREFIX.match(request.path) is not None

    def operation(self, request: Request) -> str:
        if request.path == SESSION:
            return "VerifySession"
        match = PREFIX.match(request.path)
        if match and match.group("run"):
            return "GetWorkflowRun"
        return {"PUT": "StartWorkflowRun", "POST": "ListWorkflowRuns"}.get(request.method, "Unknown")

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        error_type = error_type or ERROR_TYPES.get(status, "InternalServerException")
        body = {"message": message or ("Rate exceeded" if status == 429 else "Injected fault")}
        return Response.json(body, status, headers={"x-amzn-ErrorType": error_type})

    def handle(self, request: Request, ctx: CallContext) -> Response:
        try:
            if request.path == SESSION:
                return Response.json(self._verify_session(request))
            self._authenticate(request)
            match = PREFIX.match(request.path)
            assert match is not None
            space, project, run_id = match.group("space"), match.group("project"), match.group("run")
            operation = self.operation(request)
            if operation == "GetWorkflowRun" and request.method == "GET":
                return Response.json(self._get(space, project, run_id or "", ctx))
            if operation == "StartWorkflowRun":
                return Response.json(self._start(space, project, request))
            if operation == "ListWorkflowRuns":
                return Response.json(self._list(space, project, request, ctx))
            raise CodeCatalystError(405, f"{request.method} is not supported here", "ValidationException")
        except CodeCatalystError as exc:
            return self.error_response(exc.status, exc.error_type, exc.message)

    def _authenticate(self, request: Request) -> None:
        auth = request.header("authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise CodeCatalystError(401, "Missing bearer token", "UnauthorizedException")
        token_digest = digest(auth[7:].strip())
        self.token_digests.append(token_digest)
        if token_digest in self._revoked:
            raise CodeCatalystError(401, "The bearer token was revoked or has expired", "UnauthorizedException")
        if self._valid_digests is not None and token_digest not in self._valid_digests:
            raise CodeCatalystError(403, "The token is not valid for this space", "AccessDeniedException")

    def _verify_session(self, request: Request) -> dict[str, str]:
        """VerifySession (GET): the token's user, or 401 for a token that is not (or no longer) valid."""
        if request.method != "GET":
            raise CodeCatalystError(405, f"{request.method} is not supported here", "ValidationException")
        try:
            self._authenticate(request)
        except CodeCatalystError as exc:  # no space is named: an unknown token is not a session at all
            raise CodeCatalystError(401, exc.message if exc.status == 401 else "The token is not valid") from None
        return {"identity": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codecatalyst-user/{self.token_digests[-1]}"))}

    def _find(self, space: str, project: str, run_id: str) -> RunRecord:
        for run in self.store.runs(self.name):
            if run.run_id == run_id and run.data.get("space") == space and run.data.get("project") == project:
                return run
        raise CodeCatalystError(404, f"Workflow run {run_id} was not found in project {project}")

    def _wire(self, run: RunRecord, pos: Position) -> dict[str, Any]:
        status = pos.step.status
        out: dict[str, Any] = {
            "spaceName": run.data["space"],
            "projectName": run.data["project"],
            "id": run.run_id,
            "workflowId": run.data["workflow_id"],
            "status": status,
            "statusReasons": list(pos.step.extra.get("status_reasons", [])),
            "startTime": iso(run.started_on),
            "lastUpdatedTime": iso(max(pos.entered_at, run.started_on)),
        }
        if status in TERMINAL:
            out["endTime"] = iso(max(pos.entered_at, run.started_on))
        return out

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _get(self, space: str, project: str, run_id: str, ctx: CallContext) -> dict[str, Any]:
        with self.store.lock:
            run = self._find(space, project, run_id)
            return self._wire(run, self._position(run, ctx))

    def _start(self, space: str, project: str, request: Request) -> dict[str, Any]:
        workflow_id = request.query_value("workflowId") or ""
        body = request.json() or {}
        token = str(body.get("clientToken") or uuid.uuid4())
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_key(space, project, workflow_id))
            if workflow is None:
                raise CodeCatalystError(404, f"Workflow {workflow_id} was not found in project {project}")
            existing = self._client_tokens.get((space, project, token))
            if existing is None:
                existing = self._new_run(space, project, workflow_id, workflow.timeline).run_id
                self._client_tokens[(space, project, token)] = existing
        return {"spaceName": space, "projectName": project, "id": existing, "workflowId": workflow_id}

    def _list(self, space: str, project: str, request: Request, ctx: CallContext) -> dict[str, Any]:
        workflow_id = request.query_value("workflowId")
        try:
            max_results = int(request.query_value("maxResults") or 50)
        except ValueError:
            raise CodeCatalystError(400, "maxResults must be an integer", "ValidationException") from None
        if not 1 <= max_results <= 50:
            raise CodeCatalystError(400, "maxResults must be between 1 and 50", "ValidationException")
        token = request.query_value("nextToken")
        after = decode_cursor(token, workflow_id) if token else None
        with self.store.lock:
            runs = [
                r
                for r in self.store.runs(self.name)
                if r.data.get("space") == space
                and r.data.get("project") == project
                and (workflow_id is None or r.data.get("workflow_id") == workflow_id)
            ]
            order = self._order_key
            runs.sort(key=order)
            if after is not None:
                runs = [r for r in runs if order(r) > after]
            page = runs[:max_results]
            items = []
            for run in page:
                wire = self._wire(run, self._position(run, ctx))
                wire.pop("spaceName"), wire.pop("projectName")
                items.append({**wire, "workflowName": run.data.get("workflow_name", "")})
        out: dict[str, Any] = {"items": items}
        if len(runs) > max_results:
            out["nextToken"] = encode_cursor(order(page[-1]), workflow_id)
        return out

    def _order_key(self, run: RunRecord) -> tuple[float, int]:
        return (run.started_on, run.seq) if self._oldest_first else (-run.started_on, -run.seq)

    def list_oldest_first(self, oldest_first: bool = True) -> None:
        """List runs oldest first (the real order is undocumented); ``reset()`` restores newest first."""
        self._oldest_first = oldest_first

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        return drop_key(payload.get("items") if operation == "ListWorkflowRuns" else payload, "status")

    # --- set-up (Python and control API) ------------------------------------------------------

    def revoke_credentials(self, *secrets: str) -> int:
        """Answer 401 to these bearer tokens from now on (none given: every token seen so far)."""
        digests = {digest(t) for t in secrets} if secrets else set(self.token_digests)
        self._revoked |= digests
        return len(digests)

    def require_tokens(self, *tokens: str) -> None:
        """Answer 403 to any bearer token but these (none given: accept any token)."""
        self._valid_digests = {digest(t) for t in tokens} or None

    def define_workflow(
        self, space: str, project: str, workflow_id: str, timeline: Sequence[Any] | None = None, name: str = ""
    ) -> None:
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        data = {"space": space, "project": project, "workflow_id": workflow_id, "name": name or workflow_id}
        self.store.put_workflow(Workflow(self.name, workflow_key(space, project, workflow_id), steps, data))

    def _new_run(
        self,
        space: str,
        project: str,
        workflow_id: str,
        steps: Any,
        run_id: str | None = None,
        started_on: float | None = None,
    ) -> RunRecord:
        workflow = self.store.workflow(self.name, workflow_key(space, project, workflow_id))
        data = {
            "space": space,
            "project": project,
            "workflow_id": workflow_id,
            "workflow_name": workflow.data.get("name", "") if workflow else "",
        }
        return self.store.new_run(
            self.name,
            workflow_key(space, project, workflow_id),
            run_id or str(uuid.uuid4()),
            steps,
            started_on=started_on,
            data=data,
        )

    def add_run(
        self,
        space: str,
        project: str,
        timeline: Sequence[Any] | None = None,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        started_on: float | None = None,
    ) -> str:
        """Add a run (its workflow defined if missing); returns the run id (a UUID)."""
        workflow_id = workflow_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{space}/{project}/default"))
        with self.store.lock:
            workflow = self.store.workflow(self.name, workflow_key(space, project, workflow_id))
            if workflow is None:
                self.define_workflow(space, project, workflow_id)
                workflow = self.store.workflow(self.name, workflow_key(space, project, workflow_id))
            assert workflow is not None
            steps = workflow.timeline if timeline is None else self.parse_timeline(timeline)
            return self._new_run(space, project, workflow_id, steps, run_id, started_on).run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_run` for a schedule's tick (``run``: ``space``, ``project``, ``workflow_id``, ``timeline``)."""
        return self.add_run(**run, started_on=started_on)

    def run(self, space: str, project: str, run_id: str) -> dict[str, Any]:
        """The current record of a run (not counted as an observation); ``KeyError`` if absent."""
        with self.store.lock:
            try:
                run = self._find(space, project, run_id)
            except CodeCatalystError:
                raise KeyError(f"no codecatalyst run {run_id!r} in {space}/{project}") from None
            wire = self._wire(run, self.store.peek(run))
            return {**wire, "observations": run.observations, "timeline": run.timeline.to_list()}

    def runs(self) -> list[dict[str, Any]]:
        """Every run, in creation order (not counted as observations)."""
        return [self.run(r.data["space"], r.data["project"], r.run_id) for r in self.store.runs(self.name)]

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(extra) - {"status_reasons"}
        if unknown:
            raise ValueError(f"unknown codecatalyst timeline step fields: {sorted(unknown)}")
        reasons = extra.get("status_reasons", [])
        if not isinstance(reasons, list):
            raise ValueError("status_reasons must be a list")
        return dict(extra)

    def load_scenario(self, section: Any) -> None:
        """Apply ``{"workflows": [{space, project, workflow_id, timeline?, name?}], "runs": [...]}``."""
        if not isinstance(section, Mapping) or set(section) - {"workflows", "runs"}:
            raise ValueError('the codecatalyst scenario takes {"workflows": [...], "runs": [...]}')
        for spec in section.get("workflows", []):
            self.define_workflow(
                spec["space"], spec["project"], spec["workflow_id"], spec.get("timeline"), spec.get("name", "")
            )
        for spec in section.get("runs", []):
            self.add_run(
                spec["space"],
                spec["project"],
                spec.get("timeline"),
                workflow_id=spec.get("workflow_id"),
                run_id=spec.get("run_id"),
            )

    def control_routes(self) -> Sequence[Route]:
        return (
            Route("POST", r"runs", self._control_add_run),
            Route("PUT", r"workflows", self._control_define),
            Route("GET", r"runs/(?P<space>[^/]+)/(?P<project>[^/]+)/(?P<run_id>[^/]+)", self._control_run),
        )

    def _control_add_run(self, call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            return {
                "run_id": self.add_run(
                    body["space"],
                    body["project"],
                    body.get("timeline"),
                    workflow_id=body.get("workflow_id"),
                    run_id=body.get("run_id"),
                )
            }
        except (KeyError, ValueError) as exc:
            raise ControlError(400, f"bad run: {exc}") from exc

    def _control_define(self, call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            self.define_workflow(
                body["space"], body["project"], body["workflow_id"], body.get("timeline"), body.get("name", "")
            )
        except (KeyError, ValueError) as exc:
            raise ControlError(400, f"bad workflow: {exc}") from exc
        return {"ok": True}

    def _control_run(self, call: ControlRequest) -> Any:
        try:
            return self.run(call.params["space"], call.params["project"], call.params["run_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc
