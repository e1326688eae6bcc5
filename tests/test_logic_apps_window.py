"""Logic Apps: the runs of a workflow started in a time window, on both tiers, sync and async.

Real SDK clients (azure-mgmt-web for Standard, azure-mgmt-core's ARM pipeline for Consumption)
sign in at the emulator's token endpoint and list runs over HTTPS; the ``$filter`` sent and the
pages read come from the emulator's request log.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
from airflow_workflow_runs.model import (
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TimeWindow,
    TransientServiceError,
    WorkflowRun,
)
from tests.helpers import START
from tests.logic_apps_helpers import CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION, TIERS, client

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def la_client(emu) -> LogicAppsRunClient:
    emu.logic_apps.require_client_secret(CLIENT_ID, CLIENT_SECRET)
    return client(emu)


@pytest.fixture(params=["sync", "async"])
def listing(request, la_client):
    """``list_runs_in_window`` or its native async twin, called the same way."""
    if request.param == "sync":
        return la_client.list_runs_in_window
    return lambda *args, **kwargs: asyncio.run(la_client.alist_runs_in_window(*args, **kwargs))


def workflow(site: str | None, name: str = "wf") -> dict[str, str]:
    return {"workflow_name": name, **({"site_name": site} if site else {})}


def add_run(emu, site: str | None, started, status: str = "Succeeded", name: str = "wf", **step) -> str:
    return emu.logic_apps.add_run(name, [{"status": status, **step}], site=site, started_on=started.timestamp())


def ids(runs: list[WorkflowRun]) -> list[str]:
    return [run.run_id for run in runs]


def listings(emu) -> list[dict]:
    return emu.requests(service="logic_apps", operation="ListWorkflowRuns")


@pytest.mark.parametrize("tier", TIERS)
def test_the_window_includes_its_start_and_excludes_its_end(emu, listing, tier):
    site = TIERS[tier]
    add_run(emu, site, START - timedelta(microseconds=1))
    at_start = add_run(emu, site, START)
    inside = add_run(emu, site, START + HOUR)
    add_run(emu, site, START + DAY)
    runs = listing(workflow(site), TimeWindow(START, START + DAY))
    assert ids(runs) == [inside, at_start]
    assert runs[1].started_at == START


@pytest.mark.parametrize("tier", TIERS)
def test_the_window_is_sent_as_a_start_time_filter(emu, listing, tier):
    site = TIERS[tier]
    emu.logic_apps.define_workflow("wf", site=site)
    listing(workflow(site), TimeWindow(START, START + DAY))
    listing(workflow(site), TimeWindow(START + timedelta(microseconds=250), None))
    listing(workflow(site), TimeWindow(None, START))
    listing(workflow(site), TimeWindow())
    filters = [request["query"].get("$filter") for request in listings(emu)]
    assert filters == [
        ["StartTime ge 2026-01-01T00:00:00Z and StartTime lt 2026-01-02T00:00:00Z"],
        ["StartTime ge 2026-01-01T00:00:00.000250Z"],
        ["StartTime lt 2026-01-01T00:00:00Z"],
        None,
    ]


def test_bounds_in_other_time_zones_are_sent_in_utc(emu, la_client):
    emu.logic_apps.define_workflow("wf")
    window = TimeWindow.parse("2026-01-01T02:00:00+02:00", "2026-01-01T01:00:00-05:00")
    la_client.list_runs_in_window(workflow(None), window)
    (request,) = listings(emu)
    assert request["query"]["$filter"] == ["StartTime ge 2026-01-01T00:00:00Z and StartTime lt 2026-01-01T06:00:00Z"]


@pytest.mark.parametrize("tier", TIERS)
def test_open_bounds_reach_the_oldest_and_the_newest_run(emu, listing, tier):
    site = TIERS[tier]
    old = add_run(emu, site, START - DAY)
    mid = add_run(emu, site, START)
    new = add_run(emu, site, START + DAY)
    assert ids(listing(workflow(site), TimeWindow(None, START))) == [old]
    assert ids(listing(workflow(site), TimeWindow(START, None))) == [new, mid]
    assert ids(listing(workflow(site), TimeWindow())) == [new, mid, old]


@pytest.mark.parametrize("tier", TIERS)
def test_pages_are_followed_through_next_links_keeping_the_filter(emu, listing, tier):
    site = TIERS[tier]
    hourly = [add_run(emu, site, START + i * HOUR) for i in range(10)]
    runs = listing(workflow(site), TimeWindow(START + 2 * HOUR, START + 9 * HOUR), page_size=2)
    assert ids(runs) == hourly[8:1:-1]  # 8, 7, ..., 2: newest first
    pages = listings(emu)
    assert len(pages) == 4  # 7 matching runs, 2 a page
    assert {request["query"]["$filter"][0] for request in pages} == {
        "StartTime ge 2026-01-01T02:00:00Z and StartTime lt 2026-01-01T09:00:00Z"
    }


@pytest.mark.parametrize("tier", TIERS)
def test_a_server_ignoring_the_filter_changes_nothing_and_paging_stops_before_older_runs(emu, listing, tier):
    site = TIERS[tier]
    emu.logic_apps.apply_start_time_filter = False
    hourly = [add_run(emu, site, START + i * HOUR) for i in range(10)]
    runs = listing(workflow(site), TimeWindow(START + 5 * HOUR, START + 8 * HOUR), page_size=2)
    assert ids(runs) == [hourly[7], hourly[6], hourly[5]]
    # Pages 9-8, 7-6, 5-4: the run started at 4h is older than the window, so page 4 is never asked for.
    assert len(listings(emu)) == 3


@pytest.mark.parametrize("tier", TIERS)
def test_runs_come_newest_first_whatever_order_they_were_added_in(emu, listing, tier):
    site = TIERS[tier]
    second = add_run(emu, site, START + 2 * HOUR)
    first = add_run(emu, site, START + HOUR)
    third = add_run(emu, site, START + 3 * HOUR)
    assert ids(listing(workflow(site), TimeWindow(START, None))) == [third, second, first]


@pytest.mark.parametrize("tier", TIERS)
def test_listed_runs_read_again_with_get_run_and_carry_outputs_and_errors(emu, la_client, listing, tier):
    site = TIERS[tier]
    failed = add_run(emu, site, START + HOUR, "Failed", error={"code": "ActionFailed", "message": "boom"})
    done = add_run(emu, site, START + 2 * HOUR, outputs={"rows": 3})
    add_run(emu, site, START + HOUR, name="other-wf")
    runs = listing(workflow(site), TimeWindow(START, None))
    assert [(run.run_id, run.state) for run in runs] == [(done, RunState.SUCCEEDED), (failed, RunState.FAILED)]
    assert runs[0].outputs == {"rows": 3} and runs[1].error == "ActionFailed: boom"
    assert LogicAppsRunClient.listed_runs_complete is True
    expected_ref = {"subscription_id": SUBSCRIPTION, "resource_group_name": RESOURCE_GROUP}
    if site:
        expected_ref["site_name"] = site
    assert runs[1].ref == {**expected_ref, "workflow_name": "wf", "run_name": failed}
    assert la_client.get_run(runs[1].ref).run_id == failed


def test_tiers_do_not_mix(emu, la_client):
    consumption = add_run(emu, None, START)
    standard = add_run(emu, TIERS["standard"], START)
    assert ids(la_client.list_runs_in_window(workflow(None), TimeWindow())) == [consumption]
    assert ids(la_client.list_runs_in_window(workflow(TIERS["standard"]), TimeWindow())) == [standard]


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"subscription_id": "not-a-uuid"}, "a UUID"),
        ({"resource_group_name": "ends-with-dot."}, "resource group rule"),
        ({"workflow_name": "wf/runs"}, "one path segment"),
        ({"workflow_name": None}, "must be a string"),
        ({"site_name": ""}, "is empty"),
    ],
)
def test_invalid_names_fail_naming_the_rule_before_any_request(emu, listing, bad, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        listing({**workflow(None), **bad}, TimeWindow())
    assert emu.requests(service="logic_apps") == []  # no token request either


def test_validate_workflow_fills_the_connection_defaults_and_drops_other_keys(la_client):
    assert la_client.validate_workflow({"workflow_name": "wf", "run_name": "x", "site_name": "s"}) == {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": RESOURCE_GROUP,
        "site_name": "s",
        "workflow_name": "wf",
    }


@pytest.mark.parametrize("tier", TIERS)
def test_errors_translate_as_for_get_run(emu, listing, tier):
    site = TIERS[tier]
    with pytest.raises(RunNotFound, match="'missing'"):
        listing(workflow(site, "missing"), TimeWindow())
    add_run(emu, site, START)
    emu.add_fault({"service": "logic_apps", "operation": "ListWorkflowRuns", "status": 429, "retry_after": 7})
    with pytest.raises(TransientServiceError) as raised:
        listing(workflow(site), TimeWindow())
    assert raised.value.retry_after == 7
    assert len(listing(workflow(site), TimeWindow())) == 1


def test_the_emulator_refuses_filters_the_service_refuses(emu, la_client):
    add_run(emu, None, START)
    with pytest.raises(ServiceError, match=r"InvalidQueryFilter.*not valid or not supported"):
        list(la_client.iter_runs(workflow(None), "StartTime ge '2026-01-01T00:00:00Z'"))
    assert len(list(la_client.iter_runs(workflow(None), "StartTime gt 2025-12-31T23:59:59Z and Status eq 'Succeeded'")))
