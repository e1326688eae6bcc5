"""Credentials revoked mid-wait: the next request with one gets the service's own authentication
error, and a new credential (a rotated key, a fresh token) keeps working."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from airflow_workflow_runs.emulator import Emulator
from tests.emulator.raw_reads import SERVICES, add_run, default_credential, read

NEW = {
    "glue": "AKIDROTATED",
    "codecatalyst": "rotated-token",
    "datadog": ("rotated-api-key", "rotated-app-key"),
    "dataworks": ("LTAIrotated", "rotated-sts-token"),
}
#: What the service answers a revoked credential: status and the error's code in the body.
REFUSED = {
    "glue": (400, "UnrecognizedClientException"),
    "codecatalyst": (401, "revoked"),
    "datadog": (403, "Forbidden"),
    "dataworks": (400, "InvalidSecurityToken.Expired"),
    "logic_apps": (401, "InvalidAuthenticationToken"),
}


def new_credential(emu: Emulator, service: str) -> Any:
    return NEW.get(service) or emu.logic_apps.issue_token()


@pytest.mark.parametrize("explicit", [False, True], ids=["all-seen", "named"])
@pytest.mark.parametrize("service", SERVICES)
def test_revoked_credentials_get_the_services_authentication_error(emu: Emulator, service: str, explicit: bool):
    run_id = add_run(emu, service)
    old = default_credential(emu, service)
    assert read(emu, service, run_id, credential=old).status == 200
    secrets = [old] if isinstance(old, str) else list(old)
    assert emu.revoke_credentials(service, *(secrets if explicit else [])) >= 1
    refused = read(emu, service, run_id, credential=old)
    status, code = REFUSED[service]
    assert refused.status == status and code in refused.body.decode() + refused.headers.get("x-amzn-errortype", "")
    assert read(emu, service, run_id, credential=new_credential(emu, service)).status == 200
    assert emu.requests()[-2]["fault"] is None  # a real answer, not an injected fault


def test_dataworks_revoked_access_key_without_a_token(emu: Emulator):
    run_id = add_run(emu, "dataworks")
    emu.revoke_credentials("dataworks", "LTAIold")
    refused = read(emu, "dataworks", run_id, credential=("LTAIold", "some-token"))
    assert (refused.status, refused.json()["Code"]) == (400, "InvalidAccessKeyId.Inactive")


def test_logic_apps_tokens_issued_after_the_revocation_work(emu: Emulator):
    """The token endpoint keeps issuing: a rebuilt credential signs in again and is accepted."""
    run_id = add_run(emu, "logic_apps")
    first = _token(emu)
    assert read(emu, "logic_apps", run_id, credential=first).status == 200
    assert emu.revoke_credentials("logic_apps") == 1
    assert read(emu, "logic_apps", run_id, credential=first).status == 401
    assert read(emu, "logic_apps", run_id, credential=_token(emu)).status == 200
    assert len(emu.logic_apps.token_requests()) == 2


def _token(emu: Emulator) -> str:
    scope = "https://management.azure.com/.default"
    body = urlencode({"grant_type": "client_credentials", "client_id": "app", "client_secret": "s", "scope": scope})
    request = urllib.request.Request(f"{emu.http_url}/tenant/oauth2/v2.0/token", data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(json.loads(response.read())["access_token"])


def test_control_route_and_reset(emu: Emulator, control_call: Any):
    run_id = add_run(emu, "codecatalyst")
    assert control_call(emu, "POST", "revoke", {"service": "codecatalyst", "secrets": ["raw-token"]}) == (
        200,
        {"revoked": 1},
    )
    assert read(emu, "codecatalyst", run_id).status == 401
    assert control_call(emu, "POST", "revoke", {"service": "nope"})[0] == 400
    assert control_call(emu, "POST", "revoke", {"service": "glue", "secrets": "x"})[0] == 400
    emu.reset()
    run_id = add_run(emu, "codecatalyst")
    assert read(emu, "codecatalyst", run_id).status == 200  # reset forgets revocations


def test_revoking_nothing_seen_revokes_nothing(emu: Emulator):
    assert emu.revoke_credentials("datadog") == 0
    with pytest.raises(KeyError):
        emu.revoke_credentials("nope")
