"""Extra links to the remote run's console page.

The URL is pushed to XCom as soon as the run is known (before the wait), so the link works while a
task waits for hours; ``get_link`` reads it back, on the worker and in the API server alike.
A service's link class is made from its declaration (``class X(WorkflowRunLink, service=...)``), in
the module the declaration names, so serialized DAGs find it there.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

    from airflow_workflow_runs.services import ServiceDeclaration

CONSOLE_URL_XCOM_KEY = "workflow_run_console_url"


class WorkflowRunLink(BaseOperatorLink):
    """Base of the per-service links; ``service=`` sets the name from the declaration."""

    name: ClassVar[str] = "Workflow run"  # type: ignore[misc]

    def __init_subclass__(cls, service: ServiceDeclaration | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if service is not None:
            cls.name = service.link_name

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        url = XCom.get_value(key=CONSOLE_URL_XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""

    @staticmethod
    def persist(context: Context, url: str | None) -> None:
        if url:
            context["ti"].xcom_push(key=CONSOLE_URL_XCOM_KEY, value=url)


def service_link(service: ServiceDeclaration) -> type[WorkflowRunLink]:
    """The service's link class, imported from where its declaration says it lives."""
    module_name, _, class_name = service.link_path.rpartition(".")
    link = getattr(import_module(module_name), class_name, None)
    if not (isinstance(link, type) and issubclass(link, WorkflowRunLink)):
        raise TypeError(f"{service.link_path} is not a WorkflowRunLink subclass")
    return link
