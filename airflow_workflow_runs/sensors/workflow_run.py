"""The generic sensor: waits for one remote run, in poke, reschedule or deferrable mode.

A service subclass names its hook by dotted path and says how its arguments form the run's ref;
everything else (validation before any request, transient errors, the outcome, the timeout, the
console link, XCom) is here, once. The three modes give the same result for the same run:

- success only on an explicit success status; unknown statuses fail with their raw value;
- the sensor's ``timeout`` ends the wait with ``AirflowSensorTimeout`` in every mode, so
  ``soft_fail`` turns it (and a failed run) into a skip in every mode;
- transient errors (throttling, 5xx, network) only delay the next poll;
- the terminal run (``WorkflowRun.to_dict()``) is the XCom return value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseSensorOperator, conf
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from airflow_workflow_runs.links.workflow_run import WorkflowRunLink
from airflow_workflow_runs.model import WorkflowRun, WorkflowRunError
from airflow_workflow_runs.outcome import WatchedRunFailed, finish
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.base import WorkflowRunHook


class WorkflowRunSensor(BaseSensorOperator):
    """Base of the service sensors; not used directly in DAGs.

    :param deferrable: wait in the triggerer instead of a worker slot. Defaults to the
        ``[operators] default_deferrable`` setting.
    """

    hook_class_path: ClassVar[str]
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable

    # -- what a service subclass provides -----------------------------------------------------

    def run_ref(self) -> dict[str, str]:
        """The run's identifiers, from the (rendered) arguments."""
        raise NotImplementedError

    def hook_kwargs(self) -> dict[str, Any]:
        """Arguments of the hook: the connection id and non-secret options."""
        raise NotImplementedError

    # -- the generic wait -----------------------------------------------------------------------

    @cached_property
    def hook(self) -> WorkflowRunHook:
        return load_hook_class(self.hook_class_path)(**self.hook_kwargs())

    def execute(self, context: Context) -> Any:
        try:
            ref = self._validated_ref()
            WorkflowRunLink.persist(context, self.hook.client.console_url(ref))
            if not self.deferrable:
                return super().execute(context)
            run = self._poll(ref)
            if run is not None and run.is_terminal:
                return finish(run, WatchedRunFailed)
        except AirflowFailException as error:
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"Skipping (soft_fail): {error}") from error
            raise
        self.defer(
            trigger=WorkflowRunTrigger(
                hook_class=self.hook_class_path,
                hook_kwargs=self.hook.serialize(),
                ref=ref,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        run = self._poll(self._validated_ref())
        if run is None or not run.is_terminal:
            return False
        return PokeReturnValue(is_done=True, xcom_value=finish(run, WatchedRunFailed))

    def execute_complete(self, context: Context, event: Mapping[str, Any]) -> Any:
        status = event.get("status")
        if status == "terminal":
            return finish(WorkflowRun.from_dict(event["run"]), WatchedRunFailed)
        if status == "timeout":
            raise AirflowSensorTimeout(f"Sensor timed out after {self.timeout}s: {event.get('message')}")
        raise WatchedRunFailed(str(event.get("message") or event))

    # -- helpers ------------------------------------------------------------------------------

    def _validated_ref(self) -> dict[str, str]:
        try:
            return self.hook.client.validate_ref(self.run_ref())
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None

    def _poll(self, ref: Mapping[str, str]) -> WorkflowRun | None:
        try:
            return self.hook.poll_run(ref)
        except WorkflowRunError as error:
            raise WatchedRunFailed(str(error)) from None
