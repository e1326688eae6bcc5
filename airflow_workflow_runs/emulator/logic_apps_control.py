"""Set-up of the Logic Apps emulator from JSON: its scenario section and its control routes
(``/_emulator/logic_apps/...``).

Both check the JSON they are sent and then call the service's Python set-up API
(:meth:`~.logic_apps.LogicAppsService.define_workflow`, ``add_run``, ``set_token_lifetime``, ...),
so this module is only about the JSON spelling; the service keeps the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .logic_apps_wire import DEFAULT_TRIGGER
from .service import ControlError, ControlRequest, Route

if TYPE_CHECKING:
    from .logic_apps import LogicAppsService

WORKFLOW_FIELDS = frozenset({"workflow", "timeline", "resource_group", "site", "subscription_id", "triggers"})
RUN_FIELDS = frozenset(
    {
        "workflow",
        "timeline",
        "run_id",
        "client_tracking_id",
        "started_on",
        "resource_group",
        "site",
        "subscription_id",
    }
)


def load_scenario(service: LogicAppsService, section: Any) -> None:
    """Apply ``{"workflows": [{workflow, timeline?, resource_group?, site?, subscription_id?,
    triggers?}], "runs": [{workflow, timeline?, run_id?, client_tracking_id?, ...}],
    "token_lifetime": seconds}``."""
    if not isinstance(section, Mapping) or set(section) - {"workflows", "runs", "token_lifetime"}:
        raise ValueError('the logic_apps scenario takes {"workflows": [...], "runs": [...], "token_lifetime": n}')
    if "token_lifetime" in section:
        service.set_token_lifetime(section["token_lifetime"])
    for spec in section.get("workflows", []):
        define_from_json(service, spec)
    for spec in section.get("runs", []):
        add_run_from_json(service, spec)


def control_routes(service: LogicAppsService) -> Sequence[Route]:
    def define(call: ControlRequest) -> Any:
        define_from_json(service, call.body_object())
        return {"ok": True}

    def token_lifetime(call: ControlRequest) -> Any:
        service.set_token_lifetime(call.body_object().get("seconds"))  # type: ignore[arg-type]
        return {"token_lifetime": service.token_lifetime}

    def client_secret(call: ControlRequest) -> Any:
        body = call.body_object()
        client_id, secret = body.get("client_id"), body.get("secret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            raise ControlError(400, 'send {"client_id": "...", "secret": "..."}')
        service.require_client_secret(client_id, secret)
        return {"ok": True}

    return (
        Route("PUT", r"workflows", define),
        Route("POST", r"runs", lambda c: {"run_id": add_run_from_json(service, c.body_object())}),
        Route("GET", r"runs", lambda c: {"runs": service.runs(c.request.query_value("workflow"))}),
        Route("GET", r"tokens", lambda c: {"tokens": service.token_requests()}),
        Route("PUT", r"token_lifetime", token_lifetime),
        Route("PUT", r"client_secrets", client_secret),
    )


def place(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The ``resource_group``, ``site`` and ``subscription_id`` a spec gives (each a non-empty string)."""
    out: dict[str, Any] = {}
    for key in ("resource_group", "site", "subscription_id"):
        if spec.get(key) is not None:
            if not isinstance(spec[key], str) or not spec[key]:
                raise ValueError(f"{key!r} must be a non-empty string")
            out[key] = spec[key]
    return out


def define_from_json(service: LogicAppsService, spec: Any) -> None:
    if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - WORKFLOW_FIELDS:
        raise ValueError(f"a logic_apps workflow takes {sorted(WORKFLOW_FIELDS)}: {spec!r}")
    triggers = spec.get("triggers", [DEFAULT_TRIGGER])
    if not isinstance(triggers, list) or not all(isinstance(t, str) and t for t in triggers):
        raise ValueError("'triggers' must be a list of trigger names")
    service.define_workflow(str(spec["workflow"]), spec.get("timeline"), triggers=triggers, **place(spec))


def add_run_from_json(service: LogicAppsService, spec: Any) -> str:
    if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - RUN_FIELDS:
        raise ValueError(f"a logic_apps run takes {sorted(RUN_FIELDS)}: {spec!r}")
    started_on = spec.get("started_on")
    if started_on is not None and (isinstance(started_on, bool) or not isinstance(started_on, int | float)):
        raise ValueError("'started_on' must be epoch seconds")
    return service.add_run(
        str(spec["workflow"]),
        spec.get("timeline"),
        run_id=spec.get("run_id"),
        client_tracking_id=spec.get("client_tracking_id"),
        started_on=started_on,
        **place(spec),
    )
