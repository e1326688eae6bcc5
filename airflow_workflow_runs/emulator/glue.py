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

Job runs, minimally: GetJobRun reads runs added with :meth:`GlueService.add_job_run` (what the
amazon provider's ``GlueJobCompleteTrigger`` polls; the benchmarks compare against it). Their
timeline steps use Glue's ``JobRunState`` values (RUNNING, SUCCEEDED, FAILED, ...) and may carry
``error_message``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .service import CallContext, ControlError, ControlRequest, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step, parse_steps
from .wire import Request, Response

TARGET_PREFIX = "AWSGlue."
CONTENT_TYPE = "application/x-amz-json-1.1"
TERMINAL_STATUSES = frozenset({"COMPLETED", "STOPPED", "ERROR"})
DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = (
    {"status": "RUNNING", "polls": 2},
    {"status": "COMPLETED"},
)
DEFAULT_MAX_RESULTS = 100
COUNTERS = (
    "TotalActions",
    "TimeoutActions",
    "FailedActions",
    "StoppedActions",
    "SucceededActions",
    "RunningActions",
    "ErroredActions",
    "WaitingActions",
)
# The counter that absorbs the actions not set explicitly, per status.
_FILLER = {
    "RUNNING": "RunningActions",
    "STOPPING": "RunningActions",
    "COMPLETED": "SucceededActions",
    "STOPPED": "StoppedActions",
    "ERROR": "ErroredActions",
}
_DEFAULT_ERROR_TYPES = {
    400: "InvalidInputException",
    403: "AccessDeniedException",
    404: "EntityNotFoundException",
    429: "ThrottlingException",
    500: "InternalServiceException",
    503: "ServiceUnavailableException",
    504: "OperationTimeoutException",
}
_STEP_FIELDS = frozenset({"statistics", "error_message"})
_ACCESS_KEY = re.compile(r"Credential=(?P<ak>[^/,\s]+)/")
#: Store namespace of job runs, apart from workflow runs (a job may share a workflow's name).
JOB_RUNS = "glue.jobs"
JOB_TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})
DEFAULT_JOB_TIMELINE: tuple[dict[str, Any], ...] = (
    {"status": "RUNNING", "polls": 2},
    {"status": "SUCCEEDED"},
)


class GlueError(Exception):
    """An error answered in Glue's JSON error shape."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_run_id() -> str:
    """A fresh id shaped like Glue's: ``wr_`` followed by 64 hex digits."""
    return "wr_" + secrets.token_hex(32)


def new_job_run_id() -> str:
    """A fresh job run id shaped like Glue's: ``jr_`` followed by 64 hex digits."""
    return "jr_" + secrets.token_hex(32)


def _validate_job_step(extra: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(extra) - {"error_message"}
    if unknown:
        raise ValueError(
            f"unknown glue job timeline step fields {sorted(unknown)}; allowed: status, polls, seconds, error_message"
        )
    if "error_message" in extra and not isinstance(extra["error_message"], str):
        raise ValueError("'error_message' must be a string")
    return dict(extra)


def statistics(status: str, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Action counters for a status; explicit ``overrides`` win, the status' counter fills up.

    With no overrides a run has one action, counted as running, succeeded, stopped or errored
    according to the status; ``TotalActions`` defaults to the sum of the explicit counters.
    """
    overrides = dict(overrides or {})
    explicit = {k: v for k, v in overrides.items() if k != "TotalActions"}
    total = overrides.get("TotalActions", max(1, sum(explicit.values())))
    stats = dict.fromkeys(COUNTERS, 0)
    stats.update(explicit)
    stats["TotalActions"] = total
    filler = _FILLER.get(status)
    if filler is not None and filler not in explicit:
        stats[filler] = max(0, total - sum(explicit.values()))
    return stats


def _stopped_statistics(current: Mapping[str, int]) -> dict[str, int]:
    stats = dict(current)
    stats["StoppedActions"] = max(1, stats["StoppedActions"] + stats["RunningActions"] + stats["WaitingActions"])
    stats["RunningActions"] = stats["WaitingActions"] = 0
    counted = sum(v for k, v in stats.items() if k != "TotalActions")
    stats["TotalActions"] = max(stats["TotalActions"], counted)
    return stats


def _require_str(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise GlueError(
            "InvalidInputException",
            f"1 validation error detected: Value at '{key[0].lower()}{key[1:]}' failed to "
            "satisfy constraint: Member must not be null",
        )
    return value


def _run_properties(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ValueError("run properties must be an object of string values")
    return dict(raw)


def _encode_token(workflow: str, run: RunRecord) -> str:
    raw = json.dumps({"w": workflow, "s": run.started_on, "q": run.seq}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_token(token: str, workflow: str) -> tuple[float, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        if data["w"] != workflow:
            raise ValueError("token of another workflow")
        return float(data["s"]), int(data["q"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise GlueError("InvalidInputException", "Invalid pagination token") from exc


def _newest_first(run: RunRecord) -> tuple[float, int]:
    return (-run.started_on, -run.seq)


class GlueService(Service):
    """The Glue workflow-run API, plus its Python and control-API set-up helpers."""

    name = "glue"
    operations = frozenset({"GetWorkflowRun", "GetWorkflowRuns", "StartWorkflowRun", "StopWorkflowRun", "GetJobRun"})
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
        if error_type is None:
            error_type = _DEFAULT_ERROR_TYPES.get(
                status, "InternalServiceException" if status >= 500 else "InvalidInputException"
            )
        if message is None:
            message = "Rate exceeded" if error_type == "ThrottlingException" else "Injected fault"
        return Response.json(
            {"__type": error_type, "Message": message},
            status,
            CONTENT_TYPE,
            {"x-amzn-RequestId": str(uuid.uuid4())},
        )

    def handle(self, request: Request, ctx: CallContext) -> Response:
        handlers: dict[str, Callable[[dict[str, Any], CallContext], dict[str, Any]]] = {
            "GetWorkflowRun": self._get_workflow_run,
            "GetWorkflowRuns": self._get_workflow_runs,
            "StartWorkflowRun": self._start_workflow_run,
            "StopWorkflowRun": self._stop_workflow_run,
            "GetJobRun": self._get_job_run,
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
        match = _ACCESS_KEY.search(auth)
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

    def _wire_run(self, run: RunRecord, pos: Position, include_graph: bool) -> dict[str, Any]:
        status = pos.step.status
        out: dict[str, Any] = {
            "Name": run.workflow,
            "WorkflowRunId": run.run_id,
            "WorkflowRunProperties": dict(run.properties),
            "StartedOn": round(run.started_on, 3),
            "Status": status,
            "Statistics": statistics(status, pos.step.extra.get("statistics")),
        }
        if status in TERMINAL_STATUSES:
            out["CompletedOn"] = round(max(pos.entered_at, run.started_on), 3)
        if "error_message" in pos.step.extra:
            out["ErrorMessage"] = pos.step.extra["error_message"]
        if include_graph:
            out["Graph"] = {"Nodes": [], "Edges": []}
        return out

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _get_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        run = self._run_or_404(_require_str(body, "Name"), _require_str(body, "RunId"))
        with self.store.lock:
            pos = self._position(run, ctx)
            return {"Run": self._wire_run(run, pos, bool(body.get("IncludeGraph", False)))}

    def _get_workflow_runs(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        name = _require_str(body, "Name")
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
            runs = sorted(self.store.runs(self.name, name), key=_newest_first)
            if token:
                started_on, seq = _decode_token(str(token), name)
                runs = [r for r in runs if _newest_first(r) > (-started_on, -seq)]
            page, rest = runs[:max_results], runs[max_results:]
            graph = bool(body.get("IncludeGraph", False))
            out: dict[str, Any] = {"Runs": [self._wire_run(r, self._position(r, ctx), graph) for r in page]}
        if rest:
            out["NextToken"] = _encode_token(name, page[-1])
        return out

    def _start_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        workflow = self._workflow_or_404(_require_str(body, "Name"))
        try:
            properties = _run_properties(body.get("RunProperties"))
        except ValueError as exc:
            raise GlueError("InvalidInputException", str(exc)) from exc
        run = self.store.new_run(self.name, workflow.name, new_run_id(), workflow.timeline, properties=properties)
        return {"RunId": run.run_id}

    def _stop_workflow_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        run = self._run_or_404(_require_str(body, "Name"), _require_str(body, "RunId"))
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
                    Step("STOPPED", extra={"statistics": _stopped_statistics(current)}),
                ],
                self.store.now(),
            )
        return {}

    def _get_job_run(self, body: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        job_name, run_id = _require_str(body, "JobName"), _require_str(body, "RunId")
        run = self.store.run(JOB_RUNS, job_name, run_id)
        if run is None:
            raise GlueError("EntityNotFoundException", f"Job run {run_id} of job {job_name} not found")
        with self.store.lock:
            pos = self._position(run, ctx)
            return {"JobRun": self._wire_job_run(run, pos)}

    def _wire_job_run(self, run: RunRecord, pos: Position) -> dict[str, Any]:
        status = pos.step.status
        started = round(run.started_on, 3)
        out: dict[str, Any] = {
            "Id": run.run_id,
            "Attempt": 0,
            "JobName": run.workflow,
            "JobMode": "SCRIPT",
            "StartedOn": started,
            "LastModifiedOn": round(max(pos.entered_at, run.started_on), 3),
            "JobRunState": status,
            "Arguments": dict(run.properties),
            "PredecessorRuns": [],
            "AllocatedCapacity": 2,
            "ExecutionTime": int(max(0.0, pos.entered_at - run.started_on)),
            "Timeout": 2880,
            "MaxCapacity": 2.0,
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
            "GlueVersion": "4.0",
        }
        if status in JOB_TERMINAL_STATUSES:
            out["CompletedOn"] = round(max(pos.entered_at, run.started_on), 3)
        if "error_message" in pos.step.extra:
            out["ErrorMessage"] = pos.step.extra["error_message"]
        return out

    # --- timelines -------------------------------------------------------------------------

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(extra) - _STEP_FIELDS
        if unknown:
            raise ValueError(
                f"unknown glue timeline step fields {sorted(unknown)}; "
                f"allowed: status, polls, seconds, {', '.join(sorted(_STEP_FIELDS))}"
            )
        out: dict[str, Any] = {}
        if "error_message" in extra:
            if not isinstance(extra["error_message"], str):
                raise ValueError("'error_message' must be a string")
            out["error_message"] = extra["error_message"]
        if "statistics" in extra:
            stats = extra["statistics"]
            if not isinstance(stats, Mapping):
                raise ValueError("'statistics' must be an object of action counters")
            bad = set(stats) - set(COUNTERS)
            if bad:
                raise ValueError(f"unknown statistics {sorted(bad)}; allowed: {list(COUNTERS)}")
            for key, value in stats.items():
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"statistics {key!r} must be an integer >= 0")
            out["statistics"] = dict(stats)
        return out

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
        properties = _run_properties(run_properties)
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
        if not job_name:
            raise ValueError("a job name is required")
        steps = parse_steps(list(DEFAULT_JOB_TIMELINE) if timeline is None else timeline, _validate_job_step)
        run = self.store.new_run(
            JOB_RUNS, job_name, run_id or new_job_run_id(), steps, properties=_run_properties(arguments)
        )
        return run.run_id

    def job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        """The current record of one job run (not counted as an observation); ``KeyError`` if absent."""
        run = self.store.run(JOB_RUNS, job_name, run_id)
        if run is None:
            raise KeyError(f"no glue job run {run_id!r} of job {job_name!r}")
        with self.store.lock:
            pos = self.store.peek(run)
            return {
                "job_name": run.workflow,
                "run_id": run.run_id,
                "status": pos.step.status,
                "step_index": pos.index,
                "started_on": run.started_on,
                "observations": run.observations,
                "timeline": run.timeline.to_list(),
            }

    def snapshot(self, run: RunRecord) -> dict[str, Any]:
        """The stored record as JSON, with the current status (not counted as an observation)."""
        with self.store.lock:
            pos = self.store.peek(run)
            wire = self._wire_run(run, pos, include_graph=False)
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

    # --- scenarios and control API ---------------------------------------------------------

    def load_scenario(self, section: Any) -> None:
        """Apply ``{"workflows": {name: {"timeline": [...]}}, "runs": [{...}]}``."""
        if not isinstance(section, Mapping) or set(section) - {"workflows", "runs"}:
            raise ValueError('the glue scenario takes {"workflows": {...}, "runs": [...]}')
        workflows = section.get("workflows", {})
        if not isinstance(workflows, Mapping):
            raise ValueError("glue scenario 'workflows' must map names to {'timeline': [...]}")
        for name, raw in workflows.items():
            spec = raw or {}
            if not isinstance(spec, Mapping) or set(spec) - {"timeline"}:
                raise ValueError(f"glue workflow {name!r} takes only {{'timeline': [...]}}")
            self.define_workflow(name, spec.get("timeline"))
        runs = section.get("runs", [])
        if not isinstance(runs, list):
            raise ValueError("glue scenario 'runs' must be a list")
        for spec in runs:
            allowed = {"workflow", "run_id", "timeline", "started_on", "run_properties"}
            if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - allowed:
                raise ValueError(f"a glue scenario run takes {sorted(allowed)}: {spec!r}")
            self._add_run_from_json(spec["workflow"], spec)

    def _add_run_from_json(self, name: str, spec: Mapping[str, Any]) -> str:
        started_on = spec.get("started_on")
        if started_on is not None and (isinstance(started_on, bool) or not isinstance(started_on, int | float)):
            raise ValueError("'started_on' must be epoch seconds")
        run_id = spec.get("run_id")
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            raise ValueError("'run_id' must be a non-empty string")
        return self.add_run(
            name,
            spec.get("timeline"),
            run_id=run_id,
            started_on=started_on,
            run_properties=spec.get("run_properties"),
        )

    def control_routes(self) -> Sequence[Route]:
        return (
            Route("GET", r"workflows", lambda c: {"workflows": self.workflows()}),
            Route("PUT", r"workflows/(?P<name>[^/]+)", self._control_define),
            Route("GET", r"workflows/(?P<name>[^/]+)/runs", self._control_list),
            Route("POST", r"workflows/(?P<name>[^/]+)/runs", self._control_add_run),
            Route("GET", r"workflows/(?P<name>[^/]+)/runs/(?P<run_id>[^/]+)", self._control_run),
            Route("GET", r"runs", self._control_list),
        )

    def _control_define(self, call: ControlRequest) -> Any:
        body = call.body_object()
        if set(body) - {"timeline"}:
            raise ControlError(400, 'a workflow takes {"timeline": [...]}')
        self.define_workflow(call.params["name"], body.get("timeline"))
        return {"workflow": call.params["name"], "timeline": self.workflows()[call.params["name"]]}

    def _control_add_run(self, call: ControlRequest) -> Any:
        body = call.body_object()
        allowed = {"run_id", "timeline", "started_on", "run_properties"}
        if set(body) - allowed:
            raise ControlError(400, f"a run takes {sorted(allowed)}")
        return {"run_id": self._add_run_from_json(call.params["name"], body)}

    def _control_list(self, call: ControlRequest) -> Any:
        name = call.params.get("name") or call.request.query_value("workflow")
        return {"runs": self.runs(name)}

    def _control_run(self, call: ControlRequest) -> Any:
        try:
            return self.run(call.params["name"], call.params["run_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc
