"""The interface every service client implements, and helpers shared by their status tables."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_workflow_runs.clients.io import run_blocking
from airflow_workflow_runs.model import (
    OperationNotSupported,
    RunState,
    TimeWindow,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
)

if TYPE_CHECKING:
    from airflow_workflow_runs.services import ServiceDeclaration

RunRef = Mapping[str, str]
#: One answer of a batch read: the run, or the error reading it gave.
RunOrError = WorkflowRun | WorkflowRunError


class RunClient(ABC):
    """Fetches (and where the service allows, starts and cancels) runs of one service.

    ``ref`` is a mapping of the identifiers naming a run; ``ref_fields`` lists them in order.
    Implementations validate a ref before sending anything and translate every SDK or network
    error into a :class:`~airflow_workflow_runs.model.WorkflowRunError`.
    """

    service: ClassVar[str]
    ref_fields: ClassVar[tuple[str, ...]]
    #: The identifiers naming a workflow whose runs ``list_runs_in_window`` lists.
    workflow_fields: ClassVar[tuple[str, ...]] = ()
    #: What a run's place in a ``TimeWindow`` is judged by, for docs and messages.
    window_basis: ClassVar[str] = "start time"
    #: Whether listed runs carry everything ``get_run`` returns (else a chosen terminal run is re-read).
    listed_runs_complete: ClassVar[bool] = True
    #: The permission :meth:`check_access` needs, for messages when a refusal does not name it.
    access_permission: ClassVar[str | None] = None

    def __init_subclass__(cls, service: ServiceDeclaration | None = None, **kwargs: Any) -> None:
        """``service=`` takes the service name and the ref and workflow fields from its declaration."""
        super().__init_subclass__(**kwargs)
        if service is not None:
            cls.service = service.name
            cls.ref_fields = service.ref_args
            cls.workflow_fields = service.workflow_args

    @abstractmethod
    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        """Return the ref with only ``ref_fields``, or raise ``InvalidRunReference`` naming the rule."""

    @abstractmethod
    def get_run(self, ref: RunRef) -> WorkflowRun:
        """Fetch the run with one request."""

    async def aget_run(self, ref: RunRef) -> WorkflowRun:
        """Async fetch; SDKs without a usable async client run the blocking call in the I/O pool."""
        return await run_blocking(self.get_run, ref)

    def batch_key(self, ref: RunRef) -> tuple[str, ...]:
        """Runs with equal keys are read together by one :meth:`aget_runs` (shared by every wait
        in the process that polls one of them); by default only waits on the very same run share.

        A service whose batch read serves several runs with one request (Glue's GetWorkflowRuns
        for runs of one workflow) returns what those runs have in common.
        """
        return tuple(f"{name}={ref.get(name)}" for name in self.ref_fields)

    def prepare_async(self) -> None:  # noqa: B027 - optional hook, empty on purpose
        """Do, in a worker thread, whatever the async methods would otherwise do on the event
        loop the first time (import SDK modules, build credentials): called once per client."""

    def get_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        """Read many runs, answers in the order asked; services with a batch endpoint override it.

        A ``WorkflowRunError`` reading one run is returned in its place, not raised.
        """
        answers: list[RunOrError] = []
        for ref in refs:
            try:
                answers.append(self.get_run(ref))
            except WorkflowRunError as error:
                answers.append(error)
        return answers

    async def aget_runs(self, refs: Sequence[RunRef]) -> list[RunOrError]:
        """Async :meth:`get_runs`: one concurrent ``aget_run`` per ref unless overridden."""
        if len(refs) == 1:  # the common case (a wait on its own run): no gather on the event loop
            try:
                return [await self.aget_run(refs[0])]
            except WorkflowRunError as error:
                return [error]
        answers = await asyncio.gather(*(self.aget_run(ref) for ref in refs), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, WorkflowRunError):
                raise answer
        return list(answers)  # type: ignore[arg-type]

    # -- runs named by workflow and time window ----------------------------------------------

    def validate_workflow(self, workflow: RunRef) -> dict[str, str]:
        """Return only ``workflow_fields``, validated, or raise ``InvalidRunReference`` naming the rule."""
        raise OperationNotSupported(f"{self.service} cannot find runs by workflow and time window")

    def list_runs_in_window(self, workflow: RunRef, window: TimeWindow) -> list[WorkflowRun]:
        """Every run of the workflow that matches the window, newest first.

        Validates ``workflow`` first. Pages through the service's list endpoint, stopping as soon
        as the listing is past the window. Each run's ``ref`` reads it again with :meth:`get_run`.
        """
        raise OperationNotSupported(f"{self.service} cannot find runs by workflow and time window")

    async def alist_runs_in_window(self, workflow: RunRef, window: TimeWindow) -> list[WorkflowRun]:
        return await run_blocking(self.list_runs_in_window, workflow, window)

    def listed_run_complete(self, run: WorkflowRun) -> bool:
        """Whether a run :meth:`list_runs_in_window` listed carries what :meth:`get_run` would tell
        (a terminal one that does not is read again once chosen)."""
        return self.listed_runs_complete

    def cancel_run(self, ref: RunRef) -> None:
        """Ask the service to stop the run; services without such an API raise."""
        raise OperationNotSupported(
            f"{describe_ref(self.service, ref)} cannot be cancelled: the {self.service} API has no operation for it"
        )

    async def acancel_run(self, ref: RunRef) -> None:
        await run_blocking(self.cancel_run, ref)

    def check_access(self) -> str:
        """The service's cheapest read with this client's credentials, endpoint and region (what a
        connection test runs); returns what it checked, raises the model's errors."""
        raise OperationNotSupported(f"{self.service} has no connection check")

    def console_url(self, ref: RunRef) -> str | None:
        """Where a person can look at the run, or None when it cannot be built from the ref."""
        return None

    def describe(self, ref: RunRef) -> str:
        return describe_ref(self.service, ref)


def map_status(table: Mapping[str, RunState], raw_status: Any, *, ignore_case: bool = False) -> RunState:
    """Look a raw status up in a status table; anything missing is ``UNKNOWN`` (fails closed).

    ``ignore_case`` for services whose SDK compares statuses without case (Azure's enums).
    """
    if not isinstance(raw_status, str):
        return RunState.UNKNOWN
    state = table.get(raw_status)
    if state is None and ignore_case:
        folded = raw_status.casefold()
        state = next((value for key, value in table.items() if key.casefold() == folded), None)
    return state or RunState.UNKNOWN
