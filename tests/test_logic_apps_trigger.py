"""WorkflowRunTrigger on Logic Apps runs, as the triggerer runs it, through the SDKs' aio clients."""

from __future__ import annotations

import asyncio
import time
from importlib import import_module

import pytest

from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import first_event
from tests.logic_apps_helpers import CLIENT_SECRET, HOOK, SITE, TIERS, ref


def trigger(conn_id: str, run_name: str, site: str | None = None, **kwargs) -> WorkflowRunTrigger:
    return WorkflowRunTrigger(
        hook_class=HOOK,
        hook_kwargs={"azure_logic_apps_conn_id": conn_id},
        ref=ref(run_name, site),
        poll_interval=kwargs.pop("poll_interval", 0.01),
        **kwargs,
    )


def test_serialize_round_trip_holds_ids_and_conn_id_only(la_conn):
    original = trigger(la_conn, "08585CU1", SITE, deadline=1_900_000_000.5, cancel_on_kill=True)
    path, kwargs = original.serialize()
    rebuilt = getattr(import_module(path.rpartition(".")[0]), path.rpartition(".")[2])(**kwargs)
    assert rebuilt.serialize() == (path, kwargs)
    assert kwargs["hook_kwargs"] == {"azure_logic_apps_conn_id": la_conn}
    assert CLIENT_SECRET not in repr(kwargs)


@pytest.mark.parametrize("tier", TIERS)
def test_waits_until_terminal_with_one_request_per_poll(emu, la_conn, tier):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run(
        "wf", [{"status": "Waiting", "polls": 1}, {"status": "Running", "polls": 2}, {"status": "Succeeded"}], site=site
    )
    event = first_event(trigger(la_conn, run_name, site))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    assert len(emu.requests(service="logic_apps", operation="GetWorkflowRun")) == 4


@pytest.mark.parametrize("tier", TIERS)
def test_a_failed_run_is_reported_with_its_error(emu, la_conn, tier):
    site = TIERS[tier]
    error = {"code": "ActionFailed", "message": "Copy_blob failed"}
    run_name = emu.logic_apps.add_run("wf", [{"status": "Failed", "error": error}], site=site)
    event = first_event(trigger(la_conn, run_name, site))
    assert event["run"]["state"] == "failed" and event["run"]["error"] == "ActionFailed: Copy_blob failed"


def test_throttling_and_server_errors_are_retried_never_an_outcome(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "polls": 1}, {"status": "Succeeded"}])
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "count": 2, "status": 429})
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "count": 2, "status": 503})
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "count": 1, "body": "truncated"})
    event = first_event(trigger(la_conn, run_name))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"


def test_retry_after_is_honoured(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], site=SITE)
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "status": 429, "retry_after": 1})
    started = time.monotonic()
    assert first_event(trigger(la_conn, run_name, SITE))["status"] == "terminal"
    assert time.monotonic() - started >= 1.0


def test_access_denied_and_missing_runs_end_the_wait_with_an_error(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}])
    emu.add_fault(  # refused, and refused again after the credential was rebuilt: a real denial
        {
            "service": "logic_apps",
            "operation": "GetWorkflowRun",
            "status": 403,
            "error_type": "AuthorizationFailed",
            "count": 2,
        }
    )
    event = first_event(trigger(la_conn, run_name))
    assert event["status"] == "error" and event["error_type"] == "AccessDenied"
    assert "refused again" in event["message"]
    event = first_event(trigger(la_conn, "08585MISSINGCU00"))
    assert event["error_type"] == "RunNotFound" and "run_name='08585MISSINGCU00'" in event["message"]


@pytest.mark.parametrize("tier", TIERS)
def test_an_expiring_token_is_renewed_and_the_wait_goes_on(emu, la_conn, tier):
    """Tokens live one second here (an hour in Azure); the emulator refuses expired ones with 401."""
    site = TIERS[tier]
    emu.logic_apps.set_token_lifetime(1)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "seconds": 3}, {"status": "Succeeded"}], site=site)
    event = first_event(trigger(la_conn, run_name, site, poll_interval=0.4))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    gets = emu.requests(service="logic_apps", operation="GetWorkflowRun")
    assert len(gets) >= 5 and all(r["status"] == 200 for r in gets)  # never sent an expired token
    assert len({t["token_digest"] for t in emu.logic_apps.token_requests()}) >= 3


def test_the_deadline_ends_the_wait_with_a_timeout_event(emu, la_conn):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}])
    event = first_event(trigger(la_conn, run_name, poll_interval=0.2, deadline=time.time() + 0.5))
    assert event["status"] == "timeout" and event["last_status"] == "Running"


@pytest.mark.parametrize("tier", TIERS)
def test_on_kill_cancels_only_runs_the_task_started(emu, la_conn, tier):
    site = TIERS[tier]
    watched = emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site)
    started = emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site)
    asyncio.run(trigger(la_conn, watched, site, cancel_on_kill=False).on_kill())
    asyncio.run(trigger(la_conn, started, site, cancel_on_kill=True).on_kill())
    assert emu.logic_apps.run("wf", watched, site=site)["cancel_requested"] is False
    assert emu.logic_apps.run("wf", started, site=site)["status"] == "Cancelled"
    (cancel,) = emu.requests(service="logic_apps", operation="CancelWorkflowRun")
    assert cancel["path"].endswith(f"/runs/{started}/cancel")


def test_cleanup_never_cancels(emu, la_conn):
    started = emu.logic_apps.add_run("wf", [{"status": "Running"}])
    asyncio.run(trigger(la_conn, started, cancel_on_kill=True).cleanup())
    assert emu.logic_apps.run("wf", started)["cancel_requested"] is False
