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
``triggers/{trigger}/listCallbackUrl`` (ListCallbackUrl); and the Consumption workflows of a resource
group or subscription (ListWorkflows, a connection test's call: :mod:`.logic_apps_workflows`). Every ARM
request needs ``Authorization: Bearer <a token issued here that has not expired>``; otherwise the answer is 401 with
ARM's ``{"error": {"code", "message"}}`` and a ``WWW-Authenticate`` header, as Azure does.

The trigger callback (InvokeTrigger) ``POST /workflows/{id}/triggers/{trigger}/paths/invoke?...&sig=...``
is authorized by its SAS signature alone (a request that also carries a bearer token is refused, as
Logic Apps does). It starts a run of the workflow's timeline and answers 202 with the run's name in
``x-ms-workflow-run-id``; the ``x-ms-client-tracking-id`` header tags the run (default: its name).

Microsoft Entra ID's token endpoint (OpenIdConfiguration, GetToken) is served here too, so a real
azure-identity credential signs in: see :mod:`.logic_apps_entra`; ``token_lifetime`` (default one hour)
and :meth:`LogicAppsService.revoke_credentials` (401 InvalidAuthenticationToken) are its knobs.

Timeline steps take the 13 ``WorkflowStatus`` values (or any other string, to test unknown ones) and
optionally ``error`` (``{"code", "message"}`` or a string), ``code`` and ``outputs`` (name -> value).

The service's pieces: workflows, runs and their Python set-up API in :mod:`.logic_apps_state` (the
base class), ARM's wire shapes in :mod:`.logic_apps_wire`, ListWorkflowRuns' filter and paging in
:mod:`.logic_apps_list`, the tokens in :mod:`.logic_apps_entra`, JSON set-up (scenario, control routes)
in :mod:`.logic_apps_control`; this module answers the requests.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from . import logic_apps_control
from .logic_apps_entra import OIDC, TOKEN, EntraTokens
from .logic_apps_list import list_runs
from .logic_apps_state import LogicAppsState, workflow_key
from .logic_apps_wire import API_VERSION, ARM, INVOKE, NOT_CANCELLABLE, ArmError, callback_url, error_response, wire_run
from .logic_apps_workflows import LIST, list_workflows
from .service import CallContext, Route, drop_key
from .store import RunRecord, Workflow
from .timeline import Position, Step
from .wire import Request, Response


class LogicAppsService(LogicAppsState):
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
            "ListWorkflows",
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
        self.entra = EntraTokens(self.store)
        #: False: StartTime terms are accepted but not applied, to prove clients check run times themselves.
        self.apply_start_time_filter: bool = True

    @property
    def token_lifetime(self) -> int:
        """Lifetime in seconds of the tokens issued from now on (set it with :meth:`set_token_lifetime`)."""
        return self.entra.lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        self.entra.lifetime = seconds

    # --- wire protocol ---------------------------------------------------------------------

    def matches(self, request: Request) -> bool:
        path = request.path
        return any(p.match(path) for p in (ARM, INVOKE, OIDC, TOKEN, LIST))

    def operation(self, request: Request) -> str:
        path = request.path
        if TOKEN.match(path):
            return "GetToken"
        if OIDC.match(path):
            return "OpenIdConfiguration"
        if INVOKE.match(path):
            return "InvokeTrigger"
        if LIST.match(path):
            return "ListWorkflows"
        match = ARM.match(path)
        if match is None:
            return "Unknown"
        if match.group("trigger"):
            return "ListCallbackUrl"
        if match.group("cancel"):
            return "CancelWorkflowRun"
        return "GetWorkflowRun" if match.group("run") else "ListWorkflowRuns"

    def error_response(self, status: int, error_type: str | None, message: str | None) -> Response:
        return error_response(status, error_type, message)

    def remove_status(self, operation: str, payload: Any) -> bool:
        if not isinstance(payload, dict):
            return False
        runs = payload.get("value") if operation == "ListWorkflowRuns" else [payload]
        return drop_key([r.get("properties") for r in runs or [] if isinstance(r, dict)], "status")

    def handle(self, request: Request, ctx: CallContext) -> Response:
        operation = self.operation(request)
        try:
            if operation == "GetToken":
                return self.entra.token(request)
            if operation == "OpenIdConfiguration":
                return self.entra.openid_configuration(request)
            if operation == "InvokeTrigger":
                return self._invoke(request)
            return self._arm(request, operation, ctx)
        except ArmError as exc:
            response = self.error_response(exc.status, exc.code, exc.message)
            response.headers.update(exc.headers)
            return response

    # --- Azure Resource Manager --------------------------------------------------------------

    def _arm(self, request: Request, operation: str, ctx: CallContext) -> Response:
        self.entra.authenticate(request)
        api_version = request.query_value("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION.match(api_version):
            raise ArmError(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is invalid.")
        if operation == "ListWorkflows":
            return Response.json(list_workflows(self.store, self.name, request))
        match = ARM.match(request.path)
        assert match is not None
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
                return Response.json(wire_run(workflow, run, self._position(run, ctx)))
        if operation == "ListWorkflowRuns":
            return Response.json(
                list_runs(
                    self.store, self.name, workflow, request, ctx, apply_start_time_filter=self.apply_start_time_filter
                )
            )
        if operation == "CancelWorkflowRun":
            self._cancel(workflow, parts["run"])
            return Response(200, b"", {})
        return Response.json(callback_url(request, workflow, parts["trigger"]))

    def _workflow_or_404(self, subscription_id: str, resource_group: str, site: str | None, name: str) -> Workflow:
        workflow = self.store.workflow(self.name, workflow_key(subscription_id, resource_group, site, name))
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

    # --- trigger callback ------------------------------------------------------------------

    def _invoke(self, request: Request) -> Response:
        match = INVOKE.match(request.path)
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

    # --- tokens (kept by logic_apps_entra) ------------------------------------------------------

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime (whole seconds >= 1) of tokens issued from now on; expired ones get 401."""
        self.entra.set_lifetime(seconds)

    def require_client_secret(self, client_id: str, secret: str) -> None:
        """Refuse tokens to ``client_id`` unless it sends ``secret`` (kept as a digest only)."""
        self.entra.require_client_secret(client_id, secret)

    def revoke_credentials(self, *secrets: str) -> int:
        """Revoke these access tokens (none given: every token issued so far); ARM answers them 401."""
        return self.entra.revoke(*secrets)

    def token_requests(self) -> list[dict[str, Any]]:
        """Tokens issued, oldest first: tenant, client_id, scope, expires_in, issued_at, token_digest."""
        return self.entra.requests()

    def issue_token(self, scope: str = "https://management.azure.com/.default", client_id: str = "test") -> str:
        """A token as the token endpoint would issue it (for raw requests in tests)."""
        return self.entra.issue(scope, client_id)

    # --- scenarios and control API (the JSON spelling is in logic_apps_control) ----------------

    def load_scenario(self, section: Any) -> None:
        logic_apps_control.load_scenario(self, section)

    def control_routes(self) -> Sequence[Route]:
        return logic_apps_control.control_routes(self)
