"""The generic hook: turns an Airflow Connection into a service client, and shares clients.

A service hook implements :meth:`WorkflowRunHook.build_client` only. Triggers get their client
from :meth:`WorkflowRunHook.aget_client`, which keeps one client per connection (and hook options)
in the process: a triggerer holding thousands of waits on one connection builds one SDK client,
not thousands. The cached client is rebuilt when the connection changes (checked every
``CONNECTION_REFRESH_SECONDS``), so rotated credentials are picked up during long waits.

Credentials renew: an authentication error (``AccessDenied``) from a client this hook built reloads
the connection, rebuilds the client (and with it the credential or token) once, and tries again;
only a second refusal fails the wait, saying the rebuilt client was refused too. A revoked Azure
token, an expired STS token or a rotated personal access token therefore costs one retry, not the
wait. In the triggerer one rebuild serves every wait on the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeGuard, TypeVar

from airflow.sdk import BaseHook, conf
from airflow.sdk.exceptions import AirflowNotFoundException

from airflow_workflow_runs.clients.base import RunClient, RunOrError, RunRef
from airflow_workflow_runs.clients.io import DEFAULT_IO_THREADS, run_blocking, set_io_threads_source
from airflow_workflow_runs.hooks import access_check
from airflow_workflow_runs.hooks.shared_clients import (
    BUILT_ONCE,
    LOCKS,
    REBUILD_FAILED,
    SHARED,
    CachedClient,
    connection_fingerprint,
)
from airflow_workflow_runs.model import (
    AccessDenied,
    GarbledAnswer,
    RunNotFound,
    TimeWindow,
    TransientServiceError,
    WorkflowRun,
    choose_run,
)
from airflow_workflow_runs.registry import importing_sdk

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_workflow_runs.services import ServiceDeclaration

ClientT = TypeVar("ClientT", bound=RunClient)
T = TypeVar("T")

CONNECTION_REFRESH_SECONDS = 300.0
#: A client that was itself rebuilt after a refusal is not rebuilt again for this long: a second
#: refusal is the credential's, not a stale token's (a thousand waits on a connection whose secret
#: is wrong rebuild its client at most once per this many seconds, not once per wait).
RENEW_MIN_AGE_SECONDS = 30.0


class WorkflowRunHook(BaseHook, Generic[ClientT]):
    """Base of the service hooks.

    :param conn_id: the Airflow connection to use; ``None`` lets the SDK's default credential
        chain decide (where the service has one).
    :param client_options: JSON-serializable settings that refine the connection (for example
        ``region_name``); they are stored in trigger kwargs, so never pass secrets here.
    """

    client_class: ClassVar[type[RunClient]]
    conn_name_attr: ClassVar[str] = "conn_id"
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    #: ``missing_connection_ok``: whether an absent connection falls back to the SDK's defaults.
    missing_connection_ok: ClassVar[bool] = False

    def __init_subclass__(cls, service: ServiceDeclaration | None = None, **kwargs: Any) -> None:
        """``service=`` reads the connection's names (what Airflow's UI and ``get_hook`` use) from
        the service's declaration."""
        super().__init_subclass__(**kwargs)
        if service is not None:
            cls.conn_name_attr = service.conn_arg
            cls.default_conn_name = service.default_conn or ""
            cls.conn_type = service.conn_type
            cls.hook_name = service.hook_name

    def __init__(self, conn_id: str | None = None, **client_options: Any) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.client_options = {k: v for k, v in client_options.items() if v is not None}
        #: Transient answers in a row seen by :meth:`poll_run` (its caller backs off by them), the
        #: garbled ones among them and the last (a timeout then says so).
        self.transient_answers = 0
        self.garbled_answers = 0
        self.last_garbled: GarbledAnswer | None = None
        #: What the service asked at :meth:`poll_run`'s last transient answer (seconds), if anything.
        self.retry_after: float | None = None

    @property
    def client_service(self) -> str:
        """The service name, known without building a client."""
        return self.client_class.service

    @abstractmethod
    def build_client(self, conn: Connection | None) -> ClientT:
        """Build the service client from a connection (``None``: no connection configured)."""

    # -- synchronous use (workers) -------------------------------------------------------------

    @cached_property
    def client(self) -> ClientT:
        conn = self._load_connection()
        return self._first_build_locked(lambda: self.build_client(conn))

    def renewing(self, call: Callable[[ClientT], T]) -> T:
        """``call(client)``; on an authentication error, once more with a client rebuilt from the
        connection read again (a revoked or expired token, a rotated secret)."""
        try:
            return call(self.client)
        except AccessDenied as error:
            self.log.info("%s; reading connection %r again and rebuilding its client", error, self.conn_id)
        client = self._rebuilt_client()
        try:
            return call(client)
        except AccessDenied as error:
            raise self.still_denied(error) from None

    def rebuild_failed(self, error: BaseException) -> TransientServiceError:
        """A refusal whose client could not be rebuilt (a lookup or STS call failing): transient.
        Only the error's type is named: an SDK's constructor message is not ours to vouch for."""
        self.log.warning("Rebuilding the client of connection %r failed: %s", self.conn_id, type(error).__name__)
        return TransientServiceError(
            f"the service refused the credential, and rebuilding the client from connection {self.conn_id!r} "
            f"failed ({type(error).__name__}); will retry"
        )

    def still_denied(self, error: AccessDenied) -> AccessDenied:
        """The refusal of a rebuilt client: the credential itself is wrong, say which to check."""
        where = f"connection {self.conn_id!r}" if self.conn_id else "the SDK's default credentials"
        return AccessDenied(f"{error} (refused again after {where} was read again and its client rebuilt)")

    def get_run(self, ref: RunRef) -> WorkflowRun:
        return self.renewing(lambda client: client.get_run(ref))

    def poll_run(self, ref: RunRef, not_found_grace_until: float | None = None) -> WorkflowRun | None:
        """One poll of a wait: the run, or ``None`` when the answer is "ask again later".

        Transient errors (and "not found" until ``not_found_grace_until``, epoch seconds) are
        logged and give ``None``; every other ``WorkflowRunError`` propagates.
        """
        try:
            run = self.get_run(ref)
        except TransientServiceError as error:
            self.log.warning("%s; will poll again", error)
            self.transient_answers += 1
            self.garbled_answers = self.garbled_answers + 1 if isinstance(error, GarbledAnswer) else 0
            self.last_garbled = error if isinstance(error, GarbledAnswer) else None
            self.retry_after = error.retry_after
            return None
        except RunNotFound as error:
            if not_found_grace_until is None or time.time() >= not_found_grace_until:
                raise
            self.log.info("%s; the run was just started, polling again", error)
            return None
        self.transient_answers = self.garbled_answers = 0
        self.last_garbled = self.retry_after = None
        self.log.info("%s", run.describe())
        return run

    def cancel_run(self, ref: RunRef) -> None:
        self.renewing(lambda client: client.cancel_run(ref))

    def get_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        """Answers in order, errors in place; refusals renew the client once, as :meth:`renewing`."""
        answers = self.client.get_runs(refs)
        if not _any_denied(answers):
            return answers
        self.log.info("Access denied; reading connection %r again and rebuilding its client", self.conn_id)
        return self._denied_again(self._rebuilt_client().get_runs(refs))

    def _rebuilt_client(self) -> ClientT:
        """The client built again from the connection read again (``client`` is cached)."""
        self.__dict__.pop("client", None)
        try:
            return self.client
        except Exception as error:  # the connection lookup or an STS call failed: try again later
            raise self.rebuild_failed(error) from None

    def _denied_again(self, answers: list[RunOrError]) -> list[RunOrError]:
        return [self.still_denied(a) if isinstance(a, AccessDenied) else a for a in answers]

    def find_run(self, workflow: RunRef, window: TimeWindow, first_poll_at: datetime) -> WorkflowRun | None:
        """The run a wait on the newest run of ``workflow`` in ``window`` follows (``choose_run``), if any yet."""

        def find(client: ClientT) -> WorkflowRun | None:
            chosen = choose_run(client.list_runs_in_window(workflow, window), first_poll_at)
            return client.get_run(chosen.ref) if _needs_reread(chosen, client) else chosen

        return self.renewing(find)

    def poll_find_run(self, workflow: RunRef, window: TimeWindow, first_poll_at: datetime) -> WorkflowRun | None:
        """One poll choosing a run: ``None`` when there is none yet or the service asked to wait."""
        try:
            run = self.find_run(workflow, window, first_poll_at)
        except TransientServiceError as error:
            self.log.warning("%s; will look again", error)
            self.retry_after = error.retry_after
            return None
        self.retry_after = None
        if run is None:
            self.log.info("No %s run of %s has %s yet", self.client_service, dict(workflow), window.describe())
        else:
            self.log.info("Following %s", run.describe())
        return run

    def _load_connection(self) -> Connection | None:
        if self.conn_id is None:
            return None
        try:
            return self.get_connection(self.conn_id)
        except AirflowNotFoundException:
            if not self.missing_connection_ok:
                raise
            self.log.warning("Connection %r not found; using the SDK's default credentials.", self.conn_id)
            return None

    def test_connection(self) -> tuple[bool, str]:
        """The Airflow UI's Test button and ``airflow connections test``: the client's ``check_access``
        (the service's cheapest read) on a client built afresh, as ``(ok, message)``. Never raises;
        the message names the kind of failure and no secret of the connection."""
        conn = client = None
        try:
            conn = self._load_connection()
            client = self._first_build_locked(lambda: self.build_client(conn))
            ok, message = True, client.check_access()
        except Exception as error:
            ok, message = False, access_check.explain(error, self.conn_id, self.client_class.access_permission)
        finally:
            with contextlib.suppress(Exception):
                getattr(client, "close", lambda: None)()  # the Logic Apps client holds SDK clients
        return ok, access_check.hide_secrets(message, conn)

    # -- asynchronous use (triggerer) ----------------------------------------------------------

    async def aget_client(self) -> ClientT:
        """The process-wide client for this connection and these options."""
        key = self._shared_key()
        cached = SHARED.get(key)
        now = time.monotonic()
        if cached is not None and now - cached.checked_at < CONNECTION_REFRESH_SECONDS:
            return cached.client  # type: ignore[return-value]
        # One lock per event loop: the triggerer has one, tests start several.
        lock = LOCKS.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock())
        async with lock:
            cached = SHARED.get(key)
            if cached is not None and time.monotonic() - cached.checked_at < CONNECTION_REFRESH_SECONDS:
                return cached.client  # type: ignore[return-value]
            conn = await self._aload_connection()
            fingerprint = connection_fingerprint(conn)
            if cached is not None and cached.fingerprint == fingerprint:
                cached.checked_at = time.monotonic()
                return cached.client  # type: ignore[return-value]
            # Off the event loop: building a client imports its SDK, reads files (CA bundles, the
            # service model) and builds credentials.
            client = await run_blocking(self._build_async_client, conn)
            SHARED[key] = CachedClient(client, fingerprint, time.monotonic(), time.monotonic())
            return client

    def _shared_key(self) -> tuple[str, str | None, str]:
        return (type(self).__qualname__, self.conn_id, json.dumps(self.client_options, sort_keys=True))

    async def arenew_client(self, refused: RunClient) -> ClientT:
        """After ``refused`` met an authentication error: the connection's client rebuilt from the
        connection read again, unless another wait already did (then that one), or ``refused`` is
        itself a rebuilt client younger than ``RENEW_MIN_AGE_SECONDS``. Built off the event loop."""
        key = self._shared_key()
        lock = LOCKS.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock())
        async with lock:
            cached = SHARED.get(key)
            if cached is not None and (
                cached.client is not refused
                or (cached.renewed and time.monotonic() - cached.built_at < RENEW_MIN_AGE_SECONDS)
            ):
                return cached.client  # type: ignore[return-value]
            failed = REBUILD_FAILED.get(key)
            if failed is not None and failed[0] is refused and time.monotonic() - failed[1] < RENEW_MIN_AGE_SECONDS:
                raise failed[2]  # the rebuild for this refusal failed just now: not once per wait
            self.log.info("Reading connection %r again and rebuilding its client after an access error", self.conn_id)
            try:
                conn = await self._aload_connection()
                client = await run_blocking(self._build_async_client, conn)
            except Exception as error:
                transient = self.rebuild_failed(error)
                REBUILD_FAILED[key] = (refused, time.monotonic(), transient)
                raise transient from None
            REBUILD_FAILED.pop(key, None)
            now = time.monotonic()
            SHARED[key] = CachedClient(client, connection_fingerprint(conn), now, now, renewed=True)
            return client

    async def arenewing(self, call: Callable[[ClientT], Awaitable[T]]) -> T:
        """:meth:`renewing` for the shared async client."""
        client = await self.aget_client()
        try:
            return await call(client)
        except AccessDenied as error:
            self.log.info("%s; reading connection %r again and rebuilding its client", error, self.conn_id)
        renewed = await self.arenew_client(client)
        try:
            return await call(renewed)
        except AccessDenied as error:
            raise self.still_denied(error) from None

    def _build_async_client(self, conn: Connection | None) -> ClientT:
        def build() -> ClientT:
            client = self.build_client(conn)
            client.prepare_async()
            return client

        return self._first_build_locked(build)

    def _first_build_locked(self, build: Callable[[], ClientT]) -> ClientT:
        """A hook class's first client is built under the SDK import lock: it imports the rest of
        its SDK (see :mod:`airflow_workflow_runs.registry`). Later ones, maybe slow (an STS role
        assumption), are built without it."""
        if type(self) in BUILT_ONCE:
            return build()
        with importing_sdk():
            client = build()
            BUILT_ONCE.add(type(self))
            return client

    async def _aload_connection(self) -> Connection | None:
        if self.conn_id is None:
            return None
        try:
            return await self.aget_connection(self.conn_id)
        except AirflowNotFoundException:
            if not self.missing_connection_ok:
                raise
            return None

    async def aget_run(self, ref: RunRef) -> WorkflowRun:
        return await self.arenewing(lambda client: client.aget_run(ref))

    async def acancel_run(self, ref: RunRef) -> None:
        await self.arenewing(lambda client: client.acancel_run(ref))

    async def aget_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        client = await self.aget_client()
        answers = await client.aget_runs(refs)
        if not _any_denied(answers):
            return answers
        renewed = await self.arenew_client(client)
        return self._denied_again(await renewed.aget_runs(refs))

    async def afind_run(self, workflow: RunRef, window: TimeWindow, first_poll_at: datetime) -> WorkflowRun | None:
        async def find(client: ClientT) -> WorkflowRun | None:
            chosen = choose_run(await client.alist_runs_in_window(workflow, window), first_poll_at)
            return await client.aget_run(chosen.ref) if _needs_reread(chosen, client) else chosen

        return await self.arenewing(find)

    # -- serialization for triggers ------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """Keyword arguments that rebuild this hook: the conn id and options, never secrets."""
        return {self.conn_name_attr: self.conn_id, **self.client_options}


def _any_denied(answers: Sequence[RunOrError]) -> bool:
    return any(isinstance(answer, AccessDenied) for answer in answers)


def _needs_reread(run: WorkflowRun | None, client: RunClient) -> TypeGuard[WorkflowRun]:
    """A terminal run chosen from a list whose items lack what ``get_run`` returns (outputs, errors)."""
    return run is not None and run.is_terminal and not client.listed_run_complete(run)


def _io_threads_from_airflow() -> int:
    return conf.getint("workflow_runs", "io_threads", fallback=DEFAULT_IO_THREADS)


set_io_threads_source(_io_threads_from_airflow)
