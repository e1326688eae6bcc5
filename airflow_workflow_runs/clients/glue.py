"""AWS Glue workflow runs: GetWorkflowRun, GetWorkflowRuns, StartWorkflowRun, StopWorkflowRun.

The client: validation, the calls, batch reads, window listings and starts. What a run's answer
means (the status table, the Statistics rule) is in :mod:`.glue_runs`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_workflow_runs.clients import aws_errors, glue_runs
from airflow_workflow_runs.clients.answers import garbled
from airflow_workflow_runs.clients.base import RunClient, RunOrError, RunRef
from airflow_workflow_runs.clients.io import run_blocking
from airflow_workflow_runs.clients.validation import check_string
from airflow_workflow_runs.model import (
    GarbledAnswer,
    ServiceError,
    TimeWindow,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
)
from airflow_workflow_runs.services.glue import SERVICE

if TYPE_CHECKING:
    from mypy_boto3_glue import GlueClient  # pragma: no cover

# NameString / IdString in Glue's API reference: 1..255 characters of a single-line string.
SINGLE_LINE = "[\t\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*"
SINGLE_LINE_RULE = "Glue's single-line string rule (no control characters except tab)"
RUN_KEY_PROPERTY = "airflow_run_key"
#: GetWorkflowRuns page size for window listings; a day's window of most workflows fits in one page.
WINDOW_PAGE_SIZE = 100
#: Pages a window listing reads at most (10,000 runs): past that it returns the newest runs found.
WINDOW_MAX_PAGES = 100
#: MaxResults of the shared GetWorkflowRuns of a batch read. Watched runs are recent (started or
#: found by the waits polling them), so they are among a workflow's newest 100 unless it started
#: that many runs since; those few are read one by one. A page of 100 runs without graphs stays
#: small enough to fetch every poll, where 1000 would mean about ten times the bytes per poll.
BATCH_PAGE_SIZE = 100
#: GetWorkflowRuns' largest page: a batch of more refs than BATCH_PAGE_SIZE asks for as many runs.
MAX_BATCH_PAGE_SIZE = 1000
#: Concurrent GetWorkflowRun calls of one batch read (botocore's default pool holds 10 connections).
MAX_PARALLEL_READS = 8

log = logging.getLogger(__name__)


def validate_workflow_name(name: object) -> str:
    return check_string(
        "workflow_name",
        name,
        max_length=255,
        pattern=SINGLE_LINE,
        rule=SINGLE_LINE_RULE,
        service="glue",
        path_segment=False,  # sent in the JSON body, where any documented name is safe
    )


class GlueRunClient(RunClient, service=SERVICE):
    """Glue workflow runs through a boto3 ``glue`` client (any credentials, endpoint, region)."""

    def __init__(self, boto_client: GlueClient | Any, batch_page_size: int = BATCH_PAGE_SIZE) -> None:
        if not 1 <= batch_page_size <= MAX_BATCH_PAGE_SIZE:
            raise ValueError(f"batch_page_size must be within 1..1000, got {batch_page_size}")
        self._client = boto_client
        self._batch_page_size = batch_page_size

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
                path_segment=False,
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
            raise garbled("no run status (no Run.Status)").about(describe_ref(self.service, ref))
        try:
            run = self.parse_run(raw)
        except GarbledAnswer as error:
            raise error.about(describe_ref(self.service, ref)) from None
        return self._with_failed_jobs(run) if glue_runs.needs_graph(run) else run

    def _with_failed_jobs(self, run: WorkflowRun) -> WorkflowRun:
        """A failed run with its failed jobs named: one GetWorkflowRun with the graph, never on a
        poll of a running run. Its errors leave the jobs unnamed: the outcome is already known."""
        try:
            answer = self._client.get_workflow_run(Name=run.ref["workflow_name"], RunId=run.run_id, IncludeGraph=True)
        except Exception as error:
            answer = f"reading its graph failed: {self._translate(error, run.ref)}"
        return glue_runs.with_failed_jobs(run, answer)

    def listed_run_complete(self, run: WorkflowRun) -> bool:
        """Listings carry no graph: a failed run chosen from one is read again, naming its jobs."""
        return not glue_runs.needs_graph(run)

    def batch_key(self, ref: RunRef) -> tuple[str, ...]:
        """Runs of one workflow are read together: one GetWorkflowRuns answers them all."""
        return (f"workflow_name={ref.get('workflow_name')}",)

    def get_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        """Read many runs; refs of one workflow share one GetWorkflowRuns (its newest runs) per call.

        A workflow named by one ref only is read with GetWorkflowRun. The shared page holds at
        least as many runs as the workflow has refs (up to 1000); a run missing from it (an older
        one) is read with GetWorkflowRun; an error of the shared call is returned for each ref of
        its workflow.
        """
        batch = _BatchRead(self, refs)
        for workflow_name, members in batch.shared:
            try:
                listed = self._newest_runs(workflow_name, len(members))
            except Exception as error:
                batch.listing_failed(members, error)
            else:
                batch.listed(members, listed)
        for index, run in batch.listed_failures():
            batch.answer(index, self._with_failed_jobs(run))
        # Runs read one by one (older than the shared page, or alone in their workflow) are read
        # concurrently: boto3 clients are thread-safe, and a poll should not take N round trips.
        singles = batch.singles
        if len(singles) > 1:
            with ThreadPoolExecutor(max_workers=min(len(singles), MAX_PARALLEL_READS)) as pool:
                read = pool.map(self._get_run_or_error, [ref for _, ref in singles])
                for (index, _), answer in zip(singles, read, strict=True):
                    batch.answer(index, answer)
        else:
            for index, ref in singles:
                batch.answer(index, self._get_run_or_error(ref))
        return batch.answers()

    async def aget_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        """:meth:`get_runs` with every request in the I/O pool at once (boto3 is blocking)."""
        if len(refs) == 1:  # a wait on its own run: one GetWorkflowRun, nothing to plan
            return [await run_blocking(self._get_run_or_error, refs[0])]
        batch = _BatchRead(self, refs)
        listings = await asyncio.gather(
            *(run_blocking(self._newest_runs, name, len(members)) for name, members in batch.shared),
            return_exceptions=True,
        )
        for (_, members), listed in zip(batch.shared, listings, strict=True):
            if isinstance(listed, Exception):
                batch.listing_failed(members, listed)
            elif isinstance(listed, BaseException):
                raise listed
            else:
                batch.listed(members, listed)
        failures = batch.listed_failures()  # their graphs, read in the pool as every request here
        named = await asyncio.gather(*(run_blocking(self._with_failed_jobs, run) for _, run in failures))
        for (index, _), run in zip(failures, named, strict=True):
            batch.answer(index, run)
        singles = batch.singles
        answers = await asyncio.gather(*(run_blocking(self._get_run_or_error, ref) for _, ref in singles))
        for (index, _), answer in zip(singles, answers, strict=True):
            batch.answer(index, answer)
        return batch.answers()

    def _newest_runs(self, workflow_name: str, wanted: int = 1) -> dict[str, WorkflowRun]:
        """One GetWorkflowRuns page of the workflow's newest runs, by run id; raises the SDK's error."""
        page_size = min(MAX_BATCH_PAGE_SIZE, max(self._batch_page_size, wanted))
        page = self._client.get_workflow_runs(Name=workflow_name, IncludeGraph=False, MaxResults=page_size)
        runs = [self.parse_run(raw) for raw in page.get("Runs") or [] if isinstance(raw, dict) and "Status" in raw]
        return {run.run_id: run for run in runs if run.ref["workflow_name"] == workflow_name}

    def _get_run_or_error(self, ref: RunRef) -> RunOrError:
        try:
            return self.get_run(ref)
        except WorkflowRunError as error:
            return error

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        return {"workflow_name": validate_workflow_name(workflow.get("workflow_name"))}

    def list_runs_in_window(
        self, workflow: RunRef, window: TimeWindow, page_size: int = WINDOW_PAGE_SIZE
    ) -> list[WorkflowRun]:
        """Runs of the workflow whose ``StartedOn`` is in the window, newest first.

        GetWorkflowRuns lists newest first, so paging stops at the first run older than the
        window. At most ``WINDOW_MAX_PAGES`` pages are read; past them the newest runs found are
        returned (and a warning logged).
        """
        workflow_name = self.validate_workflow(workflow)["workflow_name"]
        found: list[WorkflowRun] = []
        for number, page in enumerate(self._iter_pages(workflow_name, page_size), start=1):
            for run in page:
                if window.is_older(run.started_at):
                    return found
                if window.contains(run.started_at):
                    found.append(run)
            if number >= WINDOW_MAX_PAGES:
                log.warning(
                    "Stopped listing runs of glue workflow %r after %d pages of %d; older runs %s were not read",
                    workflow_name,
                    number,
                    page_size,
                    window.describe(),
                )
                break
        return found

    def iter_runs(self, workflow_name: str, page_size: int = 100) -> Iterator[WorkflowRun]:
        """Runs of a workflow, newest first, one GetWorkflowRuns page per ``page_size`` runs."""
        for page in self._iter_pages(workflow_name, page_size):
            yield from page

    def _iter_pages(self, workflow_name: str, page_size: int) -> Iterator[list[WorkflowRun]]:
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
            yield [self.parse_run(raw) for raw in glue_runs.listed_runs(page, what)]
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

    access_permission = "glue:ListWorkflows"

    def check_access(self) -> str:
        """ListWorkflows with MaxResults=1: the cheapest Glue read that names no workflow."""
        try:
            self._client.list_workflows(MaxResults=1)
        except Exception as error:
            raise aws_errors.translate(error, f"glue ListWorkflows ({self._where()})") from None
        return f"AWS Glue accepted the credentials and glue:ListWorkflows ({self._where()})"

    def console_url(self, ref: RunRef) -> str:
        return glue_runs.console_url(self.region_name, ref.get("workflow_name", ""))

    def parse_run(self, raw: Mapping[str, Any]) -> WorkflowRun:
        """Map one Glue ``WorkflowRun`` structure into the model, applying the Statistics rule."""
        return glue_runs.run_from_wire(raw, self.region_name)

    def _translate(self, error: Exception, ref: RunRef) -> WorkflowRunError:
        hint = (
            "Check the workflow name and run id, and that the connection points at the account and "
            f"region that own the run ({self._where()})."
        )
        return aws_errors.translate(error, describe_ref(self.service, ref), hint)

    def _where(self) -> str:
        return f"region {self.region_name}, endpoint {self._client.meta.endpoint_url}"


class _BatchRead:
    """One batch read's bookkeeping: valid refs grouped by workflow, answers in the order asked."""

    def __init__(self, client: GlueRunClient, refs: Sequence[RunRef]) -> None:
        self._client = client
        self._answers: list[RunOrError | None] = [None] * len(refs)
        groups: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        for index, ref in enumerate(refs):
            try:
                valid = client.validate_ref(ref)
            except WorkflowRunError as error:
                self._answers[index] = error
                continue
            groups[valid["workflow_name"]].append((index, valid))
        #: Workflows with several refs: one GetWorkflowRuns each.
        self.shared = [(name, members) for name, members in groups.items() if len(members) > 1]
        #: Refs read with GetWorkflowRun: alone in their workflow, or missing from its listing.
        self.singles = [members[0] for members in groups.values() if len(members) == 1]
        self._listed: list[int] = []

    def listed(self, members: list[tuple[int, dict[str, str]]], runs: Mapping[str, WorkflowRun]) -> None:
        for index, ref in members:
            run = runs.get(ref["run_id"])
            if run is None:
                self.singles.append((index, ref))
            else:
                self._answers[index] = run
                self._listed.append(index)

    def listed_failures(self) -> list[tuple[int, WorkflowRun]]:
        """Runs answered by a listing that need their graph to name their failed jobs."""
        answers = [(index, self._answers[index]) for index in self._listed]
        return [(i, run) for i, run in answers if isinstance(run, WorkflowRun) and glue_runs.needs_graph(run)]

    def listing_failed(self, members: list[tuple[int, dict[str, str]]], error: Exception) -> None:
        # No run of the workflow is read on its own: a throttled listing would only get busier.
        for index, ref in members:
            self._answers[index] = self._client._translate(error, ref)

    def answer(self, index: int, answer: RunOrError) -> None:
        self._answers[index] = answer

    def answers(self) -> list[RunOrError]:
        return [answer for answer in self._answers if answer is not None]
