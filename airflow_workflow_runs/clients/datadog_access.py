"""What a Datadog connection test asks: ListWorkflows with ``limit=1`` (both keys, ``workflows_read``).

Datadog answers every refusal the same (403 ``{"errors": ["Forbidden"]}``: a wrong API key, a wrong
application key, a missing permission), so only a refusal is looked into, with two reads that need
no permission: ``GET /api/v1/validate`` (the API key alone) and ``GET /api/v2/current_user`` (the
application key). Whichever is refused is the bad credential; when both are accepted, the
application key lacks ``workflows_read``.
"""

from __future__ import annotations

from typing import Any

from datadog_api_client.exceptions import ApiException
from datadog_api_client.v1.api.authentication_api import AuthenticationApi
from datadog_api_client.v2.api.users_api import UsersApi

from airflow_workflow_runs.clients import datadog_errors
from airflow_workflow_runs.model import AccessDenied, CredentialsRejected, PermissionDenied, RunNotFound

READ = datadog_errors.PERMISSIONS["read"]


def check_access(api: Any, *, site: str, endpoint: str) -> str:
    """List one workflow with ``api`` (a ``WorkflowAutomationApi``); on a refusal, say which key or
    permission it was. Returns what was checked; raises the model's errors."""
    what = f"datadog ListWorkflows at {_where(site, endpoint)}"
    try:
        api.list_workflows(limit=1)
    except Exception as error:
        translated = datadog_errors.translate(error, what, "read", site=site, endpoint=endpoint)
        if isinstance(translated, AccessDenied):
            raise _refusal(api.api_client, what, site, endpoint) from None
        if isinstance(translated, RunNotFound):
            raise RunNotFound(
                f"{what} answered 404 Not Found: no Datadog API is served there; check the connection's "
                "Host (API URL override) and site"
            ) from None
        raise translated from None
    return f"Datadog accepted the API and application keys and {READ} (ListWorkflows at {_where(site, endpoint)})"


def _refusal(api_client: Any, what: str, site: str, endpoint: str) -> AccessDenied:
    where = _where(site, endpoint)
    if _refused(lambda: AuthenticationApi(api_client).validate()):
        return CredentialsRejected(
            f"{what}: Datadog refused the API key (GET /api/v1/validate refused it too): it is not a valid "
            f"API key of an organisation on {where}; check the connection's api_key and site."
        )
    if _refused(lambda: UsersApi(api_client).get_current_user()):
        return CredentialsRejected(
            f"{what}: Datadog accepted the API key but refused the application key (reading its own user was "
            f"refused too): it is not a valid key of this organisation on {where}, or was revoked."
        )
    return PermissionDenied(
        f"{what}: the API and application keys are valid, but the application key lacks the {READ} "
        "permission (its owner's role must grant it; a scoped key needs it in its scopes).",
        READ,
    )


def _refused(call: Any) -> bool:
    """Whether Datadog refused the call (401/403); other failures say nothing about the keys."""
    try:
        call()
    except ApiException as error:
        return error.status in (401, 403)
    except Exception:
        return False
    return False


def _where(site: str, endpoint: str) -> str:
    return f"Datadog site {site}" if endpoint.rstrip("/") == f"https://api.{site}" else f"{endpoint} (site {site})"
