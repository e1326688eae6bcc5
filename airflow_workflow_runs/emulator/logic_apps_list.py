"""ListWorkflowRuns of the Logic Apps emulator: the ``$filter`` grammar, ``$top``/``$skiptoken`` paging
and ``nextLink``, newest run first.

Its own module because the filter is the strictest part of the emulation: anything the real
service refuses (a quoted time, ``or``, an unknown field) is refused here with the same 400
InvalidQueryFilter, so clients cannot come to rely on a filter Azure would not run.
"""

from __future__ import annotations

import operator
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .logic_apps_wire import ArmError, origin, wire_run
from .service import CallContext
from .store import RunRecord, Store, Workflow
from .timeline import Position
from .wire import Request

DEFAULT_PAGE_SIZE = 30
FILTER_TERM = re.compile(
    r"^\s*(?:(?P<field>ClientTrackingId|Status)\s+eq\s+'(?P<value>(?:[^']|'')*)'"
    r"|StartTime\s+(?P<op>ge|gt|le|lt)\s+(?P<moment>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?))"
    r"\s*$",
    re.IGNORECASE,
)
COMPARE = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def list_runs(
    store: Store,
    service: str,
    workflow: Workflow,
    request: Request,
    ctx: CallContext,
    *,
    apply_start_time_filter: bool = True,
) -> dict[str, Any]:
    """One page of a workflow's runs as ListWorkflowRuns answers it; only the runs on the page are
    observed. ``apply_start_time_filter=False`` accepts StartTime terms without applying them."""
    conditions = parse_filter(request.query_value("$filter"))
    if not apply_start_time_filter:
        conditions = [term for term in conditions if term[0] != "starttime"]
    top_raw = request.query_value("$top")
    try:
        top = int(top_raw) if top_raw is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        raise ArmError(400, "InvalidTopParameter", f"The $top value '{top_raw}' is not an integer.") from None
    if not 1 <= top <= 250:
        raise ArmError(400, "InvalidTopParameter", f"The $top value '{top}' must be between 1 and 250.")
    skip_raw = request.query_value("$skiptoken") or "0"
    try:
        skip = int(skip_raw)
    except ValueError:
        raise ArmError(400, "InvalidSkipToken", "The $skiptoken is invalid.") from None
    with store.lock:
        runs = sorted(store.runs(service, workflow.name), key=lambda r: (-r.started_on, -r.seq))
        matching: list[tuple[RunRecord, Position]] = []
        for run in runs:
            pos = store.peek(run)
            if all(run_matches(run, pos, field, op, value) for field, op, value in conditions):
                matching.append((run, pos))
        page = matching[skip : skip + top]
        position = store.observe if ctx.observe else store.peek
        out: dict[str, Any] = {"value": [wire_run(workflow, run, position(run)) for run, _ in page]}
    if skip + top < len(matching):
        query = [("api-version", request.query_value("api-version") or "")]
        for name in ("$filter",):
            if request.query_value(name) is not None:
                query.append((name, request.query_value(name) or ""))
        query += [("$top", str(top)), ("$skiptoken", str(skip + top))]
        encoded = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        out["nextLink"] = f"{origin(request)}{request.path}?{encoded}"
    return out


def parse_filter(raw: str | None) -> list[tuple[str, str, Any]]:
    """``ClientTrackingId eq 'x' and StartTime ge 2026-01-01T00:00:00Z`` -> [(field, op, value)].

    Terms: ClientTrackingId or Status ``eq '<text>'``, StartTime ``ge|gt|le|lt <ISO 8601, unquoted>``
    (no zone: UTC), joined by ``and``. Anything else, a quoted time included, is refused with the
    real service's 400 InvalidQueryFilter.
    """
    if raw is None or not raw.strip():
        return []
    terms: list[tuple[str, str, Any]] = []
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        match = FILTER_TERM.match(part)
        moment = filter_moment(match.group("moment")) if match and match.group("moment") else None
        if match is None or (match.group("op") and moment is None):
            raise ArmError(
                400, "InvalidQueryFilter", f"The provided query filter '{raw}' is not valid or not supported."
            )
        if moment is not None:
            terms.append(("starttime", match.group("op").lower(), moment))
        else:
            terms.append((match.group("field").lower(), "eq", match.group("value").replace("''", "'")))
    return terms


def filter_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def run_matches(run: RunRecord, pos: Position, field: str, op: str, value: Any) -> bool:
    """Whether a run at ``pos`` satisfies one parsed filter term."""
    if field == "starttime":  # at the microsecond precision the wire shows
        return bool(COMPARE[op](datetime.fromtimestamp(run.started_on, timezone.utc), value))
    if field == "clienttrackingid":
        return bool(run.data["client_tracking_id"] == value)
    return pos.step.status.lower() == value.lower()
