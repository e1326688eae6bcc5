"""Alibaba Cloud DataWorks workflow instances (OpenAPI 2024-05-18).

Calls, through ``alibabacloud-dataworks-public20240518`` (requests signed by the SDK with
ACS3-HMAC-SHA256): GetWorkflowInstance (``GET /?Id=...``), CreateWorkflowInstances +
GetCreateWorkflowInstancesResult (start), StopWorkflowInstances (cancel) and
ListWorkflowInstances (find the instance an earlier try started).

Status choices (all eight documented values; the SDK model lists them in its docstring, which
the tests read):

- ``NotRun``, ``WaitTime``, ``WaitResource``, ``CheckingCondition``, ``Running`` and
  ``Checking`` (data-quality checks) are **running**: the instance has not ended. A frozen
  instance stays ``NotRun``/``WaitTime`` indefinitely; the sensor's ``timeout`` ends such a wait.
- ``Success`` is the only success.
- ``Failure`` is **failed**. DataWorks has no cancelled status: a stopped instance
  (StopWorkflowInstances, or "Stop" in Operation Center) also ends as ``Failure``, so the
  message says it may have been stopped.

Times (``StartedTime``, ``FinishedTime``, ``BizDate``, ...) are epoch milliseconds. The SDK makes
no retries by default and none are configured here: throttling (``Throttling*`` codes, which
DataWorks answers as HTTP 400, or a ``ThrottlingException`` carrying ``x-acs-retry-after`` in
milliseconds), 5xx and network errors become ``TransientServiceError`` and the generic
sensor/trigger retries them with backoff.

Triggers call the SDK's synchronous methods in the I/O pool (:mod:`.io`), not its async ones
(``*_with_options_async``): those build a new aiohttp session, TLS context and CA bundle for every
call, on the event loop (measured: ~41 ms of CPU per GetWorkflowInstance over HTTPS, against ~3 ms
for the synchronous call, whose requests session keeps its connections alive across calls).

Runs in a time window are selected by **business date** (``BizDate``), not start time: DataWorks
lists instances per business date, and the instance scheduled on day D+1 processes (has the
business date of) day D. A window selects every calendar date D, in the timezone of its bounds,
with ``started_after.date() <= D`` and ``midnight(D) < started_before``; so an Airflow daily data
interval ``[D 00:00, D+1 00:00)`` selects exactly D. See :func:`window_business_dates`.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any, TypeVar

from alibabacloud_dataworks_public20240518 import models as dw_models
from alibabacloud_dataworks_public20240518.client import Client as DataWorksSdkClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from airflow_workflow_runs.clients import dataworks_throttling as throttling
from airflow_workflow_runs.clients.answers import READ_ERRORS, garbled, reads_answer, require_status
from airflow_workflow_runs.clients.base import RunClient, RunRef, map_status
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.clients.retry_policy import backoff_delay, retry_after_seconds
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.model import (
    AccessDenied,
    GarbledAnswer,
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TimeWindow,
    TransientServiceError,
    WorkflowRun,
    WorkflowRunError,
)

T = TypeVar("T")

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

#: CreateWorkflowInstances types that run one existing workflow (one instance per business date).
START_TYPES = ("ManualWorkflow", "TriggerWorkflow")
ENV_TYPES = ("Prod", "Dev")
DEFAULT_REGION = "cn-hangzhou"
CONSOLE = "https://dataworks.data.aliyun.com"
SIGNATURE_ALGORITHM = "ACS3-HMAC-SHA256"
RUN_KEY_TAG = "airflow_run_key"
#: Business dates are midnights in China Standard Time (UTC+8), as in DataWorks' own examples
#: (``1743350400000`` is 2025-03-31 00:00 +08:00).
BIZ_DATE_TZ = timezone(timedelta(hours=8))

#: A window may select at most this many business dates (one ListWorkflowInstances sequence each).
MAX_WINDOW_DATES = 31
#: ListWorkflowInstances page size (the API's default is 10) and how many pages of one business
#: date ``list_runs_in_window`` reads at most (the newest instances, by id, are kept).
LIST_PAGE_SIZE = 50
MAX_PAGES_PER_DATE = 20

# Instance, workflow and workspace ids are positive 64-bit integers (``Long`` in the API).
ID_PATTERN = r"[1-9][0-9]*"
ID_RULE = "a positive integer written with digits only"
MAX_ID = 2**63 - 1
REGION_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"

ACCESS_CODE = re.compile(
    r"^(Forbidden|NoPermission|InvalidAccessKeyId|InvalidSecurityToken|SignatureDoesNotMatch|"
    r"IncompleteSignature|SignatureNonceUsed|InvalidTimeStamp|MissingSecurityToken|"
    r"Unauthorized|AccessDenied|InvalidCredentials)",
    re.IGNORECASE,
)
THROTTLING_CODE = re.compile(r"^(Throttling|ServiceUnavailable|InternalError|RequestTimeout)", re.IGNORECASE)
NOT_FOUND_CODE = re.compile(r"NotFound|NotExist", re.IGNORECASE)


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


def _choice(field_name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidRunReference(f"dataworks {field_name} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


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


@dataclass(frozen=True)
class DataWorksSettings:
    """Everything the SDK client is built from; ``repr`` never shows a secret.

    ``endpoint`` is ``host[:port]`` without a scheme (the SDK's form); ``protocol`` is ``https``
    or ``http``. Empty key fields leave the Alibaba default credential chain to find credentials.
    """

    region: str = DEFAULT_REGION
    access_key_id: str | None = None
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    endpoint: str | None = None
    protocol: str = "https"
    ca_bundle: str | None = None
    connect_timeout_ms: int = 5000
    read_timeout_ms: int = 10000

    def __post_init__(self) -> None:
        if re.fullmatch(REGION_PATTERN, self.region or "") is None:
            raise ValueError(f"the DataWorks region {self.region!r} is not a region id such as cn-hangzhou")
        if self.protocol not in ("https", "http"):
            raise ValueError(f"the DataWorks endpoint scheme must be https or http, got {self.protocol!r}")
        if bool(self.access_key_id) != bool(self.access_key_secret):
            raise ValueError("the AccessKey id and secret must be given together (or both left empty)")

    @property
    def host(self) -> str:
        return self.endpoint or f"dataworks.{self.region}.aliyuncs.com"


def build_sdk_client(settings: DataWorksSettings) -> DataWorksSdkClient:
    """The SDK client: static (or STS) keys when given, else the default credential chain."""
    config = Config(
        region_id=settings.region,
        endpoint=settings.host,
        protocol=settings.protocol,
        ca=settings.ca_bundle,
        connect_timeout=settings.connect_timeout_ms,
        read_timeout=settings.read_timeout_ms,
        signature_algorithm=SIGNATURE_ALGORITHM,
    )
    if settings.access_key_id and settings.access_key_secret:
        config.access_key_id = settings.access_key_id
        config.access_key_secret = settings.access_key_secret
        config.security_token = settings.security_token or None
    else:
        config.credential = default_credential()
    return DataWorksSdkClient(config)


@functools.lru_cache(maxsize=1)
def default_credential() -> Any:
    """The Alibaba default credential chain, one per process.

    ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET`` (+ ``_SECURITY_TOKEN``), OIDC, the CLI profile, the
    credentials file, then the ECS RAM role, whose provider starts a refresh thread when built:
    sharing the chain keeps that to one thread per process however many clients are built.
    """
    from alibabacloud_credentials.client import Client as CredentialClient

    return CredentialClient()


class DataWorksRunClient(RunClient):
    """DataWorks workflow instances through the SDK client (async callers: in the I/O pool).

    A ref is ``{"instance_id": "1234"}``, optionally with ``"project_id"`` (the workspace): it is
    never sent (GetWorkflowInstance takes only the id) but completes the console link before the
    instance has been read.
    """

    service = "dataworks"
    ref_fields = ("project_id", "instance_id")
    workflow_fields = ("project_id", "workflow_id")
    window_basis = "business date"

    def __init__(self, settings: DataWorksSettings, sdk_client: DataWorksSdkClient | None = None) -> None:
        self.settings = settings
        self._sdk = sdk_client or build_sdk_client(settings)
        self._first_call = threading.Lock()
        self._session_built = False

    # -- reading --------------------------------------------------------------------------------

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        out: dict[str, str] = {}
        if ref.get("project_id") is not None:  # optional; an empty one is refused, not dropped
            out["project_id"] = validate_id("project_id", ref.get("project_id"))
        out["instance_id"] = validate_id("instance_id", ref.get("instance_id"))
        return out

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        request = dw_models.GetWorkflowInstanceRequest(id=int(ref["instance_id"]))
        response = self._call(
            lambda: self._sdk.get_workflow_instance_with_options(request, self._runtime()), self.describe(ref)
        )
        return self._parse_response(response, ref)

    def _parse_response(self, response: Any, ref: RunRef) -> WorkflowRun:
        body = response.body.to_map() if response is not None and response.body is not None else {}
        raw = body.get("WorkflowInstance") if isinstance(body, Mapping) else None
        if not isinstance(raw, dict) or not raw.get("Status"):
            # A 200 without the instance (a proxy's or gateway's answer): ask again later.
            raise garbled("no workflow instance status (no WorkflowInstance.Status)").about(self.describe(ref))
        try:
            return self.parse_run(raw)
        except GarbledAnswer as error:
            raise error.about(self.describe(ref)) from None

    @reads_answer
    def parse_run(self, raw: Mapping[str, Any]) -> WorkflowRun:
        """Map one ``WorkflowInstance`` object (the API's own key names) into the model."""
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
            service=self.service,
            ref=ref,
            run_id=ref["instance_id"],
            state=state,
            raw_status=str(raw_status),
            started_at=epoch_ms(raw.get("StartedTime")),
            ended_at=epoch_ms(raw.get("FinishedTime")),
            error=error,
            console_url=self.console_url(ref),
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

    def console_url(self, ref: RunRef) -> str:
        """Operation Center of the workspace (of the region, when the workspace is not known yet)."""
        url = f"{CONSOLE}/{self.settings.region}/sc"
        project_id = ref.get("project_id")
        if project_id and re.fullmatch(ID_PATTERN, str(project_id)):
            url += f"?defaultProjectId={project_id}"
        return url

    # -- runs of a workflow in a window -------------------------------------------------------

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        return {name: validate_id(name, workflow.get(name)) for name in self.workflow_fields}

    def list_runs_in_window(self, workflow: RunRef, window: TimeWindow) -> list[WorkflowRun]:
        """Every Prod instance of the workflow whose business date the window selects.

        Dates come from :func:`window_business_dates` (start times do not matter: an instance not
        started yet is a candidate too). One ListWorkflowInstances sequence per date, newest date
        first, at most :data:`MAX_PAGES_PER_DATE` pages of :data:`LIST_PAGE_SIZE` each; runs are
        returned latest business date first, then highest id first.
        """
        found = self.validate_workflow(workflow)
        dates = window_business_dates(window, datetime.now(BIZ_DATE_TZ).date())
        runs: list[WorkflowRun] = []
        for day in reversed(dates):
            listed = self.iter_instances(
                found["project_id"],
                day,
                workflow_id=found["workflow_id"],
                env_type="Prod",
                page_size=LIST_PAGE_SIZE,
            )
            capped = itertools.islice(listed, LIST_PAGE_SIZE * MAX_PAGES_PER_DATE)
            runs.extend(sorted(capped, key=lambda run: int(run.run_id), reverse=True))
        return runs

    # -- starting -------------------------------------------------------------------------------

    def start_run(
        self,
        project_id: int | str,
        workflow_id: int | str,
        *,
        name: str,
        workflow_type: str = "ManualWorkflow",
        env_type: str = "Prod",
        biz_date: date | None = None,
        workflow_parameters: str | None = None,
        run_key: str | None = None,
        comment: str | None = None,
        create_timeout: float = 300.0,
        poll_interval: float = 1.0,
    ) -> dict[str, str]:
        """CreateWorkflowInstances for one workflow and business date, then wait for the creation.

        Creation is asynchronous: GetCreateWorkflowInstancesResult is polled until ``Created``
        (``CreateFailure`` raises ``ServiceError`` with DataWorks' message). ``run_key`` is stored
        as the tag ``airflow_run_key`` and appended to the instance name to find the instance again
        (both are visible in DataWorks: never put secrets in them).
        """
        project = validate_id("project_id", project_id)
        workflow = validate_id("workflow_id", workflow_id)
        _choice("workflow_type", workflow_type, START_TYPES)
        _choice("env_type", env_type, ENV_TYPES)
        if run_key:
            name = f"{name}-{run_key}"
        check_string("name", name, max_length=128, service=self.service, path_segment=False)  # a body field
        what = f"starting dataworks workflow {workflow} in workspace {project}"
        tags = [dw_models.CreateWorkflowInstancesRequestTags(key=RUN_KEY_TAG, value=run_key)] if run_key else None
        periods = None
        if biz_date is not None:
            day = biz_date.isoformat()
            periods = dw_models.CreateWorkflowInstancesRequestPeriods(
                biz_dates=[
                    dw_models.CreateWorkflowInstancesRequestPeriodsBizDates(start_biz_date=day, end_biz_date=day)
                ]
            )
        request = dw_models.CreateWorkflowInstancesRequest(
            name=name,
            project_id=int(project),
            workflow_id=int(workflow),
            type=workflow_type,
            env_type=env_type,
            periods=periods,
            workflow_parameters=workflow_parameters,
            tags=tags,
            tag_creation_policy="Append" if tags else None,
            comment=comment,
            auto_start_enabled=True,
        )
        created = self._call(lambda: self._sdk.create_workflow_instances_with_options(request, self._runtime()), what)
        operation_id = created.body.operation_id if created.body is not None else None
        if not operation_id:
            raise ServiceError(f"{what}: CreateWorkflowInstances answered without an OperationId")
        ids = self._wait_for_creation(str(operation_id), what, create_timeout, poll_interval)
        if len(ids) != 1:
            raise ServiceError(
                f"{what}: DataWorks created {len(ids)} workflow instances ({', '.join(ids)}); this operator "
                "follows exactly one (one business date, a manual or triggered workflow)"
            )
        return {"project_id": project, "instance_id": ids[0]}

    def _wait_for_creation(self, operation_id: str, what: str, timeout: float, poll_interval: float) -> list[str]:
        request = dw_models.GetCreateWorkflowInstancesResultRequest(operation_id=operation_id)
        deadline = time.monotonic() + timeout
        failures = 0
        while True:
            try:
                response = self._call(
                    lambda: self._sdk.get_create_workflow_instances_result_with_options(request, self._runtime()),
                    f"{what} (operation {operation_id})",
                )
                result = response.body.result.to_map() if response.body and response.body.result else {}
                status = result.get("Status")
                if status == "Created":
                    return [str(i) for i in result.get("WorkflowInstanceIds") or []]
                if status == "CreateFailure":
                    raise ServiceError(
                        f"{what}: DataWorks could not create the instance: {result.get('FailureMessage')}"
                    )
                if status not in (None, "Creating"):
                    raise ServiceError(f"{what}: unexpected creation status {status!r} (operation {operation_id})")
                failures, delay = 0, poll_interval
            except TransientServiceError as error:  # the shared policy: back off, as long as asked
                failures += 1
                delay = backoff_delay(poll_interval, failures, error.retry_after)
            if time.monotonic() + delay > deadline:
                raise ServiceError(
                    f"{what}: the instance was still being created after {timeout:.0f}s (operation {operation_id})"
                )
            time.sleep(delay)

    def iter_instances(
        self,
        project_id: int | str,
        biz_date: date,
        *,
        workflow_id: int | str | None = None,
        workflow_type: str | None = None,
        env_type: str | None = None,
        name: str | None = None,
        page_size: int = 50,
    ) -> Iterator[WorkflowRun]:
        """ListWorkflowInstances of one workspace and business date, newest (highest id) first."""
        project = validate_id("project_id", project_id)
        request = dw_models.ListWorkflowInstancesRequest(
            project_id=int(project),
            biz_date=biz_date_ms(biz_date),
            workflow_id=int(validate_id("workflow_id", workflow_id)) if workflow_id is not None else None,
            type=workflow_type,
            env_type=env_type,
            name=name,
            sort_by="Id Desc",
            page_size=page_size,
            page_number=1,
        )
        what = f"dataworks workflow instances of workspace {project} on {biz_date.isoformat()}"
        seen = 0
        while True:
            response = self._call(
                lambda: self._sdk.list_workflow_instances_with_options(request, self._runtime()), what
            )
            paging = (response.body.to_map() if response.body else {}).get("PagingInfo") or {}
            items = paging.get("WorkflowInstances") or []
            for raw in items:
                yield self.parse_run(raw)
            seen += len(items)
            if not items or seen >= int(paging.get("TotalCount") or 0):
                return
            request.page_number = int(request.page_number or 1) + 1

    def find_running_run(
        self, project_id: int | str, workflow_id: int | str, biz_date: date, run_key: str, env_type: str = "Prod"
    ) -> WorkflowRun | None:
        """The newest unfinished instance of the workflow started with ``run_key``.

        :meth:`start_run` puts the key in the instance name (ListWorkflowInstances filters names by
        fuzzy match; its tag filter takes plain strings of an undocumented form) and in the tag
        ``airflow_run_key``; a listed instance counts when either carries the key.
        """
        for run in self.iter_instances(project_id, biz_date, workflow_id=workflow_id, env_type=env_type, name=run_key):
            tagged = run.details.get("tags", {}).get(RUN_KEY_TAG) == run_key
            if (tagged or run_key in str(run.details.get("name") or "")) and not run.is_terminal:
                return run
        return None

    # -- cancelling -----------------------------------------------------------------------------

    def cancel_run(self, ref: RunRef) -> None:
        """StopWorkflowInstances; an instance that has already ended is left as it is."""
        ref = self.validate_ref(ref)
        request = dw_models.StopWorkflowInstancesRequest(ids=[int(ref["instance_id"])], comment="Stopped by Airflow")
        what = f"stopping {self.describe(ref)}"
        response = self._call(lambda: self._sdk.stop_workflow_instances_with_options(request, self._runtime()), what)
        if not self._stopped(response, ref):
            self._refused_stop(response, ref, self.get_run(ref))

    @staticmethod
    def _stopped(response: Any, ref: RunRef) -> bool:
        info = (response.body.success_info or {}) if response.body is not None else {}
        entry = info.get(ref["instance_id"])
        return bool(entry is not None and entry.success)

    def _refused_stop(self, response: Any, ref: RunRef, run: WorkflowRun) -> None:
        if run.is_terminal:
            return  # it ended on its own before the stop: nothing to stop
        info = (response.body.success_info or {}) if response.body is not None else {}
        entry = info.get(ref["instance_id"])
        reason = entry.message if entry is not None else "the answer did not mention this instance"
        raise ServiceError(f"DataWorks did not stop {self.describe(ref)} (it is {run.raw_status}): {reason}")

    # -- plumbing -------------------------------------------------------------------------------

    def _runtime(self) -> RuntimeOptions:
        return RuntimeOptions(
            autoretry=False,
            connect_timeout=self.settings.connect_timeout_ms,
            read_timeout=self.settings.read_timeout_ms,
            max_idle_conns=io_threads(),  # the SDK's pool keeps 10: one connection per I/O thread
        )

    def _call(self, call: Callable[[], T], what: str) -> T:
        if not self._session_built:
            # The SDK builds its HTTP session (a requests session and a TLS context with certifi's
            # bundle) at the first call, without a lock: a round of 100 concurrent first polls built
            # 76 of them (8.6 s of CPU). The first call goes alone; then the session is shared.
            with self._first_call:
                if not self._session_built:
                    throttling.watch_endpoint(self.settings.protocol, self.settings.host)
                    try:
                        return self._call_sdk(call, what)
                    finally:
                        self._session_built = True
        return self._call_sdk(call, what)

    def _call_sdk(self, call: Callable[[], T], what: str) -> T:
        throttling.forget()
        try:
            return call()
        except Exception as error:
            raise self._translate(error, what) from None

    def _translate(self, error: Exception, what: str) -> WorkflowRunError:
        return translate(error, what, self.settings)


def translate(error: Exception, what: str, settings: DataWorksSettings) -> WorkflowRunError:
    """The model error for an SDK exception raised while working on ``what`` (never a secret)."""
    if isinstance(error, WorkflowRunError):
        return error
    where = f"region {settings.region}, endpoint {settings.protocol}://{settings.host}"
    if isinstance(error, AlibabaCloudException):
        code = str(error.code or "")
        status = int(error.status_code or 0)
        data = error.data if isinstance(error.data, dict) else {}
        message = str(data.get("Message") or data.get("message") or "")
        request_id = error.request_id if error.request_id not in (None, "None") else None
        detail = f"{code or status}: {message}".rstrip(": ") + (f" (RequestId {request_id})" if request_id else "")
        acs_retry_after_ms = getattr(error, "retry_after", None)  # the SDK's x-acs-retry-after
        if ACCESS_CODE.match(code) or status in (401, 403):
            return AccessDenied(
                f"{what}: access denied ({detail}). Check the connection's AccessKey (and STS token) and that "
                "its RAM policy allows dataworks:* in this workspace."
            )
        if isinstance(error, ThrottlingException) or THROTTLING_CODE.match(code) or status == 429 or status >= 500:
            return TransientServiceError(
                f"{what}: DataWorks is throttling or failing ({detail}); will retry",
                retry_after=retry_after_seconds({"x-acs-retry-after": str(acs_retry_after_ms)})
                if isinstance(acs_retry_after_ms, int | float)
                else retry_after_seconds(throttling.throttled_headers()),
            )
        if status == 404 or NOT_FOUND_CODE.search(code):
            return RunNotFound(f"{what} was not found ({detail}). Check the instance id and the region ({where}).")
        return ServiceError(f"{what}: DataWorks refused the request ({detail})")
    # UnretryableException wraps what is not an API answer: network errors, timeouts, unreadable
    # (non-JSON, cut-off) bodies, and the credential chain finding nothing.
    inner: BaseException = getattr(error, "inner_exception", None) or error
    if type(inner).__name__ == "CredentialException":
        return AccessDenied(
            f"{what}: no Alibaba Cloud credentials were found ({str(inner)[:300]}); set the AccessKey in the connection"
        )
    # JSONDecodeError, and the SDK's RuntimeError("Failed to parse the value as json format"):
    # an HTML page, a cut-off body.
    if isinstance(inner, (*READ_ERRORS, RuntimeError)):
        return garbled(f"a body the SDK could not read, at {where}", inner).about(what)
    if isinstance(inner, OSError) or type(error).__name__ == "UnretryableException":
        return TransientServiceError(
            f"{what}: DataWorks could not be reached ({type(inner).__name__}: {str(inner)[:200]}) at {where}; "
            "will retry"
        )
    return ServiceError(f"{what}: {type(error).__name__}: {str(error)[:300]}")
