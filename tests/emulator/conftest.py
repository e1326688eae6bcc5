"""Fixtures for the emulator's own tests: one emulator per session, emptied around each test.

These override the package-wide ``emu`` fixture so the emulator is tested on its own, with plain
boto3 clients and no Airflow hooks involved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.control_client import control

# botocore's ``retries={"max_attempts": N}`` counts *retries* (N=1 is two attempts);
# ``total_max_attempts`` counts attempts, so 1 really means "no retry".
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10)


def glue_client(url: str, verify: str | bool | None = None, config: Config = NO_RETRIES, **kwargs: Any) -> Any:
    """A real boto3 Glue client pointed at the emulator."""
    return boto3.client(
        "glue",
        region_name="us-east-1",
        endpoint_url=url,
        verify=verify,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
        **kwargs,
    )


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emu(emulator_session: Emulator) -> Iterator[Emulator]:
    emulator_session.reset()
    yield emulator_session
    emulator_session.reset()


@pytest.fixture(scope="session")
def glue_https(emulator_session: Emulator) -> Any:
    return glue_client(emulator_session.https_url, emulator_session.ca_bundle)


@pytest.fixture(scope="session")
def glue_http(emulator_session: Emulator) -> Any:
    return glue_client(emulator_session.http_url)


@pytest.fixture(params=["https", "http"])
def glue(request: pytest.FixtureRequest, emu: Emulator) -> Any:
    """The boto3 Glue client (retries off), once over HTTPS and once over plain HTTP."""
    return request.getfixturevalue(f"glue_{request.param}")


@pytest.fixture(scope="session")
def make_glue() -> Any:
    """``make_glue(url, verify=None, config=NO_RETRIES, **client_kwargs)`` -> boto3 Glue client."""
    return glue_client


@pytest.fixture(scope="session")
def control_call() -> Any:
    """``control_call(emulator_or_http_url, method, path, body=None)`` -> ``(status, JSON answer)``."""
    return control
