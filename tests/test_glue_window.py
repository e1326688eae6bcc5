"""Glue: the runs of a workflow started in a time window, and many runs read with one request.

A real boto3 ``glue`` client talks to the emulator; request counts come from its request log.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from airflow_workflow_runs.clients.glue import BATCH_PAGE_SIZE, GlueRunClient
from airflow_workflow_runs.model import (
    InvalidRunReference,
    RunNotFound,
    RunState,
    TimeWindow,
    TransientServiceError,
    WorkflowRun,
)
from tests.helpers import START, glue_client

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def glue(emu) -> GlueRunClient:
    return glue_client(emu)


def add_run(emu, workflow: str, started, status: str = "COMPLETED") -> str:
    return emu.glue.add_run(workflow, timeline=[{"status": status}], started_on=started.timestamp())


def ids(runs: list[WorkflowRun]) -> list[str]:
    return [run.run_id for run in runs]


def glue_ops(emu) -> list[tuple[str, str]]:
    return [(r["operation"], r["body"]["Name"]) for r in emu.requests(service="glue")]


# -- list_runs_in_window ------------------------------------------------------------------------


def test_the_window_includes_its_start_and_excludes_its_end(emu, glue):
    add_run(emu, "etl", START - timedelta(seconds=1))
    at_start = add_run(emu, "etl", START)
    inside = add_run(emu, "etl", START + HOUR)
    add_run(emu, "etl", START + DAY)
    runs = glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow(START, START + DAY))
    assert ids(runs) == [inside, at_start]
    assert runs[1].started_at == START


def test_open_bounds_reach_the_oldest_and_the_newest_run(emu, glue):
    old = add_run(emu, "etl", START - DAY)
    mid = add_run(emu, "etl", START)
    new = add_run(emu, "etl", START + DAY)
    workflow = {"workflow_name": "etl"}
    assert ids(glue.list_runs_in_window(workflow, TimeWindow(None, START))) == [old]
    assert ids(glue.list_runs_in_window(workflow, TimeWindow(START, None))) == [new, mid]
    assert ids(glue.list_runs_in_window(workflow, TimeWindow())) == [new, mid, old]


def test_runs_come_newest_first_whatever_order_they_were_added_in(emu, glue):
    second = add_run(emu, "etl", START + 2 * HOUR)
    first = add_run(emu, "etl", START + HOUR)
    third = add_run(emu, "etl", START + 3 * HOUR)
    assert ids(glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow(START, None))) == [third, second, first]


def test_paging_stops_at_the_first_run_older_than_the_window(emu, glue):
    hourly = [add_run(emu, "etl", START + i * HOUR) for i in range(10)]
    window = TimeWindow(START + 5 * HOUR, START + 8 * HOUR)
    runs = glue.list_runs_in_window({"workflow_name": "etl"}, window, page_size=2)
    assert ids(runs) == [hourly[7], hourly[6], hourly[5]]
    # Pages (9, 8), (7, 6), (5, 4): run 4 is older than the window, so pages (3, 2) and (1, 0) are never read.
    listings = emu.requests(service="glue", operation="GetWorkflowRuns")
    assert len(listings) == 3
    assert all(r["body"]["MaxResults"] == 2 and r["body"]["IncludeGraph"] is False for r in listings)


def test_paging_follows_next_tokens_to_the_last_page(emu, glue):
    runs = [add_run(emu, "etl", START + i * HOUR) for i in range(5)]
    found = glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow(), page_size=2)
    assert ids(found) == runs[::-1]
    assert len(emu.requests(service="glue", operation="GetWorkflowRuns")) == 3


def test_other_workflows_runs_are_not_listed(emu, glue):
    mine = add_run(emu, "etl", START)
    add_run(emu, "other", START + HOUR)
    assert ids(glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow())) == [mine]


def test_an_empty_window_is_an_empty_list(emu, glue):
    add_run(emu, "etl", START - DAY)
    assert glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow(START, None)) == []


def test_a_listed_run_reads_again_by_its_ref_and_only_a_failed_one_lacks_anything(emu, glue):
    """Listings carry no graph: a failed run read by its ref gains its failed jobs (none here)."""
    statistics = {"TotalActions": 2, "SucceededActions": 1, "FailedActions": 1}
    run_id = emu.glue.add_run(
        "etl",
        timeline=[{"status": "COMPLETED", "statistics": statistics}],
        started_on=START.timestamp(),
        run_properties={"day": "2026-01-01"},
    )
    emu.glue.add_run("etl", timeline=[{"status": "COMPLETED"}], started_on=START.timestamp() + 1)
    succeeded, listed = glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow(START, None))
    assert listed.ref == {"workflow_name": "etl", "run_id": run_id}
    assert listed.state is RunState.FAILED and "1 failed" in listed.error
    assert listed.outputs == {"day": "2026-01-01"}
    assert not glue.listed_run_complete(listed)
    assert glue.get_run(listed.ref).to_dict() == {**listed.to_dict(), "details": {**listed.details, "failed_jobs": []}}
    assert glue.listed_run_complete(succeeded)
    assert glue.get_run(succeeded.ref).to_dict() == succeeded.to_dict()


@pytest.mark.parametrize(
    ("workflow", "rule"),
    [
        ({"workflow_name": ""}, "is empty"),
        ({"workflow_name": "x" * 256}, "limit is 255"),
        ({"workflow_name": "etl\nDROP"}, "single-line"),
        ({}, "must be a string"),
    ],
)
def test_an_invalid_workflow_name_fails_before_any_request(emu, glue, workflow, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        glue.list_runs_in_window(workflow, TimeWindow())
    with pytest.raises(InvalidRunReference, match=rule):
        glue.validate_workflow(workflow)
    assert emu.requests(service="glue") == []


def test_validate_workflow_keeps_only_the_workflow_name(glue):
    assert glue.validate_workflow({"workflow_name": "etl", "run_id": "wr_1"}) == {"workflow_name": "etl"}
    assert GlueRunClient.workflow_fields == ("workflow_name",)


def test_listing_errors_translate_like_reads(emu, glue):
    with pytest.raises(RunNotFound, match="'missing'"):
        glue.list_runs_in_window({"workflow_name": "missing"}, TimeWindow())
    add_run(emu, "etl", START)
    emu.add_fault(
        {"service": "glue", "operation": "GetWorkflowRuns", "status": 400, "error_type": "ThrottlingException"}
    )
    with pytest.raises(TransientServiceError):
        glue.list_runs_in_window({"workflow_name": "etl"}, TimeWindow())


def test_the_async_listing_gives_the_same_runs(emu, glue):
    runs = [add_run(emu, "etl", START + i * HOUR) for i in range(3)]
    found = asyncio.run(glue.alist_runs_in_window({"workflow_name": "etl"}, TimeWindow(START + HOUR, None)))
    assert ids(found) == [runs[2], runs[1]]


# -- get_runs: runs of one workflow share one GetWorkflowRuns --------------------------------------


def ref(workflow: str, run_id: str) -> dict[str, str]:
    return {"workflow_name": workflow, "run_id": run_id}


def test_runs_of_one_workflow_share_one_listing_per_batch(emu, glue):
    a1, a2, a3 = (
        add_run(emu, "etl", START + i * HOUR, status) for i, status in enumerate(["COMPLETED", "ERROR", "RUNNING"])
    )
    b1 = add_run(emu, "other", START, "STOPPED")
    refs = [ref("etl", a1), ref("other", b1), ref("etl", a3), ref("etl", a2)]
    for batch in (1, 2):
        answers = glue.get_runs(refs)
        assert [(a.run_id, a.raw_status) for a in answers] == [
            (a1, "COMPLETED"),
            (b1, "STOPPED"),
            (a3, "RUNNING"),
            (a2, "ERROR"),
        ]
        # ... and the failed run's graph (a2's, ERROR), read once it is seen to have failed
        expected = [("GetWorkflowRuns", "etl"), ("GetWorkflowRun", "other"), ("GetWorkflowRun", "etl")]
        assert sorted(glue_ops(emu)) == sorted(expected * batch)
    listing = emu.requests(service="glue", operation="GetWorkflowRuns")[0]["body"]
    assert listing["MaxResults"] == BATCH_PAGE_SIZE and listing["IncludeGraph"] is False
    graphs = [r["body"] for r in emu.requests(service="glue", operation="GetWorkflowRun") if r["body"]["IncludeGraph"]]
    assert graphs == [{"Name": "etl", "RunId": a2, "IncludeGraph": True}] * 2


def test_a_batch_answer_is_what_get_run_answers(emu, glue):
    statistics = {"TotalActions": 3, "SucceededActions": 2, "TimeoutActions": 1}
    first = emu.glue.add_run("etl", timeline=[{"status": "COMPLETED", "statistics": statistics}])
    second = add_run(emu, "etl", START)
    batch = glue.get_runs([ref("etl", first), ref("etl", second)])
    assert [run.to_dict() for run in batch] == [glue.get_run(ref("etl", r)).to_dict() for r in (first, second)]
    assert batch[0].state is RunState.FAILED


def test_a_single_run_of_a_workflow_is_read_with_get_workflow_run(emu, glue):
    run_id = add_run(emu, "etl", START)
    (answer,) = glue.get_runs([ref("etl", run_id)])
    assert answer.run_id == run_id
    assert glue_ops(emu) == [("GetWorkflowRun", "etl")]


def test_a_run_older_than_the_shared_page_is_read_on_its_own(emu):
    glue = glue_client_with_page(emu, 2)
    hourly = [add_run(emu, "etl", START + i * HOUR) for i in range(4)]
    answers = glue.get_runs([ref("etl", hourly[0]), ref("etl", hourly[3])])
    assert ids(answers) == [hourly[0], hourly[3]]
    assert glue_ops(emu) == [("GetWorkflowRuns", "etl"), ("GetWorkflowRun", "etl")]
    (single,) = emu.requests(service="glue", operation="GetWorkflowRun")
    assert single["body"]["RunId"] == hourly[0]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_many_runs_read_on_their_own_keep_the_order_asked(emu, mode):
    glue = glue_client_with_page(emu, 2)
    hourly = [add_run(emu, "etl", START + i * HOUR) for i in range(30)]
    asked = [hourly[i] for i in (3, 0, 29, 5, 1, 27, 2, 28, 4, 6)]  # 7 older than the 10 newest: read alone
    refs = [ref("etl", run_id) for run_id in asked]
    answers = glue.get_runs(refs) if mode == "sync" else asyncio.run(glue.aget_runs(refs))
    assert ids(answers) == asked
    assert len(emu.requests(service="glue", operation="GetWorkflowRun")) == 7


def test_the_shared_page_holds_at_least_as_many_runs_as_were_asked(emu):
    glue = glue_client_with_page(emu, 2)
    hourly = [add_run(emu, "etl", START + i * HOUR) for i in range(5)]
    assert ids(glue.get_runs([ref("etl", run_id) for run_id in hourly])) == hourly
    (listing,) = emu.requests(service="glue", operation="GetWorkflowRuns")
    assert listing["body"]["MaxResults"] == 5
    assert emu.requests(service="glue", operation="GetWorkflowRun") == []


def glue_client_with_page(emu, batch_page_size: int) -> GlueRunClient:
    return GlueRunClient(glue_client(emu)._client, batch_page_size=batch_page_size)


def test_a_throttled_shared_listing_is_transient_for_each_of_its_runs(emu, glue):
    a1, a2 = add_run(emu, "etl", START), add_run(emu, "etl", START + HOUR)
    b1 = add_run(emu, "other", START)
    emu.add_fault(
        {"service": "glue", "operation": "GetWorkflowRuns", "status": 400, "error_type": "ThrottlingException"}
    )
    answers = glue.get_runs([ref("etl", a1), ref("other", b1), ref("etl", a2)])
    assert isinstance(answers[0], TransientServiceError) and isinstance(answers[2], TransientServiceError)
    assert a1 in str(answers[0]) and a2 in str(answers[2])
    assert isinstance(answers[1], WorkflowRun) and answers[1].run_id == b1
    # No run of the throttled workflow is read on its own: that would only add to the throttling.
    assert sorted(glue_ops(emu)) == [("GetWorkflowRun", "other"), ("GetWorkflowRuns", "etl")]


def test_a_missing_workflow_is_not_found_for_each_of_its_runs(emu, glue):
    answers = glue.get_runs([ref("gone", "wr_1"), ref("gone", "wr_2")])
    assert all(isinstance(answer, RunNotFound) for answer in answers)
    assert "wr_1" in str(answers[0]) and "wr_2" in str(answers[1])


def test_an_invalid_ref_is_answered_in_its_place_without_a_request(emu, glue):
    a1, a2 = add_run(emu, "etl", START), add_run(emu, "etl", START + HOUR)
    answers = glue.get_runs([ref("etl", a1), ref("", "wr_1"), ref("etl", a2)])
    assert isinstance(answers[1], InvalidRunReference)
    assert (answers[0].run_id, answers[2].run_id) == (a1, a2)
    assert glue_ops(emu) == [("GetWorkflowRuns", "etl")]


def test_a_run_missing_from_its_workflow_is_not_found_in_its_place(emu, glue):
    a1 = add_run(emu, "etl", START)
    answers = glue.get_runs([ref("etl", "wr_missing"), ref("etl", a1)])
    assert isinstance(answers[0], RunNotFound) and answers[1].run_id == a1


def test_the_async_batch_shares_the_listing_too(emu, glue):
    a1, a2 = add_run(emu, "etl", START), add_run(emu, "etl", START + HOUR)
    answers = asyncio.run(glue.aget_runs([ref("etl", a2), ref("etl", a1)]))
    assert ids(answers) == [a2, a1]
    assert glue_ops(emu) == [("GetWorkflowRuns", "etl")]
