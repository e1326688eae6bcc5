"""Routes each request to the control API or to the service that claims it.

For service requests this is where the shared behaviour lives, so no service re-implements it:
the request is logged, waits out the configured network latency (see :mod:`.latency`), a pending
fault (or else chaos, see :mod:`.chaos`) may replace or delay the answer, and a crash inside a
service becomes a 500 in that service's own error shape instead of a dropped connection. Control
requests never wait.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from .chaos import Chaos
from .control import core_routes
from .faults import JSON_BODIES, Fault, parse_fault
from .latency import Latency
from .scenarios import resolve_scenario
from .schedules import Schedule, Scheduler
from .service import CallContext, ControlError, ControlRequest, Service
from .store import Store
from .wire import Request, Response

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"
_SCENARIO_KEYS = frozenset({"faults", "schedules", "latency", "chaos"})  # top-level keys that are not services
_HTML = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>injected non-JSON body</p></body></html>"
)
_JSON_BODIES = {"empty_list": b"[]", "null": b"null", "string": b'"injected: not an object"', "empty_object": b"{}"}
assert set(_JSON_BODIES) == JSON_BODIES


class Dispatcher:
    """Owns the store and the service instances; turns a :class:`Request` into a response.

    ``latency`` (the JSON form of :mod:`.latency`) and ``chaos`` (of :mod:`.chaos`) are the defaults
    that :meth:`reset` restores.
    """

    def __init__(
        self,
        store: Store,
        service_types: Iterable[type[Service]],
        info: Callable[[], dict[str, Any]] = dict,
        latency: Any = None,
        chaos: Any = None,
    ) -> None:
        self.store = store
        self.services: dict[str, Service] = {}
        for service_type in service_types:
            service = service_type(store)
            if service.name in self.services:
                raise ValueError(f"two services named {service.name!r}")
            self.services[service.name] = service
        self.latency = Latency({name: service.operations for name, service in self.services.items()}, latency)
        self.chaos = Chaos(self.services, chaos)
        self.stopping = threading.Event()
        self.scheduler = Scheduler(store, self.services)
        self._routes = [(r.method, r.compile(""), r.handler) for r in core_routes(self, info)]
        for service in self.services.values():
            for route in service.control_routes():
                self._routes.append((route.method, route.compile(service.name + "/"), route.handler))

    # --- shared operations, used by both the control API and the Python API --------------------

    def reset(self) -> None:
        self.latency.restore()
        self.chaos.restore()
        self.scheduler.clear()
        self.store.reset()
        for service in self.services.values():
            service.reset()

    def add_faults(self, raw: Any) -> list[Fault]:
        """Validate and queue one fault spec or a list of them (all or nothing)."""
        specs = raw if isinstance(raw, list) else [raw]
        for spec in specs:  # validate everything before queueing anything
            self._check_fault_target(spec)
            parse_fault(spec)
        return [self.store.faults.add(spec) for spec in specs]

    def _check_fault_target(self, spec: Any) -> None:
        if not isinstance(spec, Mapping):
            raise ValueError(f"a fault must be an object, got {spec!r}")
        name = spec.get("service", "*")
        if name == "*" or name is None:
            if spec.get("operation", "*") not in ("*", None):
                raise ValueError("a fault naming an operation must name its service too")
            return
        service = self.services.get(name)
        if service is None:
            raise ValueError(f"unknown service {name!r}; known: {sorted(self.services)}")
        operation = spec.get("operation", "*")
        if operation not in ("*", None) and service.operations and operation not in service.operations:
            raise ValueError(f"{name} has no operation {operation!r}; known: {sorted(service.operations)}")

    def load_scenario(self, scenario: Any) -> None:
        """Apply a scenario: a built-in name, a JSON file path or an already-parsed dict."""
        spec = resolve_scenario(scenario)
        unknown = set(spec) - set(self.services) - _SCENARIO_KEYS
        if unknown:
            raise ValueError(f"scenario names unknown services {sorted(unknown)}")
        schedules = spec.get("schedules", [])
        if not isinstance(schedules, list):
            raise ValueError('a scenario\'s "schedules" must be a list of schedule objects')
        if "latency" in spec:  # first, so a bad latency leaves the emulator as it was
            self.latency.set(spec["latency"])
        if "chaos" in spec:
            self.chaos.set(spec["chaos"])
        for name, section in spec.items():
            if name == "faults":
                self.add_faults(section)
            elif name not in _SCENARIO_KEYS:
                self.services[name].load_scenario(section)
        for schedule in schedules:  # after the services: a schedule may use a workflow defined above
            self.scheduler.add(schedule)

    def add_schedules(self, raw: Any) -> list[Schedule]:
        """Add one schedule spec or a list of them (see :mod:`.schedules`), in order."""
        return [self.scheduler.add(spec) for spec in (raw if isinstance(raw, list) else [raw])]

    # --- request handling ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.scheduler.catch_up()  # runs whose scheduled tick has come exist before anything is answered
        if request.path.startswith(CONTROL_PREFIX):
            return self._control(request)
        for service in self.services.values():
            if service.matches(request):
                return self._serve(service, request)
        seq = self.store.log.record(request, None, None)
        self.store.log.finish(seq, 404, None)
        return Response.json({"message": f"no emulated service handles {request.method} {request.path}"}, 404)

    def _serve(self, service: Service, request: Request) -> Response:
        operation = service.operation(request)
        latency = self.latency.sample(service.name, operation)
        seq = self.store.log.record(request, service.name, operation, latency)
        if latency and self.stopping.wait(latency):  # stopping cuts the wait short: drop, as a fault delay does
            self.store.log.finish(seq, None, None)
            return Response(drop=True)
        fault = self.store.faults.take(service.name, operation) or self.chaos.draw(service, operation)
        response = self._faulted(service, request, fault) if fault else None
        if response is None:
            if fault is not None and not fault.passthrough:
                fault = None  # nothing to mangle (no status field to drop): a normal answer
            response = self._call(service, request, CallContext())
        if fault is not None:
            self.chaos.injected(service.name, fault)
        self.store.log.finish(seq, None if response.drop else response.status, fault.kind if fault else None)
        return response

    def _call(self, service: Service, request: Request, ctx: CallContext) -> Response:
        try:
            return service.handle(request, ctx)
        except Exception as exc:
            log.exception("emulated %s crashed on %s", service.name, request.path)
            return service.error_response(500, None, f"emulator error: {exc}")

    def _faulted(self, service: Service, request: Request, fault: Fault) -> Response | None:
        """The response a fault prescribes, or ``None`` to answer normally (delay only)."""
        if fault.delay and self.stopping.wait(fault.delay):
            return Response(drop=True)
        if fault.passthrough:
            return None
        if fault.body == "disconnect":
            return Response(drop=True)
        if fault.body == "non_json":
            response = Response(fault.status or 502, _HTML, {"Content-Type": "text/html"})
        elif fault.body in _JSON_BODIES:  # the real answer's headers (its content type), another body
            response = self._call(service, request, CallContext(observe=False))
            response.status, response.body = fault.status or 200, _JSON_BODIES[fault.body]
        elif fault.body == "no_status":
            response = self._call(service, request, CallContext(observe=False))
            if not _drop_status(service, service.operation(request), response):
                return None
        elif fault.body == "truncated":
            if fault.status is None or fault.status < 400:
                response = self._call(service, request, CallContext(observe=False))
                response.status = fault.status or response.status
            else:
                response = service.error_response(fault.status, fault.error_type, fault.message)
            response.body = response.body[: max(1, len(response.body) // 2)]
        else:
            assert fault.status is not None
            response = service.error_response(fault.status, fault.error_type, fault.message)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        response.headers.update(fault.headers or {})
        return response

    # --- control API -------------------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        allowed: list[str] = []
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            try:
                try:
                    body = request.json()
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ControlError(400, f"the request body is not JSON: {exc}") from exc
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                result = handler(ControlRequest(request, params, body))
            except ControlError as exc:
                return Response.json({"error": exc.message}, exc.status)
            except (ValueError, KeyError) as exc:
                return Response.json({"error": str(exc.args[0] if exc.args else exc)}, 400)
            return Response.json(result)
        if allowed:
            return Response.json({"error": f"{request.method} not allowed"}, 405, headers={"Allow": ", ".join(allowed)})
        return Response.json({"error": f"no control route {request.path}"}, 404)


def _drop_status(service: Service, operation: str, response: Response) -> bool:
    """Remove the runs' status field from a successful JSON answer in place; False if it had none."""
    if response.status != 200 or response.drop:
        return False
    try:
        payload = json.loads(response.body)
    except ValueError:
        return False
    if not service.remove_status(operation, payload):
        return False
    response.body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return True
