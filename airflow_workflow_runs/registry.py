"""Resolve a hook class from its dotted path, as stored in trigger kwargs.

Sensors and operators name their hook by path so that importing them (at every DAG parse) does not
import the hook module and its cloud SDK.

Cloud SDKs are first imported in the I/O pool's threads, and the five share packages (urllib3,
requests, aiohttp): imported by several threads at once, Python's import system can fail with
``_DeadlockError`` or leave a half-initialized module (seen: 1 fresh start in 40, "module 'urllib3'
has no attribute 'util'"). :func:`importing_sdk` makes those first imports one at a time, with the
cyclic garbage collector paused: an SDK import allocates hundreds of thousands of objects, which set
off full collections of the triggerer's whole heap (0.3-0.5 s holding the GIL, seen in ``make e2e``
as "async thread was blocked" warnings). Afterwards what was imported is frozen (``gc.freeze``), so
later full collections skip it.

A service's SDK comes with a pip extra (``[azure]``, ``[datadog]``, ``[dataworks]``): its sensor
imports without it, and loading its hook says which extra to install (:class:`MissingExtra`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

DISTRIBUTION = "airflow-workflow-runs"


class MissingExtra(ImportError):
    """A hook's SDK is not installed; the message names the pip extra that installs it."""


#: Held while a hook module is imported and while a hook class builds its first client (which
#: imports the rest of its SDK): SDK imports happen one thread at a time.
SDK_IMPORT_LOCK = threading.RLock()
_paused = 0  # importing_sdk() calls in progress (nested ones: the lock is reentrant)


@contextmanager
def importing_sdk() -> Iterator[None]:
    """Hold :data:`SDK_IMPORT_LOCK` with the cyclic GC paused; freeze the survivors at the end."""
    global _paused
    with SDK_IMPORT_LOCK:
        enabled = gc.isenabled()
        _paused += 1
        gc.disable()
        try:
            yield
        finally:
            _paused -= 1
            if _paused == 0:
                gc.freeze()  # the imported modules are for good: no full collection scans them again
                if enabled:
                    gc.enable()


def load_hook_class(path: str) -> type[WorkflowRunHook]:
    """Import ``package.module.Class`` and check it is a workflow run hook."""
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ValueError(f"hook class path {path!r} is not of the form 'package.module.Class'")
    with importing_sdk():
        try:
            module = import_module(module_name)
        except ImportError as error:
            missing = _missing_extra(module_name, path, error)
            if missing is None:
                raise
            raise missing from error
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, WorkflowRunHook):
        raise TypeError(f"{path!r} is not a WorkflowRunHook subclass")
    return cls


def _missing_extra(module_name: str, path: str, error: ImportError) -> MissingExtra | None:
    """The error naming the extra of the service whose hook is ``path``, when what failed to import
    is another distribution (its SDK, or a package the SDK needs); else None."""
    missing = error.name or ""
    if missing.partition(".")[0] in ("", __name__.partition(".")[0], module_name.partition(".")[0]):
        return None  # the hook's own package: a wrong path or a broken module, not a missing SDK
    from airflow_workflow_runs.services import declarations

    service = next((s for s in declarations() if s.hook_class_path == path and s.extra), None)
    if service is None:
        return None
    return MissingExtra(
        f"{service.title} needs its SDK ({error}); install it with "
        f"pip install '{DISTRIBUTION}[{service.extra}]' (or '{DISTRIBUTION}[all]')",
        name=error.name,
    )


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
