"""CodeCatalyst: the runs of a workflow started in a time window, over a real boto3 client and the emulator.

ListWorkflowRuns documents no order, so the client reads every page (up to a cap) and sorts itself;
the emulator can list oldest first to prove that.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import botocore.exceptions
import pytest
from botocore.config import Config

from airflow_workflow_runs.clients import codecatalyst
from airflow_workflow_runs.clients.codecatalyst import CodeCatalystRunClient, build_boto_client
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunState,
    TimeWindow,
    TransientServiceError,
    WorkflowRun,
)
from tests.helpers import CODECATALYST_TOKEN, START

SPACE, PROJECT = "example-corp", "my-demo-project"
WORKFLOW_ID = "a1b2c3d4-5678-90ab-cdef-111111111111"
OTHER_WORKFLOW_ID = "a1b2c3d4-5678-90ab-cdef-222222222222"
WORKFLOW = {"space_name": SPACE, "project_name": PROJECT, "workflow_id": WORKFLOW_ID}
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def boto(emu):
    return build_boto_client(
        CODECATALYST_TOKEN,
        endpoint_url=emu.https_url,
        verify=emu.ca_bundle,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def cc(boto) -> CodeCatalystRunClient:
    return CodeCatalystRunClient(boto)


def add_run(emu, started, status: str = "SUCCEEDED", workflow_id: str = WORKFLOW_ID, project: str = PROJECT) -> str:
    return emu.codecatalyst.add_run(
        SPACE, project, [{"status": status}], workflow_id=workflow_id, started_on=started.timestamp()
    )


def ids(runs: list[WorkflowRun]) -> list[str]:
    return [run.run_id for run in runs]


def listings(emu) -> list[dict]:
    return emu.requests(service="codecatalyst", operation="ListWorkflowRuns")


def test_the_window_includes_its_start_and_excludes_its_end(emu, cc):
    add_run(emu, START - timedelta(seconds=1))
    at_start = add_run(emu, START)
    inside = add_run(emu, START + HOUR)
    add_run(emu, START + DAY)
    runs = cc.list_runs_in_window(WORKFLOW, TimeWindow(START, START + DAY))
    assert ids(runs) == [inside, at_start]
    assert runs[1].started_at == START


def test_open_bounds_reach_the_oldest_and_the_newest_run(emu, cc):
    old, mid, new = add_run(emu, START - DAY), add_run(emu, START), add_run(emu, START + DAY)
    assert ids(cc.list_runs_in_window(WORKFLOW, TimeWindow(None, START))) == [old]
    assert ids(cc.list_runs_in_window(WORKFLOW, TimeWindow(START, None))) == [new, mid]
    assert ids(cc.list_runs_in_window(WORKFLOW, TimeWindow())) == [new, mid, old]


def test_runs_come_newest_first_even_when_the_service_lists_them_oldest_first(emu, cc):
    emu.codecatalyst.list_oldest_first()
    hourly = [add_run(emu, START + i * HOUR) for i in range(5)]
    runs = cc.list_runs_in_window(WORKFLOW, TimeWindow(START + HOUR, None), page_size=2)
    assert ids(runs) == hourly[:0:-1]


def test_every_page_is_read_since_the_listing_order_is_undocumented(emu, cc):
    hourly = [add_run(emu, START + i * HOUR) for i in range(7)]
    runs = cc.list_runs_in_window(WORKFLOW, TimeWindow(START + 6 * HOUR, None), page_size=2)
    assert ids(runs) == [hourly[6]]
    sent = listings(emu)
    assert len(sent) == 4
    assert all(r["query"]["maxResults"] == ["2"] and r["query"]["workflowId"] == [WORKFLOW_ID] for r in sent)
    assert "nextToken" not in sent[0]["query"] and all("nextToken" in r["query"] for r in sent[1:])


def test_listing_stops_at_the_page_cap(emu, cc, monkeypatch):
    monkeypatch.setattr(codecatalyst, "WINDOW_MAX_PAGES", 2)
    hourly = [add_run(emu, START + i * HOUR) for i in range(5)]
    runs = cc.list_runs_in_window(WORKFLOW, TimeWindow(), page_size=2)
    assert ids(runs) == hourly[:0:-1][:4]
    assert len(listings(emu)) == 2


def test_runs_of_other_workflows_and_projects_are_left_out(emu, cc):
    mine = add_run(emu, START)
    add_run(emu, START + HOUR, workflow_id=OTHER_WORKFLOW_ID)
    add_run(emu, START + HOUR, project="another-project")
    assert ids(cc.list_runs_in_window(WORKFLOW, TimeWindow())) == [mine]


def test_a_listed_run_is_complete_and_reads_again_by_its_ref(emu, cc):
    run_id = add_run(emu, START, status="NOT_RUN")
    (listed,) = cc.list_runs_in_window(WORKFLOW, TimeWindow())
    assert listed.ref == {"space_name": SPACE, "project_name": PROJECT, "run_id": run_id}
    assert listed.state is RunState.SKIPPED
    assert cc.get_run(listed.ref).to_dict() == listed.to_dict()


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"space_name": "ab"}, "at least 3"),
        ({"space_name": "bad space"}, "letters and digits"),
        ({"project_name": "a..b"}, "letters and digits"),
        ({"workflow_id": "my-demo-workflow-id-123abc"}, "a UUID"),
        ({"workflow_id": None}, "must be a string"),
    ],
)
def test_invalid_ids_fail_before_any_request(emu, cc, bad, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        cc.list_runs_in_window(WORKFLOW | bad, TimeWindow())
    with pytest.raises(InvalidRunReference, match=rule):
        cc.validate_workflow(WORKFLOW | bad)
    assert emu.requests(service="codecatalyst") == []


def test_validate_workflow_keeps_only_the_workflow_fields(cc):
    assert cc.validate_workflow(WORKFLOW | {"run_id": "x"}) == WORKFLOW
    assert CodeCatalystRunClient.workflow_fields == ("space_name", "project_name", "workflow_id")


def test_listing_errors_translate_like_reads(emu, cc):
    add_run(emu, START)
    emu.add_fault({"service": "codecatalyst", "operation": "ListWorkflowRuns", "status": 429, "retry_after": 2})
    with pytest.raises(TransientServiceError) as raised:
        cc.list_runs_in_window(WORKFLOW, TimeWindow())
    assert raised.value.retry_after == 2
    emu.codecatalyst.require_tokens("some-other-token")
    with pytest.raises(AccessDenied, match="personal access token"):
        cc.list_runs_in_window(WORKFLOW, TimeWindow())


def test_the_async_listing_gives_the_same_runs(emu, cc):
    hourly = [add_run(emu, START + i * HOUR) for i in range(3)]
    runs = asyncio.run(cc.alist_runs_in_window(WORKFLOW, TimeWindow(START + HOUR, None)))
    assert ids(runs) == [hourly[2], hourly[1]]


# -- the emulator's ListWorkflowRuns -------------------------------------------------------------


def test_emulator_pages_do_not_shift_when_a_run_starts_between_them(emu, boto):
    hourly = [add_run(emu, START + i * HOUR) for i in range(4)]
    kwargs = {"spaceName": SPACE, "projectName": PROJECT, "workflowId": WORKFLOW_ID, "maxResults": 2}
    first = boto.list_workflow_runs(**kwargs)
    add_run(emu, START + DAY)
    second = boto.list_workflow_runs(**kwargs, nextToken=first["nextToken"])
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == hourly[::-1]
    assert "nextToken" not in second


@pytest.mark.parametrize("token", ["not-a-token", "eyJ4IjogMX0="])
def test_emulator_rejects_a_token_it_did_not_give(emu, boto, token):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        boto.list_workflow_runs(spaceName=SPACE, projectName=PROJECT, workflowId=WORKFLOW_ID, nextToken=token)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
