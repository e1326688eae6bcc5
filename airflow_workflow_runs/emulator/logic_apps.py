"""Azure Logic Apps workflow runs (Consumption and Standard) as the Azure SDKs speak them, plus the
Microsoft Entra token endpoint their credentials get tokens from.

Azure Resource Manager paths (serve them over HTTPS: azure-core refuses bearer tokens over http):

- Consumption: ``/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Logic/workflows/{wf}/...``
  (the SDK-less ARM pipeline sends ``api-version=2019-05-01``);
- Standard: ``/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}/hostruntime/
  runtime/webhooks/workflow/api/management/workflows/{wf}/...`` (azure-mgmt-web, ``2025-05-01``);

each with ``runs/{run}`` (GetWorkflowRun), ``runs`` (ListWorkflowRuns: ``$filter`` on ``ClientTrackingId``
and ``Status`` with ``eq`` and ``StartTime`` with ``ge``/``gt``/``le``/``lt`` and an unquoted ISO 8601 time,
joined by ``and``, else 400 InvalidQueryFilter; ``$top``, ``nextLink``; newest first), ``runs/{run}/cancel``
(CancelWorkflowRun: Cancelled on the next observation; 409 once the run has ended) and
``triggers/{trigger}/listCallbackUrl`` (ListCallbackUrl). Every ARM request needs
``Authorization: Bearer <a token issued here that has not expired>``; otherwise the answer is 401 with
ARM's ``{"error": {"code", "message"}}`` and a ``WWW-Authenticate`` header, as Azure does.

The trigger callback (InvokeTrigger) ``POST /workflows/{id}/triggers/{trigger}/paths/invoke?...&sig=...``
is authorized by its SAS signature alone (a request that also carries a bearer token is refused, as
Logic Apps does). It starts a run of the workflow's timeline and answers 202 with the run's name in
``x-ms-workflow-run-id``; the ``x-ms-client-tracking-id`` header tags the run (default: its name).

Microsoft Entra ID: ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (OpenIdConfiguration) and
``POST /{tenant}/oauth2/v2.0/token`` (GetToken, client credentials grant), so a real azure-identity
``ClientSecretCredential(authority=<https url>, disable_instance_discovery=True)`` signs in here.
Tokens are random strings kept only as SHA-256 digests with their scope and expiry; their lifetime
is :attr:`LogicAppsService.token_lifetime` (default one hour; short ones make refresh tests real), and
:meth:`LogicAppsService.revoke_credentials` revokes the tokens issued so far (401 InvalidAuthenticationToken).

Timeline steps take the 13 ``WorkflowStatus`` values (or any other string, to test unknown ones) and
optionally ``error`` (``{"code", "message"}`` or a string), ``code`` and ``outputs`` (name -> value).
"""

from __future__ import annotations

import hashlib
import operator
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from .service import CallContext, ControlError, ControlRequest, Route, Service, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response

DEFAULT_SUBSCRIPTION = "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b"
DEFAULT_RESOURCE_GROUP = "rg-airflow"
DEFAULT_TRIGGER = "manual"
DEFAULT_TOKEN_LIFETIME = 3600
TERMINAL = frozenset({"Succeeded", "Failed", "Cancelled", "Faulted", "TimedOut", "Aborted", "Skipped", "Ignored"})
#: Statuses a cancel request is refused in (Suspended is over too: nothing resumes it).
NOT_CANCELLABLE = TERMINAL | {"Suspended"}
DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "Running", "polls": 2}, {"status": "Succeeded"})
DEFAULT_PAGE_SIZE = 30
_FAILED_ERROR = {"code": "ActionFailed", "message": "An action failed. No dependent actions succeeded."}
_STEP_FIELDS = frozenset({"error", "code", "outputs"})
_ERROR_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

_ARM = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"(?:Microsoft\.Logic/workflows/(?P<cwf>[^/]+)"
    r"|Microsoft\.Web/sites/(?P<site>[^/]+)/hostruntime/runtime/webhooks/workflow/api/management/workflows/"
    r"(?P<swf>[^/]+))"
    r"/(?:(?P<runs>runs)(?:/(?P<run>[^/]+)(?P<cancel>/cancel)?)?|triggers/(?P<trigger>[^/]+)/listCallbackUrl)$",
    re.IGNORECASE,
)
_INVOKE = re.compile(r"^/workflows/(?P<id>[0-9a-f]{32})/triggers/(?P<trigger>[^/]+)/paths/invoke$")
_OIDC = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_FILTER_TERM = re.compile(
    r"^\s*(?:(?P<field>ClientTrackingId|Status)\s+eq\s+'(?P<value>(?:[^']|'')*)'"
    r"|StartTime\s+(?P<op>ge|gt|le|lt)\s+(?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?))"
    r"\s*$",
    re.IGNORECASE,
)
_COMPARE = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


class ArmError(Exception):
    """An error answered in ARM's ``{"error": {"code", "message"}}`` shape."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_run_name() -> str:
    """A run name shaped like Logic Apps' (``08584...CU12``)."""
    return "0858" + "".join(secrets.choice("0123456789") for _ in range(25)) + "CU" + f"{secrets.randbelow(100):02d}"


def _iso(epoch: float) -> str:
    """ISO 8601 with seven fractional digits and ``Z``, like Logic Apps."""
    stamp = datetime.fromtimestamp(epoch, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def _key(subscription_id: str, resource_group: str, site: str | None, workflow: str) -> str:
    """Store key of a workflow; ARM names are case-insensitive."""
    return "|".join([subscription_id, resource_group, site or "", workflow]).lower()


class LogicAppsService(Service):
    """Both tiers' run APIs, the trigger callback and the Entra token endpoint, with set-up helpers."""

    name = "logic_apps"
    operations = frozenset(
        {
            "GetWorkflowRun",
            "ListWorkflowRuns",
            "CancelWorkflowRun",
            "ListCallbackUrl",
            "InvokeTrigger",
            "OpenIdConfiguration",
            "GetToken",
        }
    )
    chaos_operations = frozenset({"GetWorkflowRun", "ListWorkflowRuns"})
    throttling = (
        {
            "status": 429,
            "error_type": "SubscriptionRequestsThrottled",
            "message": "Number of 'read' requests for subscription actor exceeded. Please try again after '1' seconds.",
            "retry_after": 1,
            "headers": {"x-ms-ratelimit-remaining-subscription-reads": "0"},
        },
    )

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.reset()

    def reset(self) -> None:
        self.token_lifetime: int = DEFAULT_TOKEN_LIFETIME
        self._tokens: dict[str, dict[str, Any]] = {}
        self._token_requests: list[dict[str, Any]] = []
        self._client_secrets: dict[str, str] = {}
        #: False: StartTime terms are accepted but not applied, to prove clients check run times themselves.
        self.apply_start_time_filter: bool = True

    # --- wire protocol ---------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        path = request.path
        return any(p.match(path) for p in (_ARM, _INVOKE, _OIDC, _TOKEN))

    def operation(self, request: Request) -> str:
        path = request.path
        if _TOKEN.match(path):
            return "GetToken"
        if _OIDC.match(path):
            return "OpenIdConfiguration"
        if _INVOKE.match(path):
            return "InvokeTrigger"
        match = _ARM.match(path)
        if match is None:
            return "Unknown"
        if match.group("trigger"):
            return "ListCallbackUrl"
        if match.group("cancel"):
            return "CancelWorkflowRun"
        return "GetWorkflowRun" if match.group("run") else "ListWorkflowRuns"

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        code = error_type or _ERROR_CODES.get(status, "InternalServerError")
        return Response.json({"error": {"code": code, "message": message or f"Injected fault ({code})"}}, status)

    def handle(self, request: Request, ctx: CallContext) -> Response:
        operation = self.operation(request)
        try:
            if operation == "GetToken":
                return self._token(request)
            if operation == "OpenIdConfiguration":
                return self._openid_configuration(request)
            if operation == "InvokeTrigger":
                return self._invoke(request)
            return self._arm(request, operation, ctx)
        except ArmError as exc:
            response = self.error_response(exc.status, exc.code, exc.message)
            response.headers.update(exc.headers)
            return response

    # --- Microsoft Entra ID ----------------------------------------------------------------

    def _openid_configuration(self, request: Request) -> Response:
        match = _OIDC.match(request.path)
        assert match is not None
        base = f"{_origin(request)}/{match.group('tenant')}"
        return Response.json(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "response_types_supported": ["code", "id_token", "token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
            }
        )

    def _token(self, request: Request) -> Response:
        match = _TOKEN.match(request.path)
        assert match is not None
        if request.method != "POST":
            return _aad_error(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _aad_error(
                400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
            )
        client_id, scope = form.get("client_id", ""), form.get("scope", "")
        if not client_id or not scope:
            return _aad_error(
                400, "invalid_request", "AADSTS900144: The request body must contain client_id and scope."
            )
        expected = self._client_secrets.get(client_id)
        if expected is not None and digest(form.get("client_secret", "")) != expected:
            return _aad_error(
                401,
                "invalid_client",
                f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        token = "emu-aad-" + secrets.token_urlsafe(32)
        now = self.store.now()
        lifetime = self.token_lifetime
        with self.store.lock:
            self._tokens[digest(token)] = {"expires_at": now + lifetime, "scope": scope, "client_id": client_id}
            self._token_requests.append(
                {
                    "tenant": match.group("tenant"),
                    "client_id": client_id,
                    "scope": scope,
                    "expires_in": lifetime,
                    "issued_at": now,
                    "token_digest": digest(token),
                }
            )
        return Response.json(
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        )

    def _authenticate(self, request: Request) -> dict[str, Any]:
        auth = request.header("authorization") or ""
        challenge = 'Bearer authorization_uri="https://login.microsoftonline.com/", error="invalid_token"'
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                {"WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/"'},
            )
        with self.store.lock:
            token = self._tokens.get(digest(auth[7:].strip()))
        if token is None:
            raise ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                {"WWW-Authenticate": f'{challenge}, error_description="The access token is invalid"'},
            )
        now = self.store.now()
        if now >= token["expires_at"]:
            expired = datetime.fromtimestamp(token["expires_at"], timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            current = datetime.fromtimestamp(now, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            raise ArmError(
                401,
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{expired}' is earlier than current UTC time '{current}'.",
                {"WWW-Authenticate": f'{challenge}, error_description="The access token has expired"'},
            )
        return token

    # --- Azure Resource Manager --------------------------------------------------------------

    def _arm(self, request: Request, operation: str, ctx: CallContext) -> Response:
        self._authenticate(request)
        match = _ARM.match(request.path)
        assert match is not None
        api_version = request.query_value("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not _API_VERSION.match(api_version):
            raise ArmError(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is invalid.")
        parts = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
        site = parts.get("site")
        workflow_name = parts.get("cwf") or parts["swf"]
        workflow = self._workflow_or_404(parts["sub"], parts["rg"], site, workflow_name)
        expected = {
            "GetWorkflowRun": "GET",
            "ListWorkflowRuns": "GET",
            "CancelWorkflowRun": "POST",
            "ListCallbackUrl": "POST",
        }[operation]
        if request.method != expected:
            raise ArmError(405, "MethodNotAllowed", f"The HTTP method '{request.method}' is not supported.")
        if operation == "GetWorkflowRun":
            with self.store.lock:
                run = self._run_or_404(workflow, parts["run"])
                return Response.json(self._wire_run(workflow, run, self._position(run, ctx)))
        if operation == "ListWorkflowRuns":
            return Response.json(self._list(request, workflow, ctx))
        if operation == "CancelWorkflowRun":
            self._cancel(workflow, parts["run"])
            return Response(200, b"", {})
        return Response.json(self._callback_url(request, workflow, parts["trigger"]))

    def _workflow_or_404(self, subscription_id: str, resource_group: str, site: str | None, name: str) -> Workflow:
        workflow = self.store.workflow(self.name, _key(subscription_id, resource_group, site, name))
        if workflow is None:
            kind = f"Microsoft.Web/sites/{site}/workflows/{name}" if site else f"Microsoft.Logic/workflows/{name}"
            raise ArmError(
                404,
                "ResourceNotFound" if site is None else "WorkflowNotFound",
                f"The Resource '{kind}' under resource group '{resource_group}' was not found.",
            )
        return workflow

    def _run_or_404(self, workflow: Workflow, run_name: str) -> RunRecord:
        run = self.store.run(self.name, workflow.name, run_name)
        if run is None:
            raise ArmError(
                404,
                "WorkflowRunNotFound",
                f"The workflow '{workflow.data['workflow']}' run '{run_name}' could not be found.",
            )
        return run

    def _position(self, run: RunRecord, ctx: CallContext) -> Position:
        return self.store.observe(run) if ctx.observe else self.store.peek(run)

    def _wire_run(self, workflow: Workflow, run: RunRecord, pos: Position) -> dict[str, Any]:
        data = workflow.data
        status = pos.step.status
        if data["site"]:
            prefix = (
                f"/subscriptions/{data['subscription_id']}/resourceGroups/{data['resource_group']}"
                f"/providers/Microsoft.Web/sites/{data['site']}/workflows/{data['workflow']}"
            )
            run_type = "Microsoft.Web/sites/workflows/runs"
        else:
            prefix = (
                f"/subscriptions/{data['subscription_id']}/resourceGroups/{data['resource_group']}"
                f"/providers/Microsoft.Logic/workflows/{data['workflow']}"
            )
            run_type = "Microsoft.Logic/workflows/runs"
        started = _iso(run.started_on)
        correlation = {"clientTrackingId": run.data["client_tracking_id"]}
        props: dict[str, Any] = {
            "waitEndTime": started,
            "startTime": started,
            "status": status,
            "correlation": correlation,
            "workflow": {
                "id": f"{prefix}/versions/{data['version']}",
                "name": data["version"],
                "type": run_type.replace("/runs", "/versions"),
            },
            "trigger": {
                "name": run.data["trigger"],
                "startTime": started,
                "endTime": started,
                "correlation": correlation,
                "status": "Succeeded",
                "code": "OK",
            },
            "outputs": {
                key: {"type": "String" if isinstance(value, str) else "Object", "value": value}
                for key, value in dict(pos.step.extra.get("outputs") or {}).items()
            },
        }
        if status in TERMINAL or status == "Suspended":
            props["endTime"] = _iso(max(pos.entered_at, run.started_on))
        if "code" in pos.step.extra:
            props["code"] = pos.step.extra["code"]
        if "error" in pos.step.extra:
            props["error"] = pos.step.extra["error"]
        elif status == "Failed":
            props["error"] = dict(_FAILED_ERROR)
            props.setdefault("code", _FAILED_ERROR["code"])
        return {"id": f"{prefix}/runs/{run.run_id}", "name": run.run_id, "type": run_type, "properties": props}

    def _list(self, request: Request, workflow: Workflow, ctx: CallContext) -> dict[str, Any]:
        conditions = _parse_filter(request.query_value("$filter"))
        if not self.apply_start_time_filter:
            conditions = [term for term in conditions if term[0] != "starttime"]
        top_raw = request.query_value("$top")
        try:
            top = int(top_raw) if top_raw is not None else DEFAULT_PAGE_SIZE
        except ValueError:
            raise ArmError(400, "InvalidTopParameter", f"The $top value '{top_raw}' is not an integer.") from None
        if not 1 <= top <= 250:
            raise ArmError(400, "InvalidTopParameter", f"The $top value '{top}' must be between 1 and 250.")
        skip_raw = request.query_value("$skiptoken") or "0"
        try:
            skip = int(skip_raw)
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The $skiptoken is invalid.") from None
        with self.store.lock:
            runs = sorted(self.store.runs(self.name, workflow.name), key=lambda r: (-r.started_on, -r.seq))
            matching: list[tuple[RunRecord, Position]] = []
            for run in runs:
                pos = self.store.peek(run)
                if all(_matches(run, pos, field, op, value) for field, op, value in conditions):
                    matching.append((run, pos))
            page = matching[skip : skip + top]
            out: dict[str, Any] = {
                "value": [self._wire_run(workflow, run, self._position(run, ctx)) for run, _ in page]
            }
        if skip + top < len(matching):
            query = [("api-version", request.query_value("api-version") or "")]
            for name in ("$filter",):
                if request.query_value(name) is not None:
                    query.append((name, request.query_value(name) or ""))
            query += [("$top", str(top)), ("$skiptoken", str(skip + top))]
            encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
            out["nextLink"] = f"{_origin(request)}{request.path}?{encoded}"
        return out

    def _cancel(self, workflow: Workflow, run_name: str) -> None:
        with self.store.lock:
            run = self._run_or_404(workflow, run_name)
            status = self.store.peek(run).step.status
            if status in NOT_CANCELLABLE:
                raise ArmError(
                    409,
                    "WorkflowRunInvalidStatus",
                    f"The workflow run '{run_name}' cannot be cancelled because it is in '{status}' status.",
                )
            run.stop_requested_at = self.store.now()
            run.timeline.interrupt([Step("Cancelled")], self.store.now())

    def _callback_url(self, request: Request, workflow: Workflow, trigger: str) -> dict[str, Any]:
        if trigger.lower() not in {t.lower() for t in workflow.data["triggers"]}:
            raise ArmError(
                404,
                "WorkflowTriggerNotFound",
                f"The workflow '{workflow.data['workflow']}' trigger '{trigger}' could not be found.",
            )
        base = f"{_origin(request)}/workflows/{workflow.data['id']}/triggers/{quote(trigger, safe='')}/paths/invoke"
        queries = {
            "api-version": "2016-10-01",
            "sp": f"/triggers/{trigger}/run",
            "sv": "1.0",
            "sig": workflow.data["sig"],
        }
        return {
            "value": base + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in queries.items()),
            "method": "POST",
            "basePath": base,
            "queries": {"api-version": queries["api-version"]},
        }

    # --- trigger callback ------------------------------------------------------------------

    def _invoke(self, request: Request) -> Response:
        match = _INVOKE.match(request.path)
        assert match is not None
        if request.method != "POST":
            raise ArmError(405, "MethodNotAllowed", f"The HTTP method '{request.method}' is not supported.")
        workflow = next((w for w in self.store.workflows(self.name) if w.data["id"] == match.group("id")), None)
        if workflow is None:
            raise ArmError(404, "WorkflowNotFound", "The workflow could not be found.")
        if request.header("authorization"):
            raise ArmError(
                400,
                "DirectApiRequestHasMoreThanOneAuthorization",
                "The request has both SAS authentication scheme and 'Bearer' authorization scheme. "
                "Only one scheme should be used.",
            )
        if not secrets.compare_digest(request.query_value("sig") or "", workflow.data["sig"]):
            raise ArmError(
                401,
                "DirectApiInvalidAuthorizationSignature",
                "The provided request has invalid signature. Consider obtaining a new request URL.",
            )
        trigger = unquote(match.group("trigger"))
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise ArmError(400, "InvalidRequestContent", "The request content is not valid JSON.") from None
        tracking = request.header("x-ms-client-tracking-id")
        run = self._new_run(workflow, None, None, tracking, None, trigger, body)
        headers = {
            "x-ms-workflow-run-id": run.run_id,
            "x-ms-correlation-id": run.data["correlation_id"],
            "x-ms-client-tracking-id": run.data["client_tracking_id"],
            "x-ms-trigger-history-name": run.run_id,
            "x-ms-workflow-name": workflow.data["workflow"],
            "x-ms-workflow-version": workflow.data["version"],
        }
        return Response(202, b"", headers)

    # --- timelines -------------------------------------------------------------------------

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(extra) - _STEP_FIELDS
        if unknown:
            raise ValueError(
                f"unknown logic_apps timeline step fields {sorted(unknown)}; allowed: status, polls, seconds, "
                f"{', '.join(sorted(_STEP_FIELDS))}"
            )
        out: dict[str, Any] = {}
        if "error" in extra:
            error = extra["error"]
            if not isinstance(error, str | Mapping):
                raise ValueError("'error' must be a string or an object like {'code': ..., 'message': ...}")
            out["error"] = dict(error) if isinstance(error, Mapping) else error
        if "code" in extra:
            if not isinstance(extra["code"], str):
                raise ValueError("'code' must be a string")
            out["code"] = extra["code"]
        if "outputs" in extra:
            if not isinstance(extra["outputs"], Mapping):
                raise ValueError("'outputs' must be an object of output name -> value")
            out["outputs"] = dict(extra["outputs"])
        return out

    # --- Python set-up API -----------------------------------------------------------------

    def define_workflow(
        self,
        workflow: str,
        timeline: Sequence[Any] | None = None,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        triggers: Sequence[str] = (DEFAULT_TRIGGER,),
    ) -> None:
        """Create or redefine a workflow (``site`` set: a Standard logic app's workflow).

        Runs started through its request ``triggers`` follow ``timeline``.
        """
        if not workflow:
            raise ValueError("a workflow name is required")
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        key = _key(subscription_id, resource_group, site, workflow)
        with self.store.lock:
            existing = self.store.workflow(self.name, key)
            data = dict(existing.data) if existing else {}
            data.update(
                {
                    "subscription_id": subscription_id,
                    "resource_group": resource_group,
                    "site": site,
                    "workflow": workflow,
                    "triggers": list(triggers),
                }
            )
            data.setdefault("id", uuid.uuid4().hex)
            data.setdefault("sig", secrets.token_urlsafe(32))
            data.setdefault("version", "0858" + "".join(secrets.choice("0123456789") for _ in range(16)))
            self.store.put_workflow(Workflow(self.name, key, steps, data))

    def _ensure_workflow(self, workflow: str, resource_group: str, site: str | None, subscription_id: str) -> Workflow:
        key = _key(subscription_id, resource_group, site, workflow)
        with self.store.lock:
            found = self.store.workflow(self.name, key)
            if found is None:
                self.define_workflow(
                    workflow, resource_group=resource_group, site=site, subscription_id=subscription_id
                )
                found = self.store.workflow(self.name, key)
            assert found is not None
            return found

    def _new_run(
        self,
        workflow: Workflow,
        steps: Sequence[Step] | None,
        run_id: str | None,
        client_tracking_id: str | None,
        started_on: float | None,
        trigger: str,
        body: Any = None,
    ) -> RunRecord:
        run_id = run_id or new_run_name()
        data = {
            "client_tracking_id": client_tracking_id or run_id,
            "correlation_id": str(uuid.uuid4()),
            "trigger": trigger,
            "trigger_body": body,
        }
        return self.store.new_run(
            self.name, workflow.name, run_id, steps or workflow.timeline, started_on=started_on, data=data
        )

    def add_run(
        self,
        workflow: str,
        timeline: Sequence[Any] | None = None,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        run_id: str | None = None,
        client_tracking_id: str | None = None,
        started_on: float | None = None,
    ) -> str:
        """Add a run (its workflow created if missing); returns the run name.

        ``site=None`` is a Consumption workflow, a site name a Standard one. The run follows
        ``timeline`` (default: the workflow's) from now; ``started_on`` (epoch seconds) only changes
        the reported start time and the listing order.
        """
        steps = None if timeline is None else self.parse_timeline(timeline)
        with self.store.lock:
            found = self._ensure_workflow(workflow, resource_group, site, subscription_id)
            return self._new_run(found, steps, run_id, client_tracking_id, started_on, DEFAULT_TRIGGER).run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_run` for a schedule's tick (``run``: ``workflow``, ``timeline``, ``resource_group``,
        ``site``, ``subscription_id``, ``client_tracking_id``)."""
        return self.add_run(**run, started_on=started_on)

    def _record(self, workflow: str, run_id: str, resource_group: str, site: str | None, subscription_id: str) -> Any:
        found = self.store.workflow(self.name, _key(subscription_id, resource_group, site, workflow))
        run = self.store.run(self.name, found.name, run_id) if found else None
        if found is None or run is None:
            raise KeyError(f"no logic_apps run {run_id!r} of workflow {workflow!r} (site {site!r})")
        return found, run

    def snapshot(self, workflow: Workflow, run: RunRecord) -> dict[str, Any]:
        """The stored run as JSON with its current status (not counted as an observation)."""
        with self.store.lock:
            pos = self.store.peek(run)
            wire = self._wire_run(workflow, run, pos)
            return {
                "service": self.name,
                "tier": "standard" if workflow.data["site"] else "consumption",
                "subscription_id": workflow.data["subscription_id"],
                "resource_group": workflow.data["resource_group"],
                "site": workflow.data["site"],
                "workflow": workflow.data["workflow"],
                "run_id": run.run_id,
                "status": pos.step.status,
                "step_index": pos.index,
                "client_tracking_id": run.data["client_tracking_id"],
                "trigger": run.data["trigger"],
                "trigger_body": run.data["trigger_body"],
                "cancel_requested": run.stop_requested,
                "observations": run.observations,
                "timeline": run.timeline.to_list(),
                "wire": wire,
            }

    def run(
        self,
        workflow: str,
        run_id: str,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
    ) -> dict[str, Any]:
        """The current record of one run; ``KeyError`` if it does not exist."""
        with self.store.lock:
            found, run = self._record(workflow, run_id, resource_group, site, subscription_id)
            return self.snapshot(found, run)

    def runs(self, workflow: str | None = None) -> list[dict[str, Any]]:
        """Every run (of workflows named ``workflow`` if given, any tier), in creation order."""
        with self.store.lock:
            workflows = {w.name: w for w in self.store.workflows(self.name)}
            return [
                self.snapshot(workflows[r.workflow], r)
                for r in self.store.runs(self.name)
                if workflow is None or workflows[r.workflow].data["workflow"] == workflow
            ]

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime (whole seconds >= 1) of tokens issued from now on; expired ones get 401."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise ValueError("the token lifetime must be an integer number of seconds >= 1")
        self.token_lifetime = seconds

    def require_client_secret(self, client_id: str, secret: str) -> None:
        """Refuse tokens to ``client_id`` unless it sends ``secret`` (kept as a digest only)."""
        self._client_secrets[client_id] = digest(secret)

    def revoke_credentials(self, *secrets: str) -> int:
        """Revoke these access tokens (none given: every token issued so far); ARM answers them 401."""
        with self.store.lock:
            digests = {digest(t) for t in secrets} if secrets else set(self._tokens)
            revoked = [d for d in digests if self._tokens.pop(d, None) is not None]
            return len(revoked)

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        runs = payload.get("value") if operation == "ListWorkflowRuns" else [payload]
        return drop_key([r.get("properties") for r in runs or [] if isinstance(r, dict)], "status")

    def token_requests(self) -> list[dict[str, Any]]:
        """Tokens issued, oldest first: tenant, client_id, scope, expires_in, issued_at, token_digest."""
        with self.store.lock:
            return [dict(entry) for entry in self._token_requests]

    def issue_token(self, scope: str = "https://management.azure.com/.default", client_id: str = "test") -> str:
        """A token as the token endpoint would issue it (for raw requests in tests)."""
        now = self.store.now()
        token = "emu-aad-" + secrets.token_urlsafe(32)
        with self.store.lock:
            self._tokens[digest(token)] = {
                "expires_at": now + self.token_lifetime,
                "scope": scope,
                "client_id": client_id,
            }
        return token

    # --- scenarios and control API ---------------------------------------------------------

    def load_scenario(self, section: Any) -> None:
        """Apply ``{"workflows": [{workflow, timeline?, resource_group?, site?, subscription_id?,
        triggers?}], "runs": [{workflow, timeline?, run_id?, client_tracking_id?, ...}],
        "token_lifetime": seconds}``."""
        if not isinstance(section, Mapping) or set(section) - {"workflows", "runs", "token_lifetime"}:
            raise ValueError('the logic_apps scenario takes {"workflows": [...], "runs": [...], "token_lifetime": n}')
        if "token_lifetime" in section:
            self.set_token_lifetime(section["token_lifetime"])
        for spec in section.get("workflows", []):
            self._define_from_json(spec)
        for spec in section.get("runs", []):
            self._add_run_from_json(spec)

    def _place(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        place: dict[str, Any] = {}
        for key in ("resource_group", "site", "subscription_id"):
            if spec.get(key) is not None:
                if not isinstance(spec[key], str) or not spec[key]:
                    raise ValueError(f"{key!r} must be a non-empty string")
                place[key] = spec[key]
        return place

    def _define_from_json(self, spec: Any) -> None:
        allowed = {"workflow", "timeline", "resource_group", "site", "subscription_id", "triggers"}
        if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - allowed:
            raise ValueError(f"a logic_apps workflow takes {sorted(allowed)}: {spec!r}")
        triggers = spec.get("triggers", [DEFAULT_TRIGGER])
        if not isinstance(triggers, list) or not all(isinstance(t, str) and t for t in triggers):
            raise ValueError("'triggers' must be a list of trigger names")
        self.define_workflow(str(spec["workflow"]), spec.get("timeline"), triggers=triggers, **self._place(spec))

    def _add_run_from_json(self, spec: Any) -> str:
        allowed = {
            "workflow",
            "timeline",
            "run_id",
            "client_tracking_id",
            "started_on",
            "resource_group",
            "site",
            "subscription_id",
        }
        if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - allowed:
            raise ValueError(f"a logic_apps run takes {sorted(allowed)}: {spec!r}")
        started_on = spec.get("started_on")
        if started_on is not None and (isinstance(started_on, bool) or not isinstance(started_on, int | float)):
            raise ValueError("'started_on' must be epoch seconds")
        return self.add_run(
            str(spec["workflow"]),
            spec.get("timeline"),
            run_id=spec.get("run_id"),
            client_tracking_id=spec.get("client_tracking_id"),
            started_on=started_on,
            **self._place(spec),
        )

    def control_routes(self) -> Sequence[Route]:
        return (
            Route("PUT", r"workflows", self._control_define),
            Route("POST", r"runs", lambda c: {"run_id": self._add_run_from_json(c.body_object())}),
            Route("GET", r"runs", lambda c: {"runs": self.runs(c.request.query_value("workflow"))}),
            Route("GET", r"tokens", lambda c: {"tokens": self.token_requests()}),
            Route("PUT", r"token_lifetime", self._control_token_lifetime),
            Route("PUT", r"client_secrets", self._control_client_secret),
        )

    def _control_define(self, call: ControlRequest) -> Any:
        self._define_from_json(call.body_object())
        return {"ok": True}

    def _control_token_lifetime(self, call: ControlRequest) -> Any:
        self.set_token_lifetime(call.body_object().get("seconds"))  # type: ignore[arg-type]
        return {"token_lifetime": self.token_lifetime}

    def _control_client_secret(self, call: ControlRequest) -> Any:
        body = call.body_object()
        client_id, secret = body.get("client_id"), body.get("secret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            raise ControlError(400, 'send {"client_id": "...", "secret": "..."}')
        self.require_client_secret(client_id, secret)
        return {"ok": True}


def _origin(request: Request) -> str:
    return f"{request.scheme}://{request.header('host') or '127.0.0.1'}"


def _aad_error(status: int, error: str, description: str) -> Response:
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return Response.json(
        {
            "error": error,
            "error_description": f"{description} Trace ID: {uuid.uuid4()} Timestamp: {stamp}",
            "error_codes": [int(description[6:13])] if description[6:13].isdigit() else [],
            "timestamp": stamp,
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status,
    )


def _parse_filter(raw: str | None) -> list[tuple[str, str, Any]]:
    """``ClientTrackingId eq 'x' and StartTime ge 2026-01-01T00:00:00Z`` -> [(field, op, value)].

    Terms: ClientTrackingId or Status ``eq '<text>'``, StartTime ``ge|gt|le|lt <ISO 8601, unquoted>``
    (no zone: UTC), joined by ``and``. Anything else, a quoted time included, is refused with the
    real service's 400 InvalidQueryFilter.
    """
    if raw is None or not raw.strip():
        return []
    terms: list[tuple[str, str, Any]] = []
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        match = _FILTER_TERM.match(part)
        moment = _filter_moment(match.group("moment")) if match and match.group("moment") else None
        if match is None or (match.group("op") and moment is None):
            raise ArmError(
                400, "InvalidQueryFilter", f"The provided query filter '{raw}' is not valid or not supported."
            )
        if moment is not None:
            terms.append(("starttime", match.group("op").lower(), moment))
        else:
            terms.append((match.group("field").lower(), "eq", match.group("value").replace("''", "'")))
    return terms


def _filter_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _matches(run: RunRecord, pos: Position, field: str, op: str, value: Any) -> bool:
    if field == "starttime":  # at the microsecond precision the wire shows
        return bool(_COMPARE[op](datetime.fromtimestamp(run.started_on, timezone.utc), value))
    if field == "clienttrackingid":
        return bool(run.data["client_tracking_id"] == value)
    return pos.step.status.lower() == value.lower()
