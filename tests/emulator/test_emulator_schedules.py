"""Schedules: the emulator starts a run every N seconds, created lazily at the next request.

A hand-driven clock makes it deterministic: advancing the clock past a tick makes that tick's run
appear, started at the tick, with its time-based timeline measured from the tick.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alibabacloud_dataworks_public20240518 import models
from alibabacloud_dataworks_public20240518.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from airflow_workflow_runs.emulator import Emulator, ManualClock
from airflow_workflow_runs.emulator.dataworks_wire import BIZ_DATE_TZ, biz_date_ms
from airflow_workflow_runs.emulator.scenarios import (
    DEMO_CODECATALYST_PROJECT,
    DEMO_CODECATALYST_SPACE,
    DEMO_DATAWORKS_PROJECT_ID,
    DEMO_SCHEDULE_SECONDS,
    DEMO_SCHEDULED_CODECATALYST_WORKFLOW_ID,
    DEMO_SCHEDULED_DATADOG_WORKFLOW_ID,
    DEMO_SCHEDULED_DATAWORKS_WORKFLOW_ID,
    DEMO_SCHEDULED_GLUE_WORKFLOW,
    DEMO_SCHEDULED_LOGIC_APPS_WORKFLOW,
)
from airflow_workflow_runs.emulator.schedules import MAX_CATCH_UP

UTC = dt.timezone.utc
# 20:00 UTC is already the next day in UTC+8, DataWorks' time zone.
T = dt.datetime(2026, 3, 10, 20, tzinfo=UTC).timestamp()
DD_WORKFLOW = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def steps(running: str, succeeded: str) -> list[dict[str, Any]]:
    return [{"status": running, "seconds": 8}, {"status": succeeded}]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T)


@pytest.fixture
def served(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(clock=clock) as emulator:
        yield emulator


def control(emu: Emulator, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{emu.http_url}/_emulator/{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, int):
        return value / 1000
    # Python 3.10's fromisoformat takes neither "Z" nor Logic Apps' seven fractional digits.
    return dt.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))).timestamp()


def dataworks_sdk(emu: Emulator) -> Client:
    endpoint = emu.http_url.split("://", 1)[1]
    config = Config(access_key_id="LTAItest", access_key_secret="s", region_id="cn-hangzhou", endpoint=endpoint)
    config.protocol = "http"
    return Client(config)


# -- one reader per service: (start, status, end) of every run, oldest first ---------------------

Reader = Callable[[Emulator, Any], list[tuple[float, str, float | None]]]


def read_glue(emu: Emulator, make_glue: Any) -> list[tuple[float, str, float | None]]:
    runs = make_glue(emu.http_url).get_workflow_runs(Name="wf")["Runs"]  # the real boto3 client
    return sorted((epoch(r["StartedOn"]), r["Status"], epoch(r.get("CompletedOn"))) for r in runs)


def read_dataworks(emu: Emulator, _: Any) -> list[tuple[float, str, float | None]]:
    # The ticks' default business date is their UTC+8 date minus one: 2026-03-10.
    request = models.ListWorkflowInstancesRequest(
        project_id=7, biz_date=biz_date_ms(dt.date(2026, 3, 10)), workflow_id=9, page_size=100
    )
    body = dataworks_sdk(emu).list_workflow_instances_with_options(request, RuntimeOptions()).body.to_map()
    items = body["PagingInfo"]["WorkflowInstances"]
    return sorted((epoch(i["StartedTime"]), i["Status"], epoch(i.get("FinishedTime"))) for i in items)


def read_datadog(emu: Emulator, _: Any) -> list[tuple[float, str, float | None]]:
    control(emu, "GET", "health")  # any request creates the runs whose tick has come
    attributes = [i["attributes"] for i in emu.datadog.instances()]
    return sorted(
        (epoch(a["startTimestamp"]), a["instanceStatus"]["detailsKind"], epoch(a.get("endTimestamp")))
        for a in attributes
    )


def read_codecatalyst(emu: Emulator, _: Any) -> list[tuple[float, str, float | None]]:
    control(emu, "GET", "health")
    return sorted((epoch(r["startTime"]), r["status"], epoch(r.get("endTime"))) for r in emu.codecatalyst.runs())


def read_logic_apps(emu: Emulator, _: Any) -> list[tuple[float, str, float | None]]:
    control(emu, "GET", "health")
    props = [r["wire"]["properties"] for r in emu.logic_apps.runs("wf")]
    return sorted((epoch(p["startTime"]), p["status"], epoch(p.get("endTime"))) for p in props)


SERVICES: dict[str, tuple[dict[str, Any], tuple[str, str], Reader]] = {
    "glue": ({"name": "wf"}, ("RUNNING", "COMPLETED"), read_glue),
    "codecatalyst": (
        {"space": "s", "project": "p", "workflow_id": "w"},
        ("IN_PROGRESS", "SUCCEEDED"),
        read_codecatalyst,
    ),
    "datadog": ({"workflow_id": DD_WORKFLOW}, ("IN_PROGRESS", "SUCCEEDED"), read_datadog),
    "dataworks": ({"project_id": 7, "workflow_id": 9}, ("Running", "Success"), read_dataworks),
    "logic_apps": ({"workflow": "wf", "resource_group": "rg"}, ("Running", "Succeeded"), read_logic_apps),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_starts_a_run_at_each_tick(served: Emulator, clock: ManualClock, make_glue: Any, service: str):
    run, (running, succeeded), read = SERVICES[service]
    served.schedule(service, 20, **run, timeline=steps(running, succeeded))

    assert read(served, make_glue) == [(T, running, None)]  # the first tick is when the schedule is added

    clock.advance(45)  # nothing is asked at T+20 and T+40: those runs are created at this request
    assert read(served, make_glue) == [
        (T, succeeded, T + 8),
        (T + 20, succeeded, T + 28),  # 25 s old when created, so already over for 17 s
        (T + 40, running, None),  # 5 s into its 8 s
    ]

    clock.advance(3)
    assert read(served, make_glue)[-1] == (T + 40, succeeded, T + 48)


def test_a_run_appears_exactly_when_its_tick_comes(served: Emulator, clock: ManualClock, make_glue: Any):
    glue = make_glue(served.http_url)
    served.schedule("glue", 20, name="wf", timeline=[{"status": "RUNNING"}])

    def starts() -> list[float]:
        return sorted(r["StartedOn"].timestamp() for r in glue.get_workflow_runs(Name="wf")["Runs"])

    clock.advance(19.5)
    assert starts() == [T]
    clock.advance(0.5)
    assert starts() == [T, T + 20]
    assert served.schedules()[0]["next_at"] == T + 40


def test_after_a_long_idle_spell_only_the_last_ticks_get_runs(clock: ManualClock):
    emu = Emulator(clock=clock)  # the Python API needs no listener
    emu.schedule("glue", 1, name="wf", timeline=[{"status": "COMPLETED"}])
    clock.advance(1000)

    created = emu.run_schedules()

    assert [c["tick"] for c in created] == [T + k for k in range(1001 - MAX_CATCH_UP, 1001)]
    assert len(emu.glue.runs("wf")) == 1 + MAX_CATCH_UP
    (schedule,) = emu.schedules()
    assert (schedule["runs_created"], schedule["ticks_skipped"], schedule["next_at"]) == (
        1 + MAX_CATCH_UP,
        1000 - MAX_CATCH_UP,
        T + 1001,
    )
    assert emu.run_schedules() == []  # nothing more until the next tick


def test_a_scenario_section_schedules_runs_of_its_workflows(clock: ManualClock):
    scenario = {
        "glue": {"workflows": {"nightly": {"timeline": [{"status": "RUNNING", "seconds": 5}, {"status": "ERROR"}]}}},
        "schedules": [{"service": "glue", "every_seconds": 60, "run": {"name": "nightly"}}],
    }
    emu = Emulator(clock=clock, scenario=scenario)
    clock.advance(61)
    emu.run_schedules()
    runs = emu.glue.runs("nightly")
    # No timeline in the run: runs follow the workflow's, defined earlier in the same scenario.
    assert [(r["started_on"], r["status"]) for r in runs] == [(T, "ERROR"), (T + 60, "RUNNING")]


def test_the_control_api_adds_lists_and_stops_schedules(served: Emulator, clock: ManualClock):
    spec = {"service": "datadog", "every_seconds": 10, "run": {"workflow_id": DD_WORKFLOW}}
    (added,) = control(served, "POST", "schedules", spec)["schedules"]
    assert (added["service"], added["runs_created"], added["next_at"]) == ("datadog", 1, T + 10)
    clock.advance(10)
    (listed,) = control(served, "GET", "schedules")["schedules"]
    assert listed["runs_created"] == 2  # this very request created the run of T+10
    assert control(served, "DELETE", "schedules") == {"ok": True}
    clock.advance(100)
    assert control(served, "GET", "schedules") == {"schedules": []}
    assert len(served.datadog.instances()) == 2  # runs already created stay


def test_reset_forgets_schedules(clock: ManualClock):
    emu = Emulator(clock=clock)
    emu.schedule("glue", 5, name="wf")
    emu.reset()
    clock.advance(60)
    assert (emu.run_schedules(), emu.schedules(), emu.glue.runs()) == ([], [], [])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"service": "aws", "every_seconds": 5, "run": {}}, "known 'service'"),
        ({"service": "glue", "every_seconds": 0, "run": {"name": "wf"}}, "'every_seconds' must be a number > 0"),
        ({"service": "glue", "every_seconds": "5", "run": {"name": "wf"}}, "'every_seconds' must be a number > 0"),
        ({"service": "glue", "every_seconds": True, "run": {"name": "wf"}}, "'every_seconds' must be a number > 0"),
        ({"service": "glue", "every_seconds": 5, "run": {"name": "wf", "run_id": "wr_1"}}, "cannot fix"),
        ({"service": "glue", "every_seconds": 5, "run": {"nme": "wf"}}, "bad glue schedule run"),
        ({"service": "glue", "every_seconds": 5, "run": {"name": "wf", "timeline": []}}, "non-empty list"),
        ({"service": "dataworks", "every_seconds": 5, "run": {"workflow_id": 9}}, "bad dataworks schedule run"),
        ({"service": "glue", "every_seconds": 5, "run": {"name": "wf"}, "at": 1}, "unknown schedule fields"),
    ],
)
def test_bad_schedules_are_rejected_and_create_nothing(clock: ManualClock, spec: dict[str, Any], message: str):
    emu = Emulator(clock=clock)
    with pytest.raises(ValueError, match=message):
        emu.load_scenario({"schedules": [spec]})
    assert emu.schedules() == [] and emu.glue.runs() == [] and emu.dataworks.instances() == []


def test_a_scenarios_schedules_must_be_a_list(clock: ManualClock):
    with pytest.raises(ValueError, match="must be a list"):
        Emulator(clock=clock, scenario={"schedules": {"service": "glue"}})


def test_dataworks_business_date_of_a_scheduled_instance(clock: ManualClock):
    emu = Emulator(clock=clock)
    # T is 2026-03-10 20:00 UTC, 2026-03-11 04:00 in UTC+8.
    emu.schedule("dataworks", 60, project_id=7, workflow_id=1)  # DataWorks' convention: the day before
    emu.schedule("dataworks", 60, project_id=7, workflow_id=2, biz_date_offset_days=0)
    emu.schedule("dataworks", 60, project_id=7, workflow_id=3, biz_date="2026-01-01")
    by_workflow = {i["WorkflowId"]: i["BizDate"] for i in emu.dataworks.instances()}
    assert by_workflow == {
        1: biz_date_ms(dt.date(2026, 3, 10)),
        2: biz_date_ms(dt.date(2026, 3, 11)),
        3: biz_date_ms(dt.date(2026, 1, 1)),
    }


def test_the_demo_scenario_runs_one_scheduled_workflow_per_service(clock: ManualClock):
    emu = Emulator(clock=clock, scenario="demo")
    assert sorted(s["service"] for s in emu.schedules()) == [
        "codecatalyst",
        "datadog",
        "dataworks",
        "glue",
        "logic_apps",
    ]
    assert {s["every_seconds"] for s in emu.schedules()} == {DEMO_SCHEDULE_SECONDS}

    def statuses() -> dict[str, list[str]]:
        emu.run_schedules()
        dataworks = [i for i in emu.dataworks.instances() if i["WorkflowId"] == DEMO_SCHEDULED_DATAWORKS_WORKFLOW_ID]
        assert {(i["ProjectId"], i["BizDate"]) for i in dataworks} == {
            (DEMO_DATAWORKS_PROJECT_ID, biz_date_ms(dt.datetime.fromtimestamp(T, BIZ_DATE_TZ).date()))
        }
        codecatalyst = [
            r for r in emu.codecatalyst.runs() if r["workflowId"] == DEMO_SCHEDULED_CODECATALYST_WORKFLOW_ID
        ]
        assert {(r["spaceName"], r["projectName"]) for r in codecatalyst} == {
            (DEMO_CODECATALYST_SPACE, DEMO_CODECATALYST_PROJECT)
        }
        datadog = [i for i in emu.datadog.instances() if i["workflow_id"] == DEMO_SCHEDULED_DATADOG_WORKFLOW_ID]
        return {
            "glue": [r["status"] for r in emu.glue.runs(DEMO_SCHEDULED_GLUE_WORKFLOW)],
            "codecatalyst": [r["status"] for r in codecatalyst],
            "datadog": [i["attributes"]["instanceStatus"]["detailsKind"] for i in datadog],
            "dataworks": [i["Status"] for i in dataworks],
            "logic_apps": [r["status"] for r in emu.logic_apps.runs(DEMO_SCHEDULED_LOGIC_APPS_WORKFLOW)],
        }

    running = {"glue": "RUNNING", "codecatalyst": "IN_PROGRESS", "datadog": "IN_PROGRESS", "dataworks": "Running"}
    running["logic_apps"] = "Running"
    done = {"glue": "COMPLETED", "codecatalyst": "SUCCEEDED", "datadog": "SUCCEEDED", "dataworks": "Success"}
    done["logic_apps"] = "Succeeded"

    assert statuses() == {service: [status] for service, status in running.items()}
    clock.advance(8)
    assert statuses() == {service: [status] for service, status in done.items()}
    clock.advance(DEMO_SCHEDULE_SECONDS - 8)
    assert statuses() == {service: [done[service], running[service]] for service in running}
