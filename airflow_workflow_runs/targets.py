"""What a wait is told to follow: a run by id, or the newest run of a workflow in a time window.

:class:`ServiceArguments` is a service's data: which task arguments name a run, a workflow and a
connection. The service sensors and :class:`~airflow_workflow_runs.sensors.workflow_runs.WorkflowRunsSensor`
read their arguments through it, so the generic code never knows a service's field names.
:class:`RunTarget` is one wait's serializable state (trigger kwargs, XCom): its hook, its run (once
pinned) or its workflow and window, and its terminal answer once seen. Nothing here imports Airflow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from airflow_workflow_runs.model import InvalidRunReference, TimeWindow, WorkflowRun, describe_ref, format_ids


@dataclass(frozen=True)
class ServiceArguments:
    """How a service's task arguments name its run, its workflow and its connection.

    ``ref_args`` are the client's ref fields with the run id last; ``workflow_args`` the client's
    workflow fields. Arguments left ``None`` are dropped (the client fills defaults or says what is
    missing); integers become their digits.
    """

    service: str
    hook_class_path: str
    conn_arg: str
    default_conn: str | None
    ref_args: tuple[str, ...]
    workflow_args: tuple[str, ...]
    option_args: tuple[str, ...] = ()

    @property
    def run_id_arg(self) -> str:
        return self.ref_args[-1]

    @property
    def names(self) -> frozenset[str]:
        """Every argument a reference to this service may hold."""
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
                f"{self.service} {self.run_id_arg} rendered empty ({run_id!r}); leave it out to wait for the "
                "newest run in the window"
            )
        return _present(values, self.ref_args)

    def workflow(self, values: Mapping[str, Any]) -> dict[str, str]:
        return _present(values, self.workflow_args)

    def hook_kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        kwargs = {self.conn_arg: values.get(self.conn_arg, self.default_conn)}
        kwargs.update({name: values[name] for name in self.option_args if values.get(name) is not None})
        return kwargs


def _present(values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, Any] = {}
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        out[name] = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return out


@dataclass(frozen=True)
class RunTarget:
    """One run a wait follows, in the form stored in trigger kwargs and XCom.

    Either ``ref`` names the run (given, or pinned once chosen), or ``workflow`` and ``window``
    say how to choose it. ``run`` is its terminal observation; ``error`` a non-transient error
    reading it (``{"error_type", "message"}``); ``last_status`` its latest raw status, for messages.
    """

    service: str
    hook_class: str
    hook_kwargs: Mapping[str, Any]
    ref: Mapping[str, str] | None = None
    workflow: Mapping[str, str] | None = None
    window: TimeWindow | None = None
    run: WorkflowRun | None = None
    error: Mapping[str, str] | None = None
    last_status: str | None = None

    @property
    def pinned(self) -> bool:
        return self.ref is not None

    @property
    def hook_key(self) -> tuple[str, str]:
        """Targets with equal keys use one hook (class and kwargs: one connection) and its client."""
        return self.hook_class, json.dumps(dict(self.hook_kwargs), sort_keys=True, default=str)

    @property
    def finished(self) -> bool:
        """Terminal run seen, or an error that no further poll can change."""
        return self.run is not None or self.error is not None

    def describe(self) -> str:
        if self.ref is not None:
            return describe_ref(self.service, self.ref)
        ids = format_ids(self.workflow or {})
        window = self.window.describe() if self.window else "any time"
        return f"newest {self.service} run of ({ids}) {window}"

    def state_text(self) -> str:
        """Where this target stands, for messages naming every run of a gate."""
        if self.run is not None:
            return f"{self.run.describe()} ({self.run.state.value})"
        if self.error is not None:
            message = str(self.error.get("message"))
            return message if self.describe() in message else f"{self.describe()}: {message}"
        if self.ref is None:
            return f"{self.describe()}: no run yet"
        return f"{self.describe()} is {self.last_status or 'not read yet'}"

    def observe(self, run: WorkflowRun) -> RunTarget:
        """This target's run as just read (or chosen): pinned, and kept once terminal."""
        return replace(self, ref=dict(run.ref), run=run if run.is_terminal else None, last_status=run.raw_status)

    def fail(self, error: Exception) -> RunTarget:
        return replace(self, error={"error_type": type(error).__name__, "message": str(error)})

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "hook_class": self.hook_class,
            "hook_kwargs": dict(self.hook_kwargs),
            "ref": dict(self.ref) if self.ref is not None else None,
            "workflow": dict(self.workflow) if self.workflow is not None else None,
            "window": self.window.to_dict() if self.window is not None else None,
            "run": self.run.to_dict() if self.run is not None else None,
            "error": dict(self.error) if self.error is not None else None,
            "last_status": self.last_status,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunTarget:
        return cls(
            service=data["service"],
            hook_class=data["hook_class"],
            hook_kwargs=dict(data.get("hook_kwargs") or {}),
            ref=dict(data["ref"]) if data.get("ref") is not None else None,
            workflow=dict(data["workflow"]) if data.get("workflow") is not None else None,
            window=TimeWindow.from_dict(data["window"]) if data.get("window") is not None else None,
            run=WorkflowRun.from_dict(data["run"]) if data.get("run") is not None else None,
            error=dict(data["error"]) if data.get("error") is not None else None,
            last_status=data.get("last_status"),
        )
