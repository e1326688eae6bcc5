"""The Glue wire protocol as the real boto3 client sees it, over HTTPS and plain HTTP."""

from __future__ import annotations

import http.client
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from airflow_workflow_runs.emulator import Emulator, ManualClock

RUN_ID = re.compile(r"^wr_[0-9a-f]{64}$")


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def get(glue: Any, name: str, run_id: str) -> dict[str, Any]:
    return dict(glue.get_workflow_run(Name=name, RunId=run_id)["Run"])


def test_get_workflow_run_follows_a_poll_timeline(emu: Emulator, glue: Any):
    run_id = emu.glue.add_run(
        "nightly",
        timeline=[
            {"status": "RUNNING", "polls": 3},
            {
                "status": "COMPLETED",
                "statistics": {"FailedActions": 1, "SucceededActions": 2, "TotalActions": 3},
            },
        ],
        run_properties={"day": "2026-01-01"},
    )
    runs = [get(glue, "nightly", run_id) for _ in range(5)]
    assert [r["Status"] for r in runs] == ["RUNNING"] * 3 + ["COMPLETED"] * 2
    running, done = runs[0], runs[-1]
    assert running["Name"] == "nightly" and running["WorkflowRunId"] == run_id
    assert running["WorkflowRunProperties"] == {"day": "2026-01-01"}
    assert "CompletedOn" not in running and running["Statistics"]["RunningActions"] == 1
    assert done["Statistics"] == {
        "TotalActions": 3,
        "TimeoutActions": 0,
        "FailedActions": 1,
        "StoppedActions": 0,
        "SucceededActions": 2,
        "RunningActions": 0,
        "ErroredActions": 0,
        "WaitingActions": 0,
    }
    assert done["CompletedOn"] >= done["StartedOn"]
    assert emu.glue.run("nightly", run_id)["observations"] == 5


def test_time_based_timeline_with_a_manual_clock(make_glue: Any):
    clock = ManualClock(1_800_000_000)
    with Emulator(clock=clock) as emu:
        glue = make_glue(emu.http_url)
        run_id = emu.glue.add_run(
            "etl", [{"status": "RUNNING", "seconds": 30}, {"status": "ERROR", "error_message": "boom"}]
        )
        assert get(glue, "etl", run_id)["Status"] == "RUNNING"
        clock.advance(29.9)
        assert get(glue, "etl", run_id)["Status"] == "RUNNING"
        clock.advance(0.1)
        run = get(glue, "etl", run_id)
        assert (run["Status"], run["ErrorMessage"], run["Statistics"]["ErroredActions"]) == (
            "ERROR",
            "boom",
            1,
        )
        assert run["CompletedOn"].timestamp() == pytest.approx(1_800_000_030)
        assert run["StartedOn"].timestamp() == pytest.approx(1_800_000_000)


def test_time_based_timeline_in_wall_time(emu: Emulator, glue_http: Any):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING", "seconds": 0.3}, {"status": "COMPLETED"}])
    deadline = time.monotonic() + 5
    run = get(glue_http, "etl", run_id)
    while run["Status"] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.05)
        run = get(glue_http, "etl", run_id)
    assert run["Status"] == "COMPLETED"
    assert (run["CompletedOn"] - run["StartedOn"]).total_seconds() == pytest.approx(0.3, abs=0.002)


def test_unknown_statuses_pass_through(emu: Emulator, glue: Any):
    run_id = emu.glue.add_run("etl", [{"status": "PAUSED_BY_A_FUTURE_RELEASE"}])
    run = get(glue, "etl", run_id)
    assert run["Status"] == "PAUSED_BY_A_FUTURE_RELEASE" and "CompletedOn" not in run


@pytest.mark.parametrize("page_size", [1, 2])
def test_get_workflow_runs_pages_newest_first(emu: Emulator, glue: Any, page_size: int):
    ids = [emu.glue.add_run("etl", [{"status": "COMPLETED"}], started_on=1_700_000_000 + i) for i in range(5)]
    emu.glue.add_run("other", [{"status": "RUNNING"}])
    seen: list[str] = []
    pages = 0
    kwargs: dict[str, Any] = {"Name": "etl", "MaxResults": page_size}
    for _ in range(10):  # bounded: 5 runs need at most 5 pages
        page = glue.get_workflow_runs(**kwargs)
        pages += 1
        seen += [r["WorkflowRunId"] for r in page["Runs"]]
        assert len(page["Runs"]) <= page_size
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == list(reversed(ids))
    assert pages == -(-5 // page_size)
    assert len(emu.requests(service="glue", operation="GetWorkflowRuns")) == pages


def test_get_workflow_runs_default_page_and_observations(emu: Emulator, glue: Any):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    assert [r["Status"] for r in glue.get_workflow_runs(Name="etl")["Runs"]] == ["RUNNING"]
    page = glue.get_workflow_runs(Name="etl")
    assert [r["Status"] for r in page["Runs"]] == ["COMPLETED"] and "NextToken" not in page
    assert emu.glue.run("etl", run_id)["observations"] == 2


def test_get_workflow_runs_rejects_bad_input(emu: Emulator, glue_https: Any):
    emu.glue.define_workflow("etl")
    with pytest.raises(ClientError) as raised:
        glue_https.get_workflow_runs(Name="etl", MaxResults=1001)
    assert error_code(raised) == "InvalidInputException"
    with pytest.raises(ClientError) as raised:
        glue_https.get_workflow_runs(Name="etl", NextToken="not-a-token")
    assert error_code(raised) == "InvalidInputException"
    with pytest.raises(ClientError) as raised:
        glue_https.get_workflow_runs(Name="missing")
    assert error_code(raised) == "EntityNotFoundException"


def test_missing_workflow_or_run_is_entity_not_found(emu: Emulator, glue: Any):
    emu.glue.add_run("etl", [{"status": "RUNNING"}])
    with pytest.raises(ClientError) as raised:
        get(glue, "etl", "wr_missing")
    assert error_code(raised) == "EntityNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "wr_missing" in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as raised:
        get(glue, "nope", "wr_missing")
    assert error_code(raised) == "EntityNotFoundException" and "nope" in str(raised.value)


def test_start_follows_the_workflow_default_timeline(emu: Emulator, glue: Any):
    emu.glue.define_workflow("etl", [{"status": "RUNNING", "polls": 1}, {"status": "COMPLETED"}])
    run_id = glue.start_workflow_run(Name="etl", RunProperties={"k": "v"})["RunId"]
    assert RUN_ID.match(run_id)
    first, second = get(glue, "etl", run_id), get(glue, "etl", run_id)
    assert (first["Status"], second["Status"]) == ("RUNNING", "COMPLETED")
    assert first["WorkflowRunProperties"] == {"k": "v"}
    assert emu.glue.run("etl", run_id)["run_properties"] == {"k": "v"}


def test_start_uses_the_builtin_default_timeline(emu: Emulator, glue_https: Any):
    emu.glue.define_workflow("etl")
    run_id = glue_https.start_workflow_run(Name="etl")["RunId"]
    assert [get(glue_https, "etl", run_id)["Status"] for _ in range(3)] == ["RUNNING", "RUNNING", "COMPLETED"]


def test_start_of_unknown_workflow_is_entity_not_found(emu: Emulator, glue_https: Any):
    with pytest.raises(ClientError) as raised:
        glue_https.start_workflow_run(Name="nope")
    assert error_code(raised) == "EntityNotFoundException"
    assert emu.glue.runs() == []


def test_stop_shows_stopping_then_stopped(emu: Emulator, glue: Any):
    run_id = emu.glue.add_run(
        "etl",
        [
            {
                "status": "RUNNING",
                "statistics": {"TotalActions": 3, "SucceededActions": 1, "RunningActions": 2},
            }
        ],
    )
    assert get(glue, "etl", run_id)["Status"] == "RUNNING"
    assert emu.glue.run("etl", run_id)["stop_requested"] is False
    response = glue.stop_workflow_run(Name="etl", RunId=run_id)
    assert set(response) == {"ResponseMetadata"}
    record = emu.glue.run("etl", run_id)
    assert record["stop_requested"] is True and record["observations"] == 1
    stopping, stopped, again = (get(glue, "etl", run_id) for _ in range(3))
    assert (stopping["Status"], stopped["Status"], again["Status"]) == ("STOPPING", "STOPPED", "STOPPED")
    assert "CompletedOn" not in stopping and "CompletedOn" in stopped
    assert stopped["Statistics"]["StoppedActions"] == 2 and stopped["Statistics"]["SucceededActions"] == 1
    assert stopped["Statistics"]["TotalActions"] == 3 and stopped["Statistics"]["RunningActions"] == 0


@pytest.mark.parametrize("status", ["COMPLETED", "STOPPED", "ERROR"])
def test_stop_of_a_finished_run_is_an_illegal_state(emu: Emulator, glue_https: Any, status: str):
    run_id = emu.glue.add_run("etl", [{"status": status}])
    with pytest.raises(ClientError) as raised:
        glue_https.stop_workflow_run(Name="etl", RunId=run_id)
    assert error_code(raised) == "IllegalWorkflowStateException"
    assert emu.glue.run("etl", run_id)["stop_requested"] is False


def test_second_stop_while_stopping_is_an_illegal_state(emu: Emulator, glue_https: Any):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    glue_https.stop_workflow_run(Name="etl", RunId=run_id)
    with pytest.raises(ClientError) as raised:
        glue_https.stop_workflow_run(Name="etl", RunId=run_id)
    assert error_code(raised) == "IllegalWorkflowStateException"


def test_unimplemented_operation_is_unknown_operation(emu: Emulator, glue_https: Any):
    with pytest.raises(ClientError) as raised:
        glue_https.get_workflow(Name="etl")
    assert error_code(raised) == "UnknownOperationException"


def test_unsigned_requests_are_refused(emu: Emulator, make_glue: Any):
    emu.glue.add_run("etl", [{"status": "RUNNING"}])
    unsigned = make_glue(emu.http_url, config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as raised:
        unsigned.get_workflow_runs(Name="etl")
    assert error_code(raised) == "MissingAuthenticationTokenException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_request_log_counts_calls_and_keeps_no_secrets(emu: Emulator, make_glue: Any):
    client = make_glue(emu.https_url, emu.ca_bundle, aws_session_token="session-token-value")
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    get(client, "etl", run_id)
    client.get_workflow_runs(Name="etl")
    with pytest.raises(ParamValidationError):
        client.get_workflow_run(Name="etl")  # rejected by botocore: nothing is sent
    (entry,) = emu.requests(service="glue", operation="GetWorkflowRun")
    assert entry["body"] == {"Name": "etl", "RunId": run_id}
    assert (entry["method"], entry["path"], entry["scheme"], entry["status"]) == ("POST", "/", "https", 200)
    assert entry["authorization"] is True and entry["fault"] is None
    assert [e["operation"] for e in emu.requests()] == ["GetWorkflowRun", "GetWorkflowRuns"]
    dumped = json.dumps(emu.requests())
    assert "AWS4-HMAC-SHA256" not in dumped and "session-token-value" not in dumped and "Signature=" not in dumped
    emu.clear_requests()
    assert emu.requests() == []


def test_boto3_keeps_the_connection_alive(emu: Emulator, glue_https: Any):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    for _ in range(5):
        get(glue_https, "etl", run_id)
    assert len({e["connection"] for e in emu.requests()}) == 1


def test_raw_http_keep_alive_and_framing(emu: Emulator):
    connection = http.client.HTTPConnection("127.0.0.1", int(emu.http_url.rsplit(":", 1)[1]), timeout=5)
    headers = {"X-Amz-Target": "AWSGlue.GetWorkflowRuns", "Authorization": "AWS4-HMAC-SHA256 Credential=x"}
    try:
        for body in (b'{"Name": "nope"}', b"{not json", b'{"Name": "nope"}'):
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            assert response.status == 400
            assert response.getheader("Content-Type") == "application/x-amz-json-1.1"
            assert int(response.getheader("Content-Length") or -1) == len(payload)
            assert json.loads(payload)["__type"] in ("EntityNotFoundException", "SerializationException")
        connection.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "AWSGlue.GetWorkflowRuns"})
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())["__type"]) == (
            403,
            "MissingAuthenticationTokenException",
        )
    finally:
        connection.close()
    assert len({e["connection"] for e in emu.requests()}) == 1


def test_requests_no_service_claims_get_a_404_and_are_logged(emu: Emulator):
    connection = http.client.HTTPConnection("127.0.0.1", int(emu.http_url.rsplit(":", 1)[1]), timeout=5)
    try:
        connection.request("GET", "/somewhere?x=1")
        response = connection.getresponse()
        assert response.status == 404 and "no emulated service" in json.loads(response.read())["message"]
    finally:
        connection.close()
    (entry,) = emu.requests()
    assert (entry["service"], entry["path"], entry["query"]) == (None, "/somewhere", {"x": ["1"]})


def test_concurrent_polls_each_count_exactly_once(emu: Emulator, glue_http: Any):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 25}, {"status": "COMPLETED"}])

    def poll(_: int) -> list[str]:
        return [get(glue_http, "etl", run_id)["Status"] for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for batch in pool.map(poll, range(8), timeout=30) for s in batch]
    assert statuses.count("RUNNING") == 25 and statuses.count("COMPLETED") == 55
    assert emu.glue.run("etl", run_id)["observations"] == 80
    assert len(emu.requests(operation="GetWorkflowRun")) == 80
