"""The Test button (``hook.test_connection()``) of every service, on the emulator: it succeeds on a
good connection and otherwise names the kind of problem (bad credentials, a missing permission, an
unknown region/site/endpoint, an unreachable endpoint) without ever raising or showing a secret.
One test runs the real ``airflow connections test`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.hooks import access_check
from tests.emulated_services import EmulatedServices
from tests.helpers import closed_port

SERVICES = ("glue", "codecatalyst", "logic_apps", "datadog", "dataworks")
#: The call each check makes, as the emulator logs it.
CHECK_OPERATIONS = {
    "glue": "ListWorkflows",
    "codecatalyst": "VerifySession",
    "logic_apps": "ListWorkflows",
    "datadog": "ListWorkflows",
    "dataworks": "ListProjects",
}
WRONG_SECRET = "wrong-secret-never-shown-0099"


def checked(services: EmulatedServices, service: str) -> tuple[bool, str]:
    """The service hook's ``test_connection()``, checked to show none of the connection's secrets."""
    ok, message = services.hook(service).test_connection()
    assert isinstance(message, str) and message
    for secret in [*services.secrets.values(), WRONG_SECRET]:
        assert secret not in message, f"{service}: a secret is in {message!r}"
    return ok, message


def failed(services: EmulatedServices, service: str, kind: str) -> str:
    ok, message = checked(services, service)
    assert not ok
    assert message.startswith(kind), message
    return message


@pytest.mark.parametrize("service", SERVICES)
def test_a_good_connection_passes_with_one_cheap_read(services: EmulatedServices, service: str) -> None:
    ok, message = checked(services, service)
    assert ok, message
    sign_in = {"GetToken", "OpenIdConfiguration"}  # Logic Apps' credential, at Entra ID
    calls = [r["operation"] for r in services.emu.requests(service=service) if r["operation"] not in sign_in]
    assert calls == [CHECK_OPERATIONS[service]]


def _wrong_secret(services: EmulatedServices, service: str) -> None:
    if service == "glue":  # the emulator checks no SigV4 signature: a key AWS does not know instead
        services.emu.glue.revoke_credentials("AKIDEMULATOR")
    elif service == "datadog":
        services.change(service, extra={"api_key": WRONG_SECRET})
    else:
        services.change(service, password=WRONG_SECRET)


@pytest.mark.parametrize("service", SERVICES)
def test_a_wrong_secret_is_bad_credentials(services: EmulatedServices, service: str) -> None:
    _wrong_secret(services, service)
    failed(services, service, access_check.BAD_CREDENTIALS)


def test_a_wrong_datadog_application_key_is_bad_credentials_too(services: EmulatedServices) -> None:
    services.change("datadog", password=WRONG_SECRET)
    message = failed(services, "datadog", access_check.BAD_CREDENTIALS)
    assert "application key" in message and "accepted the API key" in message


#: A refused permission in each service's own words (CodeCatalyst's VerifySession needs none).
PERMISSION_FAULTS: dict[str, dict[str, Any]] = {
    "glue": {
        "status": 400,
        "error_type": "AccessDeniedException",
        "message": "User: arn:aws:iam::123456789012:user/airflow is not authorized to perform: glue:ListWorkflows "
        "on resource: arn:aws:glue:eu-west-1:123456789012:workflow/* because no identity-based policy allows it",
    },
    "logic_apps": {
        "status": 403,
        "error_type": "AuthorizationFailed",
        "message": "The client '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' with object id '11111111-2222-3333-4444-"
        "555555555555' does not have authorization to perform action 'Microsoft.Logic/workflows/read' over scope "
        "'/subscriptions/6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b/resourceGroups/rg-airflow' or the scope is invalid.",
    },
    "datadog": {"status": 403},  # Datadog says only "Forbidden"; the keys stay valid
    "dataworks": {
        "status": 403,
        "error_type": "Forbidden.RAM",
        "message": "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    },
}
PERMISSIONS = {
    "glue": "glue:ListWorkflows",
    "logic_apps": "Microsoft.Logic/workflows/read",
    "datadog": "workflows_read",
    "dataworks": "dataworks:ListProjects",
}


@pytest.mark.parametrize("service", sorted(PERMISSION_FAULTS))
def test_a_missing_permission_is_named(services: EmulatedServices, service: str) -> None:
    services.emu.add_fault({"service": service, "operation": CHECK_OPERATIONS[service], **PERMISSION_FAULTS[service]})
    message = failed(services, service, access_check.MISSING_PERMISSION)
    assert message.startswith(f"{access_check.MISSING_PERMISSION} {PERMISSIONS[service]}:"), message


#: Connection changes naming a region, site, cloud, resource group or endpoint the service does not have.
UNKNOWN: dict[str, dict[str, Any]] = {
    "glue region": {"extra": {"region_name": "eu west 1"}},
    "codecatalyst endpoint": {"host": "{https}/not-codecatalyst"},
    "codecatalyst region": {"extra": {"region_name": "not a region"}},
    "logic_apps resource group": {"extra": {"resource_group": "rg-nowhere"}},
    "logic_apps subscription": {"extra": {"subscription_id": "00000000-0000-4000-8000-000000000000"}},
    "logic_apps cloud": {"extra": {"cloud": "AZURE_MOON_CLOUD"}},
    "datadog site": {"extra": {"site": "datadoghq.moon"}},
    "datadog endpoint": {"host": "{http}/not-datadog"},
    "dataworks region": {"extra": {"region": "CN_HANGZHOU!"}},
}


@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_an_unknown_region_site_or_endpoint_is_said(services: EmulatedServices, case: str) -> None:
    service = case.split()[0]
    change = json.loads(
        json.dumps(UNKNOWN[case]).replace("{https}", services.emu.https_url).replace("{http}", services.emu.http_url)
    )
    services.change(service, **change)
    failed(services, service, access_check.UNKNOWN_ENDPOINT)


def _endpoint_at(services: EmulatedServices, service: str, url: str) -> None:
    if service == "glue":
        services.change(service, extra={"endpoint_url": url})
    else:  # Logic Apps: ARM there, the token endpoint still the emulator's
        services.change(service, host=url)


@pytest.mark.parametrize("service", SERVICES)
def test_a_closed_port_is_an_unreachable_endpoint(services: EmulatedServices, service: str) -> None:
    scheme = "http" if service in ("datadog", "dataworks") else "https"
    _endpoint_at(services, service, f"{scheme}://127.0.0.1:{closed_port()}")
    message = failed(services, service, access_check.UNREACHABLE)
    assert "refused" in message


@pytest.mark.parametrize("service", SERVICES)
def test_a_host_name_that_does_not_resolve_is_an_unreachable_endpoint(services: EmulatedServices, service: str) -> None:
    scheme = "http" if service in ("datadog", "dataworks") else "https"
    _endpoint_at(services, service, f"{scheme}://awr-{service.replace('_', '-')}.invalid")  # RFC 6761: never resolves
    message = failed(services, service, access_check.UNREACHABLE)
    assert "did not resolve" in message


@pytest.mark.parametrize("service", ["datadog", "logic_apps"])  # the two whose connections set a timeout
def test_an_endpoint_that_does_not_answer_in_time_is_unreachable(services: EmulatedServices, service: str) -> None:
    services.change(service, extra={"timeout": 0.3})
    services.emu.add_fault({"service": service, "operation": CHECK_OPERATIONS[service], "delay": 2})
    assert "timed out" in failed(services, service, access_check.UNREACHABLE)


def test_an_unreachable_token_endpoint_is_not_bad_credentials(services: EmulatedServices) -> None:
    services.change("logic_apps", extra={"authority_host": f"https://127.0.0.1:{closed_port()}"})
    failed(services, "logic_apps", access_check.UNREACHABLE)


def test_invalid_settings_and_a_missing_connection_are_said_not_raised(services: EmulatedServices) -> None:
    services.change("datadog", extra={"timeout": "soon"})
    assert "timeout" in failed(services, "datadog", access_check.INVALID_CONNECTION)
    from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook

    ok, message = DatadogWorkflowInstanceHook(datadog_conn_id="awr_no_such_connection").test_connection()
    assert not ok and message == f"{access_check.INVALID_CONNECTION}: connection 'awr_no_such_connection' was not found"


@pytest.mark.parametrize("service", SERVICES)
def test_a_secret_the_service_echoes_back_is_hidden(services: EmulatedServices, service: str) -> None:
    secret = services.connections[service]["password"]
    fault = {"status": 500, "message": f"internal error with key {secret}", "count": 3}  # botocore retries
    services.emu.add_fault({"service": service, "operation": CHECK_OPERATIONS[service], **fault})
    assert "internal error with key ***" in failed(services, service, access_check.SERVICE_FAILING)


# -- Datadog's application key in the extra (Airflow's Datadog provider keeps it there) --------------


def test_datadog_takes_the_application_key_from_the_app_key_extra(services: EmulatedServices) -> None:
    app_key = services.secrets["datadog_app_key"]
    services.change("datadog", password=None, extra={"app_key": app_key})
    ok, message = checked(services, "datadog")
    assert ok, message


def test_an_app_key_from_the_extra_is_masked_in_logs_like_a_password(services: EmulatedServices) -> None:
    """Airflow masks extras by name; ``app_key`` is not one of its names, so the hook masks it."""
    import uuid

    from airflow.sdk.log import redact

    from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook

    app_key = f"dd-app-key-{uuid.uuid4().hex}"  # a value nothing has masked yet (building sends nothing)
    services.change("datadog", password=None, extra={"app_key": app_key})
    assert redact(f"key={app_key}") == f"key={app_key}"  # not masked by name
    DatadogWorkflowInstanceHook(datadog_conn_id=services.conn_ids["datadog"]).build_client(
        DatadogWorkflowInstanceHook.get_connection(services.conn_ids["datadog"])
    )
    assert redact(f"key={app_key}") == "key=***"


def test_datadog_password_takes_precedence_over_the_app_key_extra(services: EmulatedServices) -> None:
    services.change("datadog", extra={"app_key": WRONG_SECRET})  # the Password holds the right one
    ok, message = checked(services, "datadog")
    assert ok, message
    services.change("datadog", password=WRONG_SECRET, extra={"app_key": services.secrets["datadog_app_key"]})
    failed(services, "datadog", access_check.BAD_CREDENTIALS)


def test_datadog_without_any_application_key_says_where_to_put_it(services: EmulatedServices) -> None:
    services.change("datadog", password=None)
    message = failed(services, "datadog", access_check.INVALID_CONNECTION)
    assert "Password, or the app_key extra" in message


def test_the_forms_offer_app_key_as_a_secret_and_hide_dataworks_port() -> None:
    from airflow_workflow_runs.get_provider_info import get_provider_info

    forms = {form["connection-type"]: form for form in get_provider_info()["connection-types"]}
    datadog = forms["datadog_workflows"]
    assert datadog["conn-fields"]["app_key"]["schema"]["format"] == "password"
    assert "Password" in datadog["conn-fields"]["app_key"]["description"]
    assert "app_key" in datadog["ui-field-behaviour"]["placeholders"]["password"]
    assert "port" in forms["alibaba_dataworks"]["ui-field-behaviour"]["hidden-fields"]


# -- the real CLI --------------------------------------------------------------------------------


def test_airflow_connections_test_cli_uses_the_hook(services: EmulatedServices, emu: Emulator) -> None:
    """``airflow connections test`` in a fresh process, on an ``AIRFLOW_CONN_*`` connection to the
    emulator, with testing enabled as Airflow 3 requires."""
    conn_id = services.conn_ids["datadog"]
    env = {**os.environ, "AIRFLOW__CORE__TEST_CONNECTION": "Enabled"}

    def cli() -> subprocess.CompletedProcess[str]:
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"]
        command = [sys.executable, "-m", "airflow", "connections", "test", conn_id]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    passed = cli()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Connection success!" in passed.stdout
    services.change("datadog", extra={"api_key": WRONG_SECRET})
    refused = cli()
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert access_check.BAD_CREDENTIALS in refused.stdout
    for secret in [*services.secrets.values(), WRONG_SECRET]:
        assert secret not in refused.stdout + refused.stderr
