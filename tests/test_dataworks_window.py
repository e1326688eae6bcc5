"""DataWorks instances of a workflow in a time window: selected by business date, not start time.

The date rule is a pure function; the listing drives the real SDK client, signed, against the
emulator's ListWorkflowInstances (which filters by BizDate and WorkflowId and pages like the API).
"""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_workflow_runs.clients.dataworks import LIST_PAGE_SIZE, DataWorksRunClient, DataWorksSettings
from airflow_workflow_runs.clients.dataworks_runs import BIZ_DATE_TZ, MAX_WINDOW_DATES, window_business_dates
from airflow_workflow_runs.model import InvalidRunReference, RunState, TimeWindow

UTC = dt.timezone.utc
ACCESS_KEY_ID, ACCESS_KEY_SECRET = "LTAI5tWindowKeyId", "dw-window-secret"
PROJECT, WORKFLOW = 100, 4242
WORKFLOW_REF = {"project_id": str(PROJECT), "workflow_id": str(WORKFLOW)}
D = dt.date(2026, 3, 10)


def midnight(day: dt.date, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def today_utc8() -> dt.date:
    return dt.datetime.now(BIZ_DATE_TZ).date()


# -- which business dates a window selects ------------------------------------------------------


def test_a_daily_data_interval_selects_exactly_its_own_date():
    window = TimeWindow(midnight(D), midnight(D + days(1)))
    assert window_business_dates(window, today=D + days(5)) == [D]


@pytest.mark.parametrize(
    ("after", "before", "expected"),
    [
        # The end is exclusive: a window ending at midnight of D+1 does not reach D+1 ...
        (midnight(D), midnight(D + days(1)), [D]),
        # ... but one a millisecond later does.
        (midnight(D), midnight(D + days(1)) + dt.timedelta(milliseconds=1), [D, D + days(1)]),
        # The start's own date counts, however late in the day the window starts.
        (midnight(D) + dt.timedelta(hours=23, minutes=59), midnight(D + days(1)), [D]),
        (midnight(D) + dt.timedelta(hours=6), midnight(D) + dt.timedelta(hours=7), [D]),
        # A weekly interval selects its seven dates.
        (midnight(D), midnight(D + days(7)), [D + days(i) for i in range(7)]),
    ],
)
def test_dates_at_the_window_boundaries(after, before, expected):
    assert window_business_dates(TimeWindow(after, before), today=D + days(30)) == expected


def test_dates_are_read_in_the_bounds_own_timezone():
    """A day in UTC+8 is that day, not the two UTC dates it overlaps."""
    window = TimeWindow(midnight(D, BIZ_DATE_TZ), midnight(D + days(1), BIZ_DATE_TZ))
    assert window_business_dates(window, today=D + days(5)) == [D]


def test_an_open_end_runs_to_today_in_utc8_and_later_dates_are_left_out():
    assert window_business_dates(TimeWindow(midnight(D), None), today=D + days(2)) == [D, D + days(1), D + days(2)]
    assert window_business_dates(TimeWindow(midnight(D), midnight(D + days(10))), today=D + days(1)) == [
        D,
        D + days(1),
    ]
    assert window_business_dates(TimeWindow(midnight(D + days(3)), None), today=D) == []


def test_started_after_is_required():
    with pytest.raises(InvalidRunReference, match=r"business date.*needs started_after"):
        window_business_dates(TimeWindow(None, midnight(D)), today=D)


def test_at_most_31_dates():
    assert len(window_business_dates(TimeWindow(midnight(D), midnight(D + days(31))), today=D + days(60))) == 31
    assert MAX_WINDOW_DATES == 31
    with pytest.raises(InvalidRunReference, match=r"spans 32 dataworks business dates.*at most 31"):
        window_business_dates(TimeWindow(midnight(D), midnight(D + days(32))), today=D + days(60))
    with pytest.raises(InvalidRunReference, match="spans 32"):
        window_business_dates(TimeWindow(midnight(D - days(31)), None), today=D)


# -- listing through the SDK ----------------------------------------------------------------------


@pytest.fixture
def client(emu) -> DataWorksRunClient:
    emu.dataworks.require_credentials({ACCESS_KEY_ID: ACCESS_KEY_SECRET})
    settings = DataWorksSettings(
        region="cn-shanghai",
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=ACCESS_KEY_SECRET,
        endpoint=emu.http_url.split("://", 1)[1],
        protocol="http",
    )
    return DataWorksRunClient(settings)


def add(emu, biz_date: dt.date, *steps: dict, project: int = PROJECT, workflow: int = WORKFLOW) -> str:
    timeline = list(steps) or [{"status": "Success"}]
    return emu.dataworks.add_instance(project, timeline, workflow_id=workflow, biz_date=biz_date)


def listings(emu) -> int:
    return len(emu.requests(service="dataworks", operation="ListWorkflowInstances"))


def test_the_window_lists_the_workflows_instances_of_its_business_date(emu, client):
    day = today_utc8() - days(3)
    wanted = [add(emu, day), add(emu, day)]
    add(emu, day - days(1))  # the business dates either side are not in the window
    add(emu, day + days(1))
    add(emu, day, workflow=WORKFLOW + 1)  # nor are other workflows' or workspaces' instances
    add(emu, day, project=PROJECT + 1)

    runs = client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(day), midnight(day + days(1))))

    assert [run.run_id for run in runs] == wanted[::-1]  # highest id first
    assert {dt.datetime.fromisoformat(run.details["biz_date"]) for run in runs} == {midnight(day, BIZ_DATE_TZ)}
    assert listings(emu) == 1
    assert client.get_run(runs[0].ref).run_id == wanted[1]  # each ref reads the instance again


def test_several_dates_are_listed_latest_business_date_first(emu, client):
    day = today_utc8() - days(6)
    older = add(emu, day)
    newer = add(emu, day + days(2))
    middle_low, middle_high = add(emu, day + days(1)), add(emu, day + days(1))
    # A later-created instance of an earlier business date (a backfill) still sorts by its date.
    backfill = add(emu, day)

    runs = client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(day), midnight(day + days(3))))

    assert [run.run_id for run in runs] == [newer, middle_high, middle_low, backfill, older]
    assert listings(emu) == 3  # one listing per date


def test_an_open_window_reaches_todays_business_date(emu, client):
    today = today_utc8()
    yesterday_id, today_id = add(emu, today - days(1)), add(emu, today)
    runs = client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(today - days(1)), None))
    assert [run.run_id for run in runs] == [today_id, yesterday_id]


def test_instances_of_one_date_are_read_across_pages(emu, client):
    day = today_utc8() - days(2)
    ids = [add(emu, day) for _ in range(LIST_PAGE_SIZE + 7)]
    runs = client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(day), midnight(day + days(1))))
    assert [run.run_id for run in runs] == ids[::-1]
    assert listings(emu) == 2


def test_an_instance_not_started_yet_is_a_candidate(emu, client):
    day = today_utc8() - days(2)
    waiting = add(emu, day, {"status": "NotRun"})
    runs = client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(day), midnight(day + days(1))))
    assert [(run.run_id, run.state, run.raw_status, run.started_at) for run in runs] == [
        (waiting, RunState.RUNNING, "NotRun", None)
    ]


def test_a_date_without_instances_lists_nothing(emu, client):
    day = today_utc8() - days(2)
    add(emu, day - days(1))
    assert client.list_runs_in_window(WORKFLOW_REF, TimeWindow(midnight(day), midnight(day + days(1)))) == []


@pytest.mark.parametrize(
    ("workflow", "window", "message"),
    [
        ({"project_id": "0", "workflow_id": "1"}, None, "project_id '0' does not match a positive integer"),
        ({"project_id": "1", "workflow_id": "x1"}, None, "workflow_id 'x1' does not match a positive integer"),
        ({"project_id": "1"}, None, "workflow_id must be an integer id"),
        ({"project_id": "1", "workflow_id": str(2**63)}, None, "larger than a 64-bit id"),
        (WORKFLOW_REF, TimeWindow(None, midnight(D)), "needs started_after"),
        (WORKFLOW_REF, TimeWindow(midnight(D), midnight(D + days(40))), "spans 40 dataworks business dates"),
    ],
)
def test_bad_input_fails_before_any_request(emu, client, workflow, window, message):
    window = window or TimeWindow(midnight(D), midnight(D + days(1)))
    with pytest.raises(InvalidRunReference, match=message):
        client.list_runs_in_window(workflow, window)
    assert emu.requests(service="dataworks") == []


def test_validate_workflow_keeps_only_the_workflow_fields(client):
    assert client.validate_workflow({"project_id": 7, "workflow_id": "8", "instance_id": "9"}) == {
        "project_id": "7",
        "workflow_id": "8",
    }
    assert (client.workflow_fields, client.window_basis) == (("project_id", "workflow_id"), "business date")
