"""One task gates on many runs, in any of the services: ``CrossCloudGateSensor``.

Importing this module imports no cloud SDK; a reference's service module is imported when the
task runs. Each reference is a dict naming its ``service`` and that service sensor's arguments::

    CrossCloudGateSensor(
        task_id="gate",
        policy="all",
        runs=[
            {"service": "glue", "workflow_name": "nightly_etl"},  # newest run in the data interval
            {"service": "codecatalyst", "space_name": "acme", "project_name": "web", "run_id": "{{ ... }}"},
            {"service": "datadog", "workflow_id": "...", "conn_id": "datadog_prod"},
        ],
    )
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, conf
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

from airflow_workflow_runs.gate import Policy, Verdict, judge
from airflow_workflow_runs.model import RunState, TimeWindow, WorkflowRunError
from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.sensors.workflow_run import (
    data_interval_window,
    first_poll_time,
    honour_retry_after,
    soft_fail_skips,
)
from airflow_workflow_runs.services import declaration
from airflow_workflow_runs.targets import RunTarget

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_workflow_runs.hooks.base import WorkflowRunHook

RUN_REFS_XCOM_KEY = "run_refs"
CONN_ALIAS = "conn_id"
WINDOW_KEYS = ("started_after", "started_before")


def check_reference(reference: Mapping[str, Any]) -> None:
    """Reject, at DAG parse, a reference no run could match: unknown service or argument names."""
    if not isinstance(reference, Mapping):
        raise TypeError(f"each run reference must be a dict with a 'service' key, got {reference!r}")
    service = reference.get("service")
    if not isinstance(service, str):
        raise ValueError(f"run reference {dict(reference)!r} has no 'service'")
    arguments = declaration(service)
    allowed = arguments.names | {"service", CONN_ALIAS, *WINDOW_KEYS}
    unknown = sorted(set(reference) - allowed)
    if unknown:
        raise ValueError(f"{service} run reference has unknown keys {unknown}; allowed: {', '.join(sorted(allowed))}")
    if arguments.names_run(reference):
        arguments.ref(reference)  # a run id that rendered empty is refused, naming it
    if arguments.names_run(reference) and any(reference.get(key) not in (None, "") for key in WINDOW_KEYS):
        raise ValueError(
            f"{service} run reference gives both {arguments.run_id_arg} and a time window: give one of them"
        )


class CrossCloudGateSensor(BaseSensorOperator):
    """Wait for many remote runs, in any services, and decide by a policy.

    ``policy="all"`` succeeds when every run has succeeded and fails as soon as one ends without
    success (naming it and every other run's state); ``policy="any"`` succeeds on the first success
    and fails once every run has ended without one. A skipped remote run skips the gate only when no
    run failed (and, for ``any``, none succeeded).

    :param runs: run references (templated): dicts with ``service`` (``glue``, ``codecatalyst``,
        ``datadog``, ``dataworks``, ``logic_apps``) and that service sensor's arguments, the
        connection under its own name (``aws_conn_id``...) or ``conn_id``. Without a run id, the
        reference names the newest run of its workflow in a time window: its own
        ``started_after``/``started_before``, else the sensor's, else the DAG run's data interval.
    :param policy: ``all`` (default) or ``any``.
    :param started_after: the default window's start, inclusive (templated).
    :param started_before: the default window's end, exclusive (templated).
    :param deferrable: wait in the triggerer: ONE trigger polls every run concurrently (default:
        ``[operators] default_deferrable``).

    Runs on one connection share one client, and a service with a batch endpoint reads runs of
    one workflow with one request per poll (Glue). Returns (XCom) the list of terminal runs (dicts,
    in the order given); chosen runs are pushed as they are pinned (XCom ``run_refs``).
    """

    template_fields: Sequence[str] = ("runs", "started_after", "started_before")
    template_fields_renderers = {"runs": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        runs: Sequence[Mapping[str, Any]],
        policy: str = Policy.ALL.value,
        started_after: datetime | str | None = None,
        started_before: datetime | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(runs, Sequence) and not isinstance(runs, str):
            if not runs:
                raise ValueError("runs is empty: give at least one run reference")
            for reference in runs:
                check_reference(reference)
        try:
            self.policy = Policy(policy).value
        except ValueError:
            raise ValueError(f"policy must be 'all' or 'any', got {policy!r}") from None
        self.runs = runs
        self.started_after = started_after
        self.started_before = started_before
        self.deferrable = deferrable
        self._targets: list[RunTarget] | None = None
        self._first_poll_at: datetime | None = None
        self._hooks: dict[tuple[str, str], WorkflowRunHook] = {}
        self._retry_after: float | None = None  # what the services asked at the last poll

    # -- the wait ---------------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        with soft_fail_skips(self):
            self._targets = self._resolve(context)
            self._first_poll_at = first_poll_time(self, context)
            if not self.deferrable:
                return super().execute(context)
            targets = self._poll(context, self._targets)
            verdict = judge(Policy(self.policy), targets)
            if verdict.done:
                return self._finish(targets, verdict)
        deadline = time.time() + self.timeout
        self._defer(targets, deadline, timedelta(seconds=self.timeout), last_poll_at=time.time())

    def poke(self, context: Context) -> bool | PokeReturnValue:
        if self._targets is None:
            self._targets = self._resolve(context)
        targets = self._targets = self._poll(context, self._targets)
        verdict = judge(Policy(self.policy), targets)
        if not verdict.done:
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._finish(targets, verdict))

    def execute_complete(self, context: Context, event: Mapping[str, Any]) -> Any:
        targets = [RunTarget.from_dict(raw) for raw in event.get("targets") or []]
        status = event.get("status")
        if status == "timeout":
            states = " | ".join(target.state_text() for target in targets)
            note = f"; {event['note']}" if event.get("note") else ""
            raise AirflowSensorTimeout(f"Sensor timed out after {self.timeout}s: {states}{note}")
        if status == "pinned":
            self._push_pins(context, targets)
            self._first_poll_at = datetime.fromisoformat(event["first_poll_at"])
            deadline = event.get("deadline")
            remaining = None if deadline is None else timedelta(seconds=max(deadline - time.time(), 0.0))
            return self._defer(targets, deadline, remaining, last_poll_at=event.get("polled_at"))
        if status == "done":
            self._push_pins(context, targets)
            return self._finish(targets, judge(Policy(self.policy), targets))
        raise WatchedRunFailed(str(event.get("message") or event))

    # -- helpers ----------------------------------------------------------------------------------

    def _defer(
        self,
        targets: Sequence[RunTarget],
        deadline: float | None,
        timeout: timedelta | None,
        last_poll_at: float | None,
    ) -> None:
        """Defer on the targets; the trigger's first poll comes one interval after ``last_poll_at``."""
        assert self._first_poll_at is not None
        from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger  # not at DAG parse

        self.defer(
            trigger=CrossCloudGateTrigger(
                targets=[target.to_dict() for target in targets],
                policy=self.policy,
                poll_interval=self.poke_interval,
                deadline=deadline,
                first_poll_at=self._first_poll_at.isoformat(),
                last_poll_at=last_poll_at,
            ),
            method_name="execute_complete",
            timeout=timeout,
        )

    def _resolve(self, context: Context) -> list[RunTarget]:
        """Every reference as a target, validated by its service client before any request."""
        if not isinstance(self.runs, Sequence) or isinstance(self.runs, str) or not self.runs:
            raise WatchedRunFailed(f"runs must render to a non-empty list of run references, got {self.runs!r}")
        targets = []
        for reference in self.runs:
            try:
                check_reference(reference)
                targets.append(self._target(context, dict(reference)))
            except (ValueError, TypeError, WorkflowRunError) as error:
                raise WatchedRunFailed(str(error)) from None
        return targets

    def _target(self, context: Context, values: dict[str, Any]) -> RunTarget:
        arguments = declaration(values["service"])
        if CONN_ALIAS in values:
            values[arguments.conn_arg] = values.pop(CONN_ALIAS)
        hook = load_hook_class(arguments.hook_class_path)(**arguments.hook_kwargs(values))
        path = arguments.hook_class_path
        target = RunTarget(service=arguments.name, hook_class=path, hook_kwargs=hook.serialize())
        if arguments.names_run(values):
            target = replace(target, ref=hook.client.validate_ref(arguments.ref(values)))
        else:
            workflow = hook.client.validate_workflow(arguments.workflow(values))
            target = replace(target, workflow=workflow, window=self._window(context, values))
        self._hooks.setdefault(target.hook_key, hook)
        return target

    def _window(self, context: Context, values: Mapping[str, Any]) -> TimeWindow:
        for source in (values, {"started_after": self.started_after, "started_before": self.started_before}):
            if any(source.get(key) not in (None, "") for key in WINDOW_KEYS):
                return TimeWindow.parse(source.get("started_after"), source.get("started_before"))
        return data_interval_window(context)

    def _poll(self, context: Context, targets: list[RunTarget]) -> list[RunTarget]:
        if self._first_poll_at is None:
            self._first_poll_at = first_poll_time(self, context)
        from airflow_workflow_runs.triggers.polling import ThreadReader, poll_targets  # not at DAG parse

        poll = asyncio.run(poll_targets(targets, self._first_poll_at, ThreadReader(), self._hooks))
        self._retry_after = poll.retry_after
        updated = poll.targets
        if [t.ref for t in updated] != [t.ref for t in targets]:
            self._push_pins(context, updated)
        return updated

    def _get_next_poke_interval(self, started_at: Any, run_duration: Callable[[], float], poke_count: int) -> float:
        interval = float(super()._get_next_poke_interval(started_at, run_duration, poke_count))
        return honour_retry_after(self, interval, self._retry_after, run_duration)

    @staticmethod
    def _push_pins(context: Context, targets: Sequence[RunTarget]) -> None:
        value = [{"service": t.service, "ref": dict(t.ref) if t.ref else None} for t in targets]
        context["ti"].xcom_push(key=RUN_REFS_XCOM_KEY, value=json.loads(json.dumps(value)))

    @staticmethod
    def _finish(targets: Sequence[RunTarget], verdict: Verdict) -> list[dict[str, Any]]:
        if verdict.outcome is RunState.SUCCEEDED:
            return [target.run.to_dict() for target in targets if target.run is not None]
        if verdict.outcome is RunState.SKIPPED:
            raise AirflowSkipException(verdict.message)
        raise WatchedRunFailed(verdict.message)
