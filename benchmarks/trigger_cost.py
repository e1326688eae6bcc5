"""Child process: one side of the triggerer benchmark, N concurrent waits in one event loop.

``python benchmarks/trigger_cost.py SPEC.json OUT.json``. Like a triggerer, the process imports
the trigger stack once, then runs every wait as a task of one asyncio loop. A couple of warm-up
waits run first (module-level caches, botocore's service models, the I/O pool threads), then the
shared-client cache is emptied, so the measured phase includes building every SDK client the side
builds. Measured: process CPU time (all threads), wall time, RSS before, at peak and after, and
the number of SDK clients built. The emulator runs in the parent process, so its work is not
counted here; the parent reads its request log for requests per poll.

The spec names each run as ``[workflow or job, run id]``. Sides: ``ours`` = ``WorkflowRunTrigger``
on ``GlueWorkflowRunHook`` (GetWorkflowRun for a run alone in its workflow; waits on runs of one
workflow share GetWorkflowRuns, see ``triggers/shared_reads.py``); ``amazon`` =
``GlueJobCompleteTrigger`` (GetJobRun through an aiobotocore waiter); ``gate`` = ONE
``CrossCloudGateTrigger`` holding every run (policy ``all``). The first two make one trigger per run.
With ``deferred_together``, our triggers all say they deferred at the same moment
(``last_poll_at``, so their first polls come one interval later, together), as the gate says.
Our waits' polls are counted in the child (by wrapping ``read_run_renewing``, instrumentation only): how
many each wait sent, and how many reads served them (a shared read gives its waits one send time).
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

from benchlib import CONN_ID, POLLS, PeakRss, count_polls, raise_fd_limit, rss_bytes, uss_bytes, versions, write_json

Factory = Callable[[str], Any]
#: A run the spec names: (workflow or job name, run id).
Target = tuple[str, str]

#: The current wait's list of poll send times (set in each wait's task; read by the read_run_renewing wrapper).


class Side:
    """How one side builds a trigger, judges its event and counts the SDK clients it built."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.clients_built = 0

    def trigger(self, name: str, run_id: str, last_poll_at: float | None) -> Any:
        raise NotImplementedError

    def triggers(self, targets: Sequence[Target]) -> list[Any]:
        """The triggers that wait on these runs: one per run unless the side batches them."""
        last_poll_at = time.time() if self.spec.get("deferred_together") else None
        return [self.trigger(name, run_id, last_poll_at) for name, run_id in targets]

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
        from airflow_workflow_runs.hooks import shared_clients
        from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
        from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger

        self._shared_clients = shared_clients
        self._trigger_class = WorkflowRunTrigger
        build = GlueWorkflowRunHook.build_client

        def counting_build_client(hook: Any, conn: Any) -> Any:  # instrumentation only: counts, then delegates
            self.clients_built += 1
            return build(hook, conn)

        GlueWorkflowRunHook.build_client = counting_build_client  # type: ignore[method-assign,assignment]
        count_polls()

    def trigger(self, name: str, run_id: str, last_poll_at: float | None) -> Any:
        return self._trigger_class(
            hook_class="airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
            hook_kwargs={"aws_conn_id": CONN_ID},
            ref={"workflow_name": name, "run_id": run_id},
            poll_interval=self.spec["interval"],
            deadline=time.time() + self.spec["timeout"],
            last_poll_at=last_poll_at,
        )

    def succeeded(self, payload: Mapping[str, Any]) -> bool:
        return payload.get("status") == "terminal" and (payload.get("run") or {}).get("state") == "succeeded"

    def reset_caches(self) -> None:
        self._shared_clients.clear_shared_clients()

    def details(self) -> dict[str, Any]:
        return {"shared_client_cache_entries": len(self._shared_clients.SHARED)}


class Gate(Ours):
    """Ours, as a gate: ONE ``CrossCloudGateTrigger`` holding a ``RunTarget`` per run, policy ``all``."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        from airflow_workflow_runs.triggers.cross_cloud_gate import CrossCloudGateTrigger

        self._gate_class = CrossCloudGateTrigger

    def triggers(self, targets: Sequence[Target]) -> list[Any]:
        run_targets = [
            {
                "service": "glue",
                "hook_class": "airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook",
                "hook_kwargs": {"aws_conn_id": CONN_ID},
                "ref": {"workflow_name": name, "run_id": run_id},
            }
            for name, run_id in targets
        ]
        gate = self._gate_class(
            targets=run_targets,
            policy="all",
            poll_interval=self.spec["interval"],
            deadline=time.time() + self.spec["timeout"],
            first_poll_at=datetime.now(timezone.utc).isoformat(),
            last_poll_at=time.time() if self.spec.get("deferred_together") else None,
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

        AwsGenericHook._get_async_conn = counting_get_async_conn  # type: ignore[method-assign,assignment]

    def trigger(self, name: str, run_id: str, last_poll_at: float | None) -> Any:
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


async def _first_event(trigger: Any, polls: list[float]) -> Mapping[str, Any] | None:
    POLLS.set(polls)
    async with contextlib.aclosing(trigger.run()) as events:
        async for event in events:
            return dict(event.payload)
    return None


async def run_waits(side: Side, targets: Sequence[Target], timeout: float) -> dict[str, Any]:
    """Start the side's triggers for these runs at once; bounded by ``timeout`` (stragglers are cancelled).

    ``outcomes["succeeded"]`` counts runs (a gate's event reports many); other outcomes count triggers.
    ``polls_per_trigger``: how many of our ``WorkflowRunTrigger``s sent how many polls (none for the
    other sides); ``reads``: the distinct send times of those polls (a shared read has one).
    """
    triggers = side.triggers(targets)
    polls: list[list[float]] = [[] for _ in triggers]
    tasks = [asyncio.create_task(_first_event(trigger, sent)) for trigger, sent in zip(triggers, polls, strict=True)]
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
    counted = [len(sent) for sent in polls if sent]
    return {
        "outcomes": dict(outcomes),
        "errors": errors,
        "triggers": len(tasks),
        "polls_per_trigger": dict(Counter(counted)),
        "polls_sent": sum(counted),
        "reads": len({t for sent in polls for t in sent}),
    }


def live_sdk_clients() -> int:
    """botocore clients still reachable after every wait ended (a cache of one is expected for ours)."""
    from botocore.client import BaseClient

    return sum(1 for obj in gc.get_objects() if isinstance(obj, BaseClient))


async def measure(side: Side, spec: Mapping[str, Any]) -> dict[str, Any]:
    # Warm-up runs are in workflows of their own, so a measured GetWorkflowRuns lists measured runs only.
    warmup = await run_waits(side, [tuple(t) for t in spec["warmup"]], spec["timeout"])
    side.reset_caches()
    built_in_warmup, side.clients_built = side.clients_built, 0
    gc.collect()
    rss0, uss0 = rss_bytes(), uss_bytes()
    with PeakRss() as peak:
        epoch0, wall0, cpu0 = time.time(), time.perf_counter(), time.process_time()
        result = await run_waits(side, [tuple(t) for t in spec["runs"]], spec["timeout"])
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
