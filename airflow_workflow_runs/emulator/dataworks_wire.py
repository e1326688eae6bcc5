"""DataWorks' RPC shapes: parameters in, the workflow instance document and the gateway's errors out.

Pure functions and constants, no state: :mod:`.dataworks` decides what an operation does, this
module says how the OpenAPI gateway reads parameters (query or form, lists as JSON strings, business
dates as UTC+8 midnights in epoch milliseconds) and spells answers. Kept apart so the one document
clients parse, the instance, reads in one place.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

from .store import RunRecord
from .timeline import Position
from .wire import Request, Response

VERSION = "2024-05-18"
TERMINAL = frozenset({"Success", "Failure"})
NOT_STARTED = frozenset({"NotRun", "WaitTime", "WaitResource"})
BIZ_DATE_TZ = timezone(timedelta(hours=8))
DEFAULT_CODES = {
    400: "InvalidParameter",
    401: "InvalidAccessKeyId",
    403: "Forbidden.Access",
    404: "InvalidWorkflowInstance.NotFound",
    429: "Throttling.User",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class DataWorksError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str | None, message: str | None, retry_after_ms: int | None = None) -> Response:
    """The gateway's error body; a throttling answer carries ``x-acs-retry-after`` when ``retry_after_ms`` is set."""
    code = code or DEFAULT_CODES.get(status, "InternalError")
    body = {
        "RequestId": str(uuid.uuid4()).upper(),
        "HostId": "dataworks.aliyuncs.com",
        "Code": code,
        "Message": message or ("Request was denied due to user flow control." if "Throttl" in code else code),
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=dataworks-public",
    }
    headers = {}
    if retry_after_ms is not None and (status == 429 or code.startswith("Throttling")):
        headers["x-acs-retry-after"] = str(retry_after_ms)
    return Response.json(body, status, content_type="application/json;charset=utf-8", headers=headers)


def ms(epoch: float) -> int:
    return int(epoch * 1000)


def biz_date_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=BIZ_DATE_TZ).timestamp() * 1000)


def workflow_key(project_id: int, workflow_id: int) -> str:
    return f"{project_id}/{workflow_id}"


def int_param(params: Mapping[str, str], name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise DataWorksError(400, "MissingParameter", f"The input parameter {name} that is mandatory is missing.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} must be an integer: {raw!r}") from None
    if value <= 0:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} must be positive: {raw!r}")
    return value


def json_param(params: Mapping[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise DataWorksError(400, "InvalidParameter", f"The parameter {name} is not valid JSON.") from None


def request_params(request: Request) -> dict[str, str]:
    """An operation's parameters: the query, plus the form body of POST operations."""
    params = {k: v[-1] for k, v in request.query.items() if v}
    if request.body:
        content_type = request.header("content-type") or ""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise DataWorksError(400, "InvalidParameter", f"unsupported content type {content_type!r}")
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        params.update({k: v[-1] for k, v in form.items() if v})
    return params


def biz_days(periods: Any) -> list[date]:
    """The business dates CreateWorkflowInstances' ``Periods`` names (default: yesterday in UTC+8)."""
    if not periods:
        return [datetime.now(BIZ_DATE_TZ).date() - timedelta(days=1)]
    days: list[date] = []
    try:
        # The SDK sends one object {"BizDates": [...], "StartTime", "EndTime"}; a list is accepted too.
        for period in [periods] if isinstance(periods, Mapping) else periods:
            for span in period["BizDates"]:
                start = date.fromisoformat(span["StartBizDate"])
                end = date.fromisoformat(span["EndBizDate"])
                while start <= end and len(days) < 366:
                    days.append(start)
                    start += timedelta(days=1)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataWorksError(400, "InvalidParameter", f"The parameter Periods is not valid: {exc}") from exc
    if not days:
        raise DataWorksError(400, "InvalidParameter", "The parameter Periods names no business date.")
    return days


def wire_instance(run: RunRecord, pos: Position) -> dict[str, Any]:
    """A workflow instance as GetWorkflowInstance answers it (and ListWorkflowInstances lists it)."""
    data = run.data
    status = pos.step.status
    changed = ms(max(pos.entered_at, run.started_on))
    out: dict[str, Any] = {
        "Id": int(run.run_id),
        "WorkflowId": data["workflow_id"],
        "WorkflowTaskInstanceId": data["task_instance_id"],
        "UnifiedWorkflowInstanceId": data["unified_id"],
        "Name": data["name"],
        "Type": data["type"],
        "Status": status,
        "BizDate": data["biz_date"],
        "ProjectId": data["project_id"],
        "EnvType": data["env_type"],
        "Owner": data["owner"],
        "CreateTime": ms(run.started_on),
        "ModifyTime": changed,
        "CreateUser": data["owner"],
        "ModifyUser": data["owner"],
        "WorkflowParameters": data.get("workflow_parameters") or "",
        "Tags": [{"Key": k, "Value": v} for k, v in data.get("tags", {}).items()],
    }
    if status not in NOT_STARTED:
        out["StartedTime"] = ms(run.started_on)
    if status in TERMINAL:
        out["FinishedTime"] = changed
    return out
