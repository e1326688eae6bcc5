"""What a wait is told to follow: a run by id, or the newest run of a workflow in a time window.

:class:`RunTarget` is one wait's serializable state (trigger kwargs, XCom): its hook, its run (once
pinned) or its workflow and window, and its terminal answer once seen. Nothing here imports Airflow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from airflow_workflow_runs.model import TimeWindow, WorkflowRun, describe_ref, format_ids


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
