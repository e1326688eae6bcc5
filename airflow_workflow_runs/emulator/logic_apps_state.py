"""Workflows and runs of the Logic Apps emulator, and the Python API that sets them up and reads them back.

:class:`LogicAppsState` is the base of :class:`~.logic_apps.LogicAppsService`: it owns what is stored
(a workflow's subscription, resource group, site, triggers, SAS signature and version; a run's
client tracking id, correlation id and trigger body) and how tests, scenarios and schedules add to
it, while the service module only answers HTTP requests over that state. ``site=None`` is a
Consumption workflow, a site name a Standard one. Workflow keys are case-insensitive, as ARM names are.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .logic_apps_wire import DEFAULT_TRIGGER, new_run_name, validate_step, wire_run
from .service import Service
from .store import RunRecord, Workflow
from .timeline import Step

DEFAULT_SUBSCRIPTION = "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b"
DEFAULT_RESOURCE_GROUP = "rg-airflow"
DEFAULT_TIMELINE: tuple[dict[str, Any], ...] = ({"status": "Running", "polls": 2}, {"status": "Succeeded"})


def workflow_key(subscription_id: str, resource_group: str, site: str | None, workflow: str) -> str:
    """Store key of a workflow; ARM names are case-insensitive."""
    return "|".join([subscription_id, resource_group, site or "", workflow]).lower()


class LogicAppsState(Service):
    """Logic Apps workflows and runs in the shared store, with the set-up and read-back API."""

    def validate_step(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return validate_step(extra)

    # --- Python set-up API -----------------------------------------------------------------

    def define_workflow(
        self,
        workflow: str,
        timeline: Sequence[Any] | None = None,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        triggers: Sequence[str] = (DEFAULT_TRIGGER,),
    ) -> None:
        """Create or redefine a workflow (``site`` set: a Standard logic app's workflow).

        Runs started through its request ``triggers`` follow ``timeline``.
        """
        if not workflow:
            raise ValueError("a workflow name is required")
        steps = self.parse_timeline(list(DEFAULT_TIMELINE) if timeline is None else timeline)
        key = workflow_key(subscription_id, resource_group, site, workflow)
        with self.store.lock:
            existing = self.store.workflow(self.name, key)
            data = dict(existing.data) if existing else {}
            data.update(
                {
                    "subscription_id": subscription_id,
                    "resource_group": resource_group,
                    "site": site,
                    "workflow": workflow,
                    "triggers": list(triggers),
                }
            )
            data.setdefault("id", uuid.uuid4().hex)
            data.setdefault("sig", secrets.token_urlsafe(32))
            data.setdefault("version", "0858" + "".join(secrets.choice("0123456789") for _ in range(16)))
            self.store.put_workflow(Workflow(self.name, key, steps, data))

    def _ensure_workflow(self, workflow: str, resource_group: str, site: str | None, subscription_id: str) -> Workflow:
        key = workflow_key(subscription_id, resource_group, site, workflow)
        with self.store.lock:
            found = self.store.workflow(self.name, key)
            if found is None:
                self.define_workflow(
                    workflow, resource_group=resource_group, site=site, subscription_id=subscription_id
                )
                found = self.store.workflow(self.name, key)
            assert found is not None
            return found

    def _new_run(
        self,
        workflow: Workflow,
        steps: Sequence[Step] | None,
        run_id: str | None,
        client_tracking_id: str | None,
        started_on: float | None,
        trigger: str,
        body: Any = None,
    ) -> RunRecord:
        run_id = run_id or new_run_name()
        data = {
            "client_tracking_id": client_tracking_id or run_id,
            "correlation_id": str(uuid.uuid4()),
            "trigger": trigger,
            "trigger_body": body,
        }
        return self.store.new_run(
            self.name, workflow.name, run_id, steps or workflow.timeline, started_on=started_on, data=data
        )

    def add_run(
        self,
        workflow: str,
        timeline: Sequence[Any] | None = None,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
        run_id: str | None = None,
        client_tracking_id: str | None = None,
        started_on: float | None = None,
    ) -> str:
        """Add a run (its workflow created if missing); returns the run name.

        ``site=None`` is a Consumption workflow, a site name a Standard one. The run follows
        ``timeline`` (default: the workflow's) from now; ``started_on`` (epoch seconds) only changes
        the reported start time and the listing order.
        """
        steps = None if timeline is None else self.parse_timeline(timeline)
        with self.store.lock:
            found = self._ensure_workflow(workflow, resource_group, site, subscription_id)
            return self._new_run(found, steps, run_id, client_tracking_id, started_on, DEFAULT_TRIGGER).run_id

    def add_scheduled_run(self, run: Mapping[str, Any], started_on: float) -> str:
        """:meth:`add_run` for a schedule's tick (``run``: ``workflow``, ``timeline``, ``resource_group``,
        ``site``, ``subscription_id``, ``client_tracking_id``)."""
        return self.add_run(**run, started_on=started_on)

    def _record(self, workflow: str, run_id: str, resource_group: str, site: str | None, subscription_id: str) -> Any:
        found = self.store.workflow(self.name, workflow_key(subscription_id, resource_group, site, workflow))
        run = self.store.run(self.name, found.name, run_id) if found else None
        if found is None or run is None:
            raise KeyError(f"no logic_apps run {run_id!r} of workflow {workflow!r} (site {site!r})")
        return found, run

    def snapshot(self, workflow: Workflow, run: RunRecord) -> dict[str, Any]:
        """The stored run as JSON with its current status (not counted as an observation)."""
        with self.store.lock:
            pos = self.store.peek(run)
            wire = wire_run(workflow, run, pos)
            return {
                "service": self.name,
                "tier": "standard" if workflow.data["site"] else "consumption",
                "subscription_id": workflow.data["subscription_id"],
                "resource_group": workflow.data["resource_group"],
                "site": workflow.data["site"],
                "workflow": workflow.data["workflow"],
                "run_id": run.run_id,
                "status": pos.step.status,
                "step_index": pos.index,
                "client_tracking_id": run.data["client_tracking_id"],
                "trigger": run.data["trigger"],
                "trigger_body": run.data["trigger_body"],
                "cancel_requested": run.stop_requested,
                "observations": run.observations,
                "timeline": run.timeline.to_list(),
                "wire": wire,
            }

    def run(
        self,
        workflow: str,
        run_id: str,
        *,
        resource_group: str = DEFAULT_RESOURCE_GROUP,
        site: str | None = None,
        subscription_id: str = DEFAULT_SUBSCRIPTION,
    ) -> dict[str, Any]:
        """The current record of one run; ``KeyError`` if it does not exist."""
        with self.store.lock:
            found, run = self._record(workflow, run_id, resource_group, site, subscription_id)
            return self.snapshot(found, run)

    def runs(self, workflow: str | None = None) -> list[dict[str, Any]]:
        """Every run (of workflows named ``workflow`` if given, any tier), in creation order."""
        with self.store.lock:
            workflows = {w.name: w for w in self.store.workflows(self.name)}
            return [
                self.snapshot(workflows[r.workflow], r)
                for r in self.store.runs(self.name)
                if workflow is None or workflows[r.workflow].data["workflow"] == workflow
            ]
