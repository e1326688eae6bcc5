"""Reading the runs a DAG run was scheduled for: the payloads of its triggering asset events.

A watcher's event carries the normalized run (``run``) under a ``key`` naming service, workflow
and run id. Airflow may hand one DAG run several events (runs that finished before the scheduler
looked), and after a triggerer crash a run may be announced twice (``possible_duplicate``):
:func:`finished_runs` gives each run once, oldest end first. No Airflow import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_workflow_runs.model import WorkflowRun

KIND = "workflow_run_finished"


def _payload(event: Any) -> Mapping[str, Any] | None:
    extra = event.get("extra") if isinstance(event, Mapping) else getattr(event, "extra", None)
    payload = extra.get("payload") if isinstance(extra, Mapping) else None
    return payload if isinstance(payload, Mapping) and payload.get("kind") == KIND else None


def finished_runs(events: Any) -> list[WorkflowRun]:
    """The runs behind ``triggering_asset_events`` (all assets, or one asset's list), each once.

    Accepts the context's ``triggering_asset_events`` mapping or a sequence of its events.
    """
    if isinstance(events, Mapping):
        events = [event for per_asset in events.values() for event in per_asset]
    seen: dict[str, WorkflowRun] = {}
    for event in events or ():
        payload = _payload(event)
        if payload is not None and payload["key"] not in seen:
            seen[payload["key"]] = WorkflowRun.from_dict(payload["run"])
    return sorted(seen.values(), key=lambda run: (run.ended_at is None, run.ended_at or 0, run.run_id))
