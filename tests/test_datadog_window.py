"""Datadog: the instances of a workflow started in a time window.

A real ``datadog-api-client`` ``WorkflowAutomationApi`` talks to the emulator over HTTP; request
counts and query strings come from the emulator's request log.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_workflow_runs.clients.datadog import DatadogRunClient, build_api
from airflow_workflow_runs.model import InvalidRunReference, RunState, TimeWindow, TransientServiceError, WorkflowRun
from tests.helpers import START

API_KEY = "dd-api-key-window-0001"
APP_KEY = "dd-app-key-window-0002"
WORKFLOW_ID = "ccf73164-1998-4785-a7a3-8d06c7e5f558"
OTHER_WORKFLOW_ID = "0b7f3b1e-9c4d-4e2a-8f6b-5d3c2a1b0e9f"
WORKFLOW = {"workflow_id": WORKFLOW_ID}
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def dd(emu) -> DatadogRunClient:
    emu.datadog.require_keys(API_KEY, APP_KEY)
    return DatadogRunClient(build_api(api_key=API_KEY, app_key=APP_KEY, host=emu.http_url, timeout=5))


def add(emu, started, status: str = "SUCCEEDED", workflow_id: str = WORKFLOW_ID, **step) -> str:
    return emu.datadog.add_instance(workflow_id, [{"status": status, **step}], started_on=started.timestamp())


def ids(runs: list[WorkflowRun]) -> list[str]:
    return [run.run_id for run in runs]


def list_pages(emu) -> list[tuple[str, str]]:
    return [
        (r["query"]["page[size]"][0], r["query"]["page[number]"][0])
        for r in emu.requests(service="datadog", operation="ListWorkflowInstances")
    ]


def test_the_window_includes_its_start_and_excludes_its_end(emu, dd):
    add(emu, START - timedelta(microseconds=1))
    at_start = add(emu, START)
    inside = add(emu, START + HOUR)
    add(emu, START + DAY)
    runs = dd.list_runs_in_window(WORKFLOW, TimeWindow(START, START + DAY))
    assert ids(runs) == [inside, at_start]
    assert runs[1].started_at == START


def test_open_bounds_reach_the_oldest_and_the_newest_instance(emu, dd):
    old = add(emu, START - DAY)
    mid = add(emu, START)
    new = add(emu, START + DAY)
    assert ids(dd.list_runs_in_window(WORKFLOW, TimeWindow(None, START))) == [old]
    assert ids(dd.list_runs_in_window(WORKFLOW, TimeWindow(START, None))) == [new, mid]
    assert ids(dd.list_runs_in_window(WORKFLOW, TimeWindow())) == [new, mid, old]


def test_every_page_is_read_because_the_list_has_no_time_filter_or_order(emu, dd):
    hourly = [add(emu, START + i * HOUR) for i in range(7)]
    window = TimeWindow(START + 5 * HOUR, START + 6 * HOUR)
    assert ids(dd.list_runs_in_window(WORKFLOW, window, page_size=3)) == [hourly[5]]
    # Pages of 3, 0-based, until a short page: the oldest instances on the last page were read too.
    assert list_pages(emu) == [("3", "0"), ("3", "1"), ("3", "2")]


def test_matches_come_newest_first_even_when_the_service_lists_oldest_first(emu, dd):
    emu.datadog.list_order = "creation"
    second = add(emu, START + 2 * HOUR)
    first = add(emu, START + HOUR)
    third = add(emu, START + 3 * HOUR)
    add(emu, START - HOUR)
    runs = dd.list_runs_in_window(WORKFLOW, TimeWindow(START, None), page_size=2)
    assert ids(runs) == [third, second, first]


def test_instances_of_other_workflows_are_left_out(emu, dd):
    mine = add(emu, START + HOUR)
    add(emu, START + 2 * HOUR, workflow_id=OTHER_WORKFLOW_ID)
    runs = dd.list_runs_in_window(WORKFLOW, TimeWindow(START, None))
    assert ids(runs) == [mine]
    assert runs[0].ref == {"workflow_id": WORKFLOW_ID, "instance_id": mine}


def test_listed_instances_carry_state_and_a_ref_that_reads_them_again(emu, dd):
    failed = add(
        emu,
        START + HOUR,
        "STEP_ERROR",
        steps=[{"stepName": "deploy", "stepState": "FAILED", "errorDetail": "boom"}],
        error_detail="a step failed",
    )
    running = add(emu, START + 2 * HOUR, "IN_PROGRESS")
    listed = dd.list_runs_in_window(WORKFLOW, TimeWindow(START, None))
    assert [(run.run_id, run.state) for run in listed] == [(running, RunState.RUNNING), (failed, RunState.FAILED)]
    # The list item has no step errors: the client says so, and get_run on the ref has them.
    assert DatadogRunClient.listed_runs_complete is False
    assert listed[1].error is None
    reread = dd.get_run(listed[1].ref)
    assert reread.state is RunState.FAILED and "deploy (FAILED): boom" in (reread.error or "")


@pytest.mark.parametrize(
    ("workflow", "rule"),
    [({"workflow_id": "not-a-uuid"}, "a UUID"), ({}, "must be a string"), ({"workflow_id": ""}, "is empty")],
)
def test_an_invalid_workflow_id_fails_before_any_request(emu, dd, workflow, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        dd.list_runs_in_window(workflow, TimeWindow())
    assert emu.requests(service="datadog") == []


def test_validate_workflow_keeps_only_the_workflow_id(dd):
    assert dd.validate_workflow({"workflow_id": WORKFLOW_ID, "instance_id": "x"}) == WORKFLOW


def test_rate_limiting_is_transient_with_the_reset_as_retry_after(emu, dd):
    add(emu, START)
    emu.datadog.rate_limit_reset = 7
    emu.add_fault({"service": "datadog", "operation": "ListWorkflowInstances", "status": 429})
    with pytest.raises(TransientServiceError, match="rate limited") as raised:
        dd.list_runs_in_window(WORKFLOW, TimeWindow())
    assert raised.value.retry_after == 7.0
    assert len(dd.list_runs_in_window(WORKFLOW, TimeWindow())) == 1
