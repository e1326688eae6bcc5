"""Alibaba SDK exceptions translated into the model's errors, for DataWorks: refusals by error
code and HTTP status, throttling (with the wait it asks for), unreadable bodies, and failures on
the way (network, timeouts, no credentials). Messages never carry a secret.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException

from airflow_workflow_runs.clients import dataworks_throttling as throttling
from airflow_workflow_runs.clients.answers import READ_ERRORS, garbled
from airflow_workflow_runs.clients.network_errors import network_failure
from airflow_workflow_runs.clients.retry_policy import retry_after_seconds
from airflow_workflow_runs.model import (
    CredentialsRejected,
    PermissionDenied,
    RunNotFound,
    ServiceError,
    ServiceUnreachable,
    TransientServiceError,
    WorkflowRunError,
)

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.dataworks import DataWorksSettings  # pragma: no cover

ACCESS_CODE = re.compile(
    r"^(Forbidden|NoPermission|InvalidAccessKeyId|InvalidSecurityToken|SignatureDoesNotMatch|"
    r"IncompleteSignature|SignatureNonceUsed|InvalidTimeStamp|MissingSecurityToken|"
    r"Unauthorized|AccessDenied|InvalidCredentials)",
    re.IGNORECASE,
)
#: The access codes that refuse a permission (RAM's answer to an accepted AccessKey); the others
#: refuse the credentials themselves.
PERMISSION_CODE = re.compile(r"^(Forbidden|NoPermission|AccessDenied)", re.IGNORECASE)
#: How a RAM refusal's message may name the action, when the answer has no AccessDeniedDetail.
ACTION = re.compile(r"\b(dataworks:[A-Za-z*]+)")
THROTTLING_CODE = re.compile(r"^(Throttling|ServiceUnavailable|InternalError|RequestTimeout)", re.IGNORECASE)
NOT_FOUND_CODE = re.compile(r"NotFound|NotExist", re.IGNORECASE)


def translate(error: Exception, what: str, settings: DataWorksSettings) -> WorkflowRunError:
    """The model error for an SDK exception raised while working on ``what`` (never a secret)."""
    if isinstance(error, WorkflowRunError):
        return error
    where = f"region {settings.region}, endpoint {settings.protocol}://{settings.host}"
    if isinstance(error, AlibabaCloudException):
        code = str(error.code or "")
        status = int(error.status_code or 0)
        data = error.data if isinstance(error.data, dict) else {}
        message = str(data.get("Message") or data.get("message") or "")
        request_id = error.request_id if error.request_id not in (None, "None") else None
        detail = f"{code or status}: {message}".rstrip(": ") + (f" (RequestId {request_id})" if request_id else "")
        acs_retry_after_ms = getattr(error, "retry_after", None)  # the SDK's x-acs-retry-after
        if ACCESS_CODE.match(code) or status in (401, 403):
            text = (
                f"{what}: access denied ({detail}). Check the connection's AccessKey (and STS token) and that "
                "its RAM policy allows dataworks:* in this workspace."
            )
            if PERMISSION_CODE.match(code) or (status == 403 and not ACCESS_CODE.match(code)):
                return PermissionDenied(text, _refused_action(error, message))
            return CredentialsRejected(text)
        if isinstance(error, ThrottlingException) or THROTTLING_CODE.match(code) or status == 429 or status >= 500:
            return TransientServiceError(
                f"{what}: DataWorks is throttling or failing ({detail}); will retry",
                retry_after=retry_after_seconds({"x-acs-retry-after": str(acs_retry_after_ms)})
                if isinstance(acs_retry_after_ms, int | float)
                else retry_after_seconds(throttling.throttled_headers()),
            )
        if status == 404 or NOT_FOUND_CODE.search(code):
            return RunNotFound(f"{what} was not found ({detail}). Check the instance id and the region ({where}).")
        return ServiceError(f"{what}: DataWorks refused the request ({detail})")
    # UnretryableException wraps what is not an API answer: network errors, timeouts, unreadable
    # (non-JSON, cut-off) bodies, and the credential chain finding nothing.
    inner: BaseException = getattr(error, "inner_exception", None) or error
    if type(inner).__name__ == "CredentialException":
        return CredentialsRejected(
            f"{what}: no Alibaba Cloud credentials were found ({str(inner)[:300]}); set the AccessKey in the connection"
        )
    # JSONDecodeError, and the SDK's RuntimeError("Failed to parse the value as json format"):
    # an HTML page, a cut-off body.
    if isinstance(inner, (*READ_ERRORS, RuntimeError)):
        return garbled(f"a body the SDK could not read, at {where}", inner).about(what)
    if isinstance(inner, OSError) or type(error).__name__ == "UnretryableException":
        return ServiceUnreachable(
            f"{what}: DataWorks could not be reached ({type(inner).__name__}: {str(inner)[:200]}) at {where}; "
            "will retry",
            network_failure(error),
        )
    return ServiceError(f"{what}: {type(error).__name__}: {str(error)[:300]}")


def _refused_action(error: AlibabaCloudException, message: str) -> str | None:
    """The RAM action a refusal names: its ``AccessDeniedDetail.AuthAction``, or one in its message."""
    detail = getattr(error, "access_denied_detail", None)
    action = detail.get("AuthAction") if isinstance(detail, dict) else None
    if isinstance(action, str) and action:
        return action
    found = ACTION.search(message)
    return found.group(1) if found else None
