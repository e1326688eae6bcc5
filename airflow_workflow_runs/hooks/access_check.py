"""A connection test's answer in one line a user can act on: what kind of problem the check met (bad
credentials, a missing permission, an unknown region/site/endpoint, an unreachable endpoint, ...)
followed by the service's own words, and never a secret of the connection.

The kinds are read from the model's errors, which every client already raises, so they are decided
once for all services (:meth:`.base.WorkflowRunHook.test_connection` is the only caller).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk.exceptions import AirflowNotFoundException

from airflow_workflow_runs.model import (
    AccessDenied,
    CredentialsRejected,
    GarbledAnswer,
    OperationNotSupported,
    PermissionDenied,
    RunNotFound,
    ServiceUnreachable,
    TransientServiceError,
    UnknownEndpoint,
    WorkflowRunError,
)

if TYPE_CHECKING:
    from airflow.sdk import Connection

BAD_CREDENTIALS = "Bad credentials"
MISSING_PERMISSION = "Missing permission"
ACCESS_DENIED = "Access denied"
UNKNOWN_ENDPOINT = "Unknown region, site or endpoint"
UNREACHABLE = "Unreachable endpoint"
NOT_THE_SERVICE = "Not the service's answer"
SERVICE_FAILING = "The service is failing or throttling"
INVALID_CONNECTION = "Invalid connection"
REFUSED = "Refused"
#: Extra fields whose values are secrets, by a part of their name ("app_key", "aws_session_token"...),
#: unless the name ends as an identifier, scope or address does ("access_key_id", "token_scope").
SECRET_PARTS = ("key", "secret", "token", "password", "passwd", "credential", "sig")
NOT_SECRET_ENDINGS = ("_id", "_scope", "_url", "_host", "_bundle")
#: Shorter values are not searched for (replacing them would garble the message, not hide anything).
MIN_SECRET_LENGTH = 6


def explain(error: BaseException, conn_id: str | None, permission: str | None) -> str:
    """``"<kind>: <what happened>"`` for an error of building the client or of its check."""
    text = str(error).replace("; will retry", "")
    if isinstance(error, AirflowNotFoundException):
        return f"{INVALID_CONNECTION}: connection {conn_id!r} was not found"
    if isinstance(error, PermissionDenied):
        named = error.permission or permission
        return f"{MISSING_PERMISSION}{' ' + named if named else ''}: {text}"
    if isinstance(error, CredentialsRejected):
        return f"{BAD_CREDENTIALS}: {text}"
    if isinstance(error, AccessDenied):
        return f"{ACCESS_DENIED} (bad credentials or a missing permission{_such_as(permission)}): {text}"
    if isinstance(error, UnknownEndpoint):
        return f"{UNKNOWN_ENDPOINT}: {text}"
    if isinstance(error, RunNotFound):
        return f"{UNKNOWN_ENDPOINT} (the service answered 'not found'): {text}"
    if isinstance(error, ServiceUnreachable):
        return f"{UNREACHABLE}: {error.reason or 'no answer'}: {text}"
    if isinstance(error, GarbledAnswer):
        return f"{NOT_THE_SERVICE} (is the endpoint right, or a proxy in between?): {text}"
    if isinstance(error, TransientServiceError):
        return f"{SERVICE_FAILING} right now (not a verdict on the connection; try again): {text}"
    if isinstance(error, OperationNotSupported):
        return f"{REFUSED}: {text}"
    if isinstance(error, WorkflowRunError) and not isinstance(error, ValueError):
        return f"{REFUSED} by the service: {text}"
    if isinstance(error, ValueError):
        return f"{INVALID_CONNECTION}: {text}"
    return f"{INVALID_CONNECTION} or an unexpected error ({type(error).__name__}): {text}"


def hide_secrets(message: str, conn: Connection | None) -> str:
    """``message`` with the connection's password and secret extras replaced by ``***``."""
    if conn is None:
        return message
    secrets = [conn.password or ""]
    for key, value in (conn.extra_dejson or {}).items():
        name = key.lower()
        if (
            isinstance(value, str)
            and any(part in name for part in SECRET_PARTS)
            and not name.endswith(NOT_SECRET_ENDINGS)
        ):
            secrets.append(value)
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            message = message.replace(secret, "***")
    return message


def _such_as(permission: str | None) -> str:
    return f" such as {permission}" if permission else ""
