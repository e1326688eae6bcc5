"""AWS Glue workflow runs: GetWorkflowRun, GetWorkflowRuns, StartWorkflowRun, StopWorkflowRun.

Glue reports ``COMPLETED`` when a run has merely finished: its jobs and crawlers may have failed,
errored, timed out or been stopped, which only ``Statistics`` shows. Such a run is a failure here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_workflow_runs.clients import aws_errors
from airflow_workflow_runs.clients.base import RunClient, RunRef, map_status
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.model import (
    RunState,
    ServiceError,
    TransientServiceError,
    WorkflowRun,
    describe_ref,
)

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient  # pragma: no cover

#: Glue's ``WorkflowRunStatus`` enum, exactly (tests compare it with botocore's service model).
STATUS_TABLE: Mapping[str, RunState] = {
    "RUNNING": RunState.RUNNING,
    "STOPPING": RunState.RUNNING,  # not over yet: STOPPED follows
    "COMPLETED": RunState.SUCCEEDED,  # unless Statistics show an action that did not succeed
    "STOPPED": RunState.CANCELLED,
    "ERROR": RunState.FAILED,
}

#: Statistics counters that make a COMPLETED run a failure, with their wording.
UNSUCCESSFUL_ACTIONS: Mapping[str, str] = {
    "FailedActions": "failed",
    "ErroredActions": "errored",
    "TimeoutActions": "timed out",
    "StoppedActions": "stopped",
}

# NameString / IdString in Glue's API reference: 1..255 characters of a single-line string.
SINGLE_LINE = "[\t\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*"
SINGLE_LINE_RULE = "Glue's single-line string rule (no control characters except tab)"
RUN_KEY_PROPERTY = "airflow_run_key"


def validate_workflow_name(name: object) -> str:
    return check_string(
        "workflow_name", name, max_length=255, pattern=SINGLE_LINE, rule=SINGLE_LINE_RULE, service="glue"
    )


class GlueRunClient(RunClient):
    """Glue workflow runs through a boto3 ``glue`` client (any credentials, endpoint, region)."""

    service = "glue"
    ref_fields = ("workflow_name", "run_id")

    def __init__(self, boto_client: GlueClient | Any) -> None:
        self._client = boto_client

    @property
    def region_name(self) -> str:
        return str(self._client.meta.region_name or "us-east-1")

    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        return {
            "workflow_name": validate_workflow_name(ref.get("workflow_name")),
            "run_id": check_string(
                "run_id",
                ref.get("run_id"),
                max_length=255,
                pattern=SINGLE_LINE,
                rule=SINGLE_LINE_RULE,
                service="glue",
            ),
        }

    def get_run(self, ref: RunRef) -> WorkflowRun:
        ref = self.validate_ref(ref)
        try:
            response = self._client.get_workflow_run(Name=ref["workflow_name"], RunId=ref["run_id"], IncludeGraph=False)
        except Exception as error:
            raise self._translate(error, ref) from None
        raw = response.get("Run")
        if not isinstance(raw, dict) or "Status" not in raw:
            # botocore returns what it could parse of a cut-off body instead of raising.
            raise TransientServiceError(f"{describe_ref(self.service, ref)}: the answer had no run in it")
        return self.parse_run(raw)

    def iter_runs(self, workflow_name: str, page_size: int = 100) -> Iterator[WorkflowRun]:
        """Runs of a workflow, newest first, one GetWorkflowRuns page per ``page_size`` runs."""
        validate_workflow_name(workflow_name)
        if not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be within 1..1000, got {page_size}")
        kwargs: dict[str, Any] = {"Name": workflow_name, "IncludeGraph": False, "MaxResults": page_size}
        what = f"glue workflow {workflow_name!r}"
        while True:
            try:
                page = self._client.get_workflow_runs(**kwargs)
            except Exception as error:
                raise aws_errors.translate(error, what, self._where()) from None
            for raw in page.get("Runs") or []:
                yield self.parse_run(raw)
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    def find_running_run(
        self, workflow_name: str, run_key: str, started_after: datetime | None = None
    ) -> WorkflowRun | None:
        """The newest unfinished run started with ``RunProperties[airflow_run_key] == run_key``.

        Pages stop at the first run older than ``started_after`` (runs come newest first).
        """
        for run in self.iter_runs(workflow_name):
            if started_after is not None and run.started_at is not None and run.started_at < started_after:
                return None
            props = run.details.get("run_properties") or {}
            if props.get(RUN_KEY_PROPERTY) == run_key and not run.is_terminal:
                return run
        return None

    def start_run(
        self,
        workflow_name: str,
        run_properties: Mapping[str, str] | None = None,
        run_key: str | None = None,
    ) -> dict[str, str]:
        """Start a run and return its ref; ``run_key`` is stored as a run property to find it again.

        Run properties are visible in Glue: never put secrets there.
        """
        validate_workflow_name(workflow_name)
        properties = {str(k): str(v) for k, v in (run_properties or {}).items()}
        if run_key is not None:
            properties[RUN_KEY_PROPERTY] = run_key
        kwargs: dict[str, Any] = {"Name": workflow_name}
        if properties:
            kwargs["RunProperties"] = properties
        try:
            response = self._client.start_workflow_run(**kwargs)
        except Exception as error:
            raise aws_errors.translate(error, f"starting glue workflow {workflow_name!r}", self._where()) from None
        return {"workflow_name": workflow_name, "run_id": response["RunId"]}

    def cancel_run(self, ref: RunRef) -> None:
        """StopWorkflowRun; a run that already finished is left as it is."""
        ref = self.validate_ref(ref)
        try:
            self._client.stop_workflow_run(Name=ref["workflow_name"], RunId=ref["run_id"])
        except Exception as error:
            translated = self._translate(error, ref)
            if isinstance(translated, ServiceError) and "IllegalWorkflowState" in str(translated):
                return  # already finished or stopping: nothing to stop
            raise translated from None

    def console_url(self, ref: RunRef) -> str:
        region = self.region_name
        domain = _console_domain(region)
        name = quote(ref.get("workflow_name", ""), safe="")
        return (
            f"https://{region}.console.{domain}/glue/home?region={region}#/v2/etl-configuration/workflows/view/{name}"
        )

    def parse_run(self, raw: Mapping[str, Any]) -> WorkflowRun:
        """Map one Glue ``WorkflowRun`` structure into the model, applying the Statistics rule."""
        ref = {"workflow_name": str(raw.get("Name", "")), "run_id": str(raw.get("WorkflowRunId", ""))}
        raw_status = raw.get("Status")
        state = map_status(STATUS_TABLE, raw_status)
        statistics = dict(raw.get("Statistics") or {})
        error = raw.get("ErrorMessage") or None
        if state is RunState.SUCCEEDED:
            shortfall = unsuccessful_actions(statistics)
            if shortfall:
                state = RunState.FAILED
                error = "; ".join(filter(None, [shortfall, error]))
        elif state is RunState.UNKNOWN:
            error = "; ".join(
                filter(None, [f"status {raw_status!r} is not in the Glue status table of this provider", error])
            )
        return WorkflowRun(
            service=self.service,
            ref=ref,
            run_id=ref["run_id"],
            state=state,
            raw_status=str(raw_status),
            started_at=raw.get("StartedOn"),
            ended_at=raw.get("CompletedOn"),
            error=error,
            outputs=dict(raw.get("WorkflowRunProperties") or {}) or None,
            console_url=self.console_url(ref),
            details={
                "statistics": statistics,
                "run_properties": dict(raw.get("WorkflowRunProperties") or {}),
                "previous_run_id": raw.get("PreviousRunId"),
            },
        )

    def _translate(self, error: Exception, ref: RunRef) -> Exception:
        hint = (
            "Check the workflow name and run id, and that the connection points at the account and "
            f"region that own the run ({self._where()})."
        )
        return aws_errors.translate(error, describe_ref(self.service, ref), hint)

    def _where(self) -> str:
        return f"region {self.region_name}, endpoint {self._client.meta.endpoint_url}"


def unsuccessful_actions(statistics: Mapping[str, Any]) -> str:
    """Describe actions that did not succeed (``"1 of 3 actions failed, 1 timed out"``), or ''."""
    parts = [
        f"{int(statistics.get(key) or 0)} {label}"
        for key, label in UNSUCCESSFUL_ACTIONS.items()
        if int(statistics.get(key) or 0) > 0
    ]
    if not parts:
        return ""
    total = statistics.get("TotalActions")
    of_total = f" of {total}" if total is not None else ""
    return f"COMPLETED, but actions did not succeed ({', '.join(parts)}{of_total} actions)"


def _console_domain(region: str) -> str:
    if region.startswith("cn-"):
        return "amazonaws.cn"
    if region.startswith("us-gov-"):
        return "amazonaws-us-gov.com"
    return "aws.amazon.com"
