"""Run every wait of the soak at once, the way Airflow runs them, and judge how each one ended.

Deferred waits are the real ``WorkflowRunTrigger``, all in one asyncio loop as a triggerer holds
them, with the kwargs the sensors pass. Poke and reschedule waits are the real sensors'
``execute``, each in a thread as a worker runs it: a poke-mode sensor sleeps between pokes; a
reschedule-mode one raises ``AirflowRescheduleException``, after which a fresh sensor (a new try
parses the DAG again) is executed once the reschedule date has come, knowing its first try's start
as Airflow's ``get_first_reschedule_date`` tells it. Nothing of the provider is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow.sdk.exceptions import AirflowRescheduleException, AirflowSensorTimeout, AirflowSkipException

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from soak.capture import Capture, exception_text
from soak.plan import SENSORS, Wait


def _sensor_class(service: str) -> Any:
    module, _, name = SENSORS[service].rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


class _TaskInstance:
    """The task-instance calls the sensors make: XComs, and the first try's start in reschedule mode."""

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}
        self.first_try_at: datetime.datetime | None = None
        self.rescheduled = False

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def get_first_reschedule_date(self, context: Any) -> datetime.datetime | None:
        return self.first_try_at if self.rescheduled else None


class Driver:
    """Holds the waits and what they produced; ``judge`` turns an ending into an outcome."""

    def __init__(self, waits: list[Wait], capture: Capture, *, interval: float, timeout: float) -> None:
        self.waits = waits
        self.capture = capture
        self.interval = interval
        self.timeout = timeout
        self.done: dict[str, int] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()

    # --- outcomes ------------------------------------------------------------------------------

    def _finish(self, wait: Wait, kind: str, got: str, detail: str = "") -> None:
        wait.outcome = {
            "kind": kind,
            "got": got,
            "expected": wait.expected,
            "detail": detail[:2000],
            "seconds": round(time.monotonic() - self._started, 1),
        }
        with self._lock:
            self.done[wait.service] = self.done.get(wait.service, 0) + 1

    def _judge_state(self, wait: Wait, state: str, detail: str = "") -> None:
        self._finish(wait, "correct" if state == wait.expected else "false", state, detail)

    def _judge_event(self, wait: Wait, payload: Mapping[str, Any]) -> None:
        self.capture.add("events", json.dumps(payload, default=str))
        if payload.get("status") == "terminal":
            run = payload.get("run") or {}
            self._judge_state(wait, str(run.get("state")), f"raw status {run.get('raw_status')}")
        else:  # a timeout or an error event: never the scripted outcome
            self._finish(wait, "false", str(payload.get("status")), str(payload.get("message") or payload))

    def _judge_error(self, wait: Wait, error: BaseException) -> None:
        self.capture.add("exceptions", exception_text(error))
        if isinstance(error, WatchedRunFailed):
            if error.run is not None:
                self._judge_state(wait, error.run.state.value, str(error))
            else:  # a wait failed without a terminal run: an error became the outcome
                self._finish(wait, "false", "failed (no run)", exception_text(error))
        elif isinstance(error, AirflowSensorTimeout):
            self._finish(wait, "false", "timeout", str(error))
        elif isinstance(error, AirflowSkipException):
            self._judge_state(wait, "skipped", str(error))
        else:
            self._finish(wait, "crash", type(error).__name__, exception_text(error))

    # --- deferred: the trigger, as the triggerer runs it -----------------------------------------

    def trigger_kwargs(self, wait: Wait, hooks: dict[str, Any], deferred_at: float) -> dict[str, Any]:
        """What ``WorkflowRunSensor._defer_following`` gives the trigger, for this wait."""
        sensor = _sensor_class(wait.service)(task_id=wait.name.replace("/", "_"), **wait.sensor_args)
        hook = hooks.get(wait.service)
        if hook is None:  # one per service validates refs, as each sensor's own hook would
            hook = hooks[wait.service] = load_hook_class(sensor.hook_class_path)(**sensor.hook_kwargs())
        return {
            "hook_class": sensor.hook_class_path,
            "hook_kwargs": hook.serialize(),
            "ref": hook.client.validate_ref(sensor.run_ref()),
            "poll_interval": self.interval,
            "deadline": deferred_at + self.timeout,
            "last_poll_at": deferred_at,
        }

    async def run_trigger(self, wait: Wait, kwargs: dict[str, Any]) -> None:
        trigger = WorkflowRunTrigger(**kwargs)
        self.capture.add("trigger kwargs", json.dumps(trigger.serialize(), default=str))
        try:
            async with contextlib.aclosing(trigger.run()) as events:  # type: ignore[type-var]
                async for event in events:
                    self._judge_event(wait, dict(event.payload))
                    return
            self._finish(wait, "crash", "no event", "the trigger ended without an event")
        except asyncio.CancelledError:
            self._finish(wait, "false", "hung", "still waiting when the soak's time was up")
            raise
        except Exception as error:
            self._judge_error(wait, error)

    # --- poke and reschedule: the sensor's execute, as a worker runs it --------------------------

    def run_sensor(self, wait: Wait, stop: threading.Event) -> None:
        ti = _TaskInstance()
        context: dict[str, Any] = {"ti": ti}
        try:
            while not stop.is_set():
                sensor = _sensor_class(wait.service)(
                    task_id=wait.name.replace("/", "_"),
                    mode=wait.mode,
                    poke_interval=self.interval,
                    timeout=self.timeout,
                    **wait.sensor_args,
                )
                if ti.first_try_at is None:
                    ti.first_try_at = datetime.datetime.now(datetime.timezone.utc)
                try:
                    value = sensor.execute(context)
                except AirflowRescheduleException as reschedule:
                    ti.rescheduled = True
                    stop.wait(max(0.0, (reschedule.reschedule_date - _utcnow()).total_seconds()))
                    continue
                self.capture.add("xcoms", json.dumps({"return_value": value, **ti.xcoms}, default=str))
                self._judge_state(wait, str((value or {}).get("state")), "returned")
                return
            self._finish(wait, "false", "hung", "still waiting when the soak's time was up")
        except Exception as error:
            self.capture.add("xcoms", json.dumps(ti.xcoms, default=str))
            self._judge_error(wait, error)

    # --- all of them -----------------------------------------------------------------------------

    async def run_all(self, tick: Callable[[], None], tick_every: float = 0.2) -> None:
        """Every wait at once; ``tick`` (revocations, progress) runs on the loop meanwhile."""
        deferred = [w for w in self.waits if w.mode == "deferred"]
        synchronous = [w for w in self.waits if w.mode != "deferred"]
        hooks: dict[str, Any] = {}
        now = time.time()
        kwargs = [self.trigger_kwargs(w, hooks, now) for w in deferred]
        stop = threading.Event()
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(max_workers=max(1, len(synchronous)), thread_name_prefix="soak-worker")
        tasks = [asyncio.create_task(self.run_trigger(w, k)) for w, k in zip(deferred, kwargs, strict=True)]
        futures = [loop.run_in_executor(pool, self.run_sensor, w, stop) for w in synchronous]
        everything = [*tasks, *futures]
        give_up = time.monotonic() + self.timeout + 30.0
        try:
            while not all(f.done() for f in everything) and time.monotonic() < give_up:
                tick()
                await asyncio.sleep(tick_every)
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*everything, return_exceptions=True)
            pool.shutdown(wait=True)
        tick()


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
