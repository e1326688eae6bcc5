"""What a service is, said once: :class:`ServiceDeclaration`.

A service's sensor, operator, extra link and hook classes, the arguments its gate references
accept, its trigger kwargs and its provider-info entries are all read from its declaration, so
adding a service is a declaration, a client and a hook, and no generic code changes. Nothing here
imports Airflow or an SDK: DAG parsing and ``get_provider_info`` read declarations freely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from airflow_workflow_runs.model import InvalidRunReference, WorkflowRun


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of an argument a task must give.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Argument:
    """One constructor argument of a service's sensor or operator.

    ``annotation`` is its type as source text (shown by ``help()`` and the docs); ``templated``
    puts it in ``template_fields`` (``renderer`` in ``template_fields_renderers``).
    """

    name: str
    annotation: str
    doc: str
    default: Any = REQUIRED
    templated: bool = True
    renderer: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def doc_line(self) -> str:
        templated = " (templated)" if self.templated else ""
        return f":param {self.name}: {self.doc}{templated}"


#: How far before the DAG run's start a retry looks for the run an earlier try started.
REATTACH_LOOKBACK = timedelta(minutes=10)


@dataclass(frozen=True)
class StartRequest:
    """What a start-and-wait operator asks its service to start, without Airflow types.

    ``arguments`` are the task's rendered operator arguments by name; ``run_key`` tags the run so
    a retry finds it (stable across tries); ``when`` is the DAG run's logical date, or its
    run-after time when it has none; ``log`` is the task's logger.
    """

    arguments: Mapping[str, Any]
    run_key: str
    try_number: int
    dag_id: str
    task_id: str
    run_id: str
    dag_run_started: datetime | None
    when: datetime | None
    log: logging.Logger

    def __getitem__(self, name: str) -> Any:
        return self.arguments.get(name)

    @property
    def lookback_start(self) -> datetime | None:
        """Where a retry's search for an earlier try's run begins: shortly before the DAG run started."""
        return self.dag_run_started - REATTACH_LOOKBACK if self.dag_run_started is not None else None


#: The connection-form field of every service whose endpoint a CA bundle may verify.
CA_BUNDLE_FIELD: Mapping[str, Any] = {
    "label": "CA bundle",
    "description": "Path of a PEM file of certificate authorities that verify the endpoint's TLS "
    "certificate (corporate proxies, the bundled emulator). Empty: the system's.",
    "schema": {"type": ["string", "null"]},
}

#: Starts a run: ``(client, request) -> ref``.
Starter = Callable[[Any, StartRequest], Mapping[str, str]]
#: Finds the still-running run an earlier try started: ``(client, request) -> run or None``.
Reattacher = Callable[[Any, StartRequest], WorkflowRun | None]


@dataclass(frozen=True)
class ServiceDeclaration:
    """One service: its names, its connection, the arguments that name its runs, its docs.

    ``ref_args`` are the client's ref fields with the run id last, ``workflow_args`` its workflow
    fields, ``option_args`` non-secret hook options (``region_name``); all are names of
    ``sensor_arguments``. ``connection_form`` is the provider-info ``connection-types`` entry
    (without ``connection-type``/``hook-class-name``), ``None`` when the connection type belongs to
    another provider. ``home`` is the module holding the hook, sensor, operator and link classes of
    a service declared outside this package (else ``airflow_workflow_runs.<kind>.<name>``).
    ``extra`` is the pip extra of this distribution that installs the service's SDK (``None``: the
    base install has it), named when its hook cannot be loaded.
    """

    name: str
    title: str
    doc_url: str
    tags: tuple[str, ...]
    conn_type: str
    conn_arg: str
    hook_class: str
    hook_name: str
    ref_args: tuple[str, ...]
    workflow_args: tuple[str, ...]
    sensor_class: str
    sensor_doc: str
    sensor_returns: str
    sensor_arguments: tuple[Argument, ...]
    operator_class: str
    operator_doc: str
    operator_arguments: tuple[Argument, ...]
    start: Starter
    link_class: str
    link_name: str
    option_args: tuple[str, ...] = ()
    reattach: Reattacher | None = None
    connection_form: Mapping[str, Any] | None = None
    home: str | None = None
    extra: str | None = None
    _by_name: Mapping[str, Argument] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {a.name: a for a in self.sensor_arguments}
        object.__setattr__(self, "_by_name", by_name)
        operator_names = {a.name for a in self.operator_arguments}
        for name in (self.conn_arg, *self.ref_args, *self.workflow_args, *self.option_args):
            if name not in by_name:
                raise ValueError(f"service {self.name!r}: {name!r} is not one of its sensor arguments")
        for name in (self.conn_arg, *self.option_args):
            if name not in operator_names:
                raise ValueError(f"service {self.name!r}: its operator lacks the argument {name!r}")
        if by_name[self.run_id_arg].default is not None:
            raise ValueError(f"service {self.name!r}: the run id {self.run_id_arg!r} must default to None")

    # -- where its classes live -------------------------------------------------------------------

    def module(self, kind: str) -> str:
        """The module of its ``hooks``, ``sensors``, ``operators``, ``links`` or ``triggers`` class."""
        return self.home or f"airflow_workflow_runs.{kind}.{self.name}"

    @property
    def hook_class_path(self) -> str:
        return f"{self.module('hooks')}.{self.hook_class}"

    @property
    def link_path(self) -> str:
        return f"{self.module('links')}.{self.link_class}"

    @property
    def event_trigger_class(self) -> str:
        """Its AssetWatcher trigger: the sensor's name with ``EventTrigger`` for ``Sensor``."""
        return self.sensor_class.removesuffix("Sensor") + "EventTrigger"

    @property
    def event_trigger_path(self) -> str:
        return f"{self.module('triggers')}.{self.event_trigger_class}"

    @property
    def default_conn(self) -> str | None:
        default: str | None = self._by_name[self.conn_arg].default
        return default

    # -- reading a task's arguments ----------------------------------------------------------------

    @property
    def run_id_arg(self) -> str:
        return self.ref_args[-1]

    @property
    def names(self) -> frozenset[str]:
        """Every argument a reference to this service's runs may hold."""
        return frozenset((self.conn_arg, *self.ref_args, *self.workflow_args, *self.option_args))

    def names_run(self, values: Mapping[str, Any]) -> bool:
        """Whether the arguments give a run id (else they name a workflow and a window).

        Only an absent id (``None``) means "choose a run": an empty one (a template that rendered
        empty) names a run too, and :meth:`ref` refuses it.
        """
        return values.get(self.run_id_arg) is not None

    def ref(self, values: Mapping[str, Any]) -> dict[str, str]:
        """The run's identifiers; a run id that rendered empty is refused, naming the argument."""
        run_id = values.get(self.run_id_arg)
        if isinstance(run_id, str) and not run_id.strip():
            raise InvalidRunReference(
                f"{self.name} {self.run_id_arg} rendered empty ({run_id!r}); leave it out to wait for the "
                "newest run in the window"
            )
        return present(values, self.ref_args)

    def workflow(self, values: Mapping[str, Any]) -> dict[str, str]:
        return present(values, self.workflow_args)

    def hook_kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        kwargs = {self.conn_arg: values.get(self.conn_arg, self.default_conn)}
        kwargs.update({name: values[name] for name in self.option_args if values.get(name) is not None})
        return kwargs


def present(values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The named values that are set, as ids (:func:`id_text`)."""
    return {name: id_text(values[name]) for name in names if values.get(name) is not None}


def id_text(value: Any) -> Any:
    """An integer id as its digits (ids travel as strings); anything else as it is, for validation."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
