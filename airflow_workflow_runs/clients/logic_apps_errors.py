"""Azure SDK exceptions translated into the model's errors, for both Logic Apps tiers: refusals by
status first, then garbled answers, then transient failures; messages scrubbed of secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from airflow_workflow_runs.clients.answers import garbled
from airflow_workflow_runs.clients.network_errors import network_failure
from airflow_workflow_runs.clients.retry_policy import retry_after_seconds
from airflow_workflow_runs.model import (
    AccessDenied,
    CredentialsRejected,
    GarbledAnswer,
    PermissionDenied,
    RunNotFound,
    ServiceError,
    ServiceUnreachable,
    TransientServiceError,
    WorkflowRunError,
)

SAS_SIGNATURE = re.compile(r"(sig=)[^&\s'\"]+", re.IGNORECASE)
#: How ARM's 403 AuthorizationFailed names the action: "... does not have authorization to perform
#: action 'Microsoft.Logic/workflows/read' over scope ...".
ARM_ACTION = re.compile(r"perform action '([^']+)'")
BEARER_TOKEN = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def scrub(text: str, secret: str | None) -> str:
    """Remove the client secret, bearer tokens and SAS signatures from a message."""
    if secret:
        text = text.replace(secret, "***")
    text = SAS_SIGNATURE.sub(r"\1***", text)
    return BEARER_TOKEN.sub(r"\1***", text)


def not_found_hint(ref: Mapping[str, str], endpoint: str) -> str:
    """What to check when a run (or its workflow) of ``ref``'s tier is not found."""
    tier = "Standard" if "site_name" in ref else "Consumption"
    return (
        f"Check the subscription, resource group, {'site, ' if tier == 'Standard' else ''}workflow and run "
        f"names ({tier} tier, ARM endpoint {endpoint})"
        + ("; Standard workflows keep run history only when they are stateful." if tier == "Standard" else ".")
    )


def error_status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return int(status) if isinstance(status, int) else None


def _error_detail(error: BaseException) -> str:
    odata = getattr(error, "error", None)
    code, message = getattr(odata, "code", None), getattr(odata, "message", None)
    if code or message:
        return f"{code or getattr(error, 'status_code', '')}: {message or ''}".strip(": ")
    text = str(getattr(error, "message", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def error_detail_from_body(response: Any) -> str:
    try:
        body = response.json()
    except Exception:
        return ""
    error = body.get("error") if isinstance(body, Mapping) else None
    return error_text(error) or ""


#: What azure-mgmt-web's deserializer raises on a body of another shape (not ValueError: azure-identity
#: raises that for a malformed tenant id, which is no answer at all).
_SDK_READ_ERRORS = (AttributeError, TypeError, KeyError)


def translate_error(
    error: BaseException, what: str, *, not_found_hint: str = "", scrub: Callable[[str], str] = lambda s: s
) -> WorkflowRunError:
    """The model error for an azure-core / azure-identity exception raised while working on ``what``."""
    if isinstance(error, ImportError) and "partially initialized" in str(error):
        # Another thread is importing the same module right now: it will be there at the next poll.
        return TransientServiceError(f"{what}: an Azure SDK module was still being imported ({error}); will retry")
    if isinstance(error, ImportError):
        return ServiceError(
            f"{what}: the Azure SDKs are not installed ({error}); install 'airflow-workflow-runs[azure]'"
        )
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        DeserializationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(error, WorkflowRunError):
        return error
    detail = scrub(_error_detail(error))
    status = error_status(error)
    if isinstance(error, ResourceNotFoundError) or status == 404:
        return RunNotFound(f"{what} was not found ({detail}).{' ' + not_found_hint if not_found_hint else ''}")
    unreachable = network_failure(error) if status is None else None
    if isinstance(error, ClientAuthenticationError) and unreachable:  # azure-identity never reached Entra ID
        return ServiceUnreachable(f"{what}: the token endpoint could not be reached ({detail})", unreachable)
    if isinstance(error, ClientAuthenticationError) or status in (401, 403):
        text = (
            f"{what}: access denied ({detail}). Check the connection's tenant id, client id and client secret "
            "(or, without a secret, the managed identity / workload identity / Azure CLI login), the authority "
            "host and token scope of the ARM endpoint's cloud, and that the identity has a role on the workflow "
            "allowing this call ('Logic App Operator' reads and cancels runs, 'Logic App Contributor' runs "
            "triggers; 'Logic Apps Standard Operator'/'Contributor' on Standard sites)."
        )
        if status == 403:  # signed in, not allowed
            action = ARM_ACTION.search(detail)
            return PermissionDenied(text, action.group(1) if action else None)
        return CredentialsRejected(text)
    if isinstance(error, (json.JSONDecodeError, DecodeError, DeserializationError, *_SDK_READ_ERRORS)):
        # An HTML page with status 200 (a proxy, a captive gateway), a cut-off or non-object body:
        # raised by response.json() (Consumption) or azure-mgmt-web's deserializer (Standard). After
        # the status checks: a 401/404 whose body does not parse is still a refusal.
        return GarbledAnswer(scrub(str(garbled("a body that is not the documented run object", error).about(what))))
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return ServiceUnreachable(
            f"{what}: the service could not be reached or did not answer in time ({type(error).__name__}: {detail})",
            network_failure(error),
        )
    if isinstance(error, HttpResponseError) and status is not None and (status in (408, 429) or status >= 500):
        response = getattr(error, "response", None)
        return TransientServiceError(
            f"{what}: the service is throttling or failing (HTTP {status}, {detail}); will retry",
            retry_after=retry_after_seconds(getattr(response, "headers", None)),
        )
    if isinstance(error, HttpResponseError):
        return ServiceError(f"{what}: the service refused the request (HTTP {status}, {detail})")
    return ServiceError(f"{what}: {type(error).__name__}: {scrub(str(error))}")


def invoked_run_name(response: Any, what: str, scrub: Callable[[str], str]) -> str:
    """The run a trigger's callback started (``x-ms-workflow-run-id``), or the error its answer means."""
    run_name = response.headers.get("x-ms-workflow-run-id")
    if run_name:
        return str(run_name)
    detail = error_detail_from_body(response)
    status = response.status_code
    message = f"{what} answered HTTP {status} without x-ms-workflow-run-id ({detail or 'no detail'})"
    if status in (401, 403):
        raise AccessDenied(scrub(message + ". The callback signature was refused: try again for a new URL."))
    if status == 429 or status >= 500:
        raise TransientServiceError(scrub(message), retry_after=retry_after_seconds(response.headers))
    raise ServiceError(scrub(message + ". Is it a Request trigger of an enabled, stateful workflow?"))


def error_text(error: Any) -> str:
    if not error:
        return ""
    if isinstance(error, Mapping):
        code, message = error.get("code"), error.get("message")
        if code or message:
            return f"{code}: {message}" if code and message else str(code or message)
        return str(dict(error))
    return str(error)
