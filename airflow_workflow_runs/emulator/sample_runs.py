"""One scripted run of any service, named as its hook and triggers name it.

For code that drives waits of every service alike (the benchmarks, the fresh-process tests): add a
run that stays running for some polls or seconds and then succeeds, and get what a trigger needs
to follow it — its hook's class path and kwargs (the default connection ids of
:mod:`.connections`), the run's ref, and the ref of its workflow.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .connections import LOGIC_APPS_RESOURCE_GROUP, LOGIC_APPS_SUBSCRIPTION

if TYPE_CHECKING:
    from .app import Emulator

SERVICES = ("glue", "codecatalyst", "datadog", "dataworks", "logic_apps")

_HOOKS = {
    "glue": ("airflow_workflow_runs.hooks.glue.GlueWorkflowRunHook", {"aws_conn_id": "aws_default"}),
    "codecatalyst": (
        "airflow_workflow_runs.hooks.codecatalyst.CodeCatalystWorkflowRunHook",
        {"codecatalyst_conn_id": "codecatalyst_default"},
    ),
    "datadog": (
        "airflow_workflow_runs.hooks.datadog.DatadogWorkflowInstanceHook",
        {"datadog_conn_id": "datadog_workflows_default"},
    ),
    "dataworks": (
        "airflow_workflow_runs.hooks.dataworks.DataWorksWorkflowInstanceHook",
        {"dataworks_conn_id": "alibaba_dataworks_default"},
    ),
    "logic_apps": (
        "airflow_workflow_runs.hooks.logic_apps.LogicAppsWorkflowRunHook",
        {"azure_logic_apps_conn_id": "azure_logic_apps_default"},
    ),
}
#: Each service's raw statuses for "still running" and "succeeded".
STATUSES = {
    "glue": ("RUNNING", "COMPLETED"),
    "codecatalyst": ("IN_PROGRESS", "SUCCEEDED"),
    "datadog": ("IN_PROGRESS", "SUCCEEDED"),
    "dataworks": ("Running", "Success"),
    "logic_apps": ("Running", "Succeeded"),
}
CODECATALYST_SPACE, CODECATALYST_PROJECT = "sample-space", "sample-project"
DATAWORKS_PROJECT = 100


@dataclass(frozen=True)
class SampleRun:
    """A run in the emulator, as a trigger names it."""

    service: str
    hook_class: str
    hook_kwargs: Mapping[str, Any]
    ref: Mapping[str, str]
    workflow: Mapping[str, str] = field(default_factory=dict)


def add_sample_run(
    emu: Emulator,
    service: str,
    workflow: str = "sample",
    *,
    polls: int | None = None,
    seconds: float | None = None,
) -> SampleRun:
    """Add a run of ``workflow`` that answers "running" for ``polls`` observations (or ``seconds``)
    and then succeeds; neither given: it has already succeeded."""
    running, succeeded = STATUSES[service]
    timeline: list[dict[str, Any]] = []
    if polls is not None or seconds is not None:
        timeline.append({"status": running, **({"polls": polls} if polls is not None else {"seconds": seconds})})
    timeline.append({"status": succeeded})
    hook_class, hook_kwargs = _HOOKS[service]
    ref: dict[str, str]
    if service == "glue":
        ref = {"workflow_name": workflow, "run_id": emu.glue.add_run(workflow, timeline)}
        workflow_ref = {"workflow_name": workflow}
    elif service == "codecatalyst":
        workflow_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{workflow}"))
        run_id = emu.codecatalyst.add_run(CODECATALYST_SPACE, CODECATALYST_PROJECT, timeline, workflow_id=workflow_id)
        base = {"space_name": CODECATALYST_SPACE, "project_name": CODECATALYST_PROJECT}
        ref, workflow_ref = {**base, "run_id": run_id}, {**base, "workflow_id": workflow_id}
    elif service == "datadog":
        workflow_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{workflow}"))
        ref = {"workflow_id": workflow_id, "instance_id": emu.datadog.add_instance(workflow_id, timeline)}
        workflow_ref = {"workflow_id": workflow_id}
    elif service == "dataworks":
        dataworks_workflow = 1 + uuid.uuid5(uuid.NAMESPACE_URL, f"sample/{workflow}").int % 10**9
        instance_id = emu.dataworks.add_instance(DATAWORKS_PROJECT, timeline, workflow_id=dataworks_workflow)
        ref = {"project_id": str(DATAWORKS_PROJECT), "instance_id": instance_id}
        workflow_ref = {"project_id": str(DATAWORKS_PROJECT), "workflow_id": str(dataworks_workflow)}
    elif service == "logic_apps":
        base = {"subscription_id": LOGIC_APPS_SUBSCRIPTION, "resource_group_name": LOGIC_APPS_RESOURCE_GROUP}
        run_name = emu.logic_apps.add_run(
            workflow, timeline, subscription_id=LOGIC_APPS_SUBSCRIPTION, resource_group=LOGIC_APPS_RESOURCE_GROUP
        )
        workflow_ref = {**base, "workflow_name": workflow}
        ref = {**workflow_ref, "run_name": run_name}
    else:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return SampleRun(service, hook_class, dict(hook_kwargs), ref, workflow_ref)
