"""``datadog-api-client`` exceptions translated into the model's errors: refusals by HTTP status,
answers the SDK could not read, and failures on the wire; Datadog's ``{"errors": [...]}`` bodies
read into the messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from datadog_api_client.exceptions import ApiException, OpenApiException

from airflow_workflow_runs.clients.answers import garbled
from airflow_workflow_runs.clients.datadog_runs import short
from airflow_workflow_runs.clients.network_errors import TLS, network_failure
from airflow_workflow_runs.clients.retry_policy import retry_after_seconds
from airflow_workflow_runs.model import (
    AccessDenied,
    RunNotFound,
    ServiceError,
    ServiceUnreachable,
    TransientServiceError,
    WorkflowRunError,
)

#: The application key permission each kind of call needs.
PERMISSIONS = {
    "read": "workflows_read",
    "run": "workflows_run",
}


def translate(error: Exception, what: str, need: str, *, site: str, endpoint: str) -> WorkflowRunError:
    """The model's error for a failed call (``need``: ``read`` or ``run``) to ``endpoint``."""
    if isinstance(error, WorkflowRunError):
        return error
    if isinstance(error, ApiException):
        return translate_api(error, what, need, site=site, endpoint=endpoint)
    if isinstance(error, OpenApiException):
        # The request was sent (ids are validated first) but the SDK's deserializer could not
        # read the answer: an HTML page, a cut-off or non-object body.
        return garbled("a body the SDK could not read as an instance", error).about(what)
    # urllib3 errors (refused/reset connections, timeouts, TLS) and anything else on the wire.
    message = f"{what}: the request to {endpoint} failed ({type(error).__name__}: {error})"
    reason = network_failure(error)
    return ServiceUnreachable(message, reason) if reason else TransientServiceError(message)


def translate_api(error: ApiException, what: str, need: str, *, site: str, endpoint: str) -> WorkflowRunError:
    status = error.status or 0
    texts = error_texts(error.body)
    detail = f" ({'; '.join(texts)})" if texts else ""
    where = f"Datadog site {site}" if endpoint.rstrip("/") == f"https://api.{site}" else endpoint
    if status == 0:  # the SDK's wrapper of TLS errors
        return ServiceUnreachable(f"{what}: the request to {endpoint} failed ({error.reason})", TLS)
    if status == 404:
        return RunNotFound(
            f"{what} was not found{detail}. Check the workflow id and instance id, and that the connection "
            f"points at the site holding the workflow ({where})."
        )
    if status in (401, 403):
        permission = PERMISSIONS[need]
        return AccessDenied(
            f"{what}: access denied (HTTP {status}){detail}. The connection's API key must be valid for "
            f"{where}, and its application key must carry the {permission} permission"
            + (" (and workflows_read to follow the instance)" if need == "run" else "")
            + "; a scoped application key needs it in its scopes."
        )
    if status == 429:
        return TransientServiceError(
            f"{what}: rate limited by Datadog{detail}", retry_after=retry_after_seconds(error.headers)
        )
    if status >= 500 or status == 408:
        return TransientServiceError(f"{what}: Datadog answered HTTP {status}{detail}")
    return ServiceError(f"{what}: Datadog refused the request (HTTP {status}){detail}")


def error_texts(body: Any) -> list[str]:
    """Datadog's ``{"errors": [...]}``: strings, or objects with ``code``/``title``/``detail``."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            return [short(text.strip(), 200)] if text.strip() else []
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if not isinstance(errors, list):
        return []
    texts = []
    for item in errors:
        if isinstance(item, Mapping):
            parts = [str(item[k]) for k in ("code", "title", "detail") if item.get(k)]
            texts.append(": ".join(parts) if parts else short(item, 200))
        else:
            texts.append(str(item))
    return texts


def error_codes(body: Any) -> set[str]:
    if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
        return {str(e.get("code")) for e in body["errors"] if isinstance(e, Mapping) and e.get("code")}
    return set()
