"""The generic start-and-wait operator.

A service's operator is made from its declaration (``class X(WorkflowRunOperator[...], service=...)``),
whose ``start`` and ``reattach`` say how to start a run and how to find the one an earlier try
started. Here, once: the new run's ref is pushed to XCom (and the task state store) before any
wait; a retry follows the run an earlier try left running instead of starting a second one, found
through Airflow 3.3's task state store, else the service's own lookup (see :mod:`.task_state`);
the wait runs in the worker or deferred; killing the task cancels the remote run where the API can.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from airflow.sdk import BaseOperator, conf

from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.links.workflow_run import WorkflowRunLink, service_link
from airflow_workflow_runs.model import (
    OperationNotSupported,
    TransientServiceError,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
)
from airflow_workflow_runs.operators.task_state import store_run, stored_run
from airflow_workflow_runs.outcome import WorkflowRunFailed, finish
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.services import StartRequest, class_parts
from airflow_workflow_runs.services.declaration import present

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.base import WorkflowRunHook
    from airflow_workflow_runs.services import ServiceDeclaration

T = TypeVar("T")
#: The service's hook: a subclass names it (``WorkflowRunOperator["GlueWorkflowRunHook"]``), so
#: ``hook`` is typed by it.
HookT = TypeVar("HookT", bound="WorkflowRunHook")

#: How long "not found" right after a start counts as the service catching up.
NOT_FOUND_GRACE_SECONDS = 120.0
#: Transient errors tolerated in a row while looking for an earlier try's run.
LOOKUP_ATTEMPTS = 5
#: The first pause of that lookup's backoff (then 4, 8, 16 s...; see ``clients.retry_policy``).
LOOKUP_BACKOFF_SECONDS = 2.0


#: The generic arguments, in every service operator's docs.
OPERATOR_TAIL_DOC = """
    See ``WorkflowRunOperator`` for ``wait_for_completion``, ``poll_interval``, ``wait_timeout``,
    ``deferrable``, ``cancel_on_kill`` and ``reattach_on_retry``. XCom: ``run_id`` and ``run_ref``
    are pushed as soon as the run starts; the return value is the terminal run as a dict (or the
    run id when not waiting).
"""


class WorkflowRunTimeout(WorkflowRunFailed):
    """The run was still going when ``wait_timeout`` passed; it is left running."""


class WorkflowRunOperator(BaseOperator, Generic[HookT]):
    """Base of the service start-and-wait operators; not used directly in DAGs.

    :param wait_for_completion: wait for the run to end; when False the task returns the run id
        as soon as the run is started.
    :param poll_interval: seconds between polls while waiting.
    :param wait_timeout: give up waiting after this long (seconds or timedelta), leaving the run
        running; None waits until the task's ``execution_timeout``.
    :param deferrable: wait in the triggerer instead of a worker slot.
    :param cancel_on_kill: cancel the remote run when the task is killed (where the API can).
    :param reattach_on_retry: on a retry, follow the run an earlier try started if it is still
        running instead of starting another one.
    """

    declaration: ClassVar[ServiceDeclaration]
    hook_class_path: ClassVar[str]
    ui_color = "#d6ecfa"

    def __init_subclass__(cls, service: ServiceDeclaration | None = None, **kwargs: Any) -> None:
        """``service=`` makes the class that service's operator, from its declaration."""
        super().__init_subclass__(**kwargs)
        if service is None:
            return
        arguments = service.operator_arguments
        cls.declaration = service
        cls.hook_class_path = service.hook_class_path
        cls.template_fields = class_parts.template_fields(arguments)
        cls.template_fields_renderers = class_parts.renderers(arguments)
        cls.operator_extra_links = (service_link(service)(),)
        cls.__init__ = class_parts.make_init(cls, arguments)  # type: ignore[method-assign]
        if not cls.__doc__:
            cls.__doc__ = class_parts.docstring(service.operator_doc, arguments, OPERATOR_TAIL_DOC)

    def __init__(
        self,
        *,
        wait_for_completion: bool = True,
        poll_interval: float = 30.0,
        wait_timeout: float | timedelta | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        cancel_on_kill: bool = True,
        reattach_on_retry: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.wait_for_completion = wait_for_completion
        self.poll_interval = float(poll_interval)
        if isinstance(wait_timeout, timedelta):
            wait_timeout = wait_timeout.total_seconds()
        self.wait_timeout = wait_timeout
        self.deferrable = deferrable
        self.cancel_on_kill = cancel_on_kill
        self.reattach_on_retry = reattach_on_retry
        self._started_ref: dict[str, str] | None = None

    # -- what the service's declaration provides -----------------------------------------------

    def hook_kwargs(self) -> dict[str, Any]:
        """The connection id and non-secret hook options, from the task's arguments."""
        return self.declaration.hook_kwargs(self._values())

    def start_run(self, hook: HookT, run_key: str, context: Context) -> dict[str, str]:
        """Start the remote run, tagged with ``run_key`` where the service can store it."""
        return dict(self.declaration.start(hook.client, self._start_request(run_key, context)))

    def find_run_to_reattach(self, hook: HookT, run_key: str, context: Context) -> WorkflowRun | None:
        """An unfinished run an earlier try started (found by ``run_key``), or None."""
        reattach = self.declaration.reattach
        return reattach(hook.client, self._start_request(run_key, context)) if reattach else None

    def _values(self) -> dict[str, Any]:
        return {a.name: getattr(self, a.name, None) for a in self.declaration.operator_arguments}

    def _start_request(self, run_key: str, context: Context) -> StartRequest:
        ti = context["ti"]
        dag_run = context.get("dag_run")
        return StartRequest(
            arguments=self._values(),
            run_key=run_key,
            try_number=ti.try_number,
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_id=ti.run_id,
            dag_run_started=getattr(dag_run, "start_date", None),
            when=context.get("logical_date") or getattr(dag_run, "run_after", None),
            log=self.log,  # type: ignore[arg-type]
        )

    # -- the generic flow -----------------------------------------------------------------------

    @cached_property
    def hook(self) -> HookT:
        # hook_class_path names HookT's class (a string, so DAG parsing imports no SDK).
        return cast("HookT", load_hook_class(self.hook_class_path)(**self.hook_kwargs()))

    def execute(self, context: Context) -> Any:
        hook = self.hook
        key = run_key(context)
        ref = self._reattach(hook, key, context)
        if ref is None:
            # One attempt (the SDK has retried already): if it fails ambiguously, the task's retry
            # finds the run by its key instead of starting a duplicate.
            try:
                # A refused (expired, revoked) credential started nothing: renewed once, as reads are.
                ref = hook.renewing(lambda _client: self.start_run(hook, key, context))
            except WorkflowRunError as error:
                raise WorkflowRunFailed(f"Starting the run failed: {error}") from None
            self.log.info("Started %s", describe_ref(hook.client_service, ref))
            store_run(context, ref, self._workflow(), self.log)  # type: ignore[arg-type]
        self._started_ref = ref
        run_id = ref[hook.client.ref_fields[-1]]
        context["ti"].xcom_push(key="run_ref", value=ref)
        context["ti"].xcom_push(key="run_id", value=run_id)
        WorkflowRunLink.persist(context, hook.client.console_url(ref))
        if not self.wait_for_completion:
            return run_id
        deadline = time.time() + self.wait_timeout if self.wait_timeout is not None else None
        if self.deferrable:
            run = self._poll(ref, grace_until=time.time() + NOT_FOUND_GRACE_SECONDS)
            if run is not None and run.is_terminal:
                return finish(run)
            polled_at = time.time()
            from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger  # not at DAG parse

            self.defer(
                trigger=WorkflowRunTrigger(
                    hook_class=self.hook_class_path,
                    hook_kwargs=hook.serialize(),
                    ref=ref,
                    poll_interval=self.poll_interval,
                    deadline=deadline,
                    cancel_on_kill=self.cancel_on_kill,
                    not_found_grace_until=time.time() + NOT_FOUND_GRACE_SECONDS,
                    last_poll_at=polled_at,  # the trigger's first poll comes one interval later
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.wait_timeout) if self.wait_timeout is not None else None,
            )
        return self._wait(ref, deadline)

    def execute_complete(self, context: Context, event: Mapping[str, Any]) -> Any:
        status = event.get("status")
        if status == "terminal":
            return finish(WorkflowRun.from_dict(event["run"]))
        if status == "timeout":
            raise WorkflowRunTimeout(f"Gave up waiting after {self.wait_timeout}s: {event.get('message')}")
        raise WorkflowRunFailed(str(event.get("message") or event))

    def on_kill(self) -> None:
        ref = self._started_ref
        if ref is None or not self.cancel_on_kill:
            return
        what = describe_ref(self.hook.client_service, ref)
        try:
            self.hook.cancel_run(ref)
            self.log.info("Asked the service to cancel %s", what)
        except OperationNotSupported as error:
            self.log.warning("Task killed; %s. The run goes on.", error)
        except WorkflowRunError as error:
            self.log.warning("Task killed, but cancelling %s failed: %s", what, error)

    # -- helpers ------------------------------------------------------------------------------

    def _workflow(self) -> dict[str, str]:
        """The workflow this task starts runs of (a stored run of another one is not followed)."""
        return present(self._values(), self.declaration.workflow_args)

    def _reattach(self, hook: HookT, key: str, context: Context) -> dict[str, str] | None:
        """The run an earlier try left running: by the task state store, else the service's lookup."""
        if not self.reattach_on_retry or context["ti"].try_number <= 1:
            return None
        stored = stored_run(context, self._workflow(), self.log)  # type: ignore[arg-type]
        if stored is not None:
            run = self._stored_run(hook, stored)
            if run is not None and not run.is_terminal:
                self.log.info("Reattaching to %s, started by an earlier try (task state store)", run.describe())
                return dict(run.ref)
            if run is not None:
                self.log.info("The run an earlier try started has ended (%s)", run.describe())
        run = self._with_retries(
            lambda: hook.renewing(lambda _client: self.find_run_to_reattach(hook, key, context)),
            "looking for the run of an earlier try",
        )
        if run is None:
            return None
        self.log.info("Reattaching to %s, started by an earlier try of this task", run.describe())
        return dict(run.ref)

    def _stored_run(self, hook: HookT, ref: Mapping[str, str]) -> WorkflowRun | None:
        try:
            return self._with_retries(
                lambda: hook.renewing(lambda client: client.get_run(ref)), "reading the run an earlier try started"
            )
        except WorkflowRunFailed as error:  # gone, or refused: the service's own lookup decides
            self.log.warning("%s", error)
            return None

    def _wait(self, ref: Mapping[str, str], deadline: float | None) -> Any:
        grace_until = time.time() + NOT_FOUND_GRACE_SECONDS
        while True:
            run = self._poll(ref, grace_until)
            if run is not None and run.is_terminal:
                return finish(run)
            if deadline is not None and time.time() >= deadline:
                raise WorkflowRunTimeout(
                    f"Gave up waiting after {self.wait_timeout}s: "
                    f"{describe_ref(self.hook.client_service, ref)} is still running"
                )
            sleep = self.poll_interval
            if self.hook.transient_answers:  # the shared policy: back off, as long as the service asked
                sleep = backoff_delay(self.poll_interval, self.hook.transient_answers, self.hook.retry_after)
            if deadline is not None:
                sleep = min(sleep, max(deadline - time.time(), 0.0))
            time.sleep(sleep)

    def _poll(self, ref: Mapping[str, str], grace_until: float) -> WorkflowRun | None:
        try:
            return self.hook.poll_run(ref, not_found_grace_until=grace_until)
        except WorkflowRunError as error:
            raise WorkflowRunFailed(str(error)) from None

    def _with_retries(self, call: Callable[[], T], doing: str) -> T:
        """Run a call, retrying transient errors a few times with backoff."""
        for attempt in range(1, LOOKUP_ATTEMPTS + 1):
            try:
                return call()
            except TransientServiceError as error:
                if attempt == LOOKUP_ATTEMPTS:
                    raise WorkflowRunFailed(f"{doing}: {error} (gave up after {attempt} attempts)") from None
                delay = backoff_delay(LOOKUP_BACKOFF_SECONDS, attempt, error.retry_after)
                self.log.warning("%s: %s; retrying in %.0fs", doing, error, delay)
                time.sleep(delay)
            except WorkflowRunError as error:
                raise WorkflowRunFailed(f"{doing}: {error}") from None
        raise AssertionError("unreachable")


def run_key(context: Context) -> str:
    """A stable tag for the task instance (all tries share it), to find the run it started."""
    ti = context["ti"]
    identity = f"{ti.dag_id}|{ti.task_id}|{ti.run_id}|{ti.map_index}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]
