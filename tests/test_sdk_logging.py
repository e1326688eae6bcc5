"""The SDKs write no line per request at INFO (azure-core would write ~6 a call), unless the
deployment configured their loggers: then it gets what it asked for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from airflow_workflow_runs.clients.sdk_logging import PER_REQUEST_LOGGERS
from tests.emulated_services import EmulatedServices

#: Top-level loggers of the SDKs (and their HTTP stacks) the five services use.
SDK_LOGGERS = (
    "azure",
    "msal",
    "aiohttp",
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "requests",
    "datadog_api_client",
    "alibabacloud",
    "alibabacloud_tea_openapi",
    "alibabacloud_credentials",
    "alibabacloud_dataworks_public20240518",
    "darabonba",
    "Tea",
)
HTTP_LOGGER = "azure.core.pipeline.policies.http_logging_policy"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def sdk_lines(self) -> list[str]:
        return [
            f"{r.name} {r.levelname}: {r.getMessage()[:80]!r}"
            for r in self.records
            if r.levelno < logging.WARNING and r.name.split(".")[0] in SDK_LOGGERS
        ]


@pytest.fixture
def records() -> Iterator[Records]:
    """Everything logged anywhere while the root logger is at INFO (Airflow's default level)."""
    import airflow.sdk  # noqa: F401  (configures logging, replacing the root's handlers, on first import)

    root = logging.getLogger()
    names = ("azure", "azure.core", *PER_REQUEST_LOGGERS)
    levels = {name: logging.getLogger(name).level for name in names}
    handler, root_level = Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    assert handler in root.handlers, "the root logger's handlers were replaced: nothing was recorded"
    root.removeHandler(handler)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def poll(services: EmulatedServices, target: str) -> None:
    """Read a run twice with a hook's own client, and once through the shared async client."""
    ref = services.add_run(target, "running", "succeeded")
    hook = services.hook(target)
    assert hook.get_run(ref).state.value == "running"
    assert hook.get_run(ref).state.value == "succeeded"
    assert asyncio.run(services.hook(target).aget_run(ref)).state.value == "succeeded"


@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_a_poll_writes_no_sdk_line_at_info(services, records, target):
    poll(services, target)
    assert records.sdk_lines() == []
    assert services.requests(target), "nothing was asked"


@pytest.mark.parametrize("configured", [HTTP_LOGGER, "azure"])
def test_a_logger_the_deployment_turned_up_keeps_its_lines(services, records, configured):
    """Set on the logger itself or on an ancestor, before or after a client quieted it."""
    poll(services, "logic_apps_consumption")  # a client was built: the logger was quieted
    assert records.sdk_lines() == []
    logging.getLogger(configured).setLevel(logging.INFO)
    poll(services, "logic_apps_consumption")
    lines = records.sdk_lines()
    assert any(line.startswith(f"{HTTP_LOGGER} INFO") and "Request URL:" in line for line in lines), lines
    assert any(line.startswith(f"{HTTP_LOGGER} INFO") and "Response status:" in line for line in lines), lines


def test_a_level_set_before_any_client_is_kept(services, records):
    logging.getLogger("azure.identity").setLevel(logging.INFO)
    logging.getLogger(HTTP_LOGGER).setLevel(logging.DEBUG)
    poll(services, "logic_apps_standard")
    assert logging.getLogger(HTTP_LOGGER).level == logging.DEBUG
    assert any(line.startswith("azure.identity.") for line in records.sdk_lines()), records.sdk_lines()
