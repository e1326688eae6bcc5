"""Datadog Workflow Automation instances: keys and site, status table, validation, errors, waits."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from airflow_workflow_runs.clients.datadog import APP_HOSTS, MAX_RATE_LIMIT_WAIT, SITES
from airflow_workflow_runs.clients.datadog_runs import STATUS_TABLE
from airflow_workflow_runs.emulator.datadog import digest
from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TransientServiceError,
)
from airflow_workflow_runs.operators.datadog import DatadogRunWorkflowOperator
from airflow_workflow_runs.outcome import WatchedRunFailed, WorkflowRunFailed
from airflow_workflow_runs.sensors.datadog import DatadogWorkflowInstanceSensor
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import START, kill_while_waiting, retry_without_task_state_store

CONN_ID = "datadog_emulator"
API_KEY = "dd-api-key-never-logged-0001"
APP_KEY = "dd-app-key-never-logged-0002"
WORKFLOW_ID = "ccf73164-1998-4785-a7a3-8d06c7e5f558"
MISSING = "305a472b-71ab-4ce8-8f8d-75db635627b5"


def connection(emu, *, host: str | None = None, **extra) -> str:
    return json.dumps(
        {
            "conn_type": "datadog_workflows",
            "host": emu.http_url if host is None else host,
            "password": APP_KEY,
            "extra": {"api_key": API_KEY, "site": "datadoghq.com", **extra},
        }
    )


@pytest.fixture
def dd_conn(emu, monkeypatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection(emu))
    return CONN_ID


@pytest.fixture
def hook(dd_conn) -> DatadogWorkflowInstanceHook:
    return DatadogWorkflowInstanceHook(datadog_conn_id=dd_conn)


def ref(instance_id: str, workflow_id: str = WORKFLOW_ID) -> dict[str, str]:
    return {"workflow_id": workflow_id, "instance_id": instance_id}


def add(emu, *steps: dict, **kwargs) -> str:
    return emu.datadog.add_instance(WORKFLOW_ID, list(steps), **kwargs)


# --- site, keys and the SDK's configuration ----------------------------------------------------


def test_sites_are_exactly_the_sdks_site_enum():
    from datadog_api_client import Configuration

    enum = Configuration().get_host_settings()[0]["variables"]["site"]["enum_values"]
    assert set(SITES) == set(enum) and len(SITES) == 9
    assert APP_HOSTS["datadoghq.eu"] == "app.datadoghq.eu" and APP_HOSTS["datadoghq.com"] == "app.datadoghq.com"


def test_the_site_picks_the_api_host_and_the_console_host(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DD_EU", connection(emu, host="", site="datadoghq.eu"))
    monkeypatch.setenv("DD_SITE", "us5.datadoghq.com")  # the SDK's environment default never wins
    client = DatadogWorkflowInstanceHook("dd_eu").client
    assert client.endpoint == "https://api.datadoghq.eu"
    assert client.console_url(ref(MISSING)) == f"https://app.datadoghq.eu/workflow/{WORKFLOW_ID}?instance={MISSING}"


def test_an_unknown_site_is_refused_naming_the_allowed_ones(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DD_BAD", connection(emu, site="datadoghq.org"))
    with pytest.raises(ValueError, match=r"us3\.datadoghq\.com"):
        DatadogWorkflowInstanceHook("dd_bad").client  # noqa: B018


def test_missing_keys_are_named_without_a_request(emu, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_DD_NOKEY", json.dumps({"conn_type": "datadog_workflows", "host": emu.http_url, "extra": {}})
    )
    with pytest.raises(ValueError, match=r"api_key .* application key"):
        DatadogWorkflowInstanceHook("dd_nokey").client  # noqa: B018
    assert emu.requests(service="datadog") == []


def test_the_connections_keys_are_sent_as_headers_and_never_shown(emu, hook, monkeypatch):
    monkeypatch.setenv("DD_API_KEY", "from-environment")
    monkeypatch.setenv("DD_APP_KEY", "from-environment")
    instance_id = add(emu, {"status": "INSTANCE_ERROR", "error_detail": {"message": "boom"}})
    with pytest.raises(WatchedRunFailed) as raised:
        DatadogWorkflowInstanceSensor(
            task_id="w", workflow_id=WORKFLOW_ID, instance_id=instance_id, datadog_conn_id=hook.conn_id
        ).poke({})
    assert emu.datadog.key_digests == [(digest(API_KEY), digest(APP_KEY))]
    text = str(raised.value)
    assert "is INSTANCE_ERROR" in text and instance_id in text and "boom" in text
    assert API_KEY not in text and APP_KEY not in text
    serialized = json.dumps(
        WorkflowRunTrigger(hook_class="x.Y", hook_kwargs=hook.serialize(), ref=ref(instance_id)).serialize()
    )
    assert hook.serialize() == {"datadog_conn_id": CONN_ID}
    assert API_KEY not in serialized and APP_KEY not in serialized


def test_https_with_the_connections_ca_bundle(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DD_TLS", connection(emu, host=emu.https_url, ca_bundle=emu.ca_bundle))
    instance_id = add(emu, {"status": "SUCCEEDED"})
    assert DatadogWorkflowInstanceHook("dd_tls").get_run(ref(instance_id)).state is RunState.SUCCEEDED
    assert emu.requests(service="datadog")[0]["scheme"] == "https"


# --- statuses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("IN_PROGRESS", RunState.RUNNING),
        ("SUCCEEDED", RunState.SUCCEEDED),
        ("CANCELED", RunState.CANCELLED),
        ("INSTANCE_ERROR", RunState.FAILED),
        ("STEP_ERROR", RunState.FAILED),
        # Not in the table, and (as the emulator serves them) without an end time: still running.
        ("CANCELLED", RunState.RUNNING),
        ("PENDING_APPROVAL", RunState.RUNNING),
    ],
)
def test_every_status_maps_to_a_state(emu, hook, status, state):
    instance_id = add(emu, {"status": status, "outputs": {"answer": 42}})
    run = hook.get_run(ref(instance_id))
    assert (run.state, run.raw_status, run.run_id) == (state, status, instance_id)
    assert run.console_url == f"https://app.datadoghq.com/workflow/{WORKFLOW_ID}?instance={instance_id}"
    assert run.outputs == {"answer": 42} and run.started_at is not None
    assert (run.ended_at is None) == (status in ("IN_PROGRESS", "CANCELLED", "PENDING_APPROVAL"))
    if state is RunState.UNKNOWN:
        assert repr(status) in (run.error or "")


def test_a_status_not_in_the_table_keeps_the_wait_going_until_the_instance_has_an_end_time(emu, hook, caplog):
    instance_id = add(emu, {"status": "PENDING_APPROVAL"})
    for _ in range(3):
        assert hook.get_run(ref(instance_id)).state is RunState.RUNNING
    warnings = [r for r in caplog.records if "PENDING_APPROVAL" in r.getMessage() and r.levelname == "WARNING"]
    assert len(warnings) == 1, "the unlisted status is named once per instance, not at every poll"

    raw = {
        "data": {
            "id": instance_id,
            "attributes": {
                "instanceStatus": {"detailsKind": "PENDING_APPROVAL"},
                "startTimestamp": "2026-12-01T10:00:00Z",
                "endTimestamp": "2026-12-01T10:05:00Z",
            },
        }
    }
    run = hook.client.parse_run(raw, ref(instance_id))
    assert run.state is RunState.UNKNOWN and run.is_terminal
    assert "'PENDING_APPROVAL'" in (run.error or "")


def test_status_table_holds_only_the_statuses_seen_from_datadog():
    assert set(STATUS_TABLE) == {"IN_PROGRESS", "SUCCEEDED", "CANCELED", "INSTANCE_ERROR", "STEP_ERROR"}


def test_failed_steps_and_their_errors_are_in_the_failure_text(emu, hook):
    steps = [
        {"stepName": "Fetch", "stepState": "SUCCEEDED"},
        {"stepName": "Deploy", "stepState": "STEP_ERROR", "errorDetail": {"message": "HTTP 500 from target"}},
        {"stepName": "Notify", "stepState": "CANCELED"},
    ]
    instance_id = add(emu, {"status": "STEP_ERROR", "steps": steps, "error_detail": "step Deploy failed"})
    run = hook.get_run(ref(instance_id))
    assert run.state is RunState.FAILED
    assert "errorDetail: step Deploy failed" in run.error
    assert (
        "Deploy (STEP_ERROR)" in run.error and "HTTP 500 from target" in run.error and "Notify (CANCELED)" in run.error
    )
    assert "Fetch" not in run.error
    assert run.details["steps"][1] == {"name": "Deploy", "state": "STEP_ERROR"}


# --- validation before any request ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"workflow_id": "malformed"}, "a UUID"),
        ({"workflow_id": ""}, "is empty"),
        ({"instance_id": ""}, "is empty"),
        ({"instance_id": "a/b"}, "single path segment"),
        ({"instance_id": "has space"}, "single path segment"),
        ({"instance_id": "x" * 129}, "single path segment"),
    ],
)
def test_invalid_ids_fail_with_the_rule_before_any_request(emu, hook, bad, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        hook.get_run(ref(MISSING) | bad)
    assert emu.requests(service="datadog") == []


def test_start_validates_workflow_id_and_payload_before_any_request(emu, hook):
    with pytest.raises(InvalidRunReference, match="a UUID"):
        hook.client.start_run("my-workflow", {})
    with pytest.raises(InvalidRunReference, match="JSON-serializable"):
        hook.client.start_run(WORKFLOW_ID, {"when": object()})
    assert emu.requests(service="datadog") == []


def test_sensor_validation_fails_before_any_request(emu, dd_conn):
    with pytest.raises(AirflowFailException, match="a UUID"):
        DatadogWorkflowInstanceSensor(
            task_id="w", workflow_id="nope", instance_id=MISSING, datadog_conn_id=dd_conn
        ).poke({})
    assert emu.requests(service="datadog") == []


# --- errors --------------------------------------------------------------------------------------


def test_missing_instance_names_workflow_and_instance(emu, hook):
    emu.datadog.define_workflow(WORKFLOW_ID)
    with pytest.raises(RunNotFound) as raised:
        hook.get_run(ref(MISSING))
    text = str(raised.value)
    assert f"workflow_id='{WORKFLOW_ID}'" in text and MISSING in text and "INSTANCE_NOT_FOUND" in text


def test_rejected_keys_are_access_denied_naming_the_permission(emu, hook):
    emu.datadog.require_keys("another-api-key", "another-app-key")
    with pytest.raises(AccessDenied, match="workflows_read"):
        hook.get_run(ref(add(emu, {"status": "SUCCEEDED"})))
    with pytest.raises(AccessDenied, match="workflows_run"):
        hook.client.start_run(WORKFLOW_ID, {})


def test_the_emulator_refuses_requests_without_both_keys(emu):
    instance_id = add(emu, {"status": "SUCCEEDED"})
    url = f"{emu.http_url}/api/v2/workflows/{WORKFLOW_ID}/instances/{instance_id}"
    request = urllib.request.Request(url, headers={"DD-API-KEY": API_KEY})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 403 and json.loads(raised.value.read()) == {"errors": ["Forbidden"]}


@pytest.mark.parametrize(("reset", "expected"), [(7, 7.0), (3600, MAX_RATE_LIMIT_WAIT)])
def test_rate_limits_wait_for_the_reset_bounded(emu, hook, reset, expected):
    instance_id = add(emu, {"status": "SUCCEEDED"})
    emu.datadog.rate_limit_reset = reset
    emu.add_fault({"service": "datadog", "operation": "GetWorkflowInstance", "status": 429})
    with pytest.raises(TransientServiceError, match="rate limited") as raised:
        hook.get_run(ref(instance_id))
    assert raised.value.retry_after == expected
    assert hook.get_run(ref(instance_id)).state is RunState.SUCCEEDED


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 503}, {"body": "truncated"}, {"body": "disconnect"}])
def test_5xx_and_broken_answers_are_transient(emu, hook, fault):
    instance_id = add(emu, {"status": "SUCCEEDED"})
    emu.add_fault({"service": "datadog", "operation": "GetWorkflowInstance", **fault})
    with pytest.raises(TransientServiceError):
        hook.get_run(ref(instance_id))
    assert hook.get_run(ref(instance_id)).state is RunState.SUCCEEDED


def test_a_bad_request_is_a_service_error_with_datadogs_text(emu, hook):
    emu.add_fault(
        {
            "service": "datadog",
            "operation": "CreateWorkflowInstance",
            "status": 400,
            "error_type": "INVALID_INPUT",
            "message": "input 'x' is not declared",
        }
    )
    emu.datadog.define_workflow(WORKFLOW_ID)
    with pytest.raises(ServiceError, match=r"HTTP 400.*INVALID_INPUT: input 'x' is not declared"):
        hook.client.start_run(WORKFLOW_ID, {"x": 1})


def test_async_poll_and_cancel_through_the_shared_client(emu, hook):
    instance_id = add(emu, {"status": "IN_PROGRESS"})
    assert asyncio.run(hook.aget_run(ref(instance_id))).state is RunState.RUNNING
    asyncio.run(hook.acancel_run(ref(instance_id)))
    assert emu.datadog.instance(WORKFLOW_ID, instance_id)["cancel_requested"] is True
    assert asyncio.run(hook.aget_run(ref(instance_id))).state is RunState.CANCELLED


# --- sensors and the operator in DAG runs --------------------------------------------------------


def test_sensors_in_all_modes_succeed_in_a_dag_run(emu, dd_conn, run_dag, dag_id):
    instance_id = add(emu, {"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED", "outputs": {"ok": True}})
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        for name, mode in {"poke": {}, "reschedule": {"mode": "reschedule"}, "deferred": {"deferrable": True}}.items():
            DatadogWorkflowInstanceSensor(
                task_id=name,
                workflow_id=WORKFLOW_ID,
                instance_id=instance_id,
                datadog_conn_id=dd_conn,
                poke_interval=0.2,
                **mode,
            )
    dag_run = run_dag(dag)
    assert {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()} == dict.fromkeys(
        ["poke", "reschedule", "deferred"], "success"
    )


def operator(conn_id: str, **kwargs) -> DatadogRunWorkflowOperator:
    return DatadogRunWorkflowOperator(
        task_id="run", workflow_id=WORKFLOW_ID, datadog_conn_id=conn_id, **{"poll_interval": 0.2, **kwargs}
    )


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_operator_starts_and_waits_through_a_transient_not_found(emu, dd_conn, run_dag, dag_id, deferrable):
    emu.datadog.define_workflow(
        WORKFLOW_ID, [{"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"}], not_found_polls=2
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        operator(dd_conn, deferrable=deferrable, payload={"env": "{{ dag_run.run_id }}"})
    dag_run = run_dag(dag)
    (ti,) = dag_run.get_task_instances()
    assert str(ti.state) == "success"
    (create,) = emu.requests(service="datadog", operation="CreateWorkflowInstance")
    assert create["body"] == {"meta": {"payload": {"env": dag_run.run_id}}}
    gets = emu.requests(service="datadog", operation="GetWorkflowInstance")
    assert [g["status"] for g in gets[:2]] == [404, 404] and gets[-1]["status"] == 200


def test_operator_failure_names_the_failed_step(emu, dd_conn, run_dag, dag_id):
    emu.datadog.define_workflow(
        WORKFLOW_ID, [{"status": "STEP_ERROR", "steps": [{"stepName": "Deploy", "stepState": "STEP_ERROR"}]}]
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        operator(dd_conn)
    (ti,) = run_dag(dag).get_task_instances()
    assert str(ti.state) == "failed"


def test_without_a_task_state_store_a_retry_finds_the_instance_carrying_the_run_key(emu, dd_conn):
    """Airflow < 3.3: the run key in a declared input finds it (3.3: tests/test_task_state_store.py)."""
    emu.datadog.define_workflow(WORKFLOW_ID, [{"status": "IN_PROGRESS", "polls": 3}, {"status": "SUCCEEDED"}])
    started, result = retry_without_task_state_store(
        lambda **kw: operator(dd_conn, run_key_input="airflow_run_key", poll_interval=0.1, **kw)
    )
    assert (result["run_id"], result["state"]) == (started, "succeeded")
    (instance,) = emu.datadog.instances()
    assert len(instance["payload"]["airflow_run_key"]) == 32
    assert emu.requests(service="datadog", operation="ListWorkflowInstances")[0]["query"]["page[size]"] == ["100"]


def test_without_a_task_state_store_or_run_key_input_a_retry_starts_a_new_instance(emu, dd_conn):
    """Airflow < 3.3 and no run key input: nothing can find the instance (3.3: the store does)."""
    emu.datadog.define_workflow(WORKFLOW_ID, [{"status": "IN_PROGRESS", "polls": 2}, {"status": "SUCCEEDED"}])
    started, result = retry_without_task_state_store(lambda **kw: operator(dd_conn, poll_interval=0.1, **kw))
    assert result["run_id"] != started and len(emu.datadog.instances()) == 2
    assert emu.requests(service="datadog", operation="ListWorkflowInstances") == []
    assert all(i["payload"] == {} for i in emu.datadog.instances())


def test_killing_the_operator_cancels_the_instance(emu, dd_conn):
    emu.datadog.define_workflow(
        WORKFLOW_ID, [{"status": "IN_PROGRESS", "steps": [{"stepName": "Sleep", "stepState": "IN_PROGRESS"}]}]
    )
    op = operator(dd_conn, poll_interval=0.1)
    ti, error = kill_while_waiting(op)  # the wait ends when the instance reports CANCELED
    assert emu.datadog.instance(WORKFLOW_ID, str(ti.xcoms["run_id"]))["cancel_requested"] is True
    assert isinstance(error, WorkflowRunFailed)
    assert "CANCELED" in str(error) and "Sleep (CANCELED)" in str(error)
    assert ti.xcoms["run_ref"] == ref(str(ti.xcoms["run_id"]))


@pytest.mark.parametrize("fault", [{"delay": 1.5}, {"body": "disconnect"}])
def test_a_slow_or_dropped_answer_costs_one_request_not_the_sdks_own_retries(emu, monkeypatch, fault):
    """The provider's policy retries (with backoff and the deadline); urllib3's default would have
    sent the same read four times in one poll."""
    monkeypatch.setenv("AIRFLOW_CONN_DD_SLOW", connection(emu, timeout=0.5))
    instance_id = add(emu, {"status": "SUCCEEDED"})
    emu.add_fault({"service": "datadog", "operation": "GetWorkflowInstance", "count": 4, **fault})
    with pytest.raises(TransientServiceError):
        DatadogWorkflowInstanceHook("dd_slow").get_run(ref(instance_id))
    assert len(emu.requests(service="datadog", operation="GetWorkflowInstance")) == 1
