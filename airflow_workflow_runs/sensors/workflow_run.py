"""The generic sensor: waits for one remote run, in poke, reschedule or deferrable mode.

A service's sensor is made from its declaration
(:class:`~airflow_workflow_runs.services.ServiceDeclaration`: ``class X(WorkflowRunSensor, service=...)``);
everything else (validation before any request, transient errors, the outcome, the timeout, the
console link, XCom) is here, once. The three modes give the same result for the same run:

- success only on an explicit success status; unknown statuses fail with their raw value;
- the sensor's ``timeout`` ends the wait with ``AirflowSensorTimeout`` in every mode, so
  ``soft_fail`` turns it (and a failed run) into a skip in every mode;
- transient errors (throttling, 5xx, network) only delay the next poll;
- the terminal run (``WorkflowRun.to_dict()``) is the XCom return value.

Without a run id, the sensor waits for the newest run of the workflow that started inside a time
window (``started_after``/``started_before``, by default the DAG run's data interval): it waits for
one to appear, chooses it with :func:`~airflow_workflow_runs.model.choose_run`, pins it (XCom
``run_ref``/``run_id``, and the trigger's kwargs) and then follows that run only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, conf
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink, service_link
from airflow_workflow_runs.model import TimeWindow, WorkflowRun, WorkflowRunError
from airflow_workflow_runs.outcome import WatchedRunFailed, finish
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.services import class_parts
from airflow_workflow_runs.targets import RunTarget

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.base import WorkflowRunHook
    from airflow_workflow_runs.services import ServiceDeclaration


#: The generic arguments, in every service sensor's docs.
WINDOW_DOC = """
    :param started_after: without a run id: the window's start, inclusive (templated; a datetime or an
        ISO 8601 string; naive means UTC). Default: the DAG run's data interval.
    :param started_before: without a run id: the window's end, exclusive (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
"""

RUN_REF_XCOM_KEY = "run_ref"
RUN_ID_XCOM_KEY = "run_id"


class WorkflowRunSensor(BaseSensorOperator):
    """Base of the service sensors; not used directly in DAGs.

    :param started_after: with no run id: the window's start, inclusive (templated; a datetime or
        an ISO 8601 string; naive means UTC). Default: the DAG run's data interval.
    :param started_before: with no run id: the window's end, exclusive (templated). ``None`` with
        ``started_after`` set: no end.
    :param deferrable: wait in the triggerer instead of a worker slot. Defaults to the
        ``[operators] default_deferrable`` setting.
    """

    declaration: ClassVar[ServiceDeclaration]
    hook_class_path: ClassVar[str]
    window_template_fields: ClassVar[tuple[str, ...]] = ("started_after", "started_before")
    ui_color = "#e8f4fd"

    def __init_subclass__(cls, service: ServiceDeclaration | None = None, **kwargs: Any) -> None:
        """``service=`` makes the class that service's sensor: its arguments, templated fields,
        docs and console link all come from the declaration."""
        super().__init_subclass__(**kwargs)
        if service is None:
            return
        arguments = service.sensor_arguments
        cls.declaration = service
        cls.hook_class_path = service.hook_class_path
        cls.template_fields = class_parts.template_fields(arguments, cls.window_template_fields)
        cls.template_fields_renderers = class_parts.renderers(arguments)
        cls.operator_extra_links = (service_link(service)(),)
        cls.__init__ = class_parts.make_init(cls, arguments)  # type: ignore[method-assign]
        if not cls.__doc__:
            cls.__doc__ = class_parts.docstring(service.sensor_doc, arguments, WINDOW_DOC, service.sensor_returns)

    def __init__(
        self,
        *,
        started_after: datetime | str | None = None,
        started_before: datetime | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.started_after = started_after
        self.started_before = started_before
        self.deferrable = deferrable
        self._pinned_ref: dict[str, str] | None = None
        self._first_poll_at: datetime | None = None

    # -- the arguments, read through the service's declaration ------------------------------------

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name, None) for name in self.declaration.names}

    def run_ref(self) -> dict[str, str]:
        """The run's identifiers, from the (rendered) arguments."""
        return self.declaration.ref(self._values())

    def workflow_ref(self) -> dict[str, str]:
        """The workflow's identifiers, when the run is named by workflow and window."""
        return self.declaration.workflow(self._values())

    def hook_kwargs(self) -> dict[str, Any]:
        """Arguments of the hook: the connection id and non-secret options."""
        return self.declaration.hook_kwargs(self._values())

    @property
    def names_run(self) -> bool:
        return self.declaration.names_run(self._values())

    # -- the generic wait -----------------------------------------------------------------------

    @cached_property
    def hook(self) -> WorkflowRunHook:
        return load_hook_class(self.hook_class_path)(**self.hook_kwargs())

    def execute(self, context: Context) -> Any:
        with soft_fail_skips(self):
            return self._execute(context)

    def _execute(self, context: Context) -> Any:
        if self.names_run:
            ref = self._validated_ref()
            WorkflowRunLink.persist(context, self.hook.client.console_url(ref))
        else:
            workflow, window = self._validated_workflow(context)
            self._first_poll_at = first_poll_time(self, context)
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as error:
                garbled = self.hook.last_garbled
                if garbled is None:
                    raise
                raise AirflowSensorTimeout(f"{error}; {garbled.streak_text(self.hook.garbled_answers)}") from error
        # Deferrable: one poll here first, so a run that has already ended needs no triggerer; the
        # trigger's first poll comes one interval after it.
        deadline = time.time() + self.timeout
        if self.names_run:
            run = self._poll(ref)
        else:
            run = self._find(context, workflow, window)
            if run is None:
                return self._defer_finding(workflow, window, deadline, self._full_timeout, self._polled_for_trigger())
            ref = dict(run.ref)
        if run is not None and run.is_terminal:
            return finish(run, WatchedRunFailed)
        return self._defer_following(ref, deadline, self._polled_for_trigger(), self._full_timeout)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        if self.names_run:
            run = self._poll(self._validated_ref())
        elif self._pinned_ref is not None:
            run = self._poll(self._pinned_ref)
        else:
            workflow, window = self._validated_workflow(context)
            run = self._find(context, workflow, window)
        if run is None or not run.is_terminal:
            return False
        return PokeReturnValue(is_done=True, xcom_value=finish(run, WatchedRunFailed))

    def _get_next_poke_interval(self, started_at: Any, run_duration: Callable[[], float], poke_count: int) -> float:
        hook = self.__dict__.get("hook")  # only a hook that polled can have been asked
        interval = float(super()._get_next_poke_interval(started_at, run_duration, poke_count))
        return honour_retry_after(self, interval, hook.retry_after if hook is not None else None, run_duration)

    def execute_complete(self, context: Context, event: Mapping[str, Any]) -> Any:
        status = event.get("status")
        if status == "terminal":
            return finish(WorkflowRun.from_dict(event["run"]), WatchedRunFailed)
        if status == "timeout":
            raise AirflowSensorTimeout(f"Sensor timed out after {self.timeout}s: {_timeout_text(event)}")
        if status in ("pinned", "done"):
            (target,) = (RunTarget.from_dict(raw) for raw in event["targets"])
            if target.run is not None:
                self._pin(context, target.run)
                return finish(target.run, WatchedRunFailed)
            if target.error is not None:
                raise WatchedRunFailed(str(target.error.get("message")))
            assert target.ref is not None
            self._pin_ref(context, dict(target.ref))
            return self._defer_following(dict(target.ref), event.get("deadline"), event.get("polled_at"))
        raise WatchedRunFailed(str(event.get("message") or event))

    # -- helpers ------------------------------------------------------------------------------

    def _polled_for_trigger(self) -> float:
        """The ``last_poll_at`` the trigger gets: its first poll comes one interval after it, so a
        Retry-After longer than that from the worker's poll moves it later."""
        now = time.time()
        asked = self.hook.retry_after
        return now if asked is None or asked <= self.poke_interval else now + asked - self.poke_interval

    @property
    def _full_timeout(self) -> timedelta:
        return timedelta(seconds=self.timeout)

    def _defer_following(
        self,
        ref: Mapping[str, str],
        deadline: float | None,
        last_poll_at: float | None,
        timeout: timedelta | None = None,
    ) -> None:
        from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger  # not at DAG parse

        self.defer(
            trigger=WorkflowRunTrigger(
                hook_class=self.hook_class_path,
                hook_kwargs=self.hook.serialize(),
                ref=ref,
                poll_interval=self.poke_interval,
                deadline=deadline,
                last_poll_at=last_poll_at,
            ),
            method_name="execute_complete",
            timeout=timeout or _remaining(deadline),
        )

    def _defer_finding(
        self, workflow: Mapping[str, str], window: TimeWindow, deadline: float, timeout: timedelta, last_poll_at: float
    ) -> None:
        target = RunTarget(
            service=self.hook.client_service,
            hook_class=self.hook_class_path,
            hook_kwargs=self.hook.serialize(),
            workflow=dict(workflow),
            window=window,
        )
        assert self._first_poll_at is not None
        from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger  # not at DAG parse

        self.defer(
            trigger=CrossCloudGateTrigger(
                targets=[target.to_dict()],
                poll_interval=self.poke_interval,
                deadline=deadline,
                first_poll_at=self._first_poll_at.isoformat(),
                last_poll_at=last_poll_at,
            ),
            method_name="execute_complete",
            timeout=timeout,
        )

    def _validated_ref(self) -> dict[str, str]:
        try:
            return self.hook.client.validate_ref(self.run_ref())
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None

    def _validated_workflow(self, context: Context) -> tuple[dict[str, str], TimeWindow]:
        try:
            if self.started_after in (None, "") and self.started_before in (None, ""):
                window = data_interval_window(context)
            else:
                window = TimeWindow.parse(self.started_after, self.started_before)
            return self.hook.client.validate_workflow(self.workflow_ref()), window
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None

    def _find(self, context: Context, workflow: Mapping[str, str], window: TimeWindow) -> WorkflowRun | None:
        first_poll_at = self._first_poll_at or first_poll_time(self, context)
        try:
            run = self.hook.poll_find_run(workflow, window, first_poll_at)
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None
        if run is not None:
            self._pin(context, run)
        return run

    def _pin(self, context: Context, run: WorkflowRun) -> None:
        if self._pinned_ref != dict(run.ref):
            self._pin_ref(context, dict(run.ref), run.console_url)

    def _pin_ref(self, context: Context, ref: dict[str, str], console_url: str | None = None) -> None:
        """Remember the chosen run, and tell downstream tasks and the UI which run it is."""
        self._pinned_ref = ref
        context["ti"].xcom_push(key=RUN_REF_XCOM_KEY, value=ref)
        context["ti"].xcom_push(key=RUN_ID_XCOM_KEY, value=ref[self.hook.client_class.ref_fields[-1]])
        WorkflowRunLink.persist(context, console_url or self.hook.client.console_url(ref))

    def _poll(self, ref: Mapping[str, str]) -> WorkflowRun | None:
        try:
            return self.hook.poll_run(ref)
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None


def honour_retry_after(
    sensor: BaseSensorOperator, interval: float, asked: float | None, run_duration: Callable[[], float]
) -> float:
    """Airflow's next poke interval, or later when the service asked for more (Retry-After), but
    never past the sensor's timeout: reschedule mode comes back then, poke mode sleeps, and
    Airflow's own timeout check (and ``soft_fail``/``never_fail``) stays in charge."""
    if asked is None or asked <= interval:
        return interval
    return max(interval, min(asked, sensor.timeout - run_duration()))


@contextmanager
def soft_fail_skips(sensor: BaseSensorOperator) -> Iterator[None]:
    """A failure raised before the wait (bad ids, a run already failed) skips under ``soft_fail``.

    Airflow applies ``soft_fail`` itself only inside the poke loop and on resuming from a trigger.
    """
    try:
        yield
    except AirflowFailException as error:
        if sensor.soft_fail or getattr(sensor, "never_fail", False):
            raise AirflowSkipException(f"Skipping (soft_fail): {error}") from error
        raise


def first_poll_time(sensor: BaseSensorOperator, context: Context) -> datetime:
    """When a wait first looked: kept across reschedules, which lose in-memory and XCom state."""
    if sensor.reschedule:
        first = context["ti"].get_first_reschedule_date(context)
        if first is not None:
            return first
    return datetime.now(timezone.utc)


def data_interval_window(context: Context) -> TimeWindow:
    """The DAG run's data interval as a window; an empty interval (a manual run) has no end."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None:
        raise WatchedRunFailed(
            "this DAG run has no data interval to use as the window (runs triggered from the UI or the REST "
            "API have none): pass started_after (and started_before), e.g. "
            'started_after="{{ (dag_run.run_after - macros.timedelta(hours=1)).isoformat() }}"'
        )
    return TimeWindow(start, end if end is not None and end > start else None)


def _remaining(deadline: float | None) -> timedelta | None:
    return None if deadline is None else timedelta(seconds=max(deadline - time.time(), 0.0))


def _timeout_text(event: Mapping[str, Any]) -> str:
    if "targets" in event:
        states = " | ".join(RunTarget.from_dict(raw).state_text() for raw in event["targets"])
        return f"{states}; {event['note']}" if event.get("note") else states
    return str(event.get("message"))
