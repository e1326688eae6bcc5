"""Resolve a hook class from its dotted path, as stored in trigger kwargs.

Sensors and operators name their hook by path so that importing them (at every DAG parse) does not
import the hook module and its cloud SDK.

Cloud SDKs are first imported in the I/O pool's threads, and the five share packages (urllib3,
requests, aiohttp): imported by several threads at once, Python's import system can fail with
``_DeadlockError`` or leave a half-initialized module (seen: 1 fresh start in 40, "module 'urllib3'
has no attribute 'util'"). :data:`SDK_IMPORT_LOCK` makes those first imports one at a time.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

#: Held while a hook module is imported and while a hook class builds its first client (which
#: imports the rest of its SDK): SDK imports happen one thread at a time.
SDK_IMPORT_LOCK = threading.RLock()


def load_hook_class(path: str) -> type[WorkflowRunHook]:
    """Import ``package.module.Class`` and check it is a workflow run hook."""
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError(f"hook class path {path!r} is not of the form 'package.module.Class'")
    with SDK_IMPORT_LOCK:
        module = import_module(module_name)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, WorkflowRunHook):
        raise TypeError(f"{path!r} is not a WorkflowRunHook subclass")
    return cls


async def aload_hook_class(path: str) -> type[WorkflowRunHook]:
    """:func:`load_hook_class` in the I/O pool: a hook module imports its cloud SDK (seconds for
    some), which must not stall a triggerer's event loop. Cheap once the module is imported."""
    loaded = _LOADED.get(path)
    if loaded is None:
        from airflow_workflow_runs.clients.io import run_blocking  # not at DAG parse

        loaded = _LOADED[path] = await run_blocking(load_hook_class, path)
    return loaded


#: Hook classes already loaded, by path: a thousand triggers starting at once need no thread each.
_LOADED: dict[str, type[WorkflowRunHook]] = {}
