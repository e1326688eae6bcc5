"""Fault injection as botocore sees it (retries off), and its bookkeeping."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from airflow_workflow_runs.emulator import Emulator


@pytest.fixture
def run_id(emu: Emulator) -> str:
    return emu.glue.add_run("etl", [{"status": "COMPLETED"}])


def get(glue: Any, run_id: str) -> dict[str, Any]:
    return dict(glue.get_workflow_run(Name="etl", RunId=run_id))


def fails(glue: Any, run_id: str) -> ClientError:
    with pytest.raises(ClientError) as raised:
        get(glue, run_id)
    return raised.value


@pytest.mark.parametrize("status", [400, 429])
def test_throttling_with_retry_after(emu: Emulator, glue_https: Any, run_id: str, status: int):
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": status,
            "error_type": "ThrottlingException",
            "retry_after": 1,
        }
    )
    error = fails(glue_https, run_id)
    assert error.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert get(glue_https, run_id)["Run"]["Status"] == "COMPLETED"  # count 1: used up
    assert emu.glue.run("etl", run_id)["observations"] == 1  # the faulted call was no observation
    assert [e["fault"] for e in emu.requests()] == ["error", None]
    assert [e["status"] for e in emu.requests()] == [status, 200]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"status": 500}, "InternalServiceException"),
        ({"status": 503}, "ServiceUnavailableException"),
        ({"status": 400, "error_type": "AccessDeniedException", "message": "nope"}, "AccessDeniedException"),
    ],
)
def test_error_statuses_use_glues_error_shape(emu: Emulator, glue_https: Any, run_id: str, fault: Any, code: str):
    emu.add_fault({"service": "glue", **fault})
    error = fails(glue_https, run_id)
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == fault["status"]


def test_non_json_body_is_a_generic_http_error(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault({"service": "glue", "body": "non_json", "status": 502})
    error = fails(glue_https, run_id)
    assert error.response["Error"]["Code"] == "502"
    assert error.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/html"


def test_truncated_body_reaches_the_client_unparsed(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "body": "truncated"})
    response = get(glue_https, run_id)
    assert "Run" not in response  # botocore could not parse the cut-off JSON
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert emu.glue.run("etl", run_id)["observations"] == 0
    assert emu.requests()[0]["fault"] == "truncated"


def test_delay_answers_slowly_then_normally(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault({"service": "glue", "delay": 0.3})
    started = time.monotonic()
    assert get(glue_https, run_id)["Run"]["Status"] == "COMPLETED"
    assert time.monotonic() - started >= 0.3
    assert emu.requests()[0]["fault"] == "delay"


def test_delay_beyond_the_read_timeout(emu: Emulator, make_glue: Any, run_id: str):
    impatient = make_glue(
        emu.http_url, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=0.3)
    )
    emu.add_fault({"service": "glue", "delay": 2, "status": 500})
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        get(impatient, run_id)
    assert time.monotonic() - started < 1.5


def test_disconnect_closes_without_an_answer(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault({"service": "glue", "body": "disconnect"})
    with pytest.raises(ConnectionClosedError):
        get(glue_https, run_id)
    assert get(glue_https, run_id)["Run"]["Status"] == "COMPLETED"
    assert emu.requests()[0]["status"] is None


def test_faults_fire_in_order_for_matching_requests_only(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault(
        [
            {"service": "glue", "operation": "GetWorkflowRun", "count": 2, "status": 500},
            {"service": "*", "status": 503},
        ]
    )
    assert len(emu.faults()) == 2
    with pytest.raises(ClientError):  # another operation skips the first fault, takes the second
        glue_https.get_workflow_runs(Name="etl")
    codes = []
    for _ in range(3):
        try:
            get(glue_https, run_id)
            codes.append(200)
        except ClientError as exc:
            codes.append(exc.response["ResponseMetadata"]["HTTPStatusCode"])
    assert codes == [500, 500, 200]
    assert [e["status"] for e in emu.requests(operation="GetWorkflowRuns")] == [503]
    assert emu.faults() == []


def test_clear_faults(emu: Emulator, glue_https: Any, run_id: str):
    emu.add_fault({"service": "glue", "status": 500, "count": 5})
    emu.clear_faults()
    assert get(glue_https, run_id)["Run"]["Status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"service": "Glue", "status": 500}, "unknown service"),
        ({"service": "glue", "operation": "GetWorkflowRunz", "status": 500}, "no operation"),
        ({"operation": "GetWorkflowRun", "status": 500}, "name its service"),
        ({"service": "glue"}, "needs a 'status'"),
        ({"service": "glue", "status": 200}, ">= 400"),
        ({"service": "glue", "status": 500, "count": 0}, "count"),
        ({"service": "glue", "body": "garbage"}, "body"),
        ({"service": "glue", "delay": -1}, "delay"),
        ({"service": "glue", "status": 500, "colour": "red"}, "unknown fault fields"),
    ],
)
def test_invalid_faults_are_rejected(emu: Emulator, spec: Any, match: str):
    with pytest.raises(ValueError, match=match):
        emu.add_fault(spec)
    assert emu.faults() == []


def test_a_list_with_one_bad_fault_queues_nothing(emu: Emulator):
    with pytest.raises(ValueError):
        emu.add_fault([{"service": "glue", "status": 500}, {"service": "glue", "status": 1}])
    assert emu.faults() == []


def test_botocore_max_attempts_counts_retries_not_attempts(emu: Emulator, make_glue: Any, run_id: str):
    """``retries={"max_attempts": 1}`` still retries once; the emulator log shows both attempts."""
    client = make_glue(emu.http_url, config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    emu.add_fault({"service": "glue", "status": 400, "error_type": "ThrottlingException", "count": 2})
    error = fails(client, run_id)
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert [e["fault"] for e in emu.requests()] == ["error", "error"]
