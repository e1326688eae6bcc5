"""Azure Logic Apps workflow runs, Consumption and Standard, through the official Azure SDKs.

Tiers (one client, one status table: both return the same 13-value ``WorkflowStatus``):

- **Standard** (``site_name`` set): azure-mgmt-web's ``WebSiteManagementClient`` (``azure.mgmt.web.aio`` in
  triggers): ``workflow_runs.get/list/cancel`` and ``workflow_triggers.list_callback_url`` on
  ``.../Microsoft.Web/sites/{site}/hostruntime/runtime/webhooks/workflow/api/management/workflows/{wf}/...``
  (api-version 2025-05-01). Run history exists for *stateful* workflows only: a stateless workflow's run
  is never found.
- **Consumption** (``site_name`` None): ``.../Microsoft.Logic/workflows/{wf}/runs/{run}`` (api-version
  2019-05-01) sent through azure-mgmt-core's ARM pipeline (not azure-mgmt-logic: see
  :mod:`.logic_apps_sdk`). Both tiers are parsed from the wire JSON (``properties.status``), so one
  parser serves both (the status table and its decisions: :mod:`.logic_apps_runs`).

Starting runs: a Request ("When an HTTP request is received") trigger is invoked through its SAS-signed
callback URL (``list_callback_url`` / ``listCallbackUrl``, then a POST through an unauthenticated azure-core
pipeline: the callback refuses bearer tokens). The run name comes back in ``x-ms-workflow-run-id``; the
``x-ms-client-tracking-id`` header sets the run's ``correlation.clientTrackingId`` to the operator's run
key, and ``find_running_run`` lists runs with ``$filter=ClientTrackingId eq '<key>'`` (both tiers
support it) to reattach on retry. The callback URL is a secret (its ``sig``): it is never logged or put
in a message. Triggers of other kinds (recurrence, connectors) cannot be started this way.

Credentials are long-lived azure-identity objects that renew their own tokens (:mod:`.logic_apps_sdk`).
Errors are translated from azure-core's exceptions; messages never contain the client secret, tokens or
callback signatures.

Modules: this one is the client (validation, reads, listings, start, cancel, parsing);
:mod:`.logic_apps_calls` says what each call asks (both tiers, no I/O) and :mod:`.logic_apps_sdk` asks it
through the SDK clients it holds (sync and aio); :mod:`.logic_apps_azure` is the Azure plumbing (settings,
credentials, pipelines, transports), :mod:`.logic_apps_errors` the translation of SDK exceptions and
:mod:`.logic_apps_runs` the status table, the wire ``WorkflowRun`` parser, portal links and the window filter.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from contextlib import aclosing
from typing import Any

from airflow_workflow_runs.clients import logic_apps_access
from airflow_workflow_runs.clients.base import RunClient, RunRef
from airflow_workflow_runs.clients.logic_apps_azure import AsyncClients, LogicAppsSettings, callback_client
from airflow_workflow_runs.clients.logic_apps_calls import (
    Page,
    advance,
    callback_call,
    callback_url,
    run_call,
    run_pages,
    run_wire,
)
from airflow_workflow_runs.clients.logic_apps_errors import (
    error_status,
    invoked_run_name,
    not_found_hint,
    scrub,
    translate_error,
)
from airflow_workflow_runs.clients.logic_apps_runs import (
    collect_window_page,
    newest_first,
    portal_url,
    run_from_wire,
    window_filter,
)
from airflow_workflow_runs.clients.logic_apps_sdk import SdkClients
from airflow_workflow_runs.clients.validation import UUID_PATTERN, check_string
from airflow_workflow_runs.model import (
    GarbledAnswer,
    InvalidRunReference,
    ServiceError,
    TimeWindow,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
)
from airflow_workflow_runs.services.logic_apps import SERVICE

log = logging.getLogger(__name__)


# ARM resource groups: 1-90 Unicode letters/digits, '_', '-', '.', '(' and ')', not ending with '.'.
RESOURCE_GROUP_PATTERN = r"[-\w.()]*[-\w()]"
RESOURCE_GROUP_RULE = "ARM's resource group rule (letters, digits, '_', '-', '.', '(', ')'; not ending in '.')"
# The seed documents the site, workflow and run names only as required strings; each is one URL path
# segment of an ARM resource id, which can never hold '/', '\' or control characters.
SEGMENT_PATTERN = r"[^/\\\x00-\x1f\x7f]+"
SEGMENT_RULE = "one path segment (no '/', '\\' or control characters)"

#: How many pages of runs ``find_running_run`` reads at most.
MAX_LOOKUP_PAGES = 10
#: ``$top`` of window listings, and the pages read at most (5,000 runs) before giving up on older ones.
WINDOW_PAGE_SIZE = 100
WINDOW_MAX_PAGES = 50


class LogicAppsRunClient(RunClient, service=SERVICE):
    """Logic Apps runs of both tiers; ``credential``/``async_credential`` override the connection's.

    ``site_name`` is optional in refs and workflows: without it the workflow is a Consumption one.
    """

    def __init__(
        self,
        settings: LogicAppsSettings,
        *,
        credential: Any = None,
        async_credential_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.settings = settings
        self._sdk = SdkClients(settings, credential=credential, async_credential_factory=async_credential_factory)

    def __repr__(self) -> str:
        return f"LogicAppsRunClient(endpoint={self.settings.endpoint!r}, cloud={self.settings.cloud!r})"

    # -- validation -----------------------------------------------------------------------------

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        out = self.validate_workflow(ref)
        out["run_name"] = _segment("run_name", ref.get("run_name"))
        return out

    def validate_workflow(self, ref: RunRef) -> dict[str, str]:
        """The workflow part of a ref (defaults from the connection filled in), validated."""
        subscription = _given(ref.get("subscription_id"), self.settings.subscription_id)
        if subscription is None:
            raise InvalidRunReference(
                "logic_apps subscription_id is not set: pass it to the task or set the connection's subscription id"
            )
        group = _given(ref.get("resource_group_name"), self.settings.resource_group_name)
        if group is None:
            raise InvalidRunReference(
                "logic_apps resource_group_name is not set: pass it to the task or set the connection's "
                "default resource group"
            )
        out = {
            "subscription_id": check_string(
                "subscription_id", subscription, pattern=UUID_PATTERN, rule="a UUID", service=SERVICE.name
            ),
            "resource_group_name": check_string(
                "resource_group_name",
                group,
                max_length=90,
                pattern=RESOURCE_GROUP_PATTERN,
                rule=RESOURCE_GROUP_RULE,
                service=SERVICE.name,
            ),
        }
        site = ref.get("site_name")
        if site is not None:
            out["site_name"] = _segment("site_name", site)
        out["workflow_name"] = _segment("workflow_name", ref.get("workflow_name"))
        return out

    # -- reading --------------------------------------------------------------------------------

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        call = run_call(ref, "get")
        with self._translating(ref):
            raw = run_wire(call, self._sdk.perform(call))
        return self.parse_run(raw, ref)

    async def aget_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        call = run_call(ref, "get")
        with self._translating(ref):
            raw = run_wire(call, await self._sdk.aperform(call))
        return self.parse_run(raw, ref)

    def iter_runs(
        self, workflow_ref: RunRef, run_filter: str | None = None, page_size: int = 50
    ) -> Iterator[WorkflowRun]:
        """Runs of a workflow, newest first, optionally filtered with an OData ``$filter``."""
        base = self.validate_workflow(workflow_ref)
        for page in self._pages(base, run_filter, page_size, MAX_LOOKUP_PAGES):
            yield from page

    def _pages(
        self, base: Mapping[str, str], run_filter: str | None, page_size: int, max_pages: int
    ) -> Iterator[list[WorkflowRun]]:
        """The pages of :func:`.logic_apps_calls.run_pages`, its I/O done by the sync clients."""
        steps = run_pages(base, run_filter, page_size, max_pages, self._listed_run)
        answer: Any = None
        with self._translating(base, what=f"runs of {describe_ref(self.service, base)}"):
            while (step := advance(steps, answer)) is not None:
                if isinstance(step, Page):
                    yield step.runs
                    answer = None
                else:
                    answer = self._sdk.perform(step)

    async def _apages(
        self, base: Mapping[str, str], run_filter: str | None, page_size: int, max_pages: int
    ) -> AsyncGenerator[list[WorkflowRun], None]:
        """:meth:`_pages`, its I/O done by the aio clients."""
        steps = run_pages(base, run_filter, page_size, max_pages, self._listed_run)
        answer: Any = None
        with self._translating(base, what=f"runs of {describe_ref(self.service, base)}"):
            while (step := advance(steps, answer)) is not None:
                if isinstance(step, Page):
                    yield step.runs
                    answer = None
                else:
                    answer = await self._sdk.aperform(step)

    def _listed_run(self, base: Mapping[str, str], raw: Any) -> WorkflowRun:
        name = raw.get("name") if isinstance(raw, Mapping) else None
        return self.parse_run(raw, {**base, "run_name": str(name or "")})

    def list_runs_in_window(
        self, workflow: RunRef, window: TimeWindow, page_size: int = WINDOW_PAGE_SIZE
    ) -> list[WorkflowRun]:
        """Runs of the workflow whose ``startTime`` is in the window, newest first (both tiers).

        "Workflow Runs - List" documents ``$filter`` options Status, StartTime and ClientTrackingId
        (OData, joined by ``and``) without their syntax. The form that works on the real service
        (azure-sdk-for-python#27228, pnp/cli-microsoft365#4388) is an unquoted ISO 8601 UTC literal,
        ``StartTime ge 2026-01-01T00:00:00Z``; a quoted one is refused with 400 InvalidQueryFilter.
        So ``StartTime ge <after> and StartTime lt <before>`` is sent, and each run is still checked
        against the window here. Runs come newest first, so paging also stops at a run older than
        the window. At most ``WINDOW_MAX_PAGES`` pages of ``page_size`` are read; past them the
        newest runs found are returned and a warning is logged.
        """
        base = self.validate_workflow(workflow)
        found, take = self._window_collector(base, window, page_size)
        for page in self._pages(base, window_filter(window), page_size, WINDOW_MAX_PAGES):
            if take(page):
                break
        return newest_first(found)

    async def alist_runs_in_window(
        self, workflow: RunRef, window: TimeWindow, page_size: int = WINDOW_PAGE_SIZE
    ) -> list[WorkflowRun]:
        """:meth:`list_runs_in_window` through the aio clients (as ``aget_run``)."""
        base = self.validate_workflow(workflow)
        found, take = self._window_collector(base, window, page_size)
        async with aclosing(self._apages(base, window_filter(window), page_size, WINDOW_MAX_PAGES)) as pages:
            async for page in pages:
                if take(page):
                    break
        return newest_first(found)

    def _window_collector(
        self, base: Mapping[str, str], window: TimeWindow, page_size: int
    ) -> tuple[list[WorkflowRun], Callable[[list[WorkflowRun]], bool]]:
        """The runs found so far, and what takes each page: true once paging can stop (a run older
        than the window); a warning at the last page allowed."""
        found: list[WorkflowRun] = []
        numbers = itertools.count(1)

        def take(page: list[WorkflowRun]) -> bool:
            number = next(numbers)
            if collect_window_page(page, window, found):
                return True
            if number >= WINDOW_MAX_PAGES:
                self._warn_capped(base, number, page_size, window)
            return False

        return found, take

    def _warn_capped(self, base: Mapping[str, str], pages: int, page_size: int, window: TimeWindow) -> None:
        log.warning(
            "Stopped listing runs of %s after %d pages of %d; older runs %s were not read",
            describe_ref(self.service, base),
            pages,
            page_size,
            window.describe(),
        )

    def find_running_run(self, workflow_ref: RunRef, run_key: str) -> WorkflowRun | None:
        """The newest unfinished run whose client tracking id is ``run_key`` (``$filter`` on ClientTrackingId)."""
        quoted = run_key.replace("'", "''")
        for run in self.iter_runs(workflow_ref, f"ClientTrackingId eq '{quoted}'"):
            if run.details.get("client_tracking_id") == run_key and not run.is_terminal:
                return run
        return None

    # -- starting and cancelling ------------------------------------------------------------------

    def start_run(
        self, workflow_ref: RunRef, trigger_name: str, body: Any = None, run_key: str | None = None
    ) -> dict[str, str]:
        """Invoke a Request trigger through its callback URL; return the new run's ref.

        ``run_key`` becomes the run's client tracking id (``x-ms-client-tracking-id``).
        """
        base = self.validate_workflow(workflow_ref)
        trigger = _segment("trigger_name", trigger_name)
        what = f"the trigger {trigger!r} of {describe_ref(self.service, base)}"
        try:
            json.dumps(body)
        except (TypeError, ValueError) as error:  # ours, before any request: not an answer to retry
            raise InvalidRunReference(f"{what}: the body is not JSON-serializable ({error})") from None
        call = callback_call(base, trigger)
        with self._translating(base, what=what):
            url = callback_url(call, self._sdk.perform(call))
        if not isinstance(url, str) or not url:
            raise ServiceError(f"{what} has no callback URL: only Request triggers can be started by this operator")
        headers = {"Content-Type": "application/json"}
        if run_key is not None:
            headers["x-ms-client-tracking-id"] = run_key
        run_name = self._invoke(url, headers, body, what)
        return {**base, "run_name": run_name}

    def _invoke(self, url: str, headers: dict[str, str], body: Any, what: str) -> str:
        from azure.core.rest import HttpRequest

        try:
            with callback_client(self.settings, url) as client:
                response = client.send_request(HttpRequest("POST", url, headers=headers, json=body))
        except Exception as error:
            raise translate_error(error, f"invoking {what}", scrub=self._scrub) from None
        return invoked_run_name(response, f"invoking {what}", self._scrub)

    def cancel_run(self, ref: RunRef) -> None:
        """Cancel (``.../runs/{run}/cancel``); a run that has already ended is left as it is."""
        ref = self.validate_ref(ref)
        with self._translating(ref, cancelling=True):
            self._sdk.perform(run_call(ref, "cancel"))

    async def acancel_run(self, ref: RunRef) -> None:
        ref = self.validate_ref(ref)
        with self._translating(ref, cancelling=True):
            await self._sdk.aperform(run_call(ref, "cancel"))

    access_permission, check_access = logic_apps_access.PERMISSION, logic_apps_access.check_access

    # -- console --------------------------------------------------------------------------------

    def console_url(self, ref: RunRef) -> str | None:
        return portal_url(ref, self.settings.portal, self.settings.location)

    # -- parsing --------------------------------------------------------------------------------

    def parse_run(self, raw: Any, ref: Mapping[str, str]) -> WorkflowRun:
        """Map one wire ``WorkflowRun`` (either tier) into the model."""
        try:
            return self._parse_run(raw, ref)
        except GarbledAnswer as error:
            raise error.about(describe_ref(self.service, ref)) from None

    def _parse_run(self, raw: Any, ref: Mapping[str, str]) -> WorkflowRun:
        ordered = {key: ref[key] for key in self.ref_fields if key in ref}
        return run_from_wire(raw, ordered, self.console_url(ordered))

    # -- SDK clients ------------------------------------------------------------------------------

    @property
    def _aio(self) -> AsyncClients | None:
        """This event loop's aio clients, once built (tests/test_io_pool.py reads their transport)."""
        return self._sdk.aio

    def prepare_async(self) -> None:
        self._sdk.prepare_async()

    def close(self) -> None:
        """Close the synchronous SDK clients and credential (the aio ones close with their loop)."""
        self._sdk.close()

    # -- errors -----------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return scrub(text, self.settings.client_secret)

    @contextlib.contextmanager
    def _translating(
        self, ref: Mapping[str, str], what: str | None = None, *, cancelling: bool = False
    ) -> Iterator[None]:
        """SDK errors in the block raised as the model's; cancelling, a 409 means the run has ended."""
        try:
            yield
        except WorkflowRunError:
            raise
        except Exception as error:
            if cancelling and error_status(error) == 409:
                return  # not running any more: nothing to cancel
            raise self._translate(error, ref, what=what) from None

    def _translate(self, error: BaseException, ref: Mapping[str, str], what: str | None = None) -> WorkflowRunError:
        hint = not_found_hint(ref, self.settings.endpoint)
        return translate_error(error, what or describe_ref(self.service, ref), not_found_hint=hint, scrub=self._scrub)


# -- helpers --------------------------------------------------------------------------------------


def _given(value: Any, default: str | None) -> Any:
    """The value from the task unless it is None (an empty string is invalid input, not "unset")."""
    return default if value is None else value


def _segment(field_name: str, value: object) -> str:
    return check_string(field_name, value, pattern=SEGMENT_PATTERN, rule=SEGMENT_RULE, service=SERVICE.name)
