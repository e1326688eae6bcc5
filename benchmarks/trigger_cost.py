"""Child process: one side of the triggerer benchmark, N concurrent waits in one event loop.

``python benchmarks/trigger_cost.py SPEC.json OUT.json``. Like a triggerer, the process imports
the trigger stack once, then runs every wait as a task of one asyncio loop. A couple of warm-up
waits run first (module-level caches, botocore's service models, the executor threads), then the
shared-client cache is emptied, so the measured phase includes building every SDK client the side
builds. Measured: process CPU time (all threads), wall time, RSS before, at peak and after, and
the number of SDK clients built. The emulator runs in the parent process, so its work is not
counted here; the parent reads its request log for requests per poll.

Sides: ``ours`` = ``WorkflowRunTrigger`` on ``GlueWorkflowRunHook`` (GetWorkflowRun);
``amazon`` = ``GlueJobCompleteTrigger`` (GetJobRun through an aiobotocore waiter); ``gate`` = ONE
``WorkflowRunsTrigger`` holding every run (policy ``all``; GetWorkflowRuns shared by the runs of
one workflow). The first two make one trigger per run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchlib import CONN_ID, PeakRss, raise_fd_limit, rss_bytes, uss_bytes, versions, write_json

Factory = Callable[[str], Any]


class Side:
    """How one side builds a trigger, judges its event and counts the SDK clients it built."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.clients_built = 0

    def trigger(self, name: str, run_id: str) -> Any:
        raise NotImplementedError

    def triggers(self, name: str, run_ids: Sequence[str]) -> list[Any]:
        """The triggers that wait on these runs of ``name``: one per run unless the side batches them."""
        return [self.trigger(name, run_id) for run_id in run_ids]

    def succeeded(self, payload: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def runs_succeeded(self, payload: Mapping[str, Any]) -> int:
        """How many runs an event reports as succeeded."""
        return int(self.succeeded(payload))

    def reset_caches(self) -> None:
        """Forget what the warm-up built that the side would otherwise reuse."""

    def details(self) -> dict[str, Any]:
        return {}


class Ours(Side):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        from airflow_workflow_runs.hooks import base as hook_base
        from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
        from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger

        self._hook_base = hook_base
        self._trigger_class = WorkflowRunTrigger
        build = GlueWorkflowRunHook.build_client

        def counting_build_client(hook: Any, conn: Any) -> Any:  # instrumentation only: counts, then delegates
            self.clients_built += 1
            return build(hook, conn)

        GlueWorkflowRunHook.build_client = counting_build_client  # type: ignore[method-assign]

    def trigger(self, name: str, run_id: str) -> Any:
        return self._trigger_class(
            hook_class="airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
            hook_kwargs={"aws_conn_id": CONN_ID},
            ref={"workflow_name": name, "run_id": run_id},
            poll_interval=self.spec["interval"],
            deadline=time.time() + self.spec["timeout"],
        )

    def succeeded(self, payload: Mapping[str, Any]) -> bool:
        return payload.get("status") == "terminal" and (payload.get("run") or {}).get("state") == "succeeded"

    def reset_caches(self) -> None:
        self._hook_base.clear_shared_clients()

    def details(self) -> dict[str, Any]:
        return {"shared_client_cache_entries": len(self._hook_base._SHARED)}


class Gate(Ours):
    """Ours, as a gate: ONE ``WorkflowRunsTrigger`` holding a ``RunTarget`` per run, policy ``all``."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        from airflow_workflow_runs.triggers.workflow_runs import WorkflowRunsTrigger

        self._gate_class = WorkflowRunsTrigger

    def triggers(self, name: str, run_ids: Sequence[str]) -> list[Any]:
        targets = [
            {
                "service": "glue",
                "hook_class": "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
                "hook_kwargs": {"aws_conn_id": CONN_ID},
                "ref": {"workflow_name": name, "run_id": run_id},
            }
            for run_id in run_ids
        ]
        gate = self._gate_class(
            targets=targets,
            policy="all",
            poll_interval=self.spec["interval"],
            deadline=time.time() + self.spec["timeout"],
            first_poll_at=datetime.now(timezone.utc).isoformat(),
        )
        return [gate]

    def runs_succeeded(self, payload: Mapping[str, Any]) -> int:
        if payload.get("status") != "done":
            return 0
        return sum((t.get("run") or {}).get("state") == "succeeded" for t in payload.get("targets") or [])


class Amazon(Side):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
        from airflow.providers.amazon.aws.triggers.glue import GlueJobCompleteTrigger

        self._trigger_class = GlueJobCompleteTrigger
        build = AwsGenericHook._get_async_conn

        def counting_get_async_conn(hook: Any) -> Any:  # instrumentation only: counts, then delegates
            self.clients_built += 1
            return build(hook)

        AwsGenericHook._get_async_conn = counting_get_async_conn  # type: ignore[method-assign]

    def trigger(self, name: str, run_id: str) -> Any:
        return self._trigger_class(
            job_name=name,
            run_id=run_id,
            verbose=False,
            aws_conn_id=CONN_ID,
            waiter_delay=self.spec["interval"],
            waiter_max_attempts=self.spec["max_polls"],
        )

    def succeeded(self, payload: Mapping[str, Any]) -> bool:
        return payload.get("status") == "success"


async def _first_event(trigger: Any) -> Mapping[str, Any] | None:
    async with contextlib.aclosing(trigger.run()) as events:
        async for event in events:
            return dict(event.payload)
    return None


async def run_waits(side: Side, name: str, run_ids: Sequence[str], timeout: float) -> dict[str, Any]:
    """Start the side's triggers for these runs at once; bounded by ``timeout`` (stragglers are cancelled).

    ``outcomes["succeeded"]`` counts runs (a gate's event reports many); other outcomes count triggers.
    """
    tasks = [asyncio.create_task(_first_event(trigger)) for trigger in side.triggers(name, run_ids)]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=10)
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    for task in tasks:
        if not task.done() or task.cancelled():
            outcomes["timed out (cancelled)"] += 1
        elif task.exception() is not None:
            outcomes["raised"] += 1
            if len(errors) < 5:
                errors.append(repr(task.exception()))
        else:
            payload = task.result()
            succeeded = side.runs_succeeded(payload) if payload is not None else 0
            if succeeded:
                outcomes["succeeded"] += succeeded
            else:
                outcomes[f"event {json.dumps(payload, default=str)[:200]}"] += 1
    return {"outcomes": dict(outcomes), "errors": errors, "triggers": len(tasks)}


def live_sdk_clients() -> int:
    """botocore clients still reachable after every wait ended (a cache of one is expected for ours)."""
    from botocore.client import BaseClient

    return sum(1 for obj in gc.get_objects() if isinstance(obj, BaseClient))


async def measure(side: Side, spec: Mapping[str, Any]) -> dict[str, Any]:
    # A gate's warm-up runs are in another workflow, so its measured GetWorkflowRuns list only measured runs.
    warmup = await run_waits(side, spec.get("warmup_name", spec["name"]), spec["warmup"], spec["timeout"])
    side.reset_caches()
    built_in_warmup, side.clients_built = side.clients_built, 0
    gc.collect()
    rss0, uss0 = rss_bytes(), uss_bytes()
    with PeakRss() as peak:
        epoch0, wall0, cpu0 = time.time(), time.perf_counter(), time.process_time()
        result = await run_waits(side, spec["name"], spec["runs"], spec["timeout"])
        wall1, cpu1, epoch1 = time.perf_counter(), time.process_time(), time.time()
    gc.collect()
    rss1, uss1 = rss_bytes(), uss_bytes()
    return {
        "live_sdk_clients_after": live_sdk_clients(),
        "waits": len(spec["runs"]),
        "warmup": {**warmup, "clients_built": built_in_warmup},
        "phase_start_epoch": epoch0,
        "phase_end_epoch": epoch1,
        "wall_s": wall1 - wall0,
        "cpu_s": cpu1 - cpu0,
        "rss_before_bytes": rss0,
        "rss_peak_bytes": peak.peak,
        "rss_peak_method": peak.method,
        "rss_after_bytes": rss1,
        "uss_before_bytes": uss0,
        "uss_after_bytes": uss1,
        "clients_built": side.clients_built,
        **result,
        **side.details(),
    }


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: trigger_cost.py SPEC.json OUT.json")
    spec = json.loads(Path(sys.argv[1]).read_text())
    raise_fd_limit()
    started = time.perf_counter()
    side: Side = {"ours": Ours, "amazon": Amazon, "gate": Gate}[spec["side"]](spec)
    import_s = time.perf_counter() - started
    import botocore

    out: dict[str, Any] = {
        "side": spec["side"],
        "import_s": import_s,
        "rss_after_import_bytes": rss_bytes(),
        "botocore": botocore.__version__,
        "botocore_path": str(Path(botocore.__file__).parent),
        "versions": versions("aiobotocore", "boto3", "botocore", "aiohttp", "apache-airflow-providers-amazon"),
    }
    out.update(asyncio.run(measure(side, spec)))
    write_json(sys.argv[2], out)


if __name__ == "__main__":
    main()
