"""Run waits of every service in a fresh process, as a triggerer does, and report what they did on
the event loop's thread. Started by tests/test_event_loop.py: ``python tests/loop_probe.py SPEC``.

Before the loop starts the process has imported only what a triggerer has before its first trigger
(``airflow.sdk``, ``airflow.triggers.base``). On the loop, the trigger modules are imported (the
triggerer's ``import_string`` does that on the loop too) and the triggers run. Watched:

- every module of a cloud SDK or HTTP stack imported for the first time while the loop's thread
  is the importing thread (an import hook at the head of ``sys.meta_path``);
- every use of the loop's default executor (the pool ``asyncio.to_thread`` and Airflow's own
  sync-to-async calls share);
- the largest lateness of a 10 ms heartbeat (reported, never asserted: not a timing test).

Prints one JSON object: the events, the on-loop imports, the default-executor uses, the lag.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.abc
import json
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# What a triggerer has imported before any trigger runs:
import airflow.sdk
import airflow.triggers.base  # noqa: F401

WATCHED_PACKAGES = frozenset(
    {
        "boto3",
        "botocore",
        "aiobotocore",
        "s3transfer",
        "azure",
        "msal",
        "msal_extensions",
        "datadog_api_client",
        "aiosonic",
        "darabonba",
        "Tea",
        "aiohttp",
        "requests",
        "urllib3",
    }
)


def watched(name: str) -> bool:
    top = name.partition(".")[0]
    return top in WATCHED_PACKAGES or top.startswith("alibabacloud_")


class LoopImportWatch(importlib.abc.MetaPathFinder):
    """Records first imports of watched modules made by the loop's thread; finds nothing itself."""

    def __init__(self) -> None:
        self.loop_thread: int | None = None
        self.on_loop: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if threading.get_ident() == self.loop_thread and watched(fullname):
            self.on_loop.append(fullname)
        return None


class RecordingExecutor(ThreadPoolExecutor):
    """Stands in as the loop's default executor: works, but records who used it."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.uses: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.uses.append("".join(traceback.format_stack(limit=12)))
        return super().submit(fn, *args, **kwargs)


async def heartbeat(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.01)
        lags.append(time.monotonic() - started - 0.01)


async def first_event(trigger: Any) -> dict[str, Any]:
    async for event in trigger.run():
        return dict(event.payload)
    raise AssertionError("the trigger ended without an event")


async def main(spec: dict[str, Any], watch: LoopImportWatch) -> dict[str, Any]:
    watch.loop_thread = threading.get_ident()
    default = RecordingExecutor()
    asyncio.get_running_loop().set_default_executor(default)
    lags: list[float] = []
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(lags, stop))
    single = importlib.import_module("airflow_workflow_runs.triggers.workflow_run")
    many = importlib.import_module("airflow_workflow_runs.triggers.cross_cloud_gate")
    triggers = [single.WorkflowRunTrigger(**kwargs) for kwargs in spec["waits"]]
    triggers += [many.CrossCloudGateTrigger(**kwargs) for kwargs in spec["gates"]]
    events = await asyncio.gather(*(first_event(trigger) for trigger in triggers))
    for kwargs in spec["kills"]:  # a user kills a deferred operator task: on_kill cancels the run
        await single.WorkflowRunTrigger(**kwargs).on_kill()
    stop.set()
    await beat
    return {
        "events": events,
        "imports_on_loop": watch.on_loop,
        "default_executor_uses": default.uses,
        "worst_lag_seconds": max(lags, default=0.0),
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    watch = LoopImportWatch()
    sys.meta_path.insert(0, watch)
    print(json.dumps(asyncio.run(main(spec, watch))))
