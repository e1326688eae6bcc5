"""Alibaba Cloud DataWorks workflow instances (OpenAPI 2024-05-18).

Calls, through ``alibabacloud-dataworks-public20240518`` (requests signed by the SDK with
ACS3-HMAC-SHA256): GetWorkflowInstance (``GET /?Id=...``), CreateWorkflowInstances +
GetCreateWorkflowInstancesResult (start), StopWorkflowInstances (cancel) and
ListWorkflowInstances (find the instance an earlier try started).

The SDK makes no retries by default and none are configured here: throttling (``Throttling*``
codes, which DataWorks answers as HTTP 400, or a ``ThrottlingException`` carrying
``x-acs-retry-after`` in milliseconds), 5xx and network errors become ``TransientServiceError``
and the generic sensor/trigger retries them with backoff.

Triggers call the SDK's synchronous methods in the I/O pool (:mod:`.io`), not its async ones
(``*_with_options_async``): those build a new aiohttp session, TLS context and CA bundle for every
call, on the event loop (measured: ~41 ms of CPU per GetWorkflowInstance over HTTPS, against ~3 ms
for the synchronous call, whose requests session keeps its connections alive across calls).

What an instance's answer means (ids, the status table, the parser, business dates) is in
:mod:`.dataworks_runs`; starting in :mod:`.dataworks_starting`; the translation of SDK exceptions
in :mod:`.dataworks_errors`.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from alibabacloud_dataworks_public20240518 import models as dw_models
from alibabacloud_dataworks_public20240518.client import Client as DataWorksSdkClient
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from airflow_workflow_runs.clients import dataworks_errors, dataworks_runs
from airflow_workflow_runs.clients import dataworks_throttling as throttling
from airflow_workflow_runs.clients.answers import garbled
from airflow_workflow_runs.clients.base import RunClient, RunRef
from airflow_workflow_runs.clients.dataworks_runs import BIZ_DATE_TZ, biz_date_ms, validate_id
from airflow_workflow_runs.clients.dataworks_starting import RUN_KEY_TAG, creation_request, wait_for_creation
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.model import (
    GarbledAnswer,
    ServiceError,
    TimeWindow,
    UnknownEndpoint,
    WorkflowRun,
    WorkflowRunError,
)
from airflow_workflow_runs.services.dataworks import SERVICE

T = TypeVar("T")

DEFAULT_REGION = "cn-hangzhou"
SIGNATURE_ALGORITHM = "ACS3-HMAC-SHA256"
#: ListWorkflowInstances page size (the API's default is 10) and how many pages of one business
#: date ``list_runs_in_window`` reads at most (the newest instances, by id, are kept).
LIST_PAGE_SIZE = 50
MAX_PAGES_PER_DATE = 20

REGION_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"


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
            raise UnknownEndpoint(f"the DataWorks region {self.region!r} is not a region id such as cn-hangzhou")
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


class DataWorksRunClient(RunClient, service=SERVICE):
    """DataWorks workflow instances through the SDK client (async callers: in the I/O pool).

    A ref is ``{"instance_id": "1234"}``, optionally with ``"project_id"`` (the workspace): it is
    never sent (GetWorkflowInstance takes only the id) but completes the console link before the
    instance has been read.
    """

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

    def parse_run(self, raw: Mapping[str, Any]) -> WorkflowRun:
        """Map one ``WorkflowInstance`` object (the API's own key names) into the model."""
        return dataworks_runs.run_from_wire(raw, self.settings.region)

    def console_url(self, ref: RunRef) -> str:
        """Operation Center of the workspace (of the region, when the workspace is not known yet)."""
        return dataworks_runs.console_url(self.settings.region, ref)

    # -- runs of a workflow in a window -------------------------------------------------------

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        return {name: validate_id(name, workflow.get(name)) for name in self.workflow_fields}

    def list_runs_in_window(self, workflow: RunRef, window: TimeWindow) -> list[WorkflowRun]:
        """Every Prod instance of the workflow whose business date the window selects.

        Dates come from :func:`.dataworks_runs.window_business_dates` (start times do not matter:
        an instance not started yet is a candidate too). One ListWorkflowInstances sequence per
        date, newest date first, at most :data:`MAX_PAGES_PER_DATE` pages of :data:`LIST_PAGE_SIZE`
        each; runs are returned latest business date first, then highest id first.
        """
        found = self.validate_workflow(workflow)
        dates = dataworks_runs.window_business_dates(window, datetime.now(BIZ_DATE_TZ).date())
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
        request = creation_request(
            project,
            workflow,
            name=name,
            workflow_type=workflow_type,
            env_type=env_type,
            biz_date=biz_date,
            workflow_parameters=workflow_parameters,
            run_key=run_key,
            comment=comment,
        )
        what = f"starting dataworks workflow {workflow} in workspace {project}"
        created = self._call(lambda: self._sdk.create_workflow_instances_with_options(request, self._runtime()), what)
        operation_id = created.body.operation_id if created.body is not None else None
        if not operation_id:
            raise ServiceError(f"{what}: CreateWorkflowInstances answered without an OperationId")
        result_request = dw_models.GetCreateWorkflowInstancesResultRequest(operation_id=str(operation_id))
        ids = wait_for_creation(
            lambda: self._call(
                lambda: self._sdk.get_create_workflow_instances_result_with_options(result_request, self._runtime()),
                f"{what} (operation {operation_id})",
            ),
            str(operation_id),
            what,
            create_timeout,
            poll_interval,
        )
        if len(ids) != 1:
            raise ServiceError(
                f"{what}: DataWorks created {len(ids)} workflow instances ({', '.join(ids)}); this operator "
                "follows exactly one (one business date, a manual or triggered workflow)"
            )
        return {"project_id": project, "instance_id": ids[0]}

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
            body = response.body.to_map() if response is not None and response.body is not None else None
            items, total = dataworks_runs.listed_instances(body, what)
            for raw in items:
                yield self.parse_run(raw)
            seen += len(items)
            if not items or seen >= total:
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

    access_permission = "dataworks:ListProjects"

    def check_access(self) -> str:
        """ListProjects with PageSize=1: the cheapest read that names no workspace."""
        where = f"region {self.settings.region}, endpoint {self.settings.protocol}://{self.settings.host}"
        request = dw_models.ListProjectsRequest(page_size=1, page_number=1)
        self._call(
            lambda: self._sdk.list_projects_with_options(request, self._runtime()), f"dataworks ListProjects ({where})"
        )
        return f"DataWorks accepted the credentials and dataworks:ListProjects ({where})"

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
        return dataworks_errors.translate(error, what, self.settings)
