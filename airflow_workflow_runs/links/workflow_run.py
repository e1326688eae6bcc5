"""Extra links to the remote run's console page.

The URL is pushed to XCom as soon as the run is known (before the wait), so the link works while a
task waits for hours; ``get_link`` reads it back, on the worker and in the API server alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

CONSOLE_URL_XCOM_KEY = "workflow_run_console_url"


class WorkflowRunLink(BaseOperatorLink):
    """Base of the per-service links; a service sets only ``name``."""

    name: ClassVar[str] = "Workflow run"  # type: ignore[misc]

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        url = XCom.get_value(key=CONSOLE_URL_XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""

    @staticmethod
    def persist(context: Context, url: str | None) -> None:
        if url:
            context["ti"].xcom_push(key=CONSOLE_URL_XCOM_KEY, value=url)
