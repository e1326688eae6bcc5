"""Alibaba Cloud DataWorks workflow instances: the real SDK, signed, against the emulator."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import re
import urllib.error
import urllib.request

import pytest
from airflow.sdk import DAG

from airflow_workflow_runs.clients.dataworks import DataWorksRunClient, default_credential
from airflow_workflow_runs.clients.dataworks_runs import STATUS_TABLE, biz_date_ms
from airflow_workflow_runs.emulator.dataworks_auth import digest
from airflow_workflow_runs.hooks.dataworks import DataWorksWorkflowInstanceHook
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TransientServiceError,
)
from airflow_workflow_runs.operators.dataworks import DataWorksRunWorkflowOperator
from airflow_workflow_runs.outcome import WatchedRunFailed, WorkflowRunFailed
from airflow_workflow_runs.sensors.dataworks import DataWorksWorkflowInstanceSensor
from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger
from tests.helpers import START, kill_while_waiting, retry_without_task_state_store

CONN_ID = "dataworks_emulator"
ACCESS_KEY_ID = "LTAI5tEmulatorKeyId"
ACCESS_KEY_SECRET = "dw-secret-never-logged"
STS_TOKEN = "dw-sts-token-never-logged"
REGION = "cn-shanghai"
PROJECT, WORKFLOW = 100, 4242
SECRETS = (ACCESS_KEY_SECRET, STS_TOKEN)


def connection(url: str, **overrides) -> str:
    conn = {
        "conn_type": "alibaba_dataworks",
        "host": url,
        "login": ACCESS_KEY_ID,
        "password": ACCESS_KEY_SECRET,
        "extra": {"region": REGION, "security_token": STS_TOKEN},
    }
    return json.dumps({**conn, **overrides})


@pytest.fixture
def dw_conn(emu, monkeypatch) -> str:
    """Plain HTTP to the emulator, which verifies the ACS3-HMAC-SHA256 signature with the secret."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection(emu.http_url))
    emu.dataworks.require_credentials({ACCESS_KEY_ID: (ACCESS_KEY_SECRET, STS_TOKEN)})
    return CONN_ID


@pytest.fixture
def hook(dw_conn) -> DataWorksWorkflowInstanceHook:
    return DataWorksWorkflowInstanceHook(dataworks_conn_id=dw_conn)


def add(emu, *steps: dict, **kwargs) -> str:
    return emu.dataworks.add_instance(PROJECT, list(steps), **kwargs)


def sdk_documented_statuses() -> set[str]:
    """The ``Status`` values listed in the SDK model's own documentation of the field."""
    from alibabacloud_dataworks_public20240518.models import GetWorkflowInstanceResponseBodyWorkflowInstance

    source = inspect.getsource(GetWorkflowInstanceResponseBodyWorkflowInstance.__init__)
    block = source.split("The status of the workflow instance")[1].split("self.status")[0]
    return set(re.findall(r"#\s*- (\w+):", block))


def test_status_table_is_exactly_the_documented_statuses():
    documented = sdk_documented_statuses()
    assert documented == {
        "NotRun",
        "Running",
        "WaitTime",
        "CheckingCondition",
        "WaitResource",
        "Failure",
        "Success",
        "Checking",
    }
    assert set(STATUS_TABLE) == documented


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("NotRun", RunState.RUNNING),
        ("WaitTime", RunState.RUNNING),
        ("WaitResource", RunState.RUNNING),
        ("CheckingCondition", RunState.RUNNING),
        ("Running", RunState.RUNNING),
        ("Checking", RunState.RUNNING),
        ("Success", RunState.SUCCEEDED),
        ("Failure", RunState.FAILED),
        ("Frozen", RunState.UNKNOWN),
    ],
)
def test_every_status_maps_to_a_state(emu, hook, status, state):
    instance_id = add(emu, {"status": status})
    run = hook.get_run({"instance_id": instance_id})
    assert (run.state, run.raw_status, run.run_id) == (state, status, instance_id)
    assert run.console_url == f"https://dataworks.data.aliyun.com/{REGION}/sc?defaultProjectId={PROJECT}"
    wire = emu.dataworks.instance(instance_id)
    assert run.started_at == (
        None
        if status in ("NotRun", "WaitTime", "WaitResource")
        else datetime.datetime.fromtimestamp(wire["StartedTime"] / 1000, datetime.timezone.utc)
    )
    assert (run.ended_at is not None) == (status in ("Success", "Failure"))
    if state is RunState.UNKNOWN:
        assert "'Frozen' is not in the DataWorks status table" in (run.error or "")
    if state is RunState.FAILED:
        assert "stopped" in (run.error or "")


def test_times_are_epoch_milliseconds(emu, hook):
    instance_id = add(emu, {"status": "Success"}, biz_date=datetime.date(2026, 3, 30))
    run = hook.get_run({"instance_id": instance_id})
    wire = emu.dataworks.instance(instance_id)
    assert run.ended_at is not None
    assert int(run.ended_at.timestamp() * 1000) == wire["FinishedTime"]
    assert wire["BizDate"] == biz_date_ms(datetime.date(2026, 3, 30)) == 1774800000000
    assert run.details["biz_date"] == "2026-03-29T16:00:00+00:00"  # midnight, UTC+8


def test_the_request_is_signed_with_the_connections_keys_and_secrets_never_shown(emu, hook):
    instance_id = add(emu, {"status": "Failure"})
    sensor = DataWorksWorkflowInstanceSensor(task_id="w", instance_id=int(instance_id), dataworks_conn_id=hook.conn_id)
    with pytest.raises(WatchedRunFailed) as raised:
        sensor.poke({})
    # The emulator recomputed the HMAC with the secret: a request signed with anything else is refused.
    assert emu.dataworks.access_key_ids == [ACCESS_KEY_ID]
    assert emu.dataworks.security_token_digests == [digest(STS_TOKEN)]
    (logged,) = emu.requests(service="dataworks")
    assert (logged["method"], logged["path"], logged["query"]) == ("GET", "/", {"Id": [instance_id]})
    assert logged["headers"]["x-acs-action"] == "GetWorkflowInstance"
    assert logged["headers"]["x-acs-version"] == "2024-05-18"
    assert logged["authorization"] is True
    trigger_kwargs = json.dumps(
        WorkflowRunTrigger(
            hook_class=sensor.hook_class_path, hook_kwargs=sensor.hook.serialize(), ref={"instance_id": instance_id}
        ).serialize()
    )
    text = str(raised.value) + trigger_kwargs + repr(sensor.hook.client.settings)
    assert "is Failure" in str(raised.value) and instance_id in str(raised.value)
    assert not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({ACCESS_KEY_ID: ("another-secret", STS_TOKEN)}, "SignatureDoesNotMatch"),
        ({"LTAIsomeoneElse": ACCESS_KEY_SECRET}, "InvalidAccessKeyId.NotFound"),  # a 404, yet not "run not found"
        ({ACCESS_KEY_ID: (ACCESS_KEY_SECRET, "another-token")}, "InvalidSecurityToken"),
    ],
)
def test_rejected_credentials_are_access_denied(emu, hook, credentials, code):
    instance_id = add(emu, {"status": "Success"})
    emu.dataworks.require_credentials(credentials)
    with pytest.raises(AccessDenied, match=code) as raised:
        hook.get_run({"instance_id": instance_id})
    assert not any(secret in str(raised.value) for secret in SECRETS)


def test_empty_key_fields_use_the_alibaba_default_credential_chain(emu, monkeypatch, request):
    from alibabacloud_credentials.utils import auth_util

    # alibabacloud-credentials reads ALIBABA_CLOUD_* once at import; its env provider reads these.
    monkeypatch.setattr(auth_util, "environment_access_key_id", "LTAIfromEnvironment")
    monkeypatch.setattr(auth_util, "environment_access_key_secret", "env-secret")
    monkeypatch.setattr(auth_util, "environment_security_token", None)
    monkeypatch.setattr(auth_util, "environment_ecs_metadata_disabled", "true")  # no IMDS refresh thread
    default_credential.cache_clear()
    request.addfinalizer(default_credential.cache_clear)
    monkeypatch.setenv("AIRFLOW_CONN_DW_CHAIN", connection(emu.http_url, login=None, password=None, extra={}))
    emu.dataworks.require_credentials({"LTAIfromEnvironment": "env-secret"})
    instance_id = add(emu, {"status": "Success"})
    run = DataWorksWorkflowInstanceHook("dw_chain").get_run({"instance_id": instance_id})
    assert run.state is RunState.SUCCEEDED
    assert emu.dataworks.access_key_ids == ["LTAIfromEnvironment"]
    assert run.console_url.startswith("https://dataworks.data.aliyun.com/cn-hangzhou/sc")  # the default region


def test_https_endpoint_verified_with_the_connections_ca_bundle(emu, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_DW_TLS",
        connection(emu.https_url, extra={"region": REGION, "ca_bundle": emu.ca_bundle}),
    )
    instance_id = add(emu, {"status": "Success"})
    assert DataWorksWorkflowInstanceHook("dw_tls").get_run({"instance_id": instance_id}).state is RunState.SUCCEEDED
    assert emu.requests(service="dataworks")[0]["scheme"] == "https"


def test_host_must_be_a_bare_endpoint_url(emu, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DW_PATH", connection(emu.http_url + "/api"))
    with pytest.raises(ValueError, match="bare endpoint"):
        DataWorksWorkflowInstanceHook("dw_path").client  # noqa: B018


@pytest.mark.parametrize(
    "bad",
    ["abc", "0", "-5", "12a", " 12", "1.5", "0012", "9" * 20, str(2**63), 0, -1, True, None, 1.5, ""],
)
def test_invalid_instance_ids_fail_before_any_request(emu, hook, bad):
    with pytest.raises(InvalidRunReference, match="instance_id"):
        hook.get_run({"instance_id": bad})
    if bad not in (None, ""):  # no instance id names the run by workflow and window instead
        with pytest.raises(WatchedRunFailed, match="instance_id"):
            DataWorksWorkflowInstanceSensor(task_id="w", instance_id=bad, dataworks_conn_id=hook.conn_id).poke({})
    assert emu.requests(service="dataworks") == []


def test_integer_and_largest_ids_are_accepted(hook):
    assert hook.client.validate_ref({"instance_id": 1234}) == {"instance_id": "1234"}
    assert hook.client.validate_ref({"instance_id": str(2**63 - 1), "project_id": 7}) == {
        "project_id": "7",
        "instance_id": str(2**63 - 1),
    }
    with pytest.raises(InvalidRunReference, match="project_id"):
        hook.client.validate_ref({"instance_id": "1", "project_id": "ws-1"})


def test_missing_instance_is_not_found_naming_it(emu, hook):
    with pytest.raises(RunNotFound, match=r"instance_id='987654'.*InvalidWorkflowInstance.NotFound"):
        hook.get_run({"instance_id": "987654"})


@pytest.mark.parametrize(
    ("fault", "retry_after"),
    [
        ({"status": 400, "error_type": "Throttling.User"}, None),
        ({"status": 400, "error_type": "Throttling"}, None),
        ({"status": 429}, None),
        # A plain Retry-After (a gateway in front of the API), which the SDK itself ignores.
        ({"status": 429, "retry_after": 7}, 7.0),
        ({"status": 503, "retry_after": 3}, 3.0),
        ({"status": 500}, None),
        ({"status": 503}, None),
        ({"body": "truncated"}, None),
        ({"body": "non_json", "status": 502}, None),
        ({"body": "disconnect"}, None),
    ],
)
def test_throttling_5xx_and_broken_answers_are_transient(emu, hook, fault, retry_after):
    instance_id = add(emu, {"status": "Success"})
    emu.add_fault({"service": "dataworks", "operation": "GetWorkflowInstance", **fault})
    with pytest.raises(TransientServiceError) as raised:
        hook.get_run({"instance_id": instance_id})
    assert raised.value.retry_after == retry_after
    assert hook.get_run({"instance_id": instance_id}).state is RunState.SUCCEEDED  # no SDK retry happened


def test_x_acs_retry_after_is_honoured_in_seconds(emu, hook):
    emu.dataworks.throttle_retry_after_ms = 2500
    emu.add_fault(
        {"service": "dataworks", "operation": "GetWorkflowInstance", "status": 400, "error_type": "Throttling.User"}
    )
    with pytest.raises(TransientServiceError, match=r"Throttling\.User") as raised:
        hook.get_run({"instance_id": add(emu, {"status": "Success"})})
    assert raised.value.retry_after == 2.5
    assert len(emu.requests(service="dataworks")) == 1


def test_forbidden_and_other_client_errors(emu, hook):
    instance_id = add(emu, {"status": "Success"})
    emu.add_fault({"service": "dataworks", "status": 403, "error_type": "Forbidden.RAM", "count": 2})
    with pytest.raises(AccessDenied, match=r"Forbidden\.RAM"):
        hook.get_run({"instance_id": instance_id})
    emu.add_fault({"service": "dataworks", "status": 400, "error_type": "InvalidParameter"})
    with pytest.raises(ServiceError, match="InvalidParameter"):
        hook.get_run({"instance_id": instance_id})


def test_async_calls_share_one_client_across_event_loops_over_kept_alive_connections(emu, hook):
    instance_id = add(emu, {"status": "Running", "polls": 1}, {"status": "Success"})

    async def poll():
        return await hook.aget_run({"instance_id": instance_id})

    assert asyncio.run(poll()).raw_status == "Running"
    assert asyncio.run(poll()).raw_status == "Success"
    # The SDK's synchronous client in the I/O pool: one connection, reused (its async client opened
    # a new session and TLS context per call).
    requests = emu.requests(service="dataworks")
    assert [r["status"] for r in requests] == [200, 200]
    assert len({r["connection"] for r in requests}) == 1


def test_async_cancel_stops_the_instance(emu, hook):
    instance_id = add(emu, {"status": "Running"})
    asyncio.run(hook.acancel_run({"instance_id": instance_id}))
    assert emu.dataworks.instance(instance_id)["Status"] == "Failure"


def test_cancel_of_an_ended_instance_is_quiet_and_of_a_missing_one_fails(emu, hook):
    instance_id = add(emu, {"status": "Success"})
    hook.cancel_run({"instance_id": instance_id})
    assert emu.dataworks.instance(instance_id)["Status"] == "Success"
    with pytest.raises(RunNotFound):
        hook.cancel_run({"instance_id": "55555"})


def test_the_emulator_refuses_unsigned_requests_like_alibaba(emu):
    request = urllib.request.Request(
        f"{emu.http_url}/?Id=1",
        headers={"x-acs-action": "GetWorkflowInstance", "x-acs-version": "2024-05-18"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(raised.value.read())
    assert raised.value.code == 400
    assert set(body) >= {"RequestId", "Code", "Message", "HostId"} and body["Code"] == "IncompleteSignature"


def test_sensor_states_in_all_modes_succeed_in_a_dag_run(emu, dw_conn, run_dag, dag_id):
    instance_id = add(
        emu, {"status": "WaitResource", "polls": 1}, {"status": "Running", "polls": 1}, {"status": "Success"}
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        for name, mode in {"poke": {}, "reschedule": {"mode": "reschedule"}, "deferred": {"deferrable": True}}.items():
            DataWorksWorkflowInstanceSensor(
                task_id=name, instance_id=instance_id, dataworks_conn_id=dw_conn, poke_interval=0.2, **mode
            )
    dag_run = run_dag(dag)
    assert {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()} == dict.fromkeys(
        ["poke", "reschedule", "deferred"], "success"
    )


def test_deferred_sensor_fails_on_a_stopped_instance(emu, dw_conn, run_dag, dag_id):
    instance_id = add(emu, {"status": "Running", "polls": 1}, {"status": "Failure"})
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        DataWorksWorkflowInstanceSensor(
            task_id="deferred", instance_id=instance_id, dataworks_conn_id=dw_conn, poke_interval=0.2, deferrable=True
        )
    (ti,) = run_dag(dag).get_task_instances()
    assert str(ti.state) == "failed"


def operator(conn_id: str, **kwargs) -> DataWorksRunWorkflowOperator:
    return DataWorksRunWorkflowOperator(
        task_id="run",
        project_id=PROJECT,
        workflow_id=WORKFLOW,
        workflow_parameters={"region": "east"},
        dataworks_conn_id=conn_id,
        poll_interval=0.2,
        **kwargs,
    )


@pytest.mark.parametrize("deferrable", [False, True], ids=["worker", "deferred"])
def test_operator_creates_an_instance_and_waits(emu, dw_conn, run_dag, dag_id, deferrable):
    emu.dataworks.define_workflow(
        PROJECT, WORKFLOW, [{"status": "NotRun", "polls": 1}, {"status": "Running", "polls": 1}, {"status": "Success"}]
    )
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        operator(dw_conn, deferrable=deferrable, biz_date="2026-02-01")
    (ti,) = run_dag(dag).get_task_instances()
    assert str(ti.state) == "success"
    (instance,) = emu.dataworks.instances()
    assert instance["Type"] == "ManualWorkflow" and instance["EnvType"] == "Prod"
    assert instance["WorkflowParameters"] == '{"region": "east"}'
    assert instance["BizDate"] == biz_date_ms(datetime.date(2026, 2, 1))
    run_key = instance["Tags"][0]["Value"]
    assert instance["Tags"] == [{"Key": "airflow_run_key", "Value": run_key}] and len(run_key) == 32
    assert instance["Name"] == f"airflow-run-{run_key}"
    operations = [r["operation"] for r in emu.requests(service="dataworks")]
    # Creation is asynchronous: "Creating" once, then "Created" with the instance id.
    assert operations[:3] == ["CreateWorkflowInstances", *["GetCreateWorkflowInstancesResult"] * 2]
    assert set(operations[3:]) == {"GetWorkflowInstance"}


def test_without_a_task_state_store_a_retry_finds_its_instance_by_name_and_tag(emu, dw_conn):
    """Airflow < 3.3: ListWorkflowInstances of the business date finds it (3.3: tests/test_task_state_store.py)."""
    emu.dataworks.define_workflow(PROJECT, WORKFLOW, [{"status": "Running", "polls": 3}, {"status": "Success"}])
    started, result = retry_without_task_state_store(lambda **kw: operator(dw_conn, **kw))
    assert (result["run_id"], result["state"]) == (started, "succeeded")
    assert len(emu.dataworks.instances()) == 1
    (listing,) = emu.requests(service="dataworks", operation="ListWorkflowInstances")
    assert listing["status"] == 200


def test_a_failed_creation_fails_the_start(emu, hook):
    emu.dataworks.define_workflow(PROJECT, WORKFLOW, create_failure="Workflow is not deployed to production")
    with pytest.raises(ServiceError, match="not deployed to production"):
        hook.client.start_run(PROJECT, WORKFLOW, name="x", run_key="a" * 32, poll_interval=0.05)


@pytest.mark.parametrize("name", ["load/EU", "sample 50%", "report #3", "..", "a?b"])
def test_an_instance_name_is_free_text_not_an_id(emu, hook, name):
    """The name travels in the request body: what would leave a URL path segment is fine there."""
    emu.dataworks.define_workflow(PROJECT, WORKFLOW)
    ref = hook.client.start_run(PROJECT, WORKFLOW, name=name, poll_interval=0.05)
    assert hook.get_run(ref).details["name"].startswith(name)


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"name": ""}, "name is empty"),
        ({"workflow_type": "SupplementData"}, "ManualWorkflow, TriggerWorkflow"),
        ({"env_type": "Staging"}, "Prod, Dev"),
        ({"project_id": "ws"}, "project_id"),
    ],
)
def test_start_validates_before_any_request(emu, hook, kwargs, rule):
    args = {"project_id": PROJECT, "workflow_id": WORKFLOW, "name": "x", **kwargs}
    with pytest.raises(InvalidRunReference, match=rule):
        hook.client.start_run(args.pop("project_id"), args.pop("workflow_id"), **args)
    assert emu.requests(service="dataworks") == []


def test_killing_the_operator_stops_the_instance(emu, dw_conn):
    emu.dataworks.define_workflow(PROJECT, WORKFLOW, [{"status": "Running"}])
    op = operator(dw_conn, wait_timeout=5, biz_date="2026-02-01")
    ti, error = kill_while_waiting(op)
    xcoms = ti.xcoms
    (instance,) = emu.dataworks.instances()
    assert instance["stop_requested"] and instance["Status"] == "Failure"
    assert xcoms["run_ref"] == {"project_id": str(PROJECT), "instance_id": str(instance["Id"])}
    assert xcoms["workflow_run_console_url"] == f"https://dataworks.data.aliyun.com/{REGION}/sc?defaultProjectId=100"
    assert isinstance(error, WorkflowRunFailed) and "Failure" in str(error)  # the wait saw the stopped instance end


def test_client_exposes_the_run_id_last():
    assert DataWorksRunClient.ref_fields[-1] == "instance_id"


def test_concurrent_first_polls_share_one_sdk_session_and_its_connections(emu, dw_conn, monkeypatch):
    """The SDK builds its HTTP session at the first call, unlocked: concurrent first calls built one
    each and dropped all but one, with their connections (161 TLS connections for 100 waits)."""
    monkeypatch.setenv("AIRFLOW__WORKFLOW_RUNS__IO_THREADS", "77")  # a pool size no other test used: a new session
    client = DataWorksWorkflowInstanceHook(dataworks_conn_id=dw_conn).client
    instances = [add(emu, {"status": "Running"}) for _ in range(40)]

    async def round_of_polls() -> None:
        await asyncio.gather(*(client.aget_run({"instance_id": i}) for i in instances))

    asyncio.run(round_of_polls())
    asyncio.run(round_of_polls())
    requests = emu.requests(service="dataworks")
    assert len(requests) == 80
    assert len({entry["connection"] for entry in requests}) <= 40  # the second round reuses the first's
