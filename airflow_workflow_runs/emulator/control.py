"""The service-independent control API under ``/_emulator/``.

It lets a test in another process (or a shell with curl) do what the in-process Python API does:
health, reset, faults, latency, the request log, scenarios and schedules. Service set-up routes
(workflows, runs) come from each service's ``control_routes`` and are mounted next to these by the
dispatcher. ``PUT latency`` takes the JSON form of :mod:`.latency` and replaces every rule;
``DELETE latency`` goes back to the latency the emulator was constructed with, as reset does;
``chaos`` works the same way (see :mod:`.chaos`). ``POST revoke`` takes ``{"service": name,
"secrets": [...]}`` (no secrets: every credential presented so far) and answers ``{"revoked": n}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .scenarios import resolve_scenario
from .service import ControlError, ControlRequest, Route

if TYPE_CHECKING:
    from .dispatch import Dispatcher


def core_routes(dispatcher: Dispatcher, info: Callable[[], dict[str, Any]]) -> list[Route]:
    """Routes for health, info, reset, scenario, faults, latency, chaos, revocation, schedules and the
    request log."""
    store = dispatcher.store

    def health(_: ControlRequest) -> Any:
        return {"ok": True, "services": sorted(dispatcher.services)}

    def reset(_: ControlRequest) -> Any:
        dispatcher.reset()
        return {"ok": True}

    def scenario(call: ControlRequest) -> Any:
        if not isinstance(call.body, dict | str):
            raise ControlError(400, "send a scenario object or a built-in scenario name")
        dispatcher.load_scenario(resolve_scenario(call.body, allow_files=False))
        return {"ok": True}

    def add_faults(call: ControlRequest) -> Any:
        return {"faults": [f.to_dict() for f in dispatcher.add_faults(call.body)]}

    def list_faults(_: ControlRequest) -> Any:
        return {"faults": [f.to_dict() for f in store.faults.pending()]}

    def clear_faults(_: ControlRequest) -> Any:
        store.faults.clear()
        return {"ok": True}

    def get_latency(_: ControlRequest) -> Any:
        return {"latency": dispatcher.latency.to_dict()}

    def set_latency(call: ControlRequest) -> Any:
        if call.body is None:
            raise ControlError(400, "send a latency: seconds, or an object of rules ({} for none)")
        return {"latency": dispatcher.latency.set(call.body)}

    def restore_latency(_: ControlRequest) -> Any:
        return {"latency": dispatcher.latency.restore()}

    def get_chaos(_: ControlRequest) -> Any:
        return {"chaos": dispatcher.chaos.to_dict()}

    def set_chaos(call: ControlRequest) -> Any:
        return {"chaos": dispatcher.chaos.set(call.body)}

    def restore_chaos(_: ControlRequest) -> Any:
        return {"chaos": dispatcher.chaos.restore()}

    def revoke(call: ControlRequest) -> Any:
        body = call.body_object()
        service = dispatcher.services.get(str(body.get("service")))
        if service is None:
            raise ControlError(400, f"send {{'service': one of {sorted(dispatcher.services)}, 'secrets': [...]}}")
        secrets = body.get("secrets") or []
        if not isinstance(secrets, list) or not all(isinstance(s, str) and s for s in secrets):
            raise ControlError(400, "'secrets' must be a list of non-empty strings")
        return {"revoked": service.revoke_credentials(*secrets)}

    def add_schedules(call: ControlRequest) -> Any:
        return {"schedules": [s.to_dict() for s in dispatcher.add_schedules(call.body)]}

    def list_schedules(_: ControlRequest) -> Any:
        return {"schedules": [s.to_dict() for s in dispatcher.scheduler.schedules()]}

    def clear_schedules(_: ControlRequest) -> Any:
        dispatcher.scheduler.clear()
        return {"ok": True}

    def list_requests(call: ControlRequest) -> Any:
        q = call.request.query_value
        return {"requests": store.log.entries(q("service"), q("operation"))}

    def clear_requests(_: ControlRequest) -> Any:
        store.log.clear()
        return {"ok": True}

    return [
        Route("GET", "health", health),
        Route("GET", "info", lambda _: info()),
        Route("POST", "reset", reset),
        Route("POST", "scenario", scenario),
        Route("GET", "faults", list_faults),
        Route("POST", "faults", add_faults),
        Route("DELETE", "faults", clear_faults),
        Route("GET", "latency", get_latency),
        Route("PUT", "latency", set_latency),
        Route("DELETE", "latency", restore_latency),
        Route("GET", "chaos", get_chaos),
        Route("PUT", "chaos", set_chaos),
        Route("DELETE", "chaos", restore_chaos),
        Route("POST", "revoke", revoke),
        Route("GET", "schedules", list_schedules),
        Route("POST", "schedules", add_schedules),
        Route("DELETE", "schedules", clear_schedules),
        Route("GET", "requests", list_requests),
        Route("DELETE", "requests", clear_requests),
    ]
