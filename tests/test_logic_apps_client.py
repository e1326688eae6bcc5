"""The Logic Apps client (no Airflow): status table, errors, validation, tokens, both tiers, real SDKs."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest
from azure.core.credentials import AccessToken

from airflow_workflow_runs.clients.logic_apps import LogicAppsRunClient
from airflow_workflow_runs.clients.logic_apps_azure import STANDARD_API_VERSION
from airflow_workflow_runs.clients.logic_apps_runs import STATUS_TABLE, parse_time
from airflow_workflow_runs.model import (
    AccessDenied,
    InvalidRunReference,
    RunNotFound,
    RunState,
    ServiceError,
    TransientServiceError,
)
from tests.logic_apps_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    RESOURCE_GROUP,
    SITE,
    SUBSCRIPTION,
    TENANT,
    TIERS,
    client,
    ref,
    settings,
)


@pytest.fixture
def la_client(emu) -> LogicAppsRunClient:
    emu.logic_apps.require_client_secret(CLIENT_ID, CLIENT_SECRET)
    return client(emu)


EXPECTED = {
    "NotSpecified": RunState.RUNNING,
    "Paused": RunState.RUNNING,
    "Running": RunState.RUNNING,
    "Waiting": RunState.RUNNING,
    "Succeeded": RunState.SUCCEEDED,
    "Skipped": RunState.SKIPPED,
    "Suspended": RunState.FAILED,
    "Cancelled": RunState.CANCELLED,
    "Failed": RunState.FAILED,
    "Faulted": RunState.FAILED,
    "TimedOut": RunState.FAILED,
    "Aborted": RunState.FAILED,
    "Ignored": RunState.SKIPPED,
}


def test_status_table_is_exactly_azure_mgmt_webs_enum():
    from azure.mgmt.web.models import WorkflowStatus

    assert set(STATUS_TABLE) == {status.value for status in WorkflowStatus}


def test_status_table_is_exactly_azure_mgmt_logics_enum():
    from azure.mgmt.logic.models import WorkflowStatus

    assert set(STATUS_TABLE) == {status.value for status in WorkflowStatus}


def test_the_documented_decisions():
    assert dict(STATUS_TABLE) == EXPECTED


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("status", [*EXPECTED, "Hibernating"])
def test_every_status_maps_to_a_state_in_both_tiers(emu, la_client, tier, status):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": status}], site=site)
    run = la_client.get_run(ref(run_name, site))
    expected = EXPECTED.get(status, RunState.UNKNOWN)
    assert (run.state, run.raw_status, run.run_id) == (expected, status, run_name)
    assert run.is_terminal == (expected is not RunState.RUNNING)
    assert run.details["tier"] == tier
    if expected is RunState.UNKNOWN:
        assert "'Hibernating' is not in the Logic Apps status table" in run.error


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    ("status", "expected"), [("succeeded", "succeeded"), ("FAILED", "failed"), ("rUnNiNg", "running")]
)
def test_statuses_are_read_without_case_as_azures_enums_are(emu, la_client, tier, status, expected):
    from azure.mgmt.web.models import WorkflowStatus

    assert WorkflowStatus[status].value.casefold() == status.casefold()  # the SDK's enum ignores case too
    site = TIERS[tier]
    run = la_client.get_run(ref(emu.logic_apps.add_run("wf", [{"status": status}], site=site), site))
    assert (run.state.value, run.raw_status) == (expected, status)


@pytest.mark.parametrize("tier", TIERS)
def test_succeeded_with_an_error_is_a_failure_carrying_code_and_message(emu, la_client, tier):
    site = TIERS[tier]
    error = {"code": "ActionResponseSkipped", "message": "The execution of template action 'Response' is skipped"}
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded", "error": error}], site=site)
    run = la_client.get_run(ref(run_name, site))
    assert run.state is RunState.FAILED and run.raw_status == "Succeeded"
    assert "ActionResponseSkipped: The execution of template action 'Response' is skipped" in run.error
    assert run.details["error"] == error


@pytest.mark.parametrize("tier", TIERS)
def test_a_failed_run_carries_its_error_and_a_success_its_outputs(emu, la_client, tier):
    site = TIERS[tier]
    failed = emu.logic_apps.add_run(
        "wf", [{"status": "Failed", "error": {"code": "BadGateway", "message": "HTTP action got 502"}}], site=site
    )
    run = la_client.get_run(ref(failed, site))
    assert run.state is RunState.FAILED and run.error == "BadGateway: HTTP action got 502"
    ok = emu.logic_apps.add_run("wf", [{"status": "Succeeded", "outputs": {"rows": 42, "file": "a.csv"}}], site=site)
    run = la_client.get_run(ref(ok, site))
    assert run.state is RunState.SUCCEEDED and run.error is None
    assert run.outputs == {"rows": 42, "file": "a.csv"}
    assert run.started_at is not None and run.ended_at is not None and run.started_at.tzinfo is not None


def test_a_run_follows_its_timeline_and_each_poll_is_one_request(emu, la_client):
    run_name = emu.logic_apps.add_run(
        "wf", [{"status": "Waiting", "polls": 1}, {"status": "Running", "polls": 1}, {"status": "Succeeded"}]
    )
    statuses = [la_client.get_run(ref(run_name)).raw_status for _ in range(3)]
    assert statuses == ["Waiting", "Running", "Succeeded"]
    gets = emu.requests(service="logic_apps", operation="GetWorkflowRun")
    assert len(gets) == 3 and all(r["query"]["api-version"] == ["2019-05-01"] for r in gets)
    assert len(emu.requests(service="logic_apps", operation="GetToken")) == 1  # one-hour token reused


def test_standard_uses_azure_mgmt_webs_path_and_api_version(emu, la_client):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], site=SITE)
    la_client.get_run(ref(run_name, SITE))
    asyncio.run(la_client.aget_run(ref(run_name, SITE)))
    la_client.cancel_run(ref(run_name, SITE))
    requests = emu.requests(service="logic_apps")
    standard = [r for r in requests if "/providers/Microsoft.Web/" in r["path"]]
    assert len(standard) == 3  # sync and async reads, the cancel: pinned, whatever azure-mgmt-web defaults to
    assert all(r["query"]["api-version"] == [STANDARD_API_VERSION] == ["2025-05-01"] for r in standard)
    get = standard[0]
    assert f"/providers/Microsoft.Web/sites/{SITE}/hostruntime/runtime/webhooks/workflow/api/management/" in get["path"]


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ({"subscription_id": "not-a-uuid"}, "a UUID"),
        ({"resource_group_name": ""}, "is empty"),
        ({"resource_group_name": "r" * 91}, "limit is 90"),
        ({"resource_group_name": "rg/other"}, "resource group rule"),
        ({"resource_group_name": "ends-with-dot."}, "resource group rule"),
        ({"workflow_name": ""}, "is empty"),
        ({"workflow_name": "wf/runs/x"}, "one path segment"),
        ({"run_name": "run\n1"}, "one path segment"),
        ({"site_name": ""}, "is empty"),
        ({"run_name": None}, "must be a string"),
    ],
)
def test_invalid_input_fails_naming_the_rule_before_any_request(emu, la_client, bad, rule):
    with pytest.raises(InvalidRunReference, match=rule):
        la_client.get_run({**ref("08585"), **bad})
    with pytest.raises(InvalidRunReference, match=rule):
        asyncio.run(la_client.aget_run({**ref("08585"), **bad}))
    assert emu.requests(service="logic_apps") == []  # no token request either


def test_resource_group_allows_unicode_letters_parentheses_and_periods(emu, la_client):
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], resource_group="Prod.(EU)_ré-1")
    assert la_client.get_run(ref(run_name, resource_group_name="Prod.(EU)_ré-1")).state is RunState.SUCCEEDED


def test_missing_subscription_or_resource_group_is_invalid_before_any_request(emu):
    bare = client(emu, subscription_id=None, resource_group_name=None)
    with pytest.raises(InvalidRunReference, match="subscription_id is not set"):
        bare.get_run(ref("08585"))
    with pytest.raises(InvalidRunReference, match="resource_group_name is not set"):
        bare.get_run(ref("08585", subscription_id=SUBSCRIPTION))
    assert emu.requests(service="logic_apps") == []


@pytest.mark.parametrize("tier", TIERS)
def test_a_missing_run_or_workflow_names_the_run(emu, la_client, tier):
    site = TIERS[tier]
    emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site)
    with pytest.raises(RunNotFound) as raised:
        la_client.get_run(ref("08585000MISSINGCU00", site))
    message = str(raised.value)
    assert "run_name='08585000MISSINGCU00'" in message and "workflow_name='wf'" in message
    assert "WorkflowRunNotFound" in message
    with pytest.raises(RunNotFound, match="workflow_name='other'"):
        la_client.get_run(ref("08585000MISSINGCU00", site, workflow="other"))


@pytest.mark.parametrize("tier", TIERS)
def test_403_is_access_denied_saying_what_to_check(emu, la_client, tier):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], site=site)
    emu.add_fault(
        {"service": "logic_apps", "operation": "GetWorkflowRun", "status": 403, "error_type": "AuthorizationFailed"}
    )
    with pytest.raises(AccessDenied) as raised:
        la_client.get_run(ref(run_name, site))
    message = str(raised.value)
    assert "AuthorizationFailed" in message and "Logic App Operator" in message and "tenant id" in message
    assert CLIENT_SECRET not in message


def test_a_wrong_client_secret_is_access_denied_without_the_secret(emu):
    emu.logic_apps.require_client_secret(CLIENT_ID, CLIENT_SECRET)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    wrong = client(emu, client_secret="wrong-secret-value-123")
    with pytest.raises(AccessDenied, match="AADSTS7000215") as raised:
        wrong.get_run(ref(run_name))
    assert "wrong-secret-value-123" not in str(raised.value) and "client secret" in str(raised.value)
    assert emu.requests(service="logic_apps", operation="GetWorkflowRun") == []


def test_arm_refuses_requests_without_a_bearer_token(emu):
    import requests

    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    url = (
        f"{emu.https_url}/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.Logic/workflows/wf/runs/{run_name}?api-version=2019-05-01"
    )
    answer = requests.get(url, verify=emu.ca_bundle, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "AuthenticationFailed"
    token = emu.logic_apps.issue_token()
    ok = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=emu.ca_bundle, timeout=5)
    assert ok.status_code == 200 and ok.json()["properties"]["status"] == "Succeeded"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 7},
        {"status": 500},
        {"status": 503, "error_type": "ServiceUnavailable"},
        {"status": 502, "body": "non_json"},
        {"body": "truncated"},
        {"body": "disconnect"},
    ],
    ids=["429", "500", "503", "html-502", "truncated", "disconnect"],
)
def test_throttling_5xx_and_broken_answers_are_transient(emu, la_client, tier, fault):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], site=site)
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", **fault})
    with pytest.raises(TransientServiceError) as raised:
        la_client.get_run(ref(run_name, site))
    if "retry_after" in fault:
        assert raised.value.retry_after == 7
    assert la_client.get_run(ref(run_name, site)).state is RunState.SUCCEEDED


def test_a_slow_answer_past_the_timeout_is_transient(emu):
    slow = client(emu, timeout=0.5)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    slow.get_run(ref(run_name))  # signed in
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "delay": 1.5})
    with pytest.raises(TransientServiceError, match="did not answer in time"):
        slow.get_run(ref(run_name))


def test_retry_after_is_honoured_by_azure_cores_retry_policy(emu):
    retrying = client(emu, retry_total=1)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "status": 429, "retry_after": 1})
    started = time.monotonic()
    assert retrying.get_run(ref(run_name)).state is RunState.SUCCEEDED
    assert time.monotonic() - started >= 1.0


def test_expired_tokens_are_refused_and_a_client_caching_a_token_string_fails(emu):
    """The control for the refresh tests: the emulator really enforces expiry."""
    emu.logic_apps.set_token_lifetime(1)
    token = emu.logic_apps.issue_token()

    class FrozenToken:
        def get_token(self, *scopes, **kwargs):
            return AccessToken(token, int(time.time()) + 3600)

    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}])
    frozen = LogicAppsRunClient(settings(emu), credential=FrozenToken())
    assert frozen.get_run(ref(run_name)).state is RunState.RUNNING
    time.sleep(1.2)
    with pytest.raises(AccessDenied, match="ExpiredAuthenticationToken"):
        frozen.get_run(ref(run_name))
    with pytest.raises(AccessDenied, match="ExpiredAuthenticationToken"):
        asyncio.run(
            LogicAppsRunClient(settings(emu), async_credential_factory=lambda: _AsyncFrozen(token)).aget_run(
                ref(run_name)
            )
        )


class _AsyncFrozen:
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass


def test_short_lived_tokens_are_renewed_during_a_wait(emu, la_client):
    emu.logic_apps.set_token_lifetime(1)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "seconds": 2.5}, {"status": "Succeeded"}])
    while (run := la_client.get_run(ref(run_name))).state is RunState.RUNNING:
        time.sleep(0.3)
    assert run.state is RunState.SUCCEEDED
    gets = emu.requests(service="logic_apps", operation="GetWorkflowRun")
    assert all(r["status"] == 200 for r in gets)
    issued = emu.logic_apps.token_requests()
    assert len({t["token_digest"] for t in issued}) >= 3  # renewed as each one expired
    assert {t["scope"] for t in issued} == {"https://management.azure.com/.default"}
    assert {t["client_id"] for t in issued} == {CLIENT_ID} and {t["tenant"] for t in issued} == {TENANT}


@pytest.mark.parametrize("tier", TIERS)
def test_start_tags_the_run_finds_it_by_tracking_id_and_cancels_it(emu, la_client, tier):
    site = TIERS[tier]
    emu.logic_apps.define_workflow("wf", [{"status": "Running"}], site=site)
    base = {"workflow_name": "wf", **({"site_name": site} if site else {})}
    started = la_client.start_run(base, "manual", {"day": "2026-01-01"}, run_key="key-1")
    record = emu.logic_apps.run("wf", started["run_name"], site=site)
    assert record["client_tracking_id"] == "key-1" and record["trigger_body"] == {"day": "2026-01-01"}
    (invoke,) = emu.requests(service="logic_apps", operation="InvokeTrigger")
    assert invoke["authorization"] is False and invoke["status"] == 202  # SAS only, no bearer token
    found = la_client.find_running_run(base, "key-1")
    assert found is not None and found.run_id == started["run_name"]
    assert found.details["client_tracking_id"] == "key-1"
    assert la_client.find_running_run(base, "key-2") is None
    (listing, _) = emu.requests(service="logic_apps", operation="ListWorkflowRuns")
    assert listing["query"]["$filter"] == ["ClientTrackingId eq 'key-1'"]
    la_client.cancel_run(started)
    assert emu.logic_apps.run("wf", started["run_name"], site=site)["cancel_requested"] is True
    assert la_client.get_run(started).state is RunState.CANCELLED
    la_client.cancel_run(started)  # cancelling an ended run is a no-op
    assert la_client.find_running_run(base, "key-1") is None  # ended: nothing to reattach to


@pytest.mark.parametrize("tier", TIERS)
def test_find_running_run_follows_next_links(emu, la_client, tier):
    site = TIERS[tier]
    base = {"workflow_name": "wf", **({"site_name": site} if site else {})}
    for index in range(4):
        emu.logic_apps.add_run(
            "wf", [{"status": "Succeeded"}], site=site, client_tracking_id="k", started_on=1_800_000_000 + index
        )
    wanted = emu.logic_apps.add_run(
        "wf", [{"status": "Running"}], site=site, client_tracking_id="k", started_on=1_700_000_000
    )
    emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site, client_tracking_id="other")
    runs = list(la_client.iter_runs(base, "ClientTrackingId eq 'k'", page_size=2))
    assert len(runs) == 5 and runs[-1].run_id == wanted
    assert len(emu.requests(service="logic_apps", operation="ListWorkflowRuns")) == 3
    assert la_client.find_running_run(base, "k").run_id == wanted


def test_starting_an_unknown_trigger_or_workflow_fails_clearly(emu, la_client):
    emu.logic_apps.define_workflow("wf", triggers=["manual"])
    with pytest.raises(RunNotFound, match="WorkflowTriggerNotFound"):
        la_client.start_run({"workflow_name": "wf"}, "Recurrence")
    with pytest.raises(RunNotFound, match="'nope'"):
        la_client.start_run({"workflow_name": "nope"}, "manual")
    with pytest.raises(InvalidRunReference, match="trigger_name"):
        la_client.start_run({"workflow_name": "wf"}, "a/b")


def test_a_refused_callback_never_shows_its_signature(emu, la_client):
    emu.logic_apps.define_workflow("wf")
    (workflow,) = emu.store.workflows("logic_apps")
    sig = workflow.data["sig"]
    emu.add_fault(
        {"service": "logic_apps", "operation": "InvokeTrigger", "status": 400, "error_type": "InvalidTemplate"}
    )
    with pytest.raises(ServiceError, match="InvalidTemplate") as raised:
        la_client.start_run({"workflow_name": "wf"}, "manual")
    assert sig not in str(raised.value)
    emu.add_fault({"service": "logic_apps", "operation": "InvokeTrigger", "body": "disconnect"})
    with pytest.raises(TransientServiceError) as raised:
        la_client.start_run({"workflow_name": "wf"}, "manual")
    assert sig not in str(raised.value)
    # What requests says when the callback host cannot be reached, before it reaches a message:
    scrubbed = la_client._scrub(f"Max retries exceeded with url: /workflows/1/paths/invoke?sv=1.0&sig={sig} (Caused")
    assert sig not in scrubbed and "sig=***" in scrubbed


@pytest.mark.parametrize("tier", TIERS)
def test_async_calls_use_the_aio_clients_across_several_event_loops(emu, la_client, tier):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running", "polls": 2}, {"status": "Succeeded"}], site=site)
    states = [asyncio.run(la_client.aget_run(ref(run_name, site))).state for _ in range(3)]
    assert states == [RunState.RUNNING, RunState.RUNNING, RunState.SUCCEEDED]
    emu.logic_apps.define_workflow("wf2", [{"status": "Running"}], site=site)
    started = la_client.start_run({"workflow_name": "wf2", **({"site_name": site} if site else {})}, "manual")
    asyncio.run(la_client.acancel_run(started))
    asyncio.run(la_client.acancel_run(started))  # already cancelled: no-op
    assert la_client.get_run(started).state is RunState.CANCELLED


@pytest.mark.parametrize("tier", TIERS)
def test_async_polls_over_a_ca_bundle_reuse_one_tls_connection(emu, la_client, tier):
    """azure-core built a TLS context per request for a CA-bundle path, and aiohttp a connection per context."""
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site)

    async def polls() -> None:
        for _ in range(4):
            await la_client.aget_run(ref(run_name, site))

    asyncio.run(polls())
    reads = emu.requests(service="logic_apps", operation="GetWorkflowRun")
    assert len(reads) == 4 and len({entry["connection"] for entry in reads}) == 1


def test_sovereign_cloud_settings_reach_token_request_and_portal(emu):
    emu.logic_apps.require_client_secret(CLIENT_ID, CLIENT_SECRET)
    china = client(emu, cloud="AZURE_CHINA_CLOUD")
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}])
    run = china.get_run(ref(run_name))
    assert run.console_url.startswith("https://portal.azure.cn/#blade/Microsoft.Logic/LogicAppRunBlade/id/")
    assert emu.logic_apps.token_requests()[-1]["scope"] == "https://management.chinacloudapi.cn/.default"
    custom = client(emu, cloud="AZURE_US_GOVERNMENT", token_scope="https://management.core.usgovcloudapi.net/.default")
    assert custom.get_run(ref(run_name)).console_url.startswith("https://portal.azure.us/")
    assert emu.logic_apps.token_requests()[-1]["scope"] == "https://management.core.usgovcloudapi.net/.default"


def test_console_urls_of_both_tiers(emu):
    la = client(emu, location="westeurope")
    consumption = la.console_url(
        {"subscription_id": SUBSCRIPTION, "resource_group_name": "rg", "workflow_name": "wf", "run_name": "0858CU1"}
    )
    assert consumption == (
        "https://portal.azure.com/#blade/Microsoft.Logic/LogicAppRunBlade/id/%2Fsubscriptions%2F"
        f"{SUBSCRIPTION}%2FresourceGroups%2Frg%2Fproviders%2FMicrosoft.Logic%2Fworkflows%2Fwf%2Fruns%2F0858CU1"
    )
    standard = la.console_url(
        {
            "subscription_id": SUBSCRIPTION,
            "resource_group_name": "rg",
            "site_name": "site",
            "workflow_name": "wf",
            "run_name": "0858CU1",
        }
    )
    assert standard == (
        "https://portal.azure.com/#view/Microsoft_Azure_EMA/WorkflowMonitorBlade/id/%2Fsubscriptions%2F"
        f"{SUBSCRIPTION}%2Fresourcegroups%2Frg%2Fproviders%2Fmicrosoft.web%2Fsites%2Fsite%2Fworkflows%2Fwf"
        "/location/westeurope/resourceId/%2Fworkflows%2Fwf%2Fruns%2F0858CU1"
    )


def test_secrets_stay_out_of_reprs():
    from airflow_workflow_runs.clients.logic_apps_azure import LogicAppsSettings

    configured = LogicAppsSettings(subscription_id=SUBSCRIPTION, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert CLIENT_SECRET not in repr(configured)
    assert CLIENT_SECRET not in repr(LogicAppsRunClient(configured))


def test_logic_apps_timestamps_with_seven_fractional_digits():
    assert parse_time("2018-08-10T20:16:32.5779999Z") == datetime(2018, 8, 10, 20, 16, 32, 577999, tzinfo=timezone.utc)
    assert parse_time("2018-08-10T20:16:32Z") == datetime(2018, 8, 10, 20, 16, 32, tzinfo=timezone.utc)
    assert parse_time("garbage") is None and parse_time(None) is None


def test_missing_azure_sdks_say_what_to_install(emu, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "azure.mgmt.web", None)  # as if azure-mgmt-web were not installed
    run_name = emu.logic_apps.add_run("wf", [{"status": "Succeeded"}], site=SITE)
    with pytest.raises(ServiceError, match=r"install 'airflow-workflow-runs\[azure\]'"):
        client(emu).get_run(ref(run_name, SITE))


def test_aio_pipelines_take_the_environments_proxies_once_not_per_request(monkeypatch):
    """aiohttp's own reading (trust_env) would also read ~/.netrc in the loop's default executor per request."""
    from airflow_workflow_runs.clients.logic_apps_azure import aio_proxy_kwargs

    for name in ("https_proxy", "no_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "login.microsoftonline.com")
    assert aio_proxy_kwargs("https://management.azure.com", "https://login.microsoftonline.com") == {
        "use_env_settings": False,
        "proxies": {"https://management.azure.com": "http://proxy.corp:3128"},
    }
    monkeypatch.delenv("HTTPS_PROXY")
    assert aio_proxy_kwargs("https://management.azure.com") == {"use_env_settings": False}


def test_a_body_that_is_not_json_is_refused_before_any_request(emu, la_client):
    with pytest.raises(InvalidRunReference, match="not JSON-serializable"):
        la_client.start_run({"workflow_name": "wf"}, "manual", {"when": {1, 2}})
    assert emu.requests(service="logic_apps") == []


@pytest.mark.parametrize("body", ["non_json", "truncated"])
@pytest.mark.parametrize("tier", TIERS)
def test_a_refusal_whose_body_does_not_parse_is_still_a_refusal(emu, la_client, tier, body):
    site = TIERS[tier]
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}], site=site)
    emu.add_fault({"service": "logic_apps", "operation": "GetWorkflowRun", "status": 404, "body": body})
    with pytest.raises(RunNotFound):
        la_client.get_run(ref(run_name, site))
