"""What a command runs in: Airflow's connection lookup, quiet logs, and maybe the bundled emulator.

Each is a context manager that puts back what it changed, so ``main([...])`` called in-process (a
test, a notebook) leaves the environment and logging as they were.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from typing import Any


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def airflow_lookups() -> Iterator[None]:
    """Connections from ``AIRFLOW_CONN_*`` and then the metadata DB, as ``airflow connections get``
    reads them. Outside a task, Airflow's secrets search skips the DB unless told it is a server process."""
    if os.environ.get("_AIRFLOW_PROCESS_CONTEXT"):
        yield
        return
    with patched_environ({"_AIRFLOW_PROCESS_CONTEXT": "server"}):
        yield


@contextmanager
def quiet_logging(verbose: bool) -> Iterator[None]:
    """Hook and SDK logs only when asked (``-v``), and never on stdout, which ``--json`` owns.

    Airflow sends stdlib logging and structlog to stdout at INFO; meanwhile both go to stderr, at
    ERROR (INFO with ``-v``). Airflow keeps structlog's levels in its own table, set here too.
    """
    _import_airflow(verbose)
    import structlog

    level = logging.INFO if verbose else logging.ERROR
    root = logging.getLogger()
    saved_level = root.level
    stdout = (sys.stdout, sys.__stdout__)
    moved = [(h, h.stream) for h in root.handlers if isinstance(h, logging.StreamHandler) and h.stream in stdout]
    factory: Any = structlog.get_config().get("logger_factory")
    saved_io = getattr(factory, "io", None)
    levels = getattr(sys.modules.get(type(factory).__module__), "PER_LOGGER_LEVELS", None)
    saved_default = levels.get("") if levels is not None else None
    for handler, _ in moved:
        handler.setStream(sys.stderr)
    root.setLevel(level)
    if hasattr(factory, "io"):
        factory.io = sys.stderr
    if saved_default is not None:
        levels[""] = level  # type: ignore[index]
    try:
        yield
    finally:
        root.setLevel(saved_level)
        for handler, stream in moved:
            handler.setStream(stream)
        if hasattr(factory, "io"):
            factory.io = saved_io
        if saved_default is not None:
            levels[""] = saved_default  # type: ignore[index]


def _import_airflow(verbose: bool) -> None:
    """Import Airflow (it configures logging) at the level wanted and writing to stderr, so that
    even what it logs while loading its configuration stays off stdout."""
    if "airflow.sdk" in sys.modules:
        return
    level = "INFO" if verbose else "ERROR"
    with patched_environ({"AIRFLOW__LOGGING__LOGGING_LEVEL": level}), redirect_stdout(sys.stderr):
        import airflow.sdk  # noqa: F401


@contextmanager
def bundled_emulator(note: Callable[[str], Any]) -> Iterator[None]:
    """The bundled emulator (``demo`` scenario) in this process, with every service's default
    connection id pointing at it, as ``make demo`` sets them up."""
    from airflow_workflow_runs.emulator import Emulator
    from airflow_workflow_runs.emulator.connections import connection_env, emulator_connections

    with Emulator(scenario="demo") as emulator:
        connections = emulator_connections(emulator.https_url, emulator.ca_bundle)
        note(f"emulator: {emulator.https_url} (demo scenario); connections {', '.join(sorted(connections))}")
        with patched_environ(connection_env(connections)):
            yield
