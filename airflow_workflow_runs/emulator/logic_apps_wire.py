"""What Logic Apps' ARM endpoints put on the wire: request paths, errors, the run JSON and callback URLs.

Pure shapes, no state: the service (:mod:`.logic_apps`) decides what happens, this module only says
how Azure spells it. Kept apart so the run document, the one thing clients parse, reads in one place.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .store import RunRecord, Workflow
from .timeline import Position
from .wire import Request, Response

DEFAULT_TRIGGER = "manual"
TERMINAL = frozenset({"Succeeded", "Failed", "Cancelled", "Faulted", "TimedOut", "Aborted", "Skipped", "Ignored"})
#: Statuses a cancel request is refused in (Suspended is over too: nothing resumes it).
NOT_CANCELLABLE = TERMINAL | {"Suspended"}
FAILED_ERROR = {"code": "ActionFailed", "message": "An action failed. No dependent actions succeeded."}
STEP_FIELDS = frozenset({"error", "code", "outputs"})
ERROR_CODES = {
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

ARM = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"(?:Microsoft\.Logic/workflows/(?P<cwf>[^/]+)"
    r"|Microsoft\.Web/sites/(?P<site>[^/]+)/hostruntime/runtime/webhooks/workflow/api/management/workflows/"
    r"(?P<swf>[^/]+))"
    r"/(?:(?P<runs>runs)(?:/(?P<run>[^/]+)(?P<cancel>/cancel)?)?|triggers/(?P<trigger>[^/]+)/listCallbackUrl)$",
    re.IGNORECASE,
)
INVOKE = re.compile(r"^/workflows/(?P<id>[0-9a-f]{32})/triggers/(?P<trigger>[^/]+)/paths/invoke$")
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")


class ArmError(Exception):
    """An error answered in ARM's ``{"error": {"code", "message"}}`` shape."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def error_response(status: int, code: str | None, message: str | None) -> Response:
    """ARM's error body; ``code`` defaults to the status' usual one."""
    code = code or ERROR_CODES.get(status, "InternalServerError")
    return Response.json({"error": {"code": code, "message": message or f"Injected fault ({code})"}}, status)


def new_run_name() -> str:
    """A run name shaped like Logic Apps' (``08584...CU12``)."""
    return "0858" + "".join(secrets.choice("0123456789") for _ in range(25)) + "CU" + f"{secrets.randbelow(100):02d}"


def iso(epoch: float) -> str:
    """ISO 8601 with seven fractional digits and ``Z``, like Logic Apps."""
    stamp = datetime.fromtimestamp(epoch, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def origin(request: Request) -> str:
    """``scheme://host`` the request came to, for the links an answer carries."""
    return f"{request.scheme}://{request.header('host') or '127.0.0.1'}"


def wire_run(workflow: Workflow, run: RunRecord, pos: Position) -> dict[str, Any]:
    """A run as GetWorkflowRun answers it (and ListWorkflowRuns lists it), at timeline position ``pos``."""
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
    started = iso(run.started_on)
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
        props["endTime"] = iso(max(pos.entered_at, run.started_on))
    if "code" in pos.step.extra:
        props["code"] = pos.step.extra["code"]
    if "error" in pos.step.extra:
        props["error"] = pos.step.extra["error"]
    elif status == "Failed":
        props["error"] = dict(FAILED_ERROR)
        props.setdefault("code", FAILED_ERROR["code"])
    return {"id": f"{prefix}/runs/{run.run_id}", "name": run.run_id, "type": run_type, "properties": props}


def callback_url(request: Request, workflow: Workflow, trigger: str) -> dict[str, Any]:
    """ListCallbackUrl's answer: the SAS-signed invoke URL of one of the workflow's request triggers."""
    if trigger.lower() not in {t.lower() for t in workflow.data["triggers"]}:
        raise ArmError(
            404,
            "WorkflowTriggerNotFound",
            f"The workflow '{workflow.data['workflow']}' trigger '{trigger}' could not be found.",
        )
    base = f"{origin(request)}/workflows/{workflow.data['id']}/triggers/{quote(trigger, safe='')}/paths/invoke"
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


def validate_step(extra: Mapping[str, Any]) -> dict[str, Any]:
    """A timeline step's Logic Apps fields (``error``, ``code``, ``outputs``), checked and copied."""
    unknown = set(extra) - STEP_FIELDS
    if unknown:
        raise ValueError(
            f"unknown logic_apps timeline step fields {sorted(unknown)}; allowed: status, polls, seconds, "
            f"{', '.join(sorted(STEP_FIELDS))}"
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
