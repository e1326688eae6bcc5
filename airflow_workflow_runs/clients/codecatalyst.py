"""AWS CodeCatalyst workflow runs: GetWorkflowRun, StartWorkflowRun, ListWorkflowRuns.

CodeCatalyst authenticates with a **bearer token** (a personal access token), not SigV4. botocore's
``codecatalyst`` client reads tokens from its token provider chain; a token given here is put at
the head of that chain *for this client's botocore session only* (never in process environment
variables, which other tasks in the process share). Without a token, botocore's own chain is used
(``AWS_BEARER_TOKEN_CODECATALYST``, then SSO). The API cannot stop or cancel a run.

Status choices (botocore's ``WorkflowRunStatus``, exactly):

- ``SUPERSEDED``: in SUPERSEDED run mode a newer run took over; this run's work did not finish,
  so it counts as **cancelled** (the wait fails; watch the newer run instead).
- ``NOT_RUN``: the run never executed; it is **skipped** (the Airflow task is skipped, and so are
  downstream tasks that need it to succeed).
- ``ABANDONED``: the run was given up on and did not complete: **failed**.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import InvalidRegionError
from botocore.tokens import FrozenAuthToken

from airflow_workflow_runs.clients import aws_errors
from airflow_workflow_runs.clients.answers import garbled, reads_answer, require_listing, require_status
from airflow_workflow_runs.clients.aws_models import share_service_models
from airflow_workflow_runs.clients.base import RunClient, RunRef, map_status
from airflow_workflow_runs.clients.log_redaction import redact_botocore_logs
from airflow_workflow_runs.clients.validation import UUID_PATTERN, check_string
from airflow_workflow_runs.model import GarbledAnswer, RunState, TimeWindow, UnknownEndpoint, WorkflowRun, describe_ref
from airflow_workflow_runs.services.codecatalyst import SERVICE

#: botocore's ``WorkflowRunStatus`` enum, exactly (tests compare it with the service model).
STATUS_TABLE: Mapping[str, RunState] = {
    "VALIDATING": RunState.RUNNING,
    "PROVISIONING": RunState.RUNNING,
    "IN_PROGRESS": RunState.RUNNING,
    "STOPPING": RunState.RUNNING,
    "SUCCEEDED": RunState.SUCCEEDED,
    "FAILED": RunState.FAILED,
    "ABANDONED": RunState.FAILED,
    "STOPPED": RunState.CANCELLED,
    "CANCELLED": RunState.CANCELLED,
    "SUPERSEDED": RunState.CANCELLED,
    "NOT_RUN": RunState.SKIPPED,
}

NAME_PATTERN = r"[a-zA-Z0-9]+(?:[-_\.][a-zA-Z0-9]+)*"
NAME_RULE = "letters and digits, separated by single '-', '_' or '.'"
DEFAULT_REGION = "us-west-2"
CONSOLE = "https://codecatalyst.aws"
#: ListWorkflowRuns allows 1..50 runs a page.
LIST_PAGE_SIZE = 50
#: Pages a window listing reads at most (1,000 runs of the workflow), since the listing's order is
#: undocumented and every page has to be read; past the cap the runs found so far are used.
WINDOW_MAX_PAGES = 20

TOKEN_HINT = "Check the connection's personal access token: it must be valid and not expired."

log = logging.getLogger(__name__)


def validate_name(field: str, value: object) -> str:
    # spaceName is 3-63 characters; projectName is documented as 3-63 in responses (a request
    # accepts 1+, but no project can have a shorter name), so both are checked as 3-63.
    return check_string(
        field, value, min_length=3, max_length=63, pattern=NAME_PATTERN, rule=NAME_RULE, service="codecatalyst"
    )


def validate_uuid(field: str, value: object) -> str:
    return check_string(field, value, pattern=UUID_PATTERN, rule="a UUID", service="codecatalyst")


class _StaticTokenProvider:
    """A botocore token provider that returns the connection's token."""

    METHOD = "airflow-connection"

    def __init__(self, token: str) -> None:
        self._token = token

    def load_token(self, **_: Any) -> FrozenAuthToken:
        return FrozenAuthToken(self._token)


def build_boto_client(
    token: str | None = None,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    verify: str | bool | None = None,
    config: Config | None = None,
) -> Any:
    """A ``codecatalyst`` client on its own botocore session, carrying ``token`` when given."""
    redact_botocore_logs()  # before anything logs: botocore's DEBUG request dumps carry the token
    session = botocore.session.get_session()
    if token:
        session.get_component("token_provider").insert_before("env", _StaticTokenProvider(token))
    boto3_session = boto3.Session(botocore_session=session)
    share_service_models(session)
    try:
        return boto3_session.client(
            "codecatalyst",
            region_name=region_name or DEFAULT_REGION,
            endpoint_url=endpoint_url,
            verify=verify,
            config=config,
        )
    except InvalidRegionError as error:
        raise UnknownEndpoint(f"codecatalyst: {error}") from None


class CodeCatalystRunClient(RunClient, service=SERVICE):
    """CodeCatalyst workflow runs through a boto3 ``codecatalyst`` client."""

    def __init__(self, boto_client: Any) -> None:
        self._client = boto_client

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        return {
            "space_name": validate_name("space_name", ref.get("space_name")),
            "project_name": validate_name("project_name", ref.get("project_name")),
            "run_id": validate_uuid("run_id", ref.get("run_id")),
        }

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        try:
            response = self._client.get_workflow_run(
                spaceName=ref["space_name"], projectName=ref["project_name"], id=ref["run_id"]
            )
        except Exception as error:
            raise self._translate(error, describe_ref(self.service, ref)) from None
        what = describe_ref(self.service, ref)
        if "status" not in response:
            raise garbled("no run status (no status field)").about(what)
        try:
            return self.parse_run(response)
        except GarbledAnswer as error:
            raise error.about(what) from None

    def start_run(self, space_name: str, project_name: str, workflow_id: str, client_token: str) -> dict[str, str]:
        """Start a run; the same ``client_token`` returns the same run (an idempotent retry)."""
        validate_name("space_name", space_name)
        validate_name("project_name", project_name)
        validate_uuid("workflow_id", workflow_id)
        check_string(
            "client_token", client_token, max_length=64, pattern=NAME_PATTERN, rule=NAME_RULE, service=self.service
        )
        what = f"starting codecatalyst workflow {workflow_id!r} in {space_name}/{project_name}"
        try:
            response = self._client.start_workflow_run(
                spaceName=space_name, projectName=project_name, workflowId=workflow_id, clientToken=client_token
            )
        except Exception as error:
            raise self._translate(error, what) from None
        return {"space_name": space_name, "project_name": project_name, "run_id": response["id"]}

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        return {
            "space_name": validate_name("space_name", workflow.get("space_name")),
            "project_name": validate_name("project_name", workflow.get("project_name")),
            "workflow_id": validate_uuid("workflow_id", workflow.get("workflow_id")),
        }

    def list_runs_in_window(
        self, workflow: RunRef, window: TimeWindow, page_size: int = LIST_PAGE_SIZE
    ) -> list[WorkflowRun]:
        """Runs of the workflow whose ``startTime`` is in the window, newest first.

        ListWorkflowRuns documents no order (and its ``sortBy`` criteria have no fields), so every
        page is read, up to ``WINDOW_MAX_PAGES``, and the runs are sorted here. A run listed twice
        (a page boundary moving as new runs start) is kept once.
        """
        ids = self.validate_workflow(workflow)
        workflow_id = ids["workflow_id"].lower()
        found: dict[str, WorkflowRun] = {}
        pages = self._iter_pages(ids["space_name"], ids["project_name"], ids["workflow_id"], page_size)
        for number, page in enumerate(pages, start=1):
            for run in page:
                if window.contains(run.started_at) and str(run.details.get("workflow_id")).lower() == workflow_id:
                    found.setdefault(run.run_id, run)
            if number >= WINDOW_MAX_PAGES:
                log.warning(
                    "Stopped listing runs of codecatalyst workflow %s in %s/%s after %d pages of %d; "
                    "runs beyond them were not considered",
                    ids["workflow_id"],
                    ids["space_name"],
                    ids["project_name"],
                    number,
                    page_size,
                )
                break
        # Stable: runs starting at the same moment keep the listing's order.
        return sorted(
            found.values(), key=lambda run: run.started_at.timestamp() if run.started_at else 0.0, reverse=True
        )

    def iter_runs(
        self, space_name: str, project_name: str, workflow_id: str | None = None, page_size: int = LIST_PAGE_SIZE
    ) -> Iterator[WorkflowRun]:
        """Runs of a project (of one workflow if given), as ListWorkflowRuns returns them."""
        for page in self._iter_pages(space_name, project_name, workflow_id, page_size):
            yield from page

    def _iter_pages(
        self, space_name: str, project_name: str, workflow_id: str | None, page_size: int
    ) -> Iterator[list[WorkflowRun]]:
        validate_name("space_name", space_name)
        validate_name("project_name", project_name)
        if not 1 <= page_size <= LIST_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{LIST_PAGE_SIZE}, got {page_size}")
        kwargs: dict[str, Any] = {"spaceName": space_name, "projectName": project_name, "maxResults": page_size}
        what = f"codecatalyst runs of {space_name}/{project_name}"
        if workflow_id is not None:
            kwargs["workflowId"] = validate_uuid("workflow_id", workflow_id)
            what = f"codecatalyst runs of workflow {workflow_id} in {space_name}/{project_name}"
        while True:
            try:
                page = self._client.list_workflow_runs(**kwargs)
            except Exception as error:
                raise self._translate(error, what) from None
            try:
                # The list is always sent (``[]`` for none): botocore reads an HTML page or a cut-off
                # body answered 200 as {}, which is garbled, never "no runs".
                items = require_listing(page, "items")
            except GarbledAnswer as error:
                raise error.about(f"ListWorkflowRuns of {what}") from None
            yield [self.parse_run({**item, "spaceName": space_name, "projectName": project_name}) for item in items]
            if not page.get("nextToken"):
                return
            kwargs["nextToken"] = page["nextToken"]

    def check_access(self) -> str:
        """VerifySession: whether the token is valid. It needs no permission: access to a space and
        project is only known when a task reads them."""
        endpoint = self._client.meta.endpoint_url
        try:
            identity = self._client.verify_session().get("identity")
        except Exception as error:
            raise aws_errors.translate(
                error, f"codecatalyst VerifySession at {endpoint}", access_hint=TOKEN_HINT
            ) from None
        return f"AWS CodeCatalyst accepted the token (VerifySession at {endpoint}, user {identity})"

    def console_url(self, ref: RunRef) -> str:
        space, project, run_id = (quote(ref.get(k, ""), safe="") for k in self.ref_fields)
        return f"{CONSOLE}/spaces/{space}/projects/{project}/ci/workflows/runs/{run_id}"

    @reads_answer
    def parse_run(self, raw: Mapping[str, Any]) -> WorkflowRun:
        ref = {
            "space_name": str(raw.get("spaceName", "")),
            "project_name": str(raw.get("projectName", "")),
            "run_id": str(raw.get("id", "")),
        }
        raw_status = require_status(raw.get("status"), "status")
        state = map_status(STATUS_TABLE, raw_status)
        reasons = list(raw.get("statusReasons") or [])
        error = None
        if state is RunState.UNKNOWN:
            error = f"status {raw_status!r} is not in the CodeCatalyst status table of this provider"
        elif state is not RunState.SUCCEEDED and state.is_terminal:
            # botocore's model declares no members for a status reason, so they arrive as {}:
            # shown when a future model (or the raw API) fills them in.
            error = f"status reasons: {json.dumps(reasons, default=str)}" if any(reasons) else None
            if raw_status == "SUPERSEDED":
                error = "; ".join(filter(None, ["a newer run of the workflow superseded this one", error]))
        return WorkflowRun(
            service=self.service,
            ref=ref,
            run_id=ref["run_id"],
            state=state,
            raw_status=str(raw_status),
            started_at=raw.get("startTime"),
            ended_at=raw.get("endTime"),
            error=error,
            console_url=self.console_url(ref),
            details={"workflow_id": raw.get("workflowId"), "status_reasons": reasons},
        )

    def _translate(self, error: Exception, what: str) -> Exception:
        endpoint = self._client.meta.endpoint_url
        return aws_errors.translate(
            error,
            what,
            not_found_hint=f"Check the space, project and run id ({endpoint}).",
            access_hint=TOKEN_HINT + " It must belong to a member of the project with access to its workflows.",
        )
