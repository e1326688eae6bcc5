"""LogicAppsWorkflowRunSensor's decisions, called the way BaseSensorOperator calls them."""

from __future__ import annotations

import time

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException, TaskDeferred

from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor
from tests.helpers import StandInTaskInstance
from tests.logic_apps_helpers import CLIENT_ID, CLIENT_SECRET, SITE, SUBSCRIPTION, TIERS


def sensor(conn_id: str, run_name: str, site: str | None = None, **kwargs) -> LogicAppsWorkflowRunSensor:
    return LogicAppsWorkflowRunSensor(
        task_id="wait",
        resource_group_name=kwargs.pop("resource_group_name", None),
        workflow_name=kwargs.pop("workflow_name", "wf"),
        run_name=run_name,
        site_name=site,
        azure_logic_apps_conn_id=conn_id,
        **kwargs,
    )


@pytest.mark.parametrize("tier", TIERS)
def test_poke_is_false_while_running_and_returns_the_run_when_succeeded(emu, la_conn, tier):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "polls": 1}, {"status": "Succeeded"}], site=site)
    task = sensor(la_conn, run_name, site)
    assert task.poke({}) is False
    done = task.poke({})
    assert done.is_done
    assert (done.xcom_value["run_id"], done.xcom_value["state"]) == (run_name, "succeeded")
    assert done.xcom_value["ref"]["resource_group_name"] == "rg-airflow"  # the connection's default


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"status": "Failed", "error": {"code": "ActionFailed", "message": "Send_mail failed"}}, "Send_mail failed"),
        ({"status": "Succeeded", "error": {"code": "Terminated", "message": "ended early"}}, "Terminated: ended early"),
        ({"status": "Cancelled"}, "is Cancelled"),
        ({"status": "TimedOut"}, "is TimedOut"),
        ({"status": "Suspended"}, "is Suspended"),
        ({"status": "Rehydrating"}, "'Rehydrating' is not in the Logic Apps status table"),
    ],
    ids=["failed", "succeeded-with-error", "cancelled", "timed-out", "suspended", "unknown"],
)
def test_a_run_that_did_not_succeed_fails_with_name_status_error_and_portal_link(emu, la_conn, step, expected):
    run_name = emu.logic_apps.add_run("wf", [step])
    with pytest.raises(WatchedRunFailed) as raised:
        sensor(la_conn, run_name).poke({})
    message = str(raised.value)
    assert run_name in message and step["status"] in message and expected in message
    assert "portal.azure.com/#blade/Microsoft.Logic/LogicAppRunBlade" in message
    assert isinstance(raised.value, AirflowFailException)


@pytest.mark.parametrize("status", ["Skipped", "Ignored"])
def test_skipped_and_ignored_runs_skip_the_task(emu, la_conn, status):
    run_name = emu.logic_apps.add_run("wf", [{"status": status}], site=SITE)
    with pytest.raises(AirflowSkipException, match=status):
        sensor(la_conn, run_name, SITE).poke({})


def test_throttling_and_5xx_only_delay_the_next_poke(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "status": 429, "retry_after": 3})
    task = sensor(la_conn, run_name)
    assert task.poke({}) is False
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "status": 500})
    assert task.poke({}) is False
    assert task.poke({}).is_done


def test_invalid_input_fails_before_any_request(emu, la_conn):
    with pytest.raises(AirflowFailException, match="limit is 90"):
        sensor(la_conn, "08585", resource_group_name="r" * 91).poke({})
    with pytest.raises(AirflowFailException, match="a UUID"):
        sensor(la_conn, "08585", subscription_id="my-subscription").execute({"ti": StandInTaskInstance()})
    assert emu.requests(service="logic_apps") == []


def test_a_missing_run_fails_naming_it(emu, la_conn):
    emu.logic_apps.add_run("wf", [{"status": "Running"}])
    with pytest.raises(AirflowFailException, match=r"run_name='08585NOPE'.*not found"):
        sensor(la_conn, "08585NOPE").poke({})


def test_trigger_kwargs_hold_ids_and_conn_id_only(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}], site=SITE)
    task = sensor(la_conn, run_name, SITE, deferrable=True, timeout=60, poke_interval=5)
    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": StandInTaskInstance()})
    path, kwargs = deferred.value.trigger.serialize()
    assert path == "airflow_workflow_runs.triggers.workflow_run.WorkflowRunTrigger"
    assert kwargs["ref"] == {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "rg-airflow",
        "site_name": SITE,
        "workflow_name": "wf",
        "run_name": run_name,
    }
    assert kwargs["hook_kwargs"] == {"azure_logic_apps_conn_id": la_conn}
    assert kwargs["cancel_on_kill"] is False and time.time() < kwargs["deadline"] <= time.time() + 60
    assert CLIENT_SECRET not in repr(kwargs) and CLIENT_ID not in repr(kwargs)
    assert "Bearer" not in repr(kwargs) and "emu-aad-" not in repr(kwargs)


def test_templated_fields():
    assert set(LogicAppsWorkflowRunSensor.template_fields) == {
        "resource_group_name",
        "workflow_name",
        "run_name",
        "site_name",
        "subscription_id",
        "azure_logic_apps_conn_id",
        "started_after",
        "started_before",
    }
