"""The emulated Logic Apps service itself: control API, scenarios, and the wire rules tests rely on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from airflow_workflow_runs.emulator.logic_apps_state import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION


def call(emu, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    import ssl

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{emu.https_url}{path}", data=data, method=method, headers=headers or {})
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def arm(path: str, site: str | None = None) -> str:
    prefix = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{DEFAULT_RESOURCE_GROUP}/providers/"
    if site:
        prefix += f"Microsoft.Web/sites/{site}/hostruntime/runtime/webhooks/workflow/api/management/"
    else:
        prefix += "Microsoft.Logic/"
    return prefix + path


def test_control_api_defines_workflows_adds_runs_and_sets_token_lifetime(emu):
    assert call(emu, "PUT", "/_emulator/logic_apps/workflows", {"workflow": "wf", "site": "s1"}) == (200, {"ok": True})
    status, added = call(
        emu, "POST", "/_emulator/logic_apps/runs", {"workflow": "wf", "site": "s1", "timeline": [{"status": "Failed"}]}
    )
    assert status == 200
    status, listing = call(emu, "GET", "/_emulator/logic_apps/runs?workflow=wf")
    assert [r["run_id"] for r in listing["runs"]] == [added["run_id"]] and listing["runs"][0]["tier"] == "standard"
    assert call(emu, "PUT", "/_emulator/logic_apps/token_lifetime", {"seconds": 5}) == (200, {"token_lifetime": 5})
    assert call(emu, "PUT", "/_emulator/logic_apps/token_lifetime", {"seconds": 0})[0] == 400
    assert call(emu, "GET", "/_emulator/logic_apps/tokens") == (200, {"tokens": []})


def test_scenario_section(emu):
    emu.load_scenario(
        {
            "logic_apps": {
                "token_lifetime": 120,
                "workflows": [
                    {"workflow": "nightly", "timeline": [{"status": "Running", "seconds": 4}, {"status": "Succeeded"}]}
                ],
                "runs": [{"workflow": "nightly", "run_id": "08585DEMOCU01", "client_tracking_id": "demo"}],
            }
        }
    )
    run = emu.logic_apps.run("nightly", "08585DEMOCU01")
    assert (run["status"], run["client_tracking_id"], run["tier"]) == ("Running", "demo", "consumption")
    assert emu.logic_apps.token_lifetime == 120
    with pytest.raises(ValueError, match="unknown logic_apps timeline step fields"):
        emu.logic_apps.add_run("nightly", [{"status": "Failed", "statistics": {}}])


def test_arm_answers_errors_in_arms_shape(emu):
    token = emu.logic_apps.issue_token()
    auth = {"Authorization": f"Bearer {token}"}
    emu.logic_apps.add_run("wf", [{"status": "Running"}])
    status, body = call(emu, "GET", arm("workflows/wf/runs/nope?api-version=2019-05-01"), headers=auth)
    assert status == 404 and body["error"]["code"] == "WorkflowRunNotFound"
    status, body = call(emu, "GET", arm("workflows/wf/runs/nope"), headers=auth)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"
    status, body = call(
        emu, "GET", arm("workflows/wf/runs?api-version=2019-05-01&$filter=Foo%20eq%20'1'"), headers=auth
    )
    assert status == 400 and body["error"]["code"] == "InvalidQueryFilter"
    status, body = call(
        emu, "GET", arm("workflows/wf/runs/x?api-version=2019-05-01"), headers={"Authorization": "Bearer forged"}
    )
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"


def test_the_trigger_callback_wants_its_signature_and_no_bearer_token(emu):
    emu.logic_apps.define_workflow("wf", site="s1")
    token = emu.logic_apps.issue_token()
    status, callback = call(
        emu,
        "POST",
        arm("workflows/wf/triggers/manual/listCallbackUrl?api-version=2025-05-01", "s1"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 200 and callback["method"] == "POST"
    url = callback["value"].removeprefix(emu.https_url)
    status, body = call(emu, "POST", url, {"x": 1}, headers={"Authorization": f"Bearer {token}"})
    assert status == 400 and body["error"]["code"] == "DirectApiRequestHasMoreThanOneAuthorization"
    status, body = call(emu, "POST", url.replace("sig=", "sig=x"), {"x": 1})
    assert status == 401 and body["error"]["code"] == "DirectApiInvalidAuthorizationSignature"
    status, _ = call(emu, "POST", url, {"x": 1}, headers={"Content-Type": "application/json"})
    assert status == 202
