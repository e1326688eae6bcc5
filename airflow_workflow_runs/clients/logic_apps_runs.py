"""Logic Apps runs on the wire, both tiers: the status table, the parser, times, and the window
filter of listings. No SDK import: :mod:`.logic_apps` reads, this module interprets.

Status table (every value of ``WorkflowStatus``; tests compare it with azure-mgmt-web's and
azure-mgmt-logic's enums so a new upstream value fails a test). Decisions:

- ``Succeeded`` is a success unless ``properties.error`` is set: then it fails with the error's code and
  message.
- ``Skipped`` and ``Ignored`` -> SKIPPED (the Airflow task is skipped, so downstream tasks do not run, but
  nothing is reported as broken): the platform decided not to execute the run's work (trigger
  conditions not met, the run was ignored), which is what a skip means in Airflow. It is never a success.
- ``Suspended`` -> FAILED: no API resumes a suspended run (Logic Apps suspends runs when the workflow or
  its subscription is disabled/suspended), so waiting on would only end at the timeout; failing at once
  names the status so someone can look.
- ``NotSpecified`` and ``Paused`` -> RUNNING: not an outcome (a status not yet set; a paused run can
  resume); the sensor's timeout bounds the wait. ``Waiting`` (queued behind concurrency limits) ->
  RUNNING.
- ``Failed``, ``Faulted``, ``TimedOut``, ``Aborted`` -> FAILED (with ``properties.error`` when present);
  ``Cancelled`` -> CANCELLED. Any other value -> UNKNOWN: fails with its raw value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from airflow_workflow_runs.clients.answers import reads_answer, require_object, require_status
from airflow_workflow_runs.clients.base import map_status
from airflow_workflow_runs.clients.logic_apps_errors import error_text
from airflow_workflow_runs.model import RunState, TimeWindow, WorkflowRun

SERVICE = "logic_apps"

#: ``WorkflowStatus``, all 13 values (azure-mgmt-web and azure-mgmt-logic agree; tests check both).
STATUS_TABLE: Mapping[str, RunState] = {
    "NotSpecified": RunState.RUNNING,  # no status set yet: not an outcome
    "Paused": RunState.RUNNING,  # may resume
    "Running": RunState.RUNNING,
    "Waiting": RunState.RUNNING,  # queued behind concurrency limits
    "Succeeded": RunState.SUCCEEDED,  # unless properties.error is set
    "Skipped": RunState.SKIPPED,  # the platform chose not to run it: skip, never success
    "Suspended": RunState.FAILED,  # nothing resumes a suspended run
    "Cancelled": RunState.CANCELLED,
    "Failed": RunState.FAILED,
    "Faulted": RunState.FAILED,
    "TimedOut": RunState.FAILED,
    "Aborted": RunState.FAILED,
    "Ignored": RunState.SKIPPED,  # like Skipped
}

_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


@reads_answer
def run_from_wire(raw: Any, ordered: Mapping[str, str], console_url: str | None) -> WorkflowRun:
    """One wire ``WorkflowRun`` (either tier; ``ordered``: its validated ref) in the model."""
    raw = require_object(raw)
    props = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    # Top level in azure-mgmt-logic's flattened model.
    raw_status = require_status(props.get("status", raw.get("status")), "properties.status")
    state = map_status(STATUS_TABLE, raw_status, ignore_case=True)  # Azure's enums ignore case
    error = error_text(props.get("error"))
    code = props.get("code")
    if state is RunState.SUCCEEDED and props.get("error"):
        state = RunState.FAILED
        error = f"Succeeded, but the run reports an error: {error}"
    elif state is RunState.UNKNOWN:
        error = "; ".join(
            filter(None, [f"status {raw_status!r} is not in the Logic Apps status table of this provider", error])
        )
    elif state is not RunState.SUCCEEDED and state is not RunState.RUNNING and not error and code:
        error = f"code {code}"
    correlation = props.get("correlation") if isinstance(props.get("correlation"), Mapping) else {}
    trigger = props.get("trigger") if isinstance(props.get("trigger"), Mapping) else {}
    outputs = props.get("outputs") if isinstance(props.get("outputs"), Mapping) else {}
    assert isinstance(correlation, Mapping) and isinstance(trigger, Mapping) and isinstance(outputs, Mapping)
    return WorkflowRun(
        service=SERVICE,
        ref=ordered,
        run_id=ordered.get("run_name", str(raw.get("name", ""))),
        state=state,
        raw_status=str(raw_status),
        started_at=parse_time(props.get("startTime")),
        ended_at=parse_time(props.get("endTime")),
        error=error or None,
        outputs={k: v.get("value") if isinstance(v, Mapping) else v for k, v in outputs.items()} or None,
        console_url=console_url,
        details={
            "tier": "standard" if "site_name" in ordered else "consumption",
            "resource_id": raw.get("id"),
            "code": code,
            "error": props.get("error"),
            "client_tracking_id": correlation.get("clientTrackingId"),
            "correlation_id": props.get("correlationId"),
            "trigger": {"name": trigger.get("name"), "status": trigger.get("status")} if trigger else None,
            "wait_end_time": props.get("waitEndTime"),
        },
    )


def portal_url(ref: Mapping[str, str], portal: str, location: str | None) -> str | None:
    """The Azure portal's page of a run (Consumption: the run blade; Standard: the workflow monitor,
    with the region when the connection names one); ``None`` for a ref that is not a whole run."""
    try:
        sub, group = ref["subscription_id"], ref["resource_group_name"]
        workflow, run = ref["workflow_name"], ref["run_name"]
    except KeyError:
        return None
    site = ref.get("site_name")
    if site is None:
        run_id = (
            f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Logic/workflows/{workflow}/runs/{run}"
        )
        return f"{portal}/#blade/Microsoft.Logic/LogicAppRunBlade/id/{quote(run_id, safe='')}"
    workflow_id = (
        f"/subscriptions/{sub}/resourcegroups/{group}/providers/microsoft.web/sites/{site}/workflows/{workflow}"
    )
    region = f"/location/{quote(location, safe='')}" if location else ""
    return (
        f"{portal}/#view/Microsoft_Azure_EMA/WorkflowMonitorBlade/id/{quote(workflow_id, safe='')}"
        f"{region}/resourceId/{quote(f'/workflows/{workflow}/runs/{run}', safe='')}"
    )


def odata_time(moment: datetime) -> str:
    """An unquoted ISO 8601 UTC literal, as Logic Apps' ``$filter`` takes it."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{utc.microsecond:06d}" if utc.microsecond else "") + "Z"


def window_filter(window: TimeWindow) -> str | None:
    terms = []
    if window.started_after is not None:
        terms.append(f"StartTime ge {odata_time(window.started_after)}")
    if window.started_before is not None:
        terms.append(f"StartTime lt {odata_time(window.started_before)}")
    return " and ".join(terms) or None


def collect_window_page(page: list[WorkflowRun], window: TimeWindow, found: list[WorkflowRun]) -> bool:
    """Add the page's runs in the window to ``found``; True once a run older than the window shows."""
    for run in page:
        if window.is_older(run.started_at):
            return True
        if window.contains(run.started_at):
            found.append(run)
    return False


def newest_first(runs: list[WorkflowRun]) -> list[WorkflowRun]:
    """The service lists newest first; sorting again (stable) costs nothing and guards the contract."""
    return sorted(runs, key=lambda run: run.started_at or datetime.min.replace(tzinfo=timezone.utc), reverse=True)


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 with any number of fractional digits (Logic Apps sends seven)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    match = _FRACTION.match(value.strip())
    if match is None:
        return None
    base, fraction, zone = match.groups()
    text = base + (f".{(fraction + '000000')[:6]}" if fraction else "")
    if zone in (None, "Z"):
        text += "+00:00"
    else:
        text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
