"""The Datadog reads a connection test makes: ListWorkflows (``GET /api/v2/workflows``, both keys),
and, to tell which key a refusal was about, ValidateApiKey (``GET /api/v1/validate``, the API key
alone) and GetCurrentUser (``GET /api/v2/current_user``, both keys).

Datadog answers each refusal 403 ``{"errors": ["Forbidden"]}``, and so does :mod:`.datadog`; a key
without ``workflows_read`` is a fault on ListWorkflows (``{"status": 403}``) while the keys stay valid.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .datadog_wire import DatadogError, int_query, iso
from .store import Store
from .wire import Request

ACCOUNT = re.compile(r"^/api/(?P<path>v1/validate|v2/current_user|v2/workflows)/?$")
OPERATIONS = {"v1/validate": "ValidateApiKey", "v2/current_user": "GetCurrentUser", "v2/workflows": "ListWorkflows"}
#: The emulated organisation's user behind every application key.
USER_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "airflow"))


def operation(request: Request) -> str | None:
    """The account operation a request asks for, or ``None`` when it is not one of them."""
    match = ACCOUNT.match(request.path)
    return OPERATIONS[match.group("path")] if match else None


def answer(store: Store, service: str, operation: str, request: Request) -> dict[str, Any]:
    """The answer to an authenticated account request (``GET`` only)."""
    if request.method != "GET":
        raise DatadogError(405, ["Method Not Allowed"])
    if operation == "ValidateApiKey":
        return {"valid": True}
    if operation == "GetCurrentUser":
        attributes = {"handle": "airflow@example.com", "name": "Airflow", "status": "Active", "disabled": False}
        return {"data": {"type": "users", "id": USER_ID, "attributes": attributes}}
    return list_workflows(store, service, request)


def list_workflows(store: Store, service: str, request: Request) -> dict[str, Any]:
    """ListWorkflows: ``limit`` (1..100, default 100) workflows of ``page`` (0-based), by name."""
    limit, page = int_query(request, "limit", 100), int_query(request, "page", 0)
    if not 1 <= limit <= 100 or page < 0:
        raise DatadogError(400, [{"code": "INVALID_FIELD_VALUE", "detail": "limit must be 1..100, page >= 0"}])
    workflows = sorted(store.workflows(service), key=lambda w: str(w.data.get("name") or w.name))
    items = [
        {
            "id": w.name,
            "type": "workflows",
            "attributes": {"name": str(w.data.get("name") or w.name), "published": True, "createdAt": iso(0)},
        }
        for w in workflows[page * limit : (page + 1) * limit]
    ]
    return {"data": items, "meta": {"page": {"totalCount": len(workflows)}}}
