"""AWS Glue workflow runs over JSON 1.1, byte-compatible with what the boto3 ``glue`` client sends.

Requests are ``POST /`` with ``X-Amz-Target: AWSGlue.<Operation>`` and a SigV4 ``Authorization``
header (any signature is accepted; only its presence and scheme are checked, and that its access
key id was not revoked: :meth:`GlueService.revoke_credentials`, answered 400
UnrecognizedClientException as AWS answers an unknown key). Errors carry
``__type`` in the body, which is what botocore turns into ``ClientError.response["Error"]["Code"]``.

Implemented: GetWorkflowRun, GetWorkflowRuns (newest first, opaque ``NextToken``),
StartWorkflowRun (runs follow the workflow's default timeline) and StopWorkflowRun (STOPPING on
the next observation, then STOPPED). Timeline steps may carry ``statistics`` (overrides of the
counters derived from the status) and ``error_message``.
ListWorkflows (a connection test's call) is in :mod:`.glue_workflows`.

Job runs, minimally: GetJobRun reads runs added with :meth:`GlueService.add_job_run` (what the
amazon provider's ``GlueJobCompleteTrigger`` polls); see :mod:`.glue_jobs`.

The service's pieces: Glue's JSON shapes (run document, counters, errors, page tokens) in
:mod:`.glue_wire`, job runs in :mod:`.glue_jobs`, JSON set-up (scenario, control routes) in
:mod:`.glue_control`; this module answers workflow-run requests and keeps the Python set-up API.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import glue_control, glue_jobs, glue_workflows
from .glue_wire import (
    CONTENT_TYPE,
    DEFAULT_MAX_RESULTS,
    TARGET_PREFIX,
    TERMINAL_STATUSES,
    GlueError,
    decode_token,
    encode_token,
    error_response,
    new_run_id,
    newest_first,
    parse_run_properties,
    require_str,
    statistics,
    stopped_statistics,
    validate_step,
    wire_run,
)
from .service import CallContext, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response

DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = (
    {"status": "RUNNING", "polls": 2},
    {"status": "COMPLETED"},
)
ACCESS_KEY = re.compile(r"Credential=(?P<ak>[^/,\s]+)/")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class GlueService(Service):
    """The Glue workflow-run API, plus its Python and control-API set-up helpers."""

    name = "glue"
    operations = frozenset(
        {"GetWorkflowRun", "GetWorkflowRuns", "StartWorkflowRun", "StopWorkflowRun", "GetJobRun", "ListWorkflows"}
    )
    chaos_operations = frozenset({"GetWorkflowRun", "GetWorkflowRuns", "GetJobRun"})
    throttling = ({"status": 400, "error_type": "ThrottlingException"},)  # awsJson 1.1 throttles with 400

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.reset()

    def reset(self) -> None:
        self._seen_keys: set[str] = set()  # SHA-256 digests of the access key ids that signed requests
        self._revoked: set[str] = set()

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        if operation == "GetJobRun":
            return drop_key(payload.get("JobRun"), "JobRunState")
        return drop_key(payload.get("Runs") if operation == "GetWorkflowRuns" else payload.get("Run"), "Status")

    def revoke_credentials(self, *secrets: str) -> int:
        """Refuse requests signed with these access key ids (none given: every one seen so far)."""
        with self.store.lock:
            digests = {_digest(s) for s in secrets} if secrets else set(self._seen_keys)
            self._revoked |= digests
            return len(digests)

    # --- wire protocol -------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        target = request.header("x-amz-target") or ""
        return request.method == "POST" and target.startswith(TARGET_PREFIX)

    def operation(self, request: Request) -> str:
        return (request.header("x-amz-target") or "")[len(TARGET_PREFIX) :]

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        return error_response(status, error_type, message)

    def handle(self, request: Request, ctx: CallContext) -> Response:
        handlers: dict[str, Callable[[dict[str, Any], CallContext], dict[str, Any]]] = {
            "GetWorkflowRun": self._get_workflow_run,
            "GetWorkflowRuns": self._get_workflow_runs,
            "StartWorkflowRun": self._start_workflow_run,
            "StopWorkflowRun": self._stop_workflow_run,
            "GetJobRun": lambda body, ctx: glue_jobs.get_job_run(self.store, body, ctx),
            "ListWorkflows": lambda body, ctx: glue_workflows.list_workflows(self.store, self.name, body),
        }
        try:
            auth = request.header("authorization")
            if not auth or not auth.startswith("AWS4-HMAC-SHA256"):
                raise GlueError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            self._check_key(auth)
            try:
                body = request.json()
            except (ValueError, UnicodeDecodeError) as exc:
                raise GlueError("SerializationException", "Malformed JSON body") from exc
            body = {} if body is None else body
            if not isinstance(body, dict):
                raise GlueError("SerializationException", "The request body must be an object")
            handler = handlers.get(self.operation(request))
            if handler is None:
                raise GlueError("UnknownOperationException", f"Unknown operation {self.operation(request)}")
            return Response.json(handler(body, ctx), 200, CONTENT_TYPE, {"x-amzn-RequestId": str(uuid.uuid4())})
        except GlueError as exc:
            return self.error_response(exc.status, exc.error_type, exc.message)

    def _check_key(self, auth: str) -> None:
        match = ACCESS_KEY.search(auth)
        key = _digest(match.group("ak")) if match else ""
        with self.store.lock:
            self._seen_keys.add(key)
            revoked = key in self._revoked
        if revoked:
            raise GlueError("UnrecognizedClientException", "The security token included in the request is invalid.")

    def _workflow_or_404(self, name: str) -> Workflow:
        workflow = self.store.workflow(self.name, name)
        if workflow is None:
            raise GlueError("EntityNotFoundException", f"Workflow with name {name} not found")
        return workflow

    def _run_or_404(self, name: str, run_id: str) -> RunRecord:
        self._workflow_or_404(name)
        run = self.store.run(self.name, name, run_id)
        if run is None:
            raise GlueError(
                "EntityNotFoundException",
                f"Workflow run with id {run_id} not found for workflow {name}",
            )
        return run

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _get_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        run = self._run_or_404(require_str(body, "Name"), require_str(body, "RunId"))
        with self.store.lock:
            pos = self._position(run, ctx)
            return {"Run": wire_run(run, pos, bool(body.get("IncludeGraph", False)))}

    def _get_workflow_runs(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        name = require_str(body, "Name")
        max_results = body.get("MaxResults", DEFAULT_MAX_RESULTS)
        if isinstance(max_results, bool) or not isinstance(max_results, int):
            raise GlueError("InvalidInputException", "MaxResults must be an integer")
        if not 1 <= max_results <= 1000:
            raise GlueError(
                "InvalidInputException",
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                "satisfy constraint: Member must have value between 1 and 1000",
            )
        self._workflow_or_404(name)
        token = body.get("NextToken")
        with self.store.lock:
            runs = sorted(self.store.runs(self.name, name), key=newest_first)
            if token:
                started_on, seq = decode_token(str(token), name)
                runs = [r for r in runs if newest_first(r) > (-started_on, -seq)]
            page, rest = runs[:max_results], runs[max_results:]
            graph = bool(body.get("IncludeGraph", False))
            out: dict[str, Any] = {"Runs": [wire_run(r, self._position(r, ctx), graph) for r in page]}
        if rest:
            out["NextToken"] = encode_token(name, page[-1])
        return out

    def _start_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        workflow = self._workflow_or_404(require_str(body, "Name"))
        try:
            properties = parse_run_properties(body.get("RunProperties"))
        except ValueError as exc:
            raise GlueError("InvalidInputException", str(exc)) from exc
        run = self.store.new_run(self.name, workflow.name, new_run_id(), workflow.timeline, properties=properties)
        return {"RunId": run.run_id}

    def _stop_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        run = self._run_or_404(require_str(body, "Name"), require_str(body, "RunId"))
        with self.store.lock:
            pos = self.store.peek(run)
            status = pos.step.status
            if status in TERMINAL_STATUSES or status == "STOPPING":
                raise GlueError(
                    "IllegalWorkflowStateException",
                    f"Workflow run {run.run_id} is in {status} state and cannot be stopped",
                )
            current = statistics(status, pos.step.extra.get("statistics"))
            run.stop_requested_at = self.store.now()
            run.timeline.interrupt(
                [
                    Step("STOPPING", polls=1, extra={"statistics": current}),
                    Step("STOPPED", extra={"statistics": stopped_statistics(current)}),
                ],
                self.store.now(),
            )
        return {}

    # --- timelines -------------------------------------------------------------------------

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return validate_step(extra)

    # --- Python set-up API -----------------------------------------------------------------

    def define_workflow(self, name: str, timeline: Sequence[Any] | None = None) -> None:
        """Create or redefine a workflow; runs started via the API follow ``timeline``."""
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        existing = self.store.workflow(self.name, name)
        data = existing.data if existing else {}
        self.store.put_workflow(Workflow(self.name, name, steps, data))

    def _ensure_workflow(self, name: str) -> Workflow:
        with self.store.lock:
            workflow = self.store.workflow(self.name, name)
            if workflow is None:
                self.define_workflow(name)
                workflow = self.store.workflow(self.name, name)
            assert workflow is not None
            return workflow

    def add_run(
        self,
        name: str,
        timeline: Sequence[Any] | None = None,
        *,
        run_id: str | None = None,
        started_on: float | None = None,
        run_properties: Mapping[str, str] | None = None,
    ) -> str:
        """Add a run to workflow ``name`` (created if missing); returns its run id.

        The run follows ``timeline`` (default: the workflow's), starting now; ``started_on``
        (epoch seconds) only changes the reported StartedOn and the listing order.
        """
        if not name:
            raise ValueError("a workflow name is required")
        steps = None if timeline is None else self.parse_timeline(timeline)
        properties = parse_run_properties(run_properties)
        with self.store.lock:
            workflow = self._ensure_workflow(name)
            run = self.store.new_run(
                self.name,
                name,
                run_id or new_run_id(),
                steps or workflow.timeline,
                started_on=started_on,
                properties=properties,
            )
            return run.run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_run` for a schedule's tick (``run``: ``name``, ``timeline``, ``run_properties``)."""
        return self.add_run(**run, started_on=started_on)

    def add_job_run(
        self,
        job_name: str,
        timeline: Sequence[Any] | None = None,
        *,
        run_id: str | None = None,
        arguments: Mapping[str, str] | None = None,
    ) -> str:
        """Add a run of job ``job_name`` for GetJobRun; returns its id (``jr_...``).

        The run follows ``timeline`` (default: RUNNING for 2 polls, then SUCCEEDED), starting now;
        steps take Glue's ``JobRunState`` values and optionally ``error_message``.
        """
        return glue_jobs.add_job_run(self.store, job_name, timeline, run_id=run_id, arguments=arguments)

    def job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        """The current record of one job run (not counted as an observation); ``KeyError`` if absent."""
        return glue_jobs.job_run(self.store, job_name, run_id)

    def snapshot(self, run: RunRecord) -> dict[str, Any]:
        """The stored record as JSON, with the current status (not counted as an observation)."""
        with self.store.lock:
            pos = self.store.peek(run)
            wire = wire_run(run, pos, include_graph=False)
            return {
                "service": self.name,
                "workflow": run.workflow,
                "run_id": run.run_id,
                "status": pos.step.status,
                "step_index": pos.index,
                "started_on": run.started_on,
                "completed_on": wire.get("CompletedOn"),
                "statistics": wire["Statistics"],
                "error_message": wire.get("ErrorMessage"),
                "run_properties": dict(run.properties),
                "stop_requested": run.stop_requested,
                "stop_requested_at": run.stop_requested_at,
                "observations": run.observations,
                "timeline": run.timeline.to_list(),
            }

    def run(self, name: str, run_id: str) -> dict[str, Any]:
        """The current record of one run; ``KeyError`` if it does not exist."""
        run = self.store.run(self.name, name, run_id)
        if run is None:
            raise KeyError(f"no glue run {run_id!r} in workflow {name!r}")
        return self.snapshot(run)

    def runs(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every run (of one workflow if given), in creation order."""
        return [self.snapshot(r) for r in self.store.runs(self.name, name)]

    def workflows(self) -> dict[str, list[dict[str, Any]]]:
        """Workflow name -> the default timeline of runs started through the API."""
        return {w.name: [s.to_dict() for s in w.timeline] for w in self.store.workflows(self.name)}

    # --- scenarios and control API (the JSON spelling is in glue_control) ----------------------

    def load_scenario(self, section: Any) -> None:
        glue_control.load_scenario(self, section)

    def control_routes(self) -> Sequence[Route]:
        return glue_control.control_routes(self)
