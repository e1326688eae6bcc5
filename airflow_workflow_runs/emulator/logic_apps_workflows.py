"""ARM's "Workflows - List By Resource Group" and "- List By Subscription" (Consumption), a connection
test's call: ``GET /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.Logic/workflows``.

A subscription or resource group exists when a workflow was defined in it (the default ones always
do); others are answered 404 ``SubscriptionNotFound`` / ``ResourceGroupNotFound`` as ARM does. A
missing permission is a fault on ``ListWorkflows`` (403 ``AuthorizationFailed``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from .logic_apps_state import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION
from .logic_apps_wire import ArmError
from .store import Store
from .wire import Request

LIST = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?/providers/Microsoft\.Logic/workflows/?$",
    re.IGNORECASE,
)


def list_workflows(store: Store, service: str, request: Request) -> dict[str, Any]:
    """The Consumption workflows of the request's subscription (and resource group), ``$top`` of them."""
    match = LIST.match(request.path)
    assert match is not None
    if request.method != "GET":
        raise ArmError(405, "MethodNotAllowed", f"The HTTP method '{request.method}' is not supported.")
    subscription, group = unquote(match.group("sub")).lower(), match.group("rg")
    workflows = [w for w in store.workflows(service) if not w.data.get("site")]
    scopes = {(DEFAULT_SUBSCRIPTION, DEFAULT_RESOURCE_GROUP)} | {
        (str(w.data["subscription_id"]).lower(), str(w.data["resource_group"]).lower()) for w in workflows
    }
    if subscription not in {sub for sub, _ in scopes}:
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{unquote(match.group('sub'))}' could not be found."
        )
    if group is not None and (subscription, unquote(group).lower()) not in scopes:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{unquote(group)}' could not be found.")
    listed = [
        w
        for w in workflows
        if str(w.data["subscription_id"]).lower() == subscription
        and (group is None or str(w.data["resource_group"]).lower() == unquote(group).lower())
    ]
    top = request.query_value("$top")
    if top is not None and (not top.isdigit() or int(top) < 1):
        raise ArmError(400, "InvalidQueryParameterValue", f"The value '{top}' of query parameter '$top' is not valid.")
    return {"value": [_resource(w.data) for w in listed[: int(top) if top else None]]}


def _resource(data: dict[str, Any]) -> dict[str, Any]:
    resource_id = (
        f"/subscriptions/{data['subscription_id']}/resourceGroups/{data['resource_group']}"
        f"/providers/Microsoft.Logic/workflows/{data['workflow']}"
    )
    return {
        "id": resource_id,
        "name": data["workflow"],
        "type": "Microsoft.Logic/workflows",
        "location": "westeurope",
        "properties": {"state": "Enabled", "version": data["version"]},
    }
