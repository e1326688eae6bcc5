"""Helpers shared by tests, free of side effects (conftest.py sets the environment up)."""

from __future__ import annotations

import datetime
import json
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_workflow_runs.clients.glue import GlueRunClient
    from airflow_workflow_runs.emulator import Emulator

GLUE_CONN_ID = "aws_emulator"
CODECATALYST_CONN_ID = "codecatalyst_emulator"
CODECATALYST_TOKEN = "cc-pat-never-logged"
REGION = "eu-west-1"
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def aws_connection(emulator: Emulator, **extra: Any) -> str:
    """An ``aws`` connection to the emulator, as JSON for an ``AIRFLOW_CONN_*`` variable."""
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "AKIDEMULATOR",
            "password": "emulator-secret-never-logged",
            "extra": {
                "region_name": REGION,
                "endpoint_url": emulator.https_url,
                "verify": emulator.ca_bundle,
                # Reach our own retry logic quickly: botocore makes two attempts per call.
                "config_kwargs": {"retries": {"mode": "standard", "total_max_attempts": 2}},
                **extra,
            },
        }
    )


def codecatalyst_connection(emulator: Emulator, token: str | None = CODECATALYST_TOKEN, **extra: Any) -> str:
    """A ``codecatalyst`` connection to the emulator: Host overrides the endpoint, ca_bundle verifies."""
    return json.dumps(
        {
            "conn_type": "codecatalyst",
            "host": emulator.https_url,
            "password": token,
            "extra": {"ca_bundle": emulator.ca_bundle, "max_attempts": 1, **extra},
        }
    )


class StandInTaskInstance:
    """The few task-instance attributes our operators and sensors read, with XComs kept in a dict.

    For calling ``execute`` directly (a thread to kill, a deferral to inspect); whole DAG runs use
    ``dag.test()`` and the real task instance.
    """

    dag_id, task_id, run_id, map_index = "dag", "run", "manual__1", -1

    def __init__(self, try_number: int = 1) -> None:
        self.try_number = try_number
        self.xcoms: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcoms[key] = value


def kill_while_waiting(operator: Any, timeout: float = 10.0) -> tuple[StandInTaskInstance, BaseException | None]:
    """Run ``operator.execute`` in a thread as a worker does, kill the task once the run has started.

    ``on_kill`` is called (from this thread, as Airflow does) as soon as the run id is in XCom.
    Returns the task instance and what ``execute`` raised (None if it returned).
    """
    ti = StandInTaskInstance()
    raised: list[BaseException] = []

    def execute() -> None:
        try:
            operator.execute({"ti": ti})
        except BaseException as error:
            raised.append(error)

    worker = threading.Thread(target=execute, daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while "run_id" not in ti.xcoms and time.monotonic() < deadline:
        time.sleep(0.05)
    operator.on_kill()
    worker.join(timeout=timeout)
    assert not worker.is_alive(), "execute() did not end after on_kill()"
    return ti, (raised[0] if raised else None)


def first_event(trigger: Any, timeout: float = 20.0) -> dict:
    """Run a trigger as the triggerer does and return its first event's payload."""
    import asyncio

    async def _first() -> dict:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(asyncio.wait_for(_first(), timeout))


#: The sensor arguments of the three wait modes, by name.
MODES = {
    "poke": {"mode": "poke"},
    "reschedule": {"mode": "reschedule"},
    "deferrable": {"deferrable": True},
}


def states(dag_run: Any) -> dict[str, str]:
    """Each task's final state in a DAG run from ``dag.test()``."""
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    """A task's XCom value (the return value unless ``key``) in a DAG run from ``dag.test()``."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
        ).first()
        return XComModel.deserialize_value(row) if row is not None else None


def glue_client(emu: Emulator, **config: Any) -> GlueRunClient:
    """A real boto3 glue client on the emulator; botocore makes one attempt per call."""
    import boto3
    from botocore.config import Config

    from airflow_workflow_runs.clients.glue import GlueRunClient

    boto_client = boto3.client(
        "glue",
        region_name="eu-west-1",
        endpoint_url=emu.https_url,
        verify=emu.ca_bundle,
        aws_access_key_id="AKIDEMULATOR",
        aws_secret_access_key="emulator-secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config),
    )
    return GlueRunClient(boto_client)


def run_context() -> dict[str, Any]:
    """What a sensor's ``execute``/``poke`` reads of a task context: a task instance and a data
    interval around now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "ti": StandInTaskInstance(),
        "data_interval_start": now - datetime.timedelta(hours=1),
        "data_interval_end": now + datetime.timedelta(hours=1),
    }


def retry_without_task_state_store(make_operator: Any) -> tuple[str, Any]:
    """A retry as on Airflow < 3.3, whose context has no ``task_state_store``: try 1 starts a run
    and leaves it running, try 2 runs to the end. Returns try 1's run id and try 2's result."""
    first = StandInTaskInstance(try_number=1)
    make_operator(wait_for_completion=False).execute({"ti": first})
    second = StandInTaskInstance(try_number=2)
    return str(first.xcoms["run_id"]), make_operator().execute({"ti": second})


def closed_port() -> int:
    """A local TCP port nothing listens on (bound once, then released): connecting is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
