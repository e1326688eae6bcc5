"""Schedule DAGs on remote runs: a watcher announces each run that finishes, exactly once.

Watchers run in :mod:`tests.event_harness` (Airflow's own shared-stream manager in ack mode, the
trigger runner's loop, a supervisor saving asset events) against the emulator's Glue over real
boto3 and HTTPS; their state lives in a fake asset state store shared by every "triggerer".
"""

from __future__ import annotations

import asyncio
import time

from airflow_workflow_runs.triggers.glue import GlueWorkflowRunEventTrigger
from tests.event_harness import AssetStore, Triggerer, announced_keys, until

POLL = 0.2


def watcher(conn_id: str, workflow: str = "etl", **kwargs) -> GlueWorkflowRunEventTrigger:
    return GlueWorkflowRunEventTrigger(workflow_name=workflow, aws_conn_id=conn_id, poll_interval=POLL, **kwargs)


def add_run(emu, workflow: str = "etl", polls_running: int = 2, status: str = "COMPLETED", **kwargs) -> str:
    timeline = (
        [{"status": "RUNNING", "polls": polls_running}, {"status": status}] if polls_running else [{"status": status}]
    )
    return emu.glue.add_run(workflow, timeline=timeline, **kwargs)


def key(run_id: str, workflow: str = "etl") -> str:
    return f"glue:workflow_name={workflow}:{run_id}"


def test_each_run_that_succeeds_after_the_watcher_started_is_announced_once(emu, glue_conn):
    before = add_run(emu, polls_running=0, started_on=time.time() - 120)
    trigger = watcher(glue_conn)

    async def scenario():
        saved: list = []
        triggerer = Triggerer(saved)
        triggerer.start(1, trigger, AssetStore())
        await asyncio.sleep(3 * POLL)
        succeeded = add_run(emu)
        failed = add_run(emu, status="ERROR")
        await until(lambda: key(succeeded) in announced_keys(saved))
        await asyncio.sleep(10 * POLL)  # more listings see the same runs again
        await triggerer.shutdown()
        return saved, succeeded, failed

    saved, succeeded, failed = asyncio.run(scenario())
    assert announced_keys(saved) == [key(succeeded)]
    payload = saved[0][1]
    assert payload["run"]["run_id"] == succeeded and payload["run"]["state"] == "succeeded"
    assert payload["possible_duplicate"] is False
    assert before not in str(saved) and failed not in str(saved)
