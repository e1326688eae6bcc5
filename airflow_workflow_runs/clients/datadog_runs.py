"""Datadog workflow instances on the wire: the status table, the instance parser, times, and the
failure text. No SDK import: :mod:`.datadog` calls Datadog, this module interprets the answers.

The published response schema is loose (``<any-key>``): the status is read from
``data.attributes.instanceStatus.detailsKind``. There is no published enum; the table holds the
values seen in Datadog's own recorded API tests and product: ``IN_PROGRESS`` (running),
``SUCCEEDED``, ``CANCELED`` (one L: cancelled), ``INSTANCE_ERROR`` and ``STEP_ERROR`` (failed).
Anything else fails closed (``UNKNOWN``) with the raw value in the message. A failed instance's
text names its ``errorDetail`` and every step whose ``stepState`` is not ``SUCCEEDED``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from airflow_workflow_runs.clients.answers import reads_answer, require_listing, require_object, require_status
from airflow_workflow_runs.clients.base import RunRef, map_status
from airflow_workflow_runs.model import GarbledAnswer, RunState, WorkflowRun

SERVICE = "datadog"

#: ``instanceStatus.detailsKind`` values seen on real instances; anything else is UNKNOWN.
STATUS_TABLE: Mapping[str, RunState] = {
    "IN_PROGRESS": RunState.RUNNING,
    "SUCCEEDED": RunState.SUCCEEDED,
    "CANCELED": RunState.CANCELLED,
    "INSTANCE_ERROR": RunState.FAILED,
    "STEP_ERROR": RunState.FAILED,
}


def listed_instances(page: Any, what: str) -> list[Any]:
    """The ``data`` of a ListWorkflowInstances page about ``what``, else a GarbledAnswer naming it.
    Datadog sends ``{"data": [], "meta": ...}`` when there are none: a page without its list
    (``{}``, ``[]``) is garbled, never the end of the listing."""
    try:
        return require_listing(page, "data")
    except GarbledAnswer as error:
        raise error.about(f"ListWorkflowInstances of {what}") from None


@reads_answer
def run_from_wire(
    raw: Mapping[str, Any],
    ref: Mapping[str, str],
    *,
    site: str,
    app_host: str,
    unlisted_status: Callable[[Mapping[str, str], str], RunState],
) -> WorkflowRun:
    """One instance (``{"data": ..., "meta": ...}``; ``ref``: the validated ref read) in the model.

    Datadog publishes no status enum: a ``detailsKind`` missing from the table ends the wait (as
    ``unknown``) only once the instance has an end time; until then ``unlisted_status`` decides
    (the client's answer: running, with the value logged once per instance).
    """
    data = obj(require_object(raw).get("data"))
    attributes = obj(data.get("attributes"))
    instance_id = str(data.get("id") or attributes.get("id") or ref["instance_id"])
    run_ref = {"workflow_id": ref["workflow_id"], "instance_id": instance_id}
    status_obj = attributes.get("instanceStatus")
    raw_status = require_status(
        status_obj.get("detailsKind") if isinstance(status_obj, Mapping) else None,
        "attributes.instanceStatus.detailsKind",
    )
    state = map_status(STATUS_TABLE, raw_status)
    steps = [s for s in attributes.get("stepStateAssociations") or [] if isinstance(s, Mapping)]
    ended_at = parse_time(attributes.get("endTimestamp"))
    error = None
    if state is RunState.UNKNOWN and ended_at is None:
        state = unlisted_status(run_ref, raw_status)
    elif state is RunState.UNKNOWN:
        error = f"instanceStatus.detailsKind {raw_status!r} is not in the Datadog status table of this provider"
    if state in (RunState.FAILED, RunState.CANCELLED, RunState.UNKNOWN):
        error = "; ".join(filter(None, [error, failure_text(attributes, steps)])) or None
    outputs = attributes.get("outputs")
    meta = obj(raw.get("meta"))
    return WorkflowRun(
        service=SERVICE,
        ref=run_ref,
        run_id=instance_id,
        state=state,
        raw_status=str(raw_status),
        started_at=parse_time(attributes.get("startTimestamp")),
        ended_at=ended_at,
        error=error,
        outputs=dict(outputs) if isinstance(outputs, Mapping) else None,
        console_url=console_url(app_host, run_ref),
        details={
            "display_name": status_obj.get("displayName") if isinstance(status_obj, Mapping) else None,
            "steps": [{"name": s.get("stepName"), "state": s.get("stepState")} for s in steps],
            "error_detail": attributes.get("errorDetail"),
            "trigger": attributes.get("trigger"),
            "outputs_too_big": bool(meta.get("outputsTooBig")),
            "site": site,
        },
    )


def console_url(app_host: str, ref: RunRef) -> str:
    """The instance's page in the Datadog web app of its site (``app_host``)."""
    workflow_id = quote(str(ref.get("workflow_id", "")), safe="")
    instance_id = quote(str(ref.get("instance_id", "")), safe="")
    return f"https://{app_host}/workflow/{workflow_id}?instance={instance_id}"


def failure_text(attributes: Mapping[str, Any], steps: list[Mapping[str, Any]]) -> str | None:
    parts = []
    detail = attributes.get("errorDetail")
    if detail:
        parts.append(f"errorDetail: {short(detail)}")
    failed = []
    for step in steps:
        state = step.get("stepState")
        if state == "SUCCEEDED":
            continue
        text = f"{step.get('stepName')!s} ({state})"
        step_error = step.get("errorDetail") or step.get("error") or step.get("errorMessage")
        if step_error:
            text += f": {short(step_error, 300)}"
        failed.append(text)
    if failed:
        parts.append("steps not succeeded: " + ", ".join(failed))
    return "; ".join(parts) or None


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # Python < 3.12 takes at most 6 fractional digits.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def obj(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else (the schema promises nothing)."""
    return value if isinstance(value, Mapping) else {}


def short(value: Any, limit: int = 500) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def contains_pair(value: Any, key: str, wanted: str, depth: int = 0) -> bool:
    """Whether ``{key: wanted}`` appears anywhere in a JSON-like value."""
    if depth > 8:
        return False
    if isinstance(value, Mapping):
        if value.get(key) == wanted:
            return True
        return any(contains_pair(v, key, wanted, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(contains_pair(v, key, wanted, depth + 1) for v in value)
    return False
