"""Set-up of the DataWorks emulator from JSON: its scenario section and its control routes
(``/_emulator/dataworks/...``).

Both read the JSON they are sent and call the service's Python set-up API
(:meth:`~.dataworks.DataWorksService.define_workflow`, ``add_instance``, ``instance``), so this module
is only about the JSON spelling; the service keeps the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .service import ControlError, ControlRequest, Route

if TYPE_CHECKING:
    from .dataworks import DataWorksService


def load_scenario(service: DataWorksService, section: Any) -> None:
    """Apply ``{"workflows": [{project_id, workflow_id, timeline?, name?, creation_polls?}],
    "instances": [{project_id, workflow_id?, instance_id?, timeline?, name?, type?}]}``."""
    if not isinstance(section, Mapping) or set(section) - {"workflows", "instances"}:
        raise ValueError('the dataworks scenario takes {"workflows": [...], "instances": [...]}')
    for spec in section.get("workflows", []):
        service.define_workflow(
            spec["project_id"],
            spec["workflow_id"],
            spec.get("timeline"),
            spec.get("name", ""),
            creation_polls=spec.get("creation_polls", 1),
            create_failure=spec.get("create_failure"),
        )
    for spec in section.get("instances", []):
        service.add_instance(
            spec["project_id"],
            spec.get("timeline"),
            workflow_id=spec.get("workflow_id", 1),
            instance_id=spec.get("instance_id"),
            instance_type=spec.get("type", "Normal"),
            name=spec.get("name", ""),
        )


def control_routes(service: DataWorksService) -> Sequence[Route]:
    def add(call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            return {
                "instance_id": service.add_instance(
                    int(body["project_id"]),
                    body.get("timeline"),
                    workflow_id=int(body.get("workflow_id", 1)),
                    instance_id=body.get("instance_id"),
                    instance_type=body.get("type", "Normal"),
                    name=body.get("name", ""),
                )
            }
        except (KeyError, ValueError, TypeError) as exc:
            raise ControlError(400, f"bad instance: {exc}") from exc

    def define(call: ControlRequest) -> Any:
        body = call.body_object()
        try:
            service.define_workflow(
                int(body["project_id"]),
                int(body["workflow_id"]),
                body.get("timeline"),
                body.get("name", ""),
                creation_polls=int(body.get("creation_polls", 1)),
                create_failure=body.get("create_failure"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ControlError(400, f"bad workflow: {exc}") from exc
        return {"ok": True}

    def one_instance(call: ControlRequest) -> Any:
        try:
            return service.instance(call.params["instance_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc

    return (
        Route("POST", r"instances", add),
        Route("PUT", r"workflows", define),
        Route("GET", r"instances/(?P<instance_id>[0-9]+)", one_instance),
    )
