"""The :class:`Emulator` facade: start/stop both listeners and set up state from Python.

Pytest fixtures use this in-process (no HTTP round trip to arrange state); the CLI wraps it for
a separate process. Everything it does is also reachable through the control API.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from .clock import Clock
from .codecatalyst import CodeCatalystService
from .datadog import DatadogService
from .dataworks import DataWorksService
from .dispatch import Dispatcher
from .glue import GlueService
from .logic_apps import LogicAppsService
from .registry import BUILTIN_SERVICES
from .server import Listener
from .service import Service
from .store import Store


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Emulator:
    """A local cloud-API emulator serving plain HTTP and HTTPS on two ports (0 = ephemeral).

    ``state_dir`` holds the TLS certificate/key (reused across runs when valid); by default a
    fresh temporary directory is created and removed on :meth:`stop`. ``clock`` replaces wall
    time for time-based timeline steps (see :class:`~.clock.ManualClock`). ``latency`` makes
    service requests wait as over a real network (see :mod:`.latency`): seconds, or an object
    of rules; it replaces the scenario's ``"latency"`` and is what :meth:`reset` goes back to.
    ``chaos`` faults a seeded random share of the reads of runs (see :mod:`.chaos`), e.g.
    ``{"seed": 7, "rate": 0.35}``; like ``latency``, it wins over the scenario's and reset restores it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int = 0,
        state_dir: str | os.PathLike[str] | None = None,
        scenario: Any = None,
        clock: Clock | None = None,
        services: Iterable[type[Service]] = BUILTIN_SERVICES,
        latency: float | Mapping[str, Any] | None = None,
        chaos: Mapping[str, Any] | None = None,
    ) -> None:
        self.host = host
        self._ports = (port, tls_port)
        self._own_state_dir = state_dir is None
        self._state_dir = Path(state_dir) if state_dir is not None else None
        self.store = Store(clock)
        self.dispatcher = Dispatcher(self.store, services, self.info, latency, chaos)
        self._listeners: tuple[Listener, Listener] | None = None
        self._ca_bundle: Path | None = None
        self._lock = threading.Lock()
        if scenario is not None:
            self.load_scenario(scenario)
            if latency is not None:  # given explicitly: it wins over the scenario's
                self.dispatcher.latency.restore()
            if chaos is not None:
                self.dispatcher.chaos.restore()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind both ports and serve from daemon threads; returns ``self``."""
        from .tls import ensure_certificate, server_context

        with self._lock:
            if self._listeners is not None:
                raise RuntimeError("the emulator is already running")
            if self._state_dir is None:
                self._state_dir = Path(tempfile.mkdtemp(prefix="awr-emulator-"))
            self._state_dir.mkdir(parents=True, exist_ok=True)
            cert = ensure_certificate(self._state_dir)
            self.dispatcher.stopping.clear()
            plain = Listener(self.host, self._ports[0], self.dispatcher, None)
            try:
                tls = Listener(self.host, self._ports[1], self.dispatcher, server_context(cert))
            except BaseException:
                plain.server.server_close()
                raise
            plain.start()
            tls.start()
            self._listeners = (plain, tls)
            self._ca_bundle = cert.cert
        return self

    def stop(self) -> None:
        """Stop serving and close every socket (idempotent)."""
        with self._lock:
            listeners, self._listeners = self._listeners, None
            if listeners is None:
                return
            self.dispatcher.stopping.set()
            for listener in listeners:
                listener.stop()
            if self._own_state_dir and self._state_dir is not None:
                shutil.rmtree(self._state_dir, ignore_errors=True)
                self._state_dir = None
                self._ca_bundle = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._listeners is not None

    def _running_listeners(self) -> tuple[Listener, Listener]:
        if self._listeners is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._listeners

    # --- addresses ---------------------------------------------------------------------------

    @property
    def http_port(self) -> int:
        return self._running_listeners()[0].port

    @property
    def https_port(self) -> int:
        return self._running_listeners()[1].port

    @property
    def http_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.http_port}"

    @property
    def https_url(self) -> str:
        return f"https://{_url_host(self.host)}:{self.https_port}"

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM certificate, usable as the client's CA bundle."""
        self._running_listeners()
        assert self._ca_bundle is not None
        return str(self._ca_bundle)

    @property
    def state_dir(self) -> Path | None:
        return self._state_dir

    def info(self) -> dict[str, Any]:
        """What a client in another process needs: URLs, CA bundle and the server's pid."""
        return {
            "http_url": self.http_url,
            "https_url": self.https_url,
            "ca_bundle": self.ca_bundle,
            "pid": os.getpid(),
        }

    def write_info(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`info` as JSON to ``path`` atomically (readers never see half a file)."""
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.info(), fh)
                fh.write("\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    # --- services ----------------------------------------------------------------------------

    @property
    def services(self) -> Mapping[str, Service]:
        return self.dispatcher.services

    def service(self, name: str) -> Service:
        try:
            return self.dispatcher.services[name]
        except KeyError:
            raise KeyError(f"no service {name!r}; known: {sorted(self.services)}") from None

    @property
    def glue(self) -> GlueService:
        """The Glue service: ``define_workflow``, ``add_run``, ``run``, ``runs``."""
        service = self.service("glue")
        assert isinstance(service, GlueService)
        return service

    @property
    def codecatalyst(self) -> CodeCatalystService:
        """The CodeCatalyst service: ``define_workflow``, ``add_run``, ``run``, ``require_tokens``."""
        service = self.service("codecatalyst")
        assert isinstance(service, CodeCatalystService)
        return service

    @property
    def dataworks(self) -> DataWorksService:
        """Alibaba Cloud DataWorks: ``define_workflow``, ``add_instance``, ``instance``, ``instances``,
        ``require_credentials``, ``throttle_retry_after_ms``."""
        service = self.service("dataworks")
        assert isinstance(service, DataWorksService)
        return service

    @property
    def logic_apps(self) -> LogicAppsService:
        """Azure Logic Apps (both tiers) and its token endpoint: ``define_workflow``, ``add_run``, ``run``,
        ``set_token_lifetime``, ``token_requests``."""
        service = self.service("logic_apps")
        assert isinstance(service, LogicAppsService)
        return service

    @property
    def datadog(self) -> DatadogService:
        """Datadog Workflow Automation: ``define_workflow``, ``add_instance``, ``instance``, ``require_keys``."""
        service = self.service("datadog")
        assert isinstance(service, DatadogService)
        return service

    # --- shared state ------------------------------------------------------------------------

    def load_scenario(self, scenario: Any) -> None:
        """Apply a scenario: ``"demo"``, a path to a JSON file, or a scenario dict."""
        self.dispatcher.load_scenario(scenario)

    def add_fault(self, spec: Mapping[str, Any] | list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Queue one fault spec (or a list); returns them as parsed, with their ids."""
        return [fault.to_dict() for fault in self.dispatcher.add_faults(spec)]

    def faults(self) -> list[dict[str, Any]]:
        """Faults not yet used up, in the order they will fire."""
        return [fault.to_dict() for fault in self.store.faults.pending()]

    def clear_faults(self) -> None:
        self.store.faults.clear()

    def latency(self) -> dict[str, dict[str, float]]:
        """The latency rules in force, normalized: ``{"*" | service | "service.Operation": {"delay", "jitter"}}``."""
        return self.dispatcher.latency.to_dict()

    def set_latency(self, spec: float | Mapping[str, Any] | None) -> dict[str, dict[str, float]]:
        """Replace every latency rule (seconds for all requests, or an object of rules; ``None``
        for none) and return them normalized; :meth:`reset` goes back to the constructor's."""
        return self.dispatcher.latency.set(spec)

    def chaos(self) -> dict[str, Any]:
        """The chaos in force (``settings``, ``None`` when off), the reads it saw per service, and the
        faults it injected per service and kind."""
        return self.dispatcher.chaos.to_dict()

    def set_chaos(self, spec: Mapping[str, Any] | None) -> dict[str, Any]:
        """Replace the chaos (``None`` for none), from its seed's first draw; :meth:`reset` goes back
        to the constructor's."""
        return self.dispatcher.chaos.set(spec)

    def revoke_credentials(self, service: str, *secrets: str) -> int:
        """Revoke credentials of ``service`` mid-wait: these tokens or keys, or with none given every one
        presented so far (Logic Apps: every token issued so far). The next request with one gets the
        service's own authentication error; new credentials are accepted. Returns how many."""
        return self.service(service).revoke_credentials(*secrets)

    def schedule(self, service: str, every_seconds: float, **run: Any) -> dict[str, Any]:
        """Start a run of ``service`` every ``every_seconds``, the first now (see :mod:`.schedules`).

        ``run`` holds the arguments of the service's add method (e.g. Glue ``name=``, ``timeline=``).
        Runs of later ticks appear at the next request, or at :meth:`run_schedules`.
        """
        (added,) = self.dispatcher.add_schedules({"service": service, "every_seconds": every_seconds, "run": run})
        return added.to_dict()

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule with its next tick and how many runs it created or skipped."""
        return [schedule.to_dict() for schedule in self.dispatcher.scheduler.schedules()]

    def run_schedules(self) -> list[dict[str, Any]]:
        """Create the runs of ticks that have come, as each request does first; returns them."""
        return self.dispatcher.scheduler.catch_up()

    def clear_schedules(self) -> None:
        """Stop every schedule; runs already created stay."""
        self.dispatcher.scheduler.clear()

    def requests(self, service: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        """Logged service requests (copies), oldest first, optionally filtered."""
        return self.store.log.entries(service, operation)

    def clear_requests(self) -> None:
        self.store.log.clear()

    def reset(self) -> None:
        """Forget all workflows, runs, schedules, faults, revocations and logged requests; restore the
        constructor's latency and chaos."""
        self.dispatcher.reset()
