"""Deprecated: the gate sensor is :class:`~airflow_workflow_runs.sensors.cross_cloud_gate.CrossCloudGateSensor`.

``WorkflowRunsSensor`` read too much like the single-run ``WorkflowRunSensor``; the old name works,
with a deprecation warning, for one release.
"""

from __future__ import annotations

import warnings
from typing import Any

from airflow.exceptions import AirflowProviderDeprecationWarning

_RENAMED = {"WorkflowRunsSensor": "CrossCloudGateSensor"}


def __getattr__(name: str) -> Any:
    if name not in _RENAMED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from airflow_workflow_runs.sensors import cross_cloud_gate

    warnings.warn(
        f"{__name__}.{name} is deprecated; use airflow_workflow_runs.sensors.cross_cloud_gate.{_RENAMED[name]}",
        AirflowProviderDeprecationWarning,
        stacklevel=2,
    )
    return getattr(cross_cloud_gate, _RENAMED[name])
