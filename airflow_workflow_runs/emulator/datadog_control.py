"""Set-up of the Datadog emulator from JSON: its scenario section and its control routes
(``/_emulator/datadog/...``).

Both read the JSON they are sent and call the service's Python set-up API
(:meth:`~.datadog.DatadogService.define_workflow`, ``add_instance``, ``instance``), so this module is
only about the JSON spelling; the service keeps the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .service import ControlError, ControlRequest, Route

if TYPE_CHECKING:
    from .datadog import DatadogService


def load_scenario(service: DatadogService, section: Any) -> None:
    """Apply ``{"workflows": [{workflow_id, timeline?, not_found_polls?, name?}], "instances": [...]}``."""
    if not isinstance(section, Mapping) or set(section) - {"workflows", "instances"}:
        raise ValueError('the datadog scenario takes {"workflows": [...], "instances": [...]}')
    for spec in section.get("workflows", []):
        service.define_workflow(
            spec["workflow_id"],
            spec.get("timeline"),
            not_found_polls=spec.get("not_found_polls", 0),
            name=spec.get("name", ""),
        )
    for spec in section.get("instances", []):
        service.add_instance(
            spec["workflow_id"],
            spec.get("timeline"),
            instance_id=spec.get("instance_id"),
            payload=spec.get("payload"),
        )


def control_routes(service: DatadogService) -> Sequence[Route]:
    def add(call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            return {
                "instance_id": service.add_instance(
                    body["workflow_id"],
                    body.get("timeline"),
                    instance_id=body.get("instance_id"),
                    payload=body.get("payload"),
                )
            }
        except (KeyError, ValueError) as exc:
            raise ControlError(400, f"bad instance: {exc}") from exc

    def define(call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            service.define_workflow(
                body["workflow_id"],
                body.get("timeline"),
                not_found_polls=body.get("not_found_polls", 0),
                name=body.get("name", ""),
            )
        except (KeyError, ValueError) as exc:
            raise ControlError(400, f"bad workflow: {exc}") from exc
        return {"ok": True}

    def one_instance(call: ControlRequest) -> Any:
        try:
            return service.instance(call.params["workflow_id"], call.params["instance_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc

    return (
        Route("POST", r"instances", add),
        Route("PUT", r"workflows", define),
        Route("GET", r"instances/(?P<workflow_id>[^/]+)/(?P<instance_id>[^/]+)", one_instance),
    )
