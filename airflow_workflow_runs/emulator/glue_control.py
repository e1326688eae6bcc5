"""Set-up of the Glue emulator from JSON: its scenario section and its control routes
(``/_emulator/glue/...``).

Both check the JSON they are sent and call the service's Python set-up API
(:meth:`~.glue.GlueService.define_workflow`, ``add_run``, ``run``, ``runs``), so this module is only
about the JSON spelling; the service keeps the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .service import ControlError, ControlRequest, Route

if TYPE_CHECKING:
    from .glue import GlueService


def load_scenario(service: GlueService, section: Any) -> None:
    """Apply ``{"workflows": {name: {"timeline": [...]}}, "runs": [{...}]}``."""
    if not isinstance(section, Mapping) or set(section) - {"workflows", "runs"}:
        raise ValueError('the glue scenario takes {"workflows": {...}, "runs": [...]}')
    workflows = section.get("workflows", {})
    if not isinstance(workflows, Mapping):
        raise ValueError("glue scenario 'workflows' must map names to {'timeline': [...]}")
    for name, raw in workflows.items():
        spec = raw or {}
        if not isinstance(spec, Mapping) or set(spec) - {"timeline"}:
            raise ValueError(f"glue workflow {name!r} takes only {{'timeline': [...]}}")
        service.define_workflow(name, spec.get("timeline"))
    runs = section.get("runs", [])
    if not isinstance(runs, list):
        raise ValueError("glue scenario 'runs' must be a list")
    for spec in runs:
        allowed = {"workflow", "run_id", "timeline", "started_on", "run_properties"}
        if not isinstance(spec, Mapping) or "workflow" not in spec or set(spec) - allowed:
            raise ValueError(f"a glue scenario run takes {sorted(allowed)}: {spec!r}")
        add_run_from_json(service, spec["workflow"], spec)


def add_run_from_json(service: GlueService, name: str, spec: Mapping[str, Any]) -> str:
    started_on = spec.get("started_on")
    if started_on is not None and (isinstance(started_on, bool) or not isinstance(started_on, int | float)):
        raise ValueError("'started_on' must be epoch seconds")
    run_id = spec.get("run_id")
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        raise ValueError("'run_id' must be a non-empty string")
    return service.add_run(
        name,
        spec.get("timeline"),
        run_id=run_id,
        started_on=started_on,
        run_properties=spec.get("run_properties"),
    )


def control_routes(service: GlueService) -> Sequence[Route]:
    def define(call: ControlRequest) -> Any:
        body = call.body_object()
        if set(body) - {"timeline"}:
            raise ControlError(400, 'a workflow takes {"timeline": [...]}')
        service.define_workflow(call.params["name"], body.get("timeline"))
        return {"workflow": call.params["name"], "timeline": service.workflows()[call.params["name"]]}

    def add_run(call: ControlRequest) -> Any:
        body = call.body_object()
        allowed = {"run_id", "timeline", "started_on", "run_properties"}
        if set(body) - allowed:
            raise ControlError(400, f"a run takes {sorted(allowed)}")
        return {"run_id": add_run_from_json(service, call.params["name"], body)}

    def listing(call: ControlRequest) -> Any:
        name = call.params.get("name") or call.request.query_value("workflow")
        return {"runs": service.runs(name)}

    def one_run(call: ControlRequest) -> Any:
        try:
            return service.run(call.params["name"], call.params["run_id"])
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc

    return (
        Route("GET", r"workflows", lambda c: {"workflows": service.workflows()}),
        Route("PUT", r"workflows/(?P<name>[^/]+)", define),
        Route("GET", r"workflows/(?P<name>[^/]+)/runs", listing),
        Route("POST", r"workflows/(?P<name>[^/]+)/runs", add_run),
        Route("GET", r"workflows/(?P<name>[^/]+)/runs/(?P<run_id>[^/]+)", one_run),
        Route("GET", r"runs", listing),
    )
