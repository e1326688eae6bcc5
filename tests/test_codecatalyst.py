"""AWS CodeCatalyst workflow runs: bearer-token auth, status table, validation, errors, waits."""

from __future__ import annotations

import json

import botocore.session
import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from airflow_workflow_runs.clients.codecatalyst import STATUS_TABLE
from airflow_workflow_runs.emulator.codecatalyst import digest
from airflow_workflow_runs.hooks.codecatalyst import CodeCatalystWorkflowRunHook
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunNotFound,
    RunState,
    TransientServiceError,
)
from airflow_workflow_runs.operators.codecatalyst import CodeCatalystRunWorkflowOperator
from airflow_workflow_runs.operators.workflow_run import WorkflowRunTimeout
from airflow_workflow_runs.outcome import WatchedRunFailed
from airflow_workflow_runs.sensors.codecatalyst import CodeCatalystWorkflowRunSensor
from tests.helpers import (
    CODECATALYST_TOKEN,
    START,
    codecatalyst_connection,
    kill_while_waiting,
    retry_without_task_state_store,
)

SPACE, PROJECT = "example-corp", "my-demo-project"
WORKFLOW_ID = "a1b2c3d4-5678-90ab-cdef-111111111111"


def ref(run_id: str, **overrides: str) -> dict[str, str]:
    return {"space_name": SPACE, "project_name": PROJECT, "run_id": run_id} | overrides


def add_run(emu, *steps: dict) -> str:
    return emu.codecatalyst.add_run(SPACE, PROJECT, list(steps), workflow_id=WORKFLOW_ID)


@pytest.fixture
def hook(cc_conn) -> CodeCatalystWorkflowRunHook:
    return CodeCatalystWorkflowRunHook(codecatalyst_conn_id=cc_conn)


def test_status_table_is_exactly_botocores_enum():
    model = botocore.session.get_session().get_service_model("codecatalyst")
    assert set(STATUS_TABLE) == set(model.shape_for("WorkflowRunStatus").enum)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("VALIDATING", RunState.RUNNING),
        ("PROVISIONING", RunState.RUNNING),
        ("IN_PROGRESS", RunState.RUNNING),
        ("STOPPING", RunState.RUNNING),
        ("SUCCEEDED", RunState.SUCCEEDED),
        ("FAILED", RunState.FAILED),
        ("ABANDONED", RunState.FAILED),
        ("STOPPED", RunState.CANCELLED),
        ("CANCELLED", RunState.CANCELLED),
        ("SUPERSEDED", RunState.CANCELLED),
        ("NOT_RUN", RunState.SKIPPED),
        ("PAUSED", RunState.UNKNOWN),
    ],
)
def test_every_status_maps_to_a_state(emu, hook, status, state):
    run_id = add_run(emu, {"status": status})
    run = hook.get_run(ref(run_id))
    assert (run.state, run.raw_status, run.run_id) == (state, status, run_id)
    assert run.details["workflow_id"] == WORKFLOW_ID
    assert run.console_url == f"https://codecatalyst.aws/spaces/{SPACE}/projects/{PROJECT}/ci/workflows/runs/{run_id}"


def test_the_connections_token_is_sent_as_a_bearer_token_and_never_shown(emu, hook):
    run_id = add_run(emu, {"status": "FAILED", "status_reasons": [{}]})
    with pytest.raises(WatchedRunFailed) as raised:
        CodeCatalystWorkflowRunSensor(
            task_id="w", space_name=SPACE, project_name=PROJECT, run_id=run_id, codecatalyst_conn_id=hook.conn_id
        ).poke({})
    assert emu.codecatalyst.token_digests == [digest(CODECATALYST_TOKEN)]
    assert "is FAILED" in str(raised.value) and run_id in str(raised.value)
    assert CODECATALYST_TOKEN not in str(raised.value)
    assert emu.requests(service="codecatalyst")[0]["authorization"] is True


def test_without_a_token_botocores_own_chain_is_used(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_CC_NO_TOKEN", codecatalyst_connection(emu, token=None))
    monkeypatch.setenv("AWS_BEARER_TOKEN_CODECATALYST", "token-from-environment")
    run_id = add_run(emu, {"status": "SUCCEEDED"})
    assert CodeCatalystWorkflowRunHook("cc_no_token").get_run(ref(run_id)).state is RunState.SUCCEEDED
    assert emu.codecatalyst.token_digests == [digest("token-from-environment")]


def test_two_connections_in_one_process_keep_their_own_tokens(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_CC_A", codecatalyst_connection(emu, token="token-a"))
    monkeypatch.setenv("AIRFLOW_CONN_CC_B", codecatalyst_connection(emu, token="token-b"))
    run_id = add_run(emu, {"status": "SUCCEEDED"})
    CodeCatalystWorkflowRunHook("cc_a").get_run(ref(run_id))
    CodeCatalystWorkflowRunHook("cc_b").get_run(ref(run_id))
    assert emu.codecatalyst.token_digests == [digest("token-a"), digest("token-b")]


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"space_name": "ab"}, "at least 3"),
        ({"space_name": "x" * 64}, "limit is 63"),
        ({"space_name": "bad space"}, "letters and digits"),
        ({"project_name": "-leading"}, "letters and digits"),
        ({"project_name": "a..b"}, "letters and digits"),
        ({"run_id": "example-workflow-run-id-123abc"}, "a UUID"),
    ],
)
def test_invalid_ids_fail_with_the_rule_before_any_request(emu, hook, bad, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        hook.get_run(ref("00000000-0000-0000-0000-000000000000") | bad)
    assert emu.requests(service="codecatalyst") == []


def test_missing_run_names_space_project_and_run(emu, hook):
    with pytest.raises(RunNotFound) as raised:
        hook.get_run(ref("00000000-0000-0000-0000-000000000000"))
    assert f"space_name='{SPACE}'" in str(raised.value) and "00000000-0000-0000-0000-000000000000" in str(raised.value)


def test_a_rejected_token_is_access_denied_with_advice(emu, hook):
    emu.codecatalyst.require_tokens("some-other-token")
    with pytest.raises(AccessDenied, match="member of the project"):
        hook.get_run(ref(add_run(emu, {"status": "SUCCEEDED"})))


@pytest.mark.parametrize(
    "fault", [{"status": 429, "retry_after": 3}, {"status": 500}, {"status": 503}, {"body": "truncated"}]
)
def test_throttling_and_5xx_are_transient(emu, hook, fault):
    run_id = add_run(emu, {"status": "SUCCEEDED"})
    emu.add_fault({"service": "codecatalyst", "operation": "GetWorkflowRun", **fault})
    with pytest.raises(TransientServiceError) as raised:
        hook.get_run(ref(run_id))
    assert raised.value.retry_after == fault.get("retry_after")
    assert hook.get_run(ref(run_id)).state is RunState.SUCCEEDED


def test_quota_and_conflict_errors_are_not_retried_forever(emu, hook):
    from airflow_workflow_runs.model import ServiceError

    emu.add_fault({"service": "codecatalyst", "operation": "GetWorkflowRun", "status": 402})
    with pytest.raises(ServiceError, match="ServiceQuotaExceededException"):
        hook.get_run(ref(add_run(emu, {"status": "SUCCEEDED"})))


def test_not_run_skips_the_sensor(emu, cc_conn):
    run_id = add_run(emu, {"status": "NOT_RUN"})
    with pytest.raises(AirflowSkipException):
        CodeCatalystWorkflowRunSensor(
            task_id="w", space_name=SPACE, project_name=PROJECT, run_id=run_id, codecatalyst_conn_id=cc_conn
        ).poke({})


def test_sensor_validation_fails_before_any_request(emu, cc_conn):
    with pytest.raises(AirflowFailException, match="a UUID"):
        CodeCatalystWorkflowRunSensor(
            task_id="w", space_name=SPACE, project_name=PROJECT, run_id="nope", codecatalyst_conn_id=cc_conn
        ).poke({})
    assert emu.requests(service="codecatalyst") == []


def test_sensors_in_all_modes_succeed_in_a_dag_run(emu, cc_conn, run_dag, dag_id):
    run_id = add_run(emu, {"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"})
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        for name, mode in {"poke": {}, "reschedule": {"mode": "reschedule"}, "deferred": {"deferrable": True}}.items():
            CodeCatalystWorkflowRunSensor(
                task_id=name,
                space_name=SPACE,
                project_name=PROJECT,
                run_id=run_id,
                codecatalyst_conn_id=cc_conn,
                poke_interval=0.2,
                **mode,
            )
    dag_run = run_dag(dag)
    assert {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()} == dict.fromkeys(
        ["poke", "reschedule", "deferred"], "success"
    )


def operator(conn_id: str, **kwargs) -> CodeCatalystRunWorkflowOperator:
    return CodeCatalystRunWorkflowOperator(
        task_id="run",
        space_name=SPACE,
        project_name=PROJECT,
        workflow_id=WORKFLOW_ID,
        codecatalyst_conn_id=conn_id,
        poll_interval=0.2,
        **kwargs,
    )


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_operator_starts_and_waits(emu, cc_conn, run_dag, dag_id, deferrable):
    emu.codecatalyst.define_workflow(
        SPACE, PROJECT, WORKFLOW_ID, [{"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"}]
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        operator(cc_conn, deferrable=deferrable)
    dag_run = run_dag(dag)
    (ti,) = dag_run.get_task_instances()
    assert str(ti.state) == "success"
    (start,) = emu.requests(service="codecatalyst", operation="StartWorkflowRun")
    assert start["query"]["workflowId"] == [WORKFLOW_ID]
    assert len(start["body"]["clientToken"]) <= 64


def test_without_a_task_state_store_a_retry_reattaches_through_the_previous_client_token(emu, cc_conn):
    """Airflow < 3.3: try 1's client token, presented again, answers with its run (3.3: the store)."""
    emu.codecatalyst.define_workflow(
        SPACE, PROJECT, WORKFLOW_ID, [{"status": "IN_PROGRESS", "polls": 3}, {"status": "SUCCEEDED"}]
    )
    started, result = retry_without_task_state_store(lambda **kw: operator(cc_conn, **kw))
    assert (result["run_id"], result["state"]) == (started, "succeeded")
    starts = emu.requests(service="codecatalyst", operation="StartWorkflowRun")
    assert len(starts) == 2 and len({s["body"]["clientToken"] for s in starts}) == 1  # try 1's token again
    assert len(emu.codecatalyst.runs()) == 1


def test_killing_the_operator_says_the_run_goes_on(emu, cc_conn, capfd):
    emu.codecatalyst.define_workflow(SPACE, PROJECT, WORKFLOW_ID, [{"status": "IN_PROGRESS"}])
    op = operator(cc_conn, wait_timeout=2)
    ti, error = kill_while_waiting(op)
    logs = "".join(capfd.readouterr())
    assert "cannot be cancelled" in logs and "The run goes on" in logs
    assert json.dumps(ti.xcoms["run_ref"])  # the ref was pushed before the wait
    assert isinstance(error, WorkflowRunTimeout)  # nothing stops the run: the wait ends at wait_timeout
