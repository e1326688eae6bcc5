"""The interface every service client implements, and helpers shared by their status tables."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from airflow_workflow_runs.model import OperationNotSupported, RunState, WorkflowRun, describe_ref

RunRef = Mapping[str, str]


class RunClient(ABC):
    """Fetches (and where the service allows, starts and cancels) runs of one service.

    ``ref`` is a mapping of the identifiers naming a run; ``ref_fields`` lists them in order.
    Implementations validate a ref before sending anything and translate every SDK or network
    error into a :class:`~airflow_workflow_runs.model.WorkflowRunError`.
    """

    service: ClassVar[str]
    ref_fields: ClassVar[tuple[str, ...]]

    @abstractmethod
    def validate_ref(self, ref: RunRef) -> dict[str, str]:
        """Return the ref with only ``ref_fields``, or raise ``InvalidRunReference`` naming the rule."""

    @abstractmethod
    def get_run(self, ref: RunRef) -> WorkflowRun:
        """Fetch the run with one request."""

    async def aget_run(self, ref: RunRef) -> WorkflowRun:
        """Async fetch; SDKs without an async client run the blocking call in a worker thread."""
        return await asyncio.to_thread(self.get_run, ref)

    def cancel_run(self, ref: RunRef) -> None:
        """Ask the service to stop the run; services without such an API raise."""
        raise OperationNotSupported(
            f"{describe_ref(self.service, ref)} cannot be cancelled: the {self.service} API has no operation for it"
        )

    async def acancel_run(self, ref: RunRef) -> None:
        await asyncio.to_thread(self.cancel_run, ref)

    def console_url(self, ref: RunRef) -> str | None:
        """Where a person can look at the run, or None when it cannot be built from the ref."""
        return None

    def describe(self, ref: RunRef) -> str:
        return describe_ref(self.service, ref)


def map_status(table: Mapping[str, RunState], raw_status: Any) -> RunState:
    """Look a raw status up in a status table; anything missing is ``UNKNOWN`` (fails closed)."""
    if not isinstance(raw_status, str):
        return RunState.UNKNOWN
    return table.get(raw_status, RunState.UNKNOWN)
