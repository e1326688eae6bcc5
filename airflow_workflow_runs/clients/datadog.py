"""Datadog Workflow Automation instances through ``datadog-api-client``'s ``WorkflowAutomationApi``.

Operations: GetWorkflowInstance (``GET /api/v2/workflows/{workflow_id}/instances/{instance_id}``),
CreateWorkflowInstance (``POST .../instances``), CancelWorkflowInstance (``PUT .../{instance_id}/cancel``)
and ListWorkflowInstances (``GET .../instances?page[size]&page[number]``). Every call carries the
``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers; reading needs the application key's
``workflows_read`` permission, creating and cancelling ``workflows_run``.

Each client has its own ``Configuration``: the legacy ``datadog`` package and its process-wide
``initialize()`` state are never used, and the SDK's ``DD_SITE``/``DD_API_KEY``/``DD_APP_KEY``
environment defaults are overwritten by the connection's values.

What an instance's answer means (the status table, the parser) is in :mod:`.datadog_runs`; the
translation of SDK exceptions in :mod:`.datadog_errors`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import urllib3
from datadog_api_client import ApiClient, Configuration, rest
from datadog_api_client.v2.api.workflow_automation_api import WorkflowAutomationApi
from datadog_api_client.v2.model.workflow_instance_create_meta import WorkflowInstanceCreateMeta
from datadog_api_client.v2.model.workflow_instance_create_request import WorkflowInstanceCreateRequest

from airflow_workflow_runs.clients import datadog_access, datadog_errors, datadog_runs
from airflow_workflow_runs.clients.answers import garbled
from airflow_workflow_runs.clients.base import RunClient, RunRef, map_status
from airflow_workflow_runs.clients.datadog_runs import STATUS_TABLE, contains_pair, obj, parse_time
from airflow_workflow_runs.clients.io import io_threads
from airflow_workflow_runs.clients.retry_policy import MAX_RETRY_AFTER_SECONDS
from airflow_workflow_runs.clients.validation import UUID_PATTERN, check_string
from airflow_workflow_runs.model import (
    GarbledAnswer,
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TimeWindow,
    UnknownEndpoint,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
)
from airflow_workflow_runs.services.datadog import SERVICE

log = logging.getLogger(__name__)

#: The SDK's ``site`` server variable enum (tests compare it with ``Configuration``), mapped to
#: the host of the Datadog web app on that site, for console links.
APP_HOSTS: Mapping[str, str] = {
    "datadoghq.com": "app.datadoghq.com",
    "us3.datadoghq.com": "us3.datadoghq.com",
    "us5.datadoghq.com": "us5.datadoghq.com",
    "datadoghq.eu": "app.datadoghq.eu",
    "ap1.datadoghq.com": "ap1.datadoghq.com",
    "ap2.datadoghq.com": "ap2.datadoghq.com",
    "uk1.datadoghq.com": "uk1.datadoghq.com",
    "ddog-gov.com": "app.ddog-gov.com",
    "us2.ddog-gov.com": "us2.ddog-gov.com",
}
SITES = tuple(APP_HOSTS)
DEFAULT_SITE = "datadoghq.com"

#: Longest wait a 429's ``X-RateLimit-Reset`` is honoured for (the shared bound).
MAX_RATE_LIMIT_WAIT = MAX_RETRY_AFTER_SECONDS
#: How many (instance, unlisted status) pairs a client remembers having warned about.
MAX_WARNED_STATUSES = 10_000
#: ListWorkflowInstances' largest page, and how far a search for an earlier try's instance looks.
MAX_PAGE_SIZE = 100
MAX_LIST_PAGES = 10
MAX_CANDIDATES = 25
#: Instance ids carry no documented pattern (they are UUIDs in practice); only what cannot be a
#: path segment is refused.
INSTANCE_ID_PATTERN = r"[^\s/?#]{1,128}"
INSTANCE_ID_RULE = "a single path segment (no whitespace, '/', '?' or '#'), at most 128 characters"


def validate_workflow_id(value: object) -> str:
    return check_string("workflow_id", value, pattern=UUID_PATTERN, rule="a UUID", service="datadog")


def validate_instance_id(value: object) -> str:
    return check_string("instance_id", value, pattern=INSTANCE_ID_PATTERN, rule=INSTANCE_ID_RULE, service="datadog")


def validate_site(value: object) -> str:
    site = DEFAULT_SITE if value is None or value == "" else value
    if not isinstance(site, str) or site.strip().lower() not in APP_HOSTS:
        raise UnknownEndpoint(f"the connection's Datadog site {value!r} is not one of {', '.join(SITES)}")
    return site.strip().lower()


def build_api(
    *,
    api_key: str,
    app_key: str,
    site: str = DEFAULT_SITE,
    host: str | None = None,
    ca_bundle: str | None = None,
    timeout: float | None = 60.0,
) -> WorkflowAutomationApi:
    """A ``WorkflowAutomationApi`` on its own ``Configuration`` (nothing process-wide).

    ``host`` replaces the site's API URL exactly (a proxy, the emulator; plain http works).
    """
    config = Configuration(host=host or None, ssl_ca_cert=ca_bundle, request_timeout=timeout)
    # Configuration() copies DD_SITE/DD_API_KEY/DD_APP_KEY from the process environment: the
    # connection decides instead.
    config.api_key = {"apiKeyAuth": api_key, "appKeyAuth": app_key}
    config.server_variables = {"site": validate_site(site)}
    # No retries inside the SDK: urllib3's default (3 on connect/read errors) made one poll that
    # timed out into 4 requests and 4 timeouts. The provider's policy retries, with the deadline.
    config.retry_policy = urllib3.util.Retry(total=None, connect=0, read=0, other=0, status=0, redirect=2)
    return WorkflowAutomationApi(_PooledApiClient(config))


class _PooledApiClient(ApiClient):
    """An ``ApiClient`` keeping one connection per I/O thread alive: the SDK's pool holds 4, and a
    client shared by every wait of a triggerer would open (and drop) a TLS connection per poll."""

    def _build_rest_client(self) -> Any:
        return rest.RESTClientObject(self.configuration, maxsize=io_threads())


def _to_plain(value: Any) -> Any:
    """An SDK model as plain JSON-like values: undeclared keys as on the wire, declared ones by python name."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        value = value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class DatadogRunClient(RunClient, service=SERVICE):
    """Workflow instances of one Datadog organisation (one pair of keys, one site)."""

    # List items carry status and timestamps only: no outputs, steps or errorDetail.
    listed_runs_complete = False

    def __init__(self, api: WorkflowAutomationApi, site: str = DEFAULT_SITE) -> None:
        self._api = api
        self.site = validate_site(site)
        self._warned_statuses: set[tuple[str, str, str]] = set()

    @property
    def endpoint(self) -> str:
        config = self._api.api_client.configuration
        try:
            return str(config.host)
        except Exception:  # only used in messages
            return f"https://api.{self.site}"

    # -- RunClient ------------------------------------------------------------------------------

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        return {
            "workflow_id": validate_workflow_id(ref.get("workflow_id")),
            "instance_id": validate_instance_id(ref.get("instance_id")),
        }

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        raw = self._get_raw(ref)
        try:
            return self.parse_run(raw, ref)
        except GarbledAnswer as error:
            raise error.about(describe_ref(self.service, ref)) from None

    def _get_raw(self, ref: Mapping[str, str]) -> Mapping[str, Any]:
        what = describe_ref(self.service, ref)
        try:
            response = self._api.get_workflow_instance(workflow_id=ref["workflow_id"], instance_id=ref["instance_id"])
        except Exception as error:
            raise self._translate(error, what, "read") from None
        raw = _to_plain(response)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("data"), Mapping):
            raise garbled("no instance object (no data)").about(what)
        return raw

    def cancel_run(self, ref: RunRef) -> None:
        """CancelWorkflowInstance; Datadog answers ``{}``."""
        ref = self.validate_ref(ref)
        try:
            self._api.cancel_workflow_instance(workflow_id=ref["workflow_id"], instance_id=ref["instance_id"])
        except Exception as error:
            raise self._translate(error, f"cancelling {describe_ref(self.service, ref)}", "run") from None

    def console_url(self, ref: RunRef) -> str:
        return datadog_runs.console_url(APP_HOSTS[self.site], ref)

    access_permission = datadog_errors.PERMISSIONS["read"]

    def check_access(self) -> str:
        """ListWorkflows (limit 1); a refusal is looked into by :mod:`.datadog_access`."""
        return datadog_access.check_access(self._api, site=self.site, endpoint=self.endpoint)

    # -- starting and finding instances ---------------------------------------------------------

    def start_run(self, workflow_id: str, payload: Mapping[str, Any] | None = None) -> dict[str, str]:
        """CreateWorkflowInstance with ``payload`` as the workflow's inputs; returns the new ref."""
        validate_workflow_id(workflow_id)
        what = f"starting datadog workflow {workflow_id!r}"
        if payload is not None and not isinstance(payload, Mapping):
            raise InvalidRunReference(f"{what}: the payload must be a mapping, got {type(payload).__name__}")
        try:
            inputs = json.loads(json.dumps(dict(payload or {})))
        except (TypeError, ValueError) as error:
            raise InvalidRunReference(f"{what}: the payload is not JSON-serializable ({error})") from None
        body = WorkflowInstanceCreateRequest(meta=WorkflowInstanceCreateMeta(payload=inputs))
        try:
            response = self._api.create_workflow_instance(workflow_id=workflow_id, body=body)
        except Exception as error:
            raise self._translate(error, what, "run") from None
        instance_id = obj(obj(_to_plain(response)).get("data")).get("id")
        if not isinstance(instance_id, str) or not instance_id:
            raise ServiceError(f"{what}: the answer carried no instance id")
        return {"workflow_id": workflow_id, "instance_id": instance_id}

    def iter_instances(self, workflow_id: str, page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """ListWorkflowInstances items (``{id, type, attributes}``), page by page, at most 10 pages."""
        validate_workflow_id(workflow_id)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRunReference(f"datadog page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        what = f"datadog workflow {workflow_id!r}"
        for page_number in range(MAX_LIST_PAGES):
            try:
                page = self._api.list_workflow_instances(
                    workflow_id=workflow_id, page_size=page_size, page_number=page_number
                )
            except Exception as error:
                raise self._translate(error, f"instances of {what}", "read") from None
            items = datadog_runs.listed_instances(_to_plain(page), what)
            yield from (dict(item) for item in items if isinstance(item, Mapping))
            if len(items) < page_size:
                return

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        return {"workflow_id": validate_workflow_id(workflow.get("workflow_id"))}

    def list_runs_in_window(
        self, workflow: RunRef, window: TimeWindow, page_size: int = MAX_PAGE_SIZE
    ) -> list[WorkflowRun]:
        """Instances whose ``startTimestamp`` is in the window, newest first.

        ListWorkflowInstances has no time filter and documents no order, so every page is read (at
        most ``MAX_LIST_PAGES`` pages: 1,000 instances at the default ``page_size``; past that a
        warning is logged) and the matches are sorted here. Runs are built from list items, which
        lack outputs and step errors (``listed_runs_complete`` is False).
        """
        workflow_id = self.validate_workflow(workflow)["workflow_id"]
        found: list[tuple[datetime, WorkflowRun]] = []
        scanned = 0
        for item in self.iter_instances(workflow_id, page_size):
            scanned += 1
            instance_id = item.get("id")
            started = parse_time(obj(item.get("attributes")).get("startTimestamp"))
            if started is not None and isinstance(instance_id, str) and instance_id and window.contains(started):
                ref = {"workflow_id": workflow_id, "instance_id": instance_id}
                found.append((started, self.parse_run({"data": item}, ref)))
        if scanned >= MAX_LIST_PAGES * page_size:
            log.warning(
                "Stopped listing instances of datadog workflow %r after %d: any further ones %s were not read",
                workflow_id,
                scanned,
                window.describe(),
            )
        found.sort(key=lambda pair: pair[0], reverse=True)  # stable: equal starts keep the listed order
        return [run for _, run in found]

    def find_running_run(
        self, workflow_id: str, input_name: str, run_key: str, started_after: datetime | None = None
    ) -> WorkflowRun | None:
        """The unfinished instance whose inputs hold ``{input_name: run_key}``, if any.

        The list does not return inputs, so unfinished instances started after ``started_after``
        are read one by one (at most ``MAX_CANDIDATES``) and searched for the pair.
        """
        candidates = 0
        for item in self.iter_instances(workflow_id):
            attributes = obj(item.get("attributes"))
            status = obj(attributes.get("instanceStatus")).get("detailsKind")
            if map_status(STATUS_TABLE, status) is not RunState.RUNNING or not isinstance(item.get("id"), str):
                continue
            started = parse_time(attributes.get("startTimestamp"))
            if started_after is not None and started is not None and started < started_after:
                continue
            candidates += 1
            if candidates > MAX_CANDIDATES:
                return None
            ref = {"workflow_id": workflow_id, "instance_id": item["id"]}
            try:
                raw = self._get_raw(ref)
            except RunNotFound:
                continue
            run = self.parse_run(raw, ref)
            # Where an instance shows its inputs is not documented (``attributes.trigger`` as far
            # as seen): the whole of its attributes is searched for the exact pair.
            if not run.is_terminal and contains_pair(obj(raw.get("data")).get("attributes"), input_name, run_key):
                return run
        return None

    # -- parsing ----------------------------------------------------------------------------------

    def parse_run(self, raw: Mapping[str, Any], ref: Mapping[str, str]) -> WorkflowRun:
        """Map one instance (``ref``: the validated ref read) into the model."""
        return datadog_runs.run_from_wire(
            raw, ref, site=self.site, app_host=APP_HOSTS[self.site], unlisted_status=self._unlisted_status
        )

    def _unlisted_status(self, ref: Mapping[str, str], raw_status: str) -> RunState:
        """A status not in the table on an instance without an end time: still running; warned once."""
        key = (ref["workflow_id"], ref["instance_id"], raw_status)
        if key not in self._warned_statuses:
            if len(self._warned_statuses) >= MAX_WARNED_STATUSES:  # a client lives as long as the triggerer
                self._warned_statuses.clear()
            self._warned_statuses.add(key)
            log.warning(
                "%s reports instanceStatus.detailsKind %r, which is not in this provider's Datadog status "
                "table; the instance has no end time, so the wait goes on (it ends as unknown once one appears)",
                describe_ref(self.service, ref),
                raw_status,
            )
        return RunState.RUNNING

    # -- errors -----------------------------------------------------------------------------------

    def _translate(self, error: Exception, what: str, need: str) -> WorkflowRunError:
        return datadog_errors.translate(error, what, need, site=self.site, endpoint=self.endpoint)
