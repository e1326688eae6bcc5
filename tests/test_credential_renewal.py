"""An authentication error on a cached client renews the credential once before it ends a wait.

Tokens expire and get revoked, secrets are rotated in the connection: the first refusal reloads
the connection, rebuilds the client (and its credential) and asks again; only a refusal of the
rebuilt client fails the wait, and its message says it was refused again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from airflow_workflow_runs.emulator.connections import connection_env, emulator_connections
from airflow_workflow_runs.emulator.sample_runs import SERVICES, add_sample_run
from airflow_workflow_runs.hooks.shared_clients import clear_shared_clients
from airflow_workflow_runs.model import AccessDenied, RunState, TransientServiceError
from airflow_workflow_runs.registry import load_hook_class
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import first_event

#: Each service's read operation, and the refusal a stale credential gets from it.
REFUSALS = {
    "glue": ("GetWorkflowRun", 400, "ExpiredTokenException"),
    "codecatalyst": ("GetWorkflowRun", 401, "UnauthorizedException"),
    "datadog": ("GetWorkflowInstance", 403, None),
    "dataworks": ("GetWorkflowInstance", 400, "InvalidSecurityToken.Expired"),
    "logic_apps": ("GetWorkflowRun", 401, "InvalidAuthenticationToken"),
}


@pytest.fixture
def connections(emu, monkeypatch):
    for name, value in connection_env(emulator_connections(emu.https_url, emu.ca_bundle)).items():
        monkeypatch.setenv(name, value)
    clear_shared_clients()
    yield
    clear_shared_clients()


def refuse(emu, service: str, times: int) -> None:
    operation, status, code = REFUSALS[service]
    emu.add_fault(
        {"service": service, "operation": operation, "status": status, "count": times}
        | ({"error_type": code} if code else {})
    )


def reads(emu, service: str) -> list[dict]:
    return emu.requests(service=service, operation=REFUSALS[service][0])


@pytest.mark.parametrize("service", SERVICES)
def test_a_refused_credential_is_renewed_once_and_the_read_succeeds(emu, connections, service):
    run = add_sample_run(emu, service)
    hook = load_hook_class(run.hook_class)(**run.hook_kwargs)
    refuse(emu, service, times=1)
    assert hook.get_run(run.ref).state is RunState.SUCCEEDED
    assert [r["status"] for r in reads(emu, service)] == [REFUSALS[service][1], 200]


@pytest.mark.parametrize("service", SERVICES)
def test_a_credential_refused_again_after_renewal_fails_saying_so(emu, connections, service):
    run = add_sample_run(emu, service)
    hook = load_hook_class(run.hook_class)(**run.hook_kwargs)
    refuse(emu, service, times=2)
    with pytest.raises(AccessDenied, match=r"refused again after connection .* was read again"):
        hook.get_run(run.ref)
    assert len(reads(emu, service)) == 2, "one renewal, not a retry loop"


@pytest.mark.parametrize("service", SERVICES)
def test_a_deferred_wait_survives_a_refused_credential(emu, connections, service):
    run = add_sample_run(emu, service, polls=2)
    refuse(emu, service, times=1)
    event = first_event(_trigger(run, poll_interval=0.1))
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    assert reads(emu, service)[0]["status"] == REFUSALS[service][1]


@pytest.mark.parametrize("service", SERVICES)
def test_a_deferred_wait_refused_again_ends_with_an_error_naming_the_renewal(emu, connections, service):
    run = add_sample_run(emu, service, polls=2)
    refuse(emu, service, times=2)
    event = first_event(_trigger(run, poll_interval=0.1))
    assert event["status"] == "error" and event["error_type"] == "AccessDenied"
    assert "refused again" in event["message"]


def _trigger(run, poll_interval: float = 0.2) -> WorkflowRunTrigger:
    return WorkflowRunTrigger(
        hook_class=run.hook_class,
        hook_kwargs=run.hook_kwargs,
        ref=run.ref,
        poll_interval=poll_interval,
        deadline=time.time() + 20,
    )


def _revoke_after_first_read(emu, service: str, then: Callable[[], None] = lambda: None) -> threading.Thread:
    """Revoke the credential a wait holds as soon as it has read once (the emulator's real refusal)."""

    def revoke() -> None:
        while not reads(emu, service):
            time.sleep(0.01)
        then()
        emu.revoke_credentials(service)

    watcher = threading.Thread(target=revoke, daemon=True)
    watcher.start()
    return watcher


def test_a_revoked_azure_token_mid_wait_is_replaced_by_a_new_one(emu, connections):
    run = add_sample_run(emu, "logic_apps", seconds=1.5)
    watcher = _revoke_after_first_read(emu, "logic_apps")
    event = first_event(_trigger(run))
    watcher.join(5)
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    statuses = [r["status"] for r in reads(emu, "logic_apps")]
    assert 401 in statuses and statuses[-1] == 200, "refused once, then read with a fresh token"
    assert len(emu.logic_apps.token_requests()) >= 2


def test_a_token_rotated_in_the_connection_mid_wait_is_picked_up_at_once(emu, connections, monkeypatch):
    """Within seconds of the client's build, not at the next connection refresh (5 minutes)."""
    run = add_sample_run(emu, "codecatalyst", seconds=1.5)
    conns = emulator_connections(emu.https_url, emu.ca_bundle)
    rotated = {**conns["codecatalyst_default"], "password": "rotated-personal-access-token"}

    def rotate() -> None:
        monkeypatch.setenv(
            "AIRFLOW_CONN_CODECATALYST_DEFAULT",
            connection_env({"codecatalyst_default": rotated})["AIRFLOW_CONN_CODECATALYST_DEFAULT"],
        )

    watcher = _revoke_after_first_read(emu, "codecatalyst", then=rotate)
    event = first_event(_trigger(run))
    watcher.join(5)
    assert event["status"] == "terminal" and event["run"]["state"] == "succeeded"
    statuses = [r["status"] for r in reads(emu, "codecatalyst")]
    assert {401, 403} & set(statuses) and statuses[-1] == 200, "refused once, then read with the rotated token"


def _break_connection(monkeypatch, emu) -> None:
    """The Datadog connection now names a site no client can be built for (a typo while rotating)."""
    conn = emulator_connections(emu.https_url, emu.ca_bundle)["datadog_workflows_default"]
    broken = {**conn, "extra": {**conn["extra"], "site": "datadoghq.nowhere"}}
    monkeypatch.setenv(*connection_env({"datadog_workflows_default": broken}).popitem())


def test_a_client_that_cannot_be_rebuilt_keeps_the_waits_going_and_is_tried_once(emu, connections, monkeypatch, capfd):
    """Eight waits refused at once, and the connection cannot build a client: one rebuild attempt
    for all of them, no crashed trigger, the waits poll on (and time out at their deadline)."""
    runs = [add_sample_run(emu, "datadog", seconds=30) for _ in range(8)]

    async def main() -> list[dict]:
        triggers = [
            WorkflowRunTrigger(
                hook_class=run.hook_class,
                hook_kwargs=run.hook_kwargs,
                ref=run.ref,
                poll_interval=0.2,
                deadline=time.time() + 2.5,
            )
            for run in runs
        ]

        async def first(trigger: WorkflowRunTrigger) -> dict:
            async for event in trigger.run():
                return event.payload
            raise AssertionError("no event")

        started = [asyncio.create_task(first(t)) for t in triggers]
        while not reads(emu, "datadog"):
            await asyncio.sleep(0.02)
        _break_connection(monkeypatch, emu)
        emu.revoke_credentials("datadog")
        return await asyncio.gather(*started)

    events = asyncio.run(main())
    assert [e["status"] for e in events] == ["timeout"] * 8, "transient: neither an outcome nor a crash"
    logged = "".join(capfd.readouterr())  # the hook's logger is Airflow's task logger (no propagation)
    assert logged.count("Rebuilding the client of connection") == 1, "one attempt for every wait refused at once"


def test_a_worker_whose_client_cannot_be_rebuilt_polls_again(emu, connections, monkeypatch):
    run = add_sample_run(emu, "datadog")
    hook = load_hook_class(run.hook_class)(**run.hook_kwargs)
    assert hook.get_run(run.ref).state is RunState.SUCCEEDED
    _break_connection(monkeypatch, emu)
    emu.revoke_credentials("datadog")
    with pytest.raises(TransientServiceError, match=r"rebuilding the client .* failed"):
        hook.get_run(run.ref)


@pytest.mark.parametrize(
    ("service", "start_operation", "refusal"),
    [("glue", "StartWorkflowRun", (400, "ExpiredTokenException")), ("datadog", "CreateWorkflowInstance", (403, None))],
)
def test_an_operator_whose_credential_is_refused_at_the_start_renews_it_and_starts_once(
    emu, connections, service, start_operation, refusal
):
    from airflow_workflow_runs.operators.datadog import DatadogRunWorkflowOperator
    from airflow_workflow_runs.operators.glue import GlueRunWorkflowOperator
    from tests.helpers import StandInTaskInstance

    status, code = refusal
    emu.add_fault(
        {"service": service, "operation": start_operation, "status": status} | ({"error_type": code} if code else {})
    )
    if service == "glue":
        emu.glue.define_workflow("etl", timeline=[{"status": "COMPLETED"}])
        operator = GlueRunWorkflowOperator(task_id="run", workflow_name="etl", poll_interval=0.1, deferrable=False)
    else:
        workflow_id = "7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
        emu.datadog.define_workflow(workflow_id, timeline=[{"status": "SUCCEEDED"}])
        operator = DatadogRunWorkflowOperator(
            task_id="run", workflow_id=workflow_id, poll_interval=0.1, deferrable=False
        )
    assert operator.execute({"ti": StandInTaskInstance()})["state"] == "succeeded"
    starts = [r["status"] for r in emu.requests(service=service, operation=start_operation)]
    assert starts == [status, 200], "refused once, then started once with the rebuilt client"
