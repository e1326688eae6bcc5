"""Alibaba Cloud DataWorks workflow instances (OpenAPI 2024-05-18) as the Tea/Darabonba SDK speaks them.

RPC style at ``/``: the operation is in ``x-acs-action``, the version in ``x-acs-version:
2024-05-18``; GET operations carry their parameters in the query (``GET /?Id=1234``), POST ones
as a form body (lists as JSON strings: ``Ids=[1234]``). Every request must be signed
``Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;...>,Signature=<hex>``
with ``x-acs-content-sha256`` the SHA-256 of the body; a missing or malformed signature is a 400
``IncompleteSignature``. With :meth:`DataWorksService.require_credentials` the signature itself is
verified (unknown key: 404 ``InvalidAccessKeyId.NotFound``; wrong secret: 400
``SignatureDoesNotMatch``), which proves the connection's secret reached the request. An STS
token or access key revoked mid-wait (:meth:`DataWorksService.revoke_credentials`) is answered
400 ``InvalidSecurityToken.Expired`` / ``InvalidAccessKeyId.Inactive``. Errors are
``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` like Alibaba's gateway.

Operations: GetWorkflowInstance, CreateWorkflowInstances, GetCreateWorkflowInstancesResult,
StopWorkflowInstances (a stopped instance ends as ``Failure``, as in DataWorks) and
ListWorkflowInstances. Access key ids are logged as seen; security tokens only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, quote

from .service import CallContext, ControlError, ControlRequest, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response

VERSION = "2024-05-18"
TERMINAL = frozenset({"Success", "Failure"})
NOT_STARTED = frozenset({"NotRun", "WaitTime", "WaitResource"})
DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "Running", "polls": 2}, {"status": "Success"})
BIZ_DATE_TZ = timezone(timedelta(hours=8))
_AUTH = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<ak>[^,\s]+),SignedHeaders=(?P<signed>[a-z0-9-]+(?:;[a-z0-9-]+)*),"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
_MUST_SIGN = ("host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-content-sha256", "x-acs-signature-nonce")
_DEFAULT_CODES = {
    400: "InvalidParameter",
    401: "InvalidAccessKeyId",
    403: "Forbidden.Access",
    404: "InvalidWorkflowInstance.NotFound",
    429: "Throttling.User",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class DataWorksError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _ms(epoch: float) -> int:
    return int(epoch * 1000)


def biz_date_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=BIZ_DATE_TZ).timestamp() * 1000)


def _key(project_id: int, workflow_id: int) -> str:
    return f"{project_id}/{workflow_id}"


def _int(params: Mapping[str, str], name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise DataWorksError(400, "MissingParameter", f"The input parameter {name} that is mandatory is missing.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} must be an integer: {raw!r}") from None
    if value <= 0:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} must be positive: {raw!r}")
    return value


def _json_param(params: Mapping[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} is not valid JSON.") from None


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
        self.access_key_ids: list[str] = []
        self.security_token_digests: list[str | None] = []
        self._credentials: dict[str, tuple[str, str | None]] | None = None
        self._revoked: set[str] = set()
        self.throttle_retry_after_ms: int | None = None
        self._ids = itertools.count(1_000_001)
        self._operations: dict[str, dict[str, Any]] = {}

    # --- wire protocol -------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        return request.header("x-acs-version") == VERSION and bool(request.header("x-acs-action"))

    def operation(self, request: Request) -> str:
        return request.header("x-acs-action") or "Unknown"

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        code = error_type or _DEFAULT_CODES.get(status, "InternalError")
        body = {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": "dataworks.aliyuncs.com",
            "Code": code,
            "Message": message or ("Request was denied due to user flow control." if "Throttl" in code else code),
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=dataworks-public",
        }
        headers = {}
        if self.throttle_retry_after_ms is not None and (status == 429 or code.startswith("Throttling")):
            headers["x-acs-retry-after"] = str(self.throttle_retry_after_ms)
        return Response.json(body, status, content_type="application/json;charset=utf-8", headers=headers)

    def handle(self, request: Request, ctx: CallContext) -> Response:
        try:
            self._authenticate(request)
            params = self._params(request)
            operation = self.operation(request)
            handler = {
                "GetWorkflowInstance": ("GET", self._get),
                "CreateWorkflowInstances": ("POST", self._create),
                "GetCreateWorkflowInstancesResult": ("GET", self._create_result),
                "StopWorkflowInstances": ("POST", self._stop),
                "ListWorkflowInstances": ("POST", self._list),
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

    @staticmethod
    def _params(request: Request) -> dict[str, str]:
        params = {k: v[-1] for k, v in request.query.items() if v}
        if request.body:
            content_type = request.header("content-type") or ""
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise DataWorksError(400, "InvalidParameter", f"unsupported content type {content_type!r}")
            form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items() if v})
        return params

    def _authenticate(self, request: Request) -> None:
        auth = request.header("authorization") or ""
        match = _AUTH.match(auth)
        if match is None:
            raise DataWorksError(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: expected "
                "'ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...'.",
            )
        signed = match.group("signed").split(";")
        missing = [h for h in _MUST_SIGN if h not in signed]
        if missing or any(request.header(h) is None for h in signed):
            raise DataWorksError(400, "IncompleteSignature", f"The signed headers are incomplete (missing {missing}).")
        if request.header("x-acs-content-sha256") != hashlib.sha256(request.body).hexdigest():
            raise DataWorksError(400, "IncompleteSignature", "x-acs-content-sha256 is not the SHA-256 of the body.")
        access_key_id = match.group("ak")
        token = request.header("x-acs-security-token")
        self.access_key_ids.append(access_key_id)
        self.security_token_digests.append(digest(token) if token else None)
        if token and digest(token) in self._revoked:
            raise DataWorksError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        if digest(access_key_id) in self._revoked:
            raise DataWorksError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
        if self._credentials is None:
            return
        known = self._credentials.get(access_key_id)
        if known is None:
            raise DataWorksError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, expected_token = known
        if not hmac.compare_digest(self._signature(request, signed, secret), match.group("signature")):
            raise DataWorksError(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        if expected_token is not None and token != expected_token:
            raise DataWorksError(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is not valid.")

    @staticmethod
    def _signature(request: Request, signed: Sequence[str], secret: str) -> str:
        query = "&".join(
            f"{key}={quote(values[-1], safe='~')}" for key, values in sorted(request.query.items()) if values
        )
        headers = "".join(f"{name}:{(request.header(name) or '').strip()}\n" for name in signed)
        canonical = "\n".join(
            [
                request.method,
                request.path or "/",
                query,
                headers,
                ";".join(signed),
                request.header("x-acs-content-sha256") or "",
            ]
        )
        to_sign = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()

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

    def _wire(self, run: RunRecord, pos: Position) -> dict[str, Any]:
        data = run.data
        status = pos.step.status
        changed = _ms(max(pos.entered_at, run.started_on))
        out: dict[str, Any] = {
            "Id": int(run.run_id),
            "WorkflowId": data["workflow_id"],
            "WorkflowTaskInstanceId": data["task_instance_id"],
            "UnifiedWorkflowInstanceId": data["unified_id"],
            "Name": data["name"],
            "Type": data["type"],
            "Status": status,
            "BizDate": data["biz_date"],
            "ProjectId": data["project_id"],
            "EnvType": data["env_type"],
            "Owner": data["owner"],
            "CreateTime": _ms(run.started_on),
            "ModifyTime": changed,
            "CreateUser": data["owner"],
            "ModifyUser": data["owner"],
            "WorkflowParameters": data.get("workflow_parameters") or "",
            "Tags": [{"Key": k, "Value": v} for k, v in data.get("tags", {}).items()],
        }
        if status not in NOT_STARTED:
            out["StartedTime"] = _ms(run.started_on)
        if status in TERMINAL:
            out["FinishedTime"] = changed
        return out

    def _get(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        instance_id = _int(params, "Id")
        assert instance_id is not None
        with self.store.lock:
            run = self._find(instance_id)
            return {"WorkflowInstance": self._wire(run, self._position(run, ctx))}

    def _create(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        project_id, workflow_id = _int(params, "ProjectId"), _int(params, "WorkflowId")
        assert project_id is not None and workflow_id is not None
        for name in ("Name", "Type"):
            if not params.get(name):
                raise DataWorksError(
                    400, "MissingParameter", f"The input parameter {name} that is mandatory is missing."
                )
        tags = {str(t.get("Key")): str(t.get("Value")) for t in _json_param(params, "Tags") or []}
        days = self._biz_days(_json_param(params, "Periods"))
        operation_id = str(uuid.uuid4())
        with self.store.lock:
            workflow = self.store.workflow(self.name, _key(project_id, workflow_id))
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

    @staticmethod
    def _biz_days(periods: Any) -> list[date]:
        if not periods:
            return [datetime.now(BIZ_DATE_TZ).date() - timedelta(days=1)]
        days: list[date] = []
        try:
            # The SDK sends one object {"BizDates": [...], "StartTime", "EndTime"}; a list is accepted too.
            for period in [periods] if isinstance(periods, Mapping) else periods:
                for span in period["BizDates"]:
                    start = date.fromisoformat(span["StartBizDate"])
                    end = date.fromisoformat(span["EndBizDate"])
                    while start <= end and len(days) < 366:
                        days.append(start)
                        start += timedelta(days=1)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataWorksError(400, "InvalidParameter", f"The parameter Periods is not valid: {exc}") from exc
        if not days:
            raise DataWorksError(400, "InvalidParameter", "The parameter Periods names no business date.")
        return days

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
        ids = _json_param(params, "Ids")
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

    def _list(self, params: Mapping[str, str], ctx: CallContext) -> dict[str, Any]:
        project_id, biz_date = _int(params, "ProjectId"), _int(params, "BizDate")
        workflow_id = _int(params, "WorkflowId", required=False)
        page_size = _int(params, "PageSize", required=False) or 10
        page_number = _int(params, "PageNumber", required=False) or 1
        if page_size > 100:
            raise DataWorksError(400, "InvalidParameter", "The parameter PageSize must be at most 100.")
        ids = {int(i) for i in _json_param(params, "Ids") or []}
        name, kind, env = params.get("Name"), params.get("Type"), params.get("EnvType")
        sort = (params.get("SortBy") or "Id Desc").split()
        if sort[0] != "Id":
            raise DataWorksError(400, "InvalidParameter", "The emulator sorts by Id only.")
        with self.store.lock:
            runs = [
                r
                for r in self.store.runs(self.name)
                if r.data["project_id"] == project_id
                and r.data["biz_date"] == biz_date
                and (workflow_id is None or r.data["workflow_id"] == workflow_id)
                and (not ids or int(r.run_id) in ids)
                and (not name or name in r.data["name"])
                and (not kind or r.data["type"] == kind)
                and (not env or r.data["env_type"] == env)
            ]
            runs.sort(key=lambda r: int(r.run_id), reverse=len(sort) < 2 or sort[1] != "Asc")
            page = runs[(page_number - 1) * page_size : page_number * page_size]
            items = [self._wire(r, self._position(r, ctx)) for r in page]
        return {
            "PagingInfo": {
                "PageNumber": page_number,
                "PageSize": page_size,
                "TotalCount": len(runs),
                "WorkflowInstances": items,
            }
        }

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        if operation == "ListWorkflowInstances":
            return drop_key((payload.get("PagingInfo") or {}).get("WorkflowInstances"), "Status")
        return drop_key(payload.get("WorkflowInstance"), "Status")

    # --- set-up (Python and control API) ------------------------------------------------------

    def revoke_credentials(self, *secrets: str) -> int:
        """Refuse these access key ids or STS tokens from now on (none given: every one seen so far)."""
        if secrets:
            digests = {digest(s) for s in secrets}
        else:
            digests = {digest(ak) for ak in self.access_key_ids} | {d for d in self.security_token_digests if d}
        self._revoked |= digests
        return len(digests)

    def require_credentials(self, credentials: Mapping[str, str | tuple[str, str | None]] | None = None) -> None:
        """Verify signatures: ``{access_key_id: secret}`` or ``{id: (secret, sts_token)}``; None: any."""
        if credentials is None:
            self._credentials = None
            return
        self._credentials = {
            ak: (value, None) if isinstance(value, str) else (value[0], value[1]) for ak, value in credentials.items()
        }

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
        self.store.put_workflow(Workflow(self.name, _key(int(project_id), int(workflow_id)), steps, data))

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
            self.name, _key(project_id, workflow_id), str(instance_id), steps, started_on=started_on, data=data
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
            workflow = self.store.workflow(self.name, _key(project_id, workflow_id))
            if workflow is None:
                self.define_workflow(project_id, workflow_id)
                workflow = self.store.workflow(self.name, _key(project_id, workflow_id))
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
            wire = self._wire(run, self.store.peek(run))
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

    def load_scenario(self, section: Any) -> None:
        """Apply ``{"workflows": [{project_id, workflow_id, timeline?, name?, creation_polls?}],
        "instances": [{project_id, workflow_id?, instance_id?, timeline?, name?, type?}]}``."""
        if not isinstance(section, Mapping) or set(section) - {"workflows", "instances"}:
            raise ValueError('the dataworks scenario takes {"workflows": [...], "instances": [...]}')
        for spec in section.get("workflows", []):
            self.define_workflow(
                spec["project_id"],
                spec["workflow_id"],
                spec.get("timeline"),
                spec.get("name", ""),
                creation_polls=spec.get("creation_polls", 1),
                create_failure=spec.get("create_failure"),
            )
        for spec in section.get("instances", []):
            self.add_instance(
                spec["project_id"],
                spec.get("timeline"),
                workflow_id=spec.get("workflow_id", 1),
                instance_id=spec.get("instance_id"),
                instance_type=spec.get("type", "Normal"),
                name=spec.get("name", ""),
            )

    def control_routes(self) -> Sequence[Route]:
        return (
            Route("POST", r"instances", self._control_add),
            Route("PUT", r"workflows", self._control_define),
            Route("GET", r"instances/(?P<instance_id>[0-9]+)", self._control_instance),
        )

    def _control_add(self, call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            return {
                "instance_id": self.add_instance(
                    int(body["project_id"]),
                    body.get("timeline"),
                    workflow_id=int(body.get("workflow_id", 1)),
                    instance_id=body.get("instance_id"),
                    instance_type=body.get("type", "Normal"),
                    name=body.get("name", ""),
                )
            }
        except (KeyError, ValueError, TypeError) as exc:
            raise ControlError(400, f"bad instance: {exc}") from exc

    def _control_define(self, call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            self.define_workflow(
                int(body["project_id"]),
                int(body["workflow_id"]),
                body.get("timeline"),
                body.get("name", ""),
                creation_polls=int(body.get("creation_polls", 1)),
                create_failure=body.get("create_failure"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ControlError(400, f"bad workflow: {exc}") from exc
        return {"ok": True}

    def _control_instance(self, call: ControlRequest) -> Any:
        try:
            return self.instance(call.params["instance_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc
