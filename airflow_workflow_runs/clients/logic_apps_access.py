"""What a Logic Apps connection test asks: the Consumption workflows of the connection's resource group
(of its subscription when it names none), ``$top=1``. One ARM read that proves the credential signs in,
the subscription and resource group exist and the identity may read workflows there
(``Microsoft.Logic/workflows/read``: Logic App Operator, Reader and Contributor have it). A Standard
site's workflows are not listed: the connection names no site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow_workflow_runs.clients.logic_apps_calls import ArmCall
from airflow_workflow_runs.clients.logic_apps_errors import translate_error
from airflow_workflow_runs.clients.validation import UUID_PATTERN, check_string
from airflow_workflow_runs.model import InvalidRunReference

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient

PERMISSION = "Microsoft.Logic/workflows/read"


def check_access(client: LogicAppsRunClient) -> str:
    """List one workflow of the connection's scope; returns what was checked, raises the model's errors."""
    settings = client.settings
    if not settings.subscription_id:
        raise InvalidRunReference(
            "the azure_logic_apps connection names no subscription: set its subscription_id extra "
            "(or AZURE_SUBSCRIPTION_ID)"
        )
    subscription = check_string(
        "subscription_id", settings.subscription_id, pattern=UUID_PATTERN, rule="a UUID", service=client.service
    )
    group = settings.resource_group_name
    path = f"/subscriptions/{quote(subscription, safe='')}"
    scope = f"subscription {subscription}"
    if group:
        path += f"/resourceGroups/{quote(group, safe='')}"
        scope = f"resource group {group!r} of {scope}"
    what = f"logic_apps ListWorkflows of {scope} at {settings.endpoint}"
    try:
        client._sdk.perform(ArmCall("GET", path + "/providers/Microsoft.Logic/workflows", {"$top": "1"}))
    except Exception as error:
        hint = f"Check the connection's subscription id and resource group (ARM endpoint {settings.endpoint})."
        raise translate_error(error, what, not_found_hint=hint, scrub=client._scrub) from None
    return f"Azure accepted the credential and listed the Logic Apps workflows of {scope} ({settings.endpoint})"
