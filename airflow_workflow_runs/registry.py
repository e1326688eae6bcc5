"""Resolve a hook class from its dotted path, as stored in trigger kwargs.

Sensors and operators name their hook by path so that importing them (at every DAG parse) does not
import the hook module and its cloud SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from airflow_workflow_runs.clients.io import run_blocking

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.base import WorkflowRunHook


def load_hook_class(path: str) -> type[WorkflowRunHook]:
    """Import ``package.module.Class`` and check it is a workflow run hook."""
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError(f"hook class path {path!r} is not of the form 'package.module.Class'")
    cls = getattr(import_module(module_name), class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, WorkflowRunHook):
        raise TypeError(f"{path!r} is not a WorkflowRunHook subclass")
    return cls


async def aload_hook_class(path: str) -> type[WorkflowRunHook]:
    """:func:`load_hook_class` in the I/O pool: a hook module imports its cloud SDK (seconds for
    some), which must not stall a triggerer's event loop. Cheap once the module is imported."""
    return await run_blocking(load_hook_class, path)
