"""DataWorks workflow instances on the wire: ids, the status table, the instance parser, times and
the business dates of a window. No SDK import: :mod:`.dataworks` calls DataWorks, this module
interprets the answers.

Status choices (all eight documented values; the SDK model lists them in its docstring, which
the tests read):

- ``NotRun``, ``WaitTime``, ``WaitResource``, ``CheckingCondition``, ``Running`` and
  ``Checking`` (data-quality checks) are **running**: the instance has not ended. A frozen
  instance stays ``NotRun``/``WaitTime`` indefinitely; the sensor's ``timeout`` ends such a wait.
- ``Success`` is the only success.
- ``Failure`` is **failed**. DataWorks has no cancelled status: a stopped instance
  (StopWorkflowInstances, or "Stop" in Operation Center) also ends as ``Failure``, so the
  message says it may have been stopped.

Times (``StartedTime``, ``FinishedTime``, ``BizDate``, ...) are epoch milliseconds.

Runs in a time window are selected by **business date** (``BizDate``), not start time: DataWorks
lists instances per business date, and the instance scheduled on day D+1 processes (has the
business date of) day D. A window selects every calendar date D, in the timezone of its bounds,
with ``started_after.date() <= D`` and ``midnight(D) < started_before``; so an Airflow daily data
interval ``[D 00:00, D+1 00:00)`` selects exactly D. See :func:`window_business_dates`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any

from airflow_workflow_runs.clients.answers import garbled, json_kind, reads_answer, require_listing, require_status
from airflow_workflow_runs.clients.base import RunRef, map_status
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.model import GarbledAnswer, InvalidRunReference, RunState, TimeWindow, WorkflowRun
from airflow_workflow_runs.services.dataworks import BIZ_DATE_TZ

SERVICE = "dataworks"

#: GetWorkflowInstance ``Status``: the eight documented values, exactly.
STATUS_TABLE: Mapping[str, RunState] = {
    "NotRun": RunState.RUNNING,
    "WaitTime": RunState.RUNNING,
    "WaitResource": RunState.RUNNING,
    "CheckingCondition": RunState.RUNNING,
    "Running": RunState.RUNNING,
    "Checking": RunState.RUNNING,
    "Success": RunState.SUCCEEDED,
    "Failure": RunState.FAILED,
}

CONSOLE = "https://dataworks.data.aliyun.com"
#: A window may select at most this many business dates (one ListWorkflowInstances sequence each).
MAX_WINDOW_DATES = 31

# Instance, workflow and workspace ids are positive 64-bit integers (``Long`` in the API).
ID_PATTERN = r"[1-9][0-9]*"
ID_RULE = "a positive integer written with digits only"
MAX_ID = 2**63 - 1


def validate_id(field_name: str, value: object) -> str:
    """An id as its decimal string, or ``InvalidRunReference`` (before any request)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRunReference(f"dataworks {field_name} must be an integer id, got {type(value).__name__} {value!r}")
    check_string(field_name, value, max_length=19, pattern=ID_PATTERN, rule=ID_RULE, service="dataworks")
    if int(value) > MAX_ID:
        raise InvalidRunReference(f"dataworks {field_name} {value!r} is larger than a 64-bit id ({MAX_ID})")
    return value


def listed_instances(body: Any, what: str) -> tuple[list[Any], int]:
    """The ``PagingInfo.WorkflowInstances`` and ``TotalCount`` of a ListWorkflowInstances answer
    (``body``: the SDK's ``to_map()`` of it, ``None`` without one) about ``what``, else a GarbledAnswer.

    DataWorks always sends ``PagingInfo`` (``TotalCount`` 0 when there are none), and the SDK's map
    of it always holds ``WorkflowInstances`` (``[]`` when absent): an answer without it (``{}``,
    ``[]``, ``null``, a bare string, which the SDK reads as an empty body) is garbled, never "no runs".
    """
    try:
        paging = body.get("PagingInfo") if isinstance(body, Mapping) else None
        if not isinstance(paging, Mapping):
            shown = "it is missing" if paging is None else f"a JSON {json_kind(paging)} instead of an object"
            raise garbled(f"no run listing (no PagingInfo object: {shown})")
        items = require_listing(paging, "WorkflowInstances")
        total = paging.get("TotalCount")
        return items, int(total) if isinstance(total, int | str) and str(total).isdigit() else 0
    except GarbledAnswer as error:
        raise error.about(f"ListWorkflowInstances of {what}") from None


@reads_answer
def run_from_wire(raw: Mapping[str, Any], region: str) -> WorkflowRun:
    """One ``WorkflowInstance`` object (the API's own key names) in the model."""
    ref = {"project_id": str(raw.get("ProjectId", "") or ""), "instance_id": str(raw.get("Id", ""))}
    if not ref["project_id"]:
        del ref["project_id"]
    raw_status = require_status(raw.get("Status"), "WorkflowInstance.Status")
    state = map_status(STATUS_TABLE, raw_status)
    error = None
    if state is RunState.UNKNOWN:
        error = f"status {raw_status!r} is not in the DataWorks status table of this provider"
    elif state is RunState.FAILED:
        error = (
            "the workflow instance failed or was stopped (DataWorks reports a stopped instance as "
            "Failure); see its task instances in Operation Center"
        )
    tags = {str(t.get("Key")): t.get("Value") for t in raw.get("Tags") or [] if isinstance(t, Mapping)}
    biz_date = epoch_ms(raw.get("BizDate"))
    return WorkflowRun(
        service=SERVICE,
        ref=ref,
        run_id=ref["instance_id"],
        state=state,
        raw_status=str(raw_status),
        started_at=epoch_ms(raw.get("StartedTime")),
        ended_at=epoch_ms(raw.get("FinishedTime")),
        error=error,
        console_url=console_url(region, ref),
        details={
            "workflow_id": raw.get("WorkflowId"),
            "name": raw.get("Name"),
            "type": raw.get("Type"),
            "env_type": raw.get("EnvType"),
            "biz_date": biz_date.isoformat() if biz_date is not None else None,
            "workflow_task_instance_id": raw.get("WorkflowTaskInstanceId"),
            "unified_workflow_instance_id": raw.get("UnifiedWorkflowInstanceId"),
            "owner": raw.get("Owner"),
            "workflow_parameters": raw.get("WorkflowParameters"),
            "tags": tags,
        },
    )


def console_url(region: str, ref: RunRef) -> str:
    """Operation Center of the workspace (of the region, when the workspace is not known yet)."""
    url = f"{CONSOLE}/{region}/sc"
    project_id = ref.get("project_id")
    if project_id and re.fullmatch(ID_PATTERN, str(project_id)):
        url += f"?defaultProjectId={project_id}"
    return url


def epoch_ms(value: Any) -> datetime | None:
    """An epoch-milliseconds field as an aware UTC datetime (None when absent or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def biz_date_ms(day: date) -> int:
    """The ``BizDate`` filter value of a business date (its midnight in UTC+8, in ms)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=BIZ_DATE_TZ).timestamp() * 1000)


def window_business_dates(window: TimeWindow, today: date) -> list[date]:
    """The business dates a window selects, oldest first; ``today`` is today's date in UTC+8.

    Every calendar date D, in the timezone of ``started_after`` (UTC for Airflow data intervals),
    with ``started_after.date() <= D`` and ``midnight(D) < started_before``. An open end runs to
    ``today`` so today's instances are not missed; dates after ``today`` have no instances yet and
    are left out. ``started_after`` is required and at most :data:`MAX_WINDOW_DATES` dates may be
    selected, both checked before any request (``InvalidRunReference``).
    """
    after, before = window.started_after, window.started_before
    if after is None:
        raise InvalidRunReference(
            "dataworks selects instances by business date, so the window needs started_after "
            "(for example the data interval start); it has none"
        )
    zone = after.tzinfo
    first = after.date()
    if before is None:
        last = today
    else:
        local = before.astimezone(zone)
        last = local.date()
        if local == datetime.combine(last, clock_time(), tzinfo=zone):  # an end at midnight excludes that date
            last -= timedelta(days=1)
    count = (last - first).days + 1
    if count > MAX_WINDOW_DATES:
        raise InvalidRunReference(
            f"the window {window.describe()} spans {count} dataworks business dates "
            f"({first.isoformat()} to {last.isoformat()}); at most {MAX_WINDOW_DATES} are listed"
        )
    last = min(last, today)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
