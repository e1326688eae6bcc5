"""The Glue client (no Airflow): status table, Statistics rule, validation and errors, over real boto3."""

from __future__ import annotations

import botocore.session
import pytest

from airflow_workflow_runs.clients.glue_runs import STATUS_TABLE
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunNotFound,
    RunState,
    TransientServiceError,
)
from tests.helpers import glue_client


@pytest.fixture
def glue(emu):
    return glue_client(emu)


def test_status_table_is_exactly_botocores_enum():
    model = botocore.session.get_session().get_service_model("glue")
    assert set(STATUS_TABLE) == set(model.shape_for("WorkflowRunStatus").enum)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("RUNNING", RunState.RUNNING),
        ("STOPPING", RunState.RUNNING),
        ("COMPLETED", RunState.SUCCEEDED),
        ("STOPPED", RunState.CANCELLED),
        ("ERROR", RunState.FAILED),
        ("PAUSED_BY_A_FUTURE_RELEASE", RunState.UNKNOWN),
    ],
)
def test_every_status_maps_to_a_state(emu, glue, status, state):
    run_id = emu.glue.add_run("etl", timeline=[{"status": status}])
    run = glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert (run.state, run.raw_status, run.run_id) == (state, status, run_id)
    assert run.is_terminal == (state is not RunState.RUNNING)


def test_unknown_status_is_named_in_the_error(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "PAUSED"}])
    run = glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert run.state is RunState.UNKNOWN
    assert "'PAUSED'" in run.error


@pytest.mark.parametrize("counter", ["FailedActions", "ErroredActions", "TimeoutActions", "StoppedActions"])
def test_completed_with_unsuccessful_actions_is_a_failure_with_counts(emu, glue, counter):
    statistics = {"TotalActions": 3, "SucceededActions": 2, counter: 1}
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED", "statistics": statistics}])
    run = glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert run.state is RunState.FAILED
    assert run.raw_status == "COMPLETED"
    assert "1 " in run.error and "of 3 actions" in run.error
    assert run.details["statistics"][counter] == 1


def test_completed_with_all_actions_succeeded_is_a_success_with_its_details(emu, glue):
    run_id = emu.glue.add_run(
        "etl",
        timeline=[{"status": "COMPLETED", "statistics": {"TotalActions": 2, "SucceededActions": 2}}],
        run_properties={"day": "2026-01-01"},
    )
    run = glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert run.state is RunState.SUCCEEDED
    assert run.error is None
    assert run.outputs == {"day": "2026-01-01"}
    assert run.started_at is not None and run.ended_at is not None
    assert run.console_url.startswith("https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1")
    assert run.console_url.endswith("/workflows/view/etl")


def test_error_message_of_an_errored_run_is_kept(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "ERROR", "error_message": "Concurrent runs exceeded"}])
    run = glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert run.state is RunState.FAILED
    assert run.error == "Concurrent runs exceeded"


def test_a_run_follows_its_timeline(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING", "polls": 2}, {"status": "COMPLETED"}])
    ref = {"workflow_name": "etl", "run_id": run_id}
    assert [glue.get_run(ref).raw_status for _ in range(3)] == ["RUNNING", "RUNNING", "COMPLETED"]


@pytest.mark.parametrize(
    ("ref", "rule"),
    [
        ({"workflow_name": "", "run_id": "wr_1"}, "is empty"),
        ({"workflow_name": "x" * 256, "run_id": "wr_1"}, "limit is 255"),
        ({"workflow_name": "etl", "run_id": "wr_1\nDROP"}, "single-line"),
        ({"workflow_name": "etl\x00", "run_id": "wr_1"}, "single-line"),
        ({"workflow_name": "etl"}, "must be a string"),
    ],
)
def test_invalid_ids_fail_with_the_rule_before_any_request(emu, glue, ref, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        glue.get_run(ref)
    assert emu.requests(service="glue") == []


def test_tab_and_unicode_are_valid_names(emu, glue):
    run_id = emu.glue.add_run("nightly\tétl 🚀", timeline=[{"status": "COMPLETED"}])
    assert glue.get_run({"workflow_name": "nightly\tétl 🚀", "run_id": run_id}).state is RunState.SUCCEEDED


def test_missing_run_names_workflow_and_run(emu, glue):
    emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    with pytest.raises(RunNotFound) as raised:
        glue.get_run({"workflow_name": "etl", "run_id": "wr_missing"})
    message = str(raised.value)
    assert "workflow_name='etl'" in message and "run_id='wr_missing'" in message
    assert "eu-west-1" in message


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 400, "error_type": "ThrottlingException", "retry_after": 7},
        {"status": 429, "error_type": "TooManyRequestsException"},
        {"status": 500, "error_type": "InternalServiceException"},
        {"status": 503},
        {"status": 502, "body": "non_json"},
        {"body": "truncated"},
        # Glue throttles with a 400: one cut off on the way has no error type left to read.
        {"status": 400, "error_type": "ThrottlingException", "body": "truncated"},
        {"status": 400, "body": "non_json"},
    ],
    ids=["throttling", "429", "500", "503", "html-502", "truncated", "truncated-400", "html-400"],
)
def test_throttling_5xx_and_garbled_answers_are_transient(emu, glue, fault):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "count": 1, **fault})
    with pytest.raises(TransientServiceError):
        glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert glue.get_run({"workflow_name": "etl", "run_id": run_id}).state is RunState.SUCCEEDED


def test_retry_after_is_carried_to_the_caller(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": 400,
            "error_type": "ThrottlingException",
            "retry_after": 7,
        }
    )
    with pytest.raises(TransientServiceError) as raised:
        glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert raised.value.retry_after == 7


def test_access_denied_says_what_to_check_and_hides_the_secret(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault(
        {
            "service": "glue",
            "operation": "GetWorkflowRun",
            "status": 400,
            "error_type": "AccessDeniedException",
        }
    )
    with pytest.raises(AccessDenied, match="credentials") as raised:
        glue.get_run({"workflow_name": "etl", "run_id": run_id})
    assert "emulator-secret" not in str(raised.value)


def test_one_poll_is_one_request(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "RUNNING"}])
    glue.get_run({"workflow_name": "etl", "run_id": run_id})
    requests = emu.requests(service="glue")
    assert [r["operation"] for r in requests] == ["GetWorkflowRun"]
    assert requests[0]["body"]["IncludeGraph"] is False


def test_find_running_run_pages_through_runs_by_key(emu, glue):
    for index in range(5):
        emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}], started_on=1_700_000_000 + index)
    wanted = emu.glue.add_run(
        "etl",
        timeline=[{"status": "RUNNING"}],
        started_on=1_600_000_000,
        run_properties={"airflow_run_key": "k1"},
    )
    runs = list(glue.iter_runs("etl", page_size=2))
    assert len(runs) == 6 and len({r.run_id for r in runs}) == 6
    assert len(emu.requests(service="glue", operation="GetWorkflowRuns")) == 3
    found = glue.find_running_run("etl", "k1")
    assert found is not None and found.run_id == wanted
    assert glue.find_running_run("etl", "other-key") is None


def test_start_tags_the_run_and_stop_stops_it(emu, glue):
    emu.glue.define_workflow("etl", timeline=[{"status": "RUNNING"}])
    ref = glue.start_run("etl", {"day": "1"}, run_key="k2")
    run = glue.get_run(ref)
    assert run.details["run_properties"] == {"day": "1", "airflow_run_key": "k2"}
    glue.cancel_run(ref)
    assert emu.glue.run("etl", ref["run_id"])["stop_requested"] is True
    statuses = [glue.get_run(ref).raw_status for _ in range(2)]
    assert statuses == ["STOPPING", "STOPPED"]
    glue.cancel_run(ref)  # stopping a finished run is a no-op, not an error


def test_a_slow_answer_past_the_read_timeout_is_transient(emu):
    glue = glue_client(emu, read_timeout=0.3)
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "delay": 1.5})
    with pytest.raises(TransientServiceError, match="could not be reached"):
        glue.get_run({"workflow_name": "etl", "run_id": run_id})


def test_a_dropped_connection_is_transient(emu, glue):
    run_id = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "body": "disconnect"})
    with pytest.raises(TransientServiceError):
        glue.get_run({"workflow_name": "etl", "run_id": run_id})
