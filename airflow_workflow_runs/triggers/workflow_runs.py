"""Deprecated: the gate trigger is :class:`~airflow_workflow_runs.triggers.cross_cloud_gate.CrossCloudGateTrigger`.

Kept for one release so that triggers stored under the old class path (deferred tasks of a
deployment being upgraded) still resume; they re-serialize under the new path.
"""

from __future__ import annotations

from typing import Any

_RENAMED = {"WorkflowRunsTrigger": "CrossCloudGateTrigger"}


def __getattr__(name: str) -> Any:
    if name not in _RENAMED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from airflow_workflow_runs.triggers import cross_cloud_gate

    return getattr(cross_cloud_gate, _RENAMED[name])
