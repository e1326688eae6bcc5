"""The Datadog Workflow Automation wire protocol as the real SDK and a plain HTTP client see it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, ForbiddenException, NotFoundException
from datadog_api_client.v2.api.workflow_automation_api import WorkflowAutomationApi
from datadog_api_client.v2.model.workflow_instance_create_meta import WorkflowInstanceCreateMeta
from datadog_api_client.v2.model.workflow_instance_create_request import WorkflowInstanceCreateRequest

from airflow_workflow_runs.emulator import Emulator

WORKFLOW_ID = "0233a3b7-b7ba-425e-a8cc-375ca2020b5b"


def api(emu: Emulator, api_key: str = "api", app_key: str = "app") -> WorkflowAutomationApi:
    config = Configuration(host=emu.http_url)
    config.api_key = {"apiKeyAuth": api_key, "appKeyAuth": app_key}
    return WorkflowAutomationApi(ApiClient(config))


def raw(emu: Emulator, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    request = urllib.request.Request(f"{emu.http_url}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


KEYS = {"DD-API-KEY": "api", "DD-APPLICATION-KEY": "app"}


def test_create_get_list_cancel_through_the_sdk(emu: Emulator):
    emu.datadog.define_workflow(WORKFLOW_ID, [{"status": "IN_PROGRESS"}])
    client = api(emu)
    body = WorkflowInstanceCreateRequest(meta=WorkflowInstanceCreateMeta(payload={"input": "value"}))
    created = client.create_workflow_instance(workflow_id=WORKFLOW_ID, body=body).to_dict()
    instance_id = created["data"]["id"]
    assert created["meta"] == {"workflowId": WORKFLOW_ID}
    got = client.get_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=instance_id).to_dict()
    attributes = got["data"]["attributes"]
    assert attributes["instanceStatus"] == {"detailsKind": "IN_PROGRESS", "displayName": "Running"}
    assert attributes["trigger"] == {"input": "value"} and "endTimestamp" not in attributes
    listed = client.list_workflow_instances(workflow_id=WORKFLOW_ID, page_size=10, page_number=0).to_dict()
    assert [item["id"] for item in listed["data"]] == [instance_id]
    assert listed["meta"]["page"]["total_count"] == 1  # declared keys get python names
    assert client.cancel_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=instance_id).to_dict() == {}
    after = client.get_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=instance_id).to_dict()
    assert after["data"]["attributes"]["instanceStatus"]["detailsKind"] == "CANCELED"
    assert "endTimestamp" in after["data"]["attributes"]


def test_list_pages_newest_first_and_limits_page_size(emu: Emulator):
    ids = [emu.datadog.add_instance(WORKFLOW_ID, [{"status": "SUCCEEDED"}]) for _ in range(3)]
    client = api(emu)
    first = client.list_workflow_instances(workflow_id=WORKFLOW_ID, page_size=2, page_number=0).to_dict()
    second = client.list_workflow_instances(workflow_id=WORKFLOW_ID, page_size=2, page_number=1).to_dict()
    assert [i["id"] for i in first["data"] + second["data"]] == ids[::-1]
    assert first["meta"]["succeededCount"] == 3
    status, body, _ = raw(emu, "GET", f"/api/v2/workflows/{WORKFLOW_ID}/instances?page[size]=101", KEYS)
    assert status == 400 and body["errors"][0]["code"] == "INVALID_FIELD_VALUE"


@pytest.mark.parametrize("headers", [{}, {"DD-API-KEY": "api"}, {"DD-APPLICATION-KEY": "app"}])
def test_both_keys_are_required(emu: Emulator, headers: dict[str, str]):
    status, body, _ = raw(emu, "GET", f"/api/v2/workflows/{WORKFLOW_ID}/instances", headers)
    assert (status, body) == (403, {"errors": ["Forbidden"]})
    assert emu.datadog.key_digests == []


def test_required_keys_and_the_sdks_exceptions(emu: Emulator):
    emu.datadog.require_keys("right-api", "right-app")
    with pytest.raises(ForbiddenException):
        api(emu).list_workflow_instances(workflow_id=WORKFLOW_ID)
    with pytest.raises(NotFoundException) as raised:
        api(emu, "right-api", "right-app").get_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=WORKFLOW_ID)
    assert raised.value.body["errors"][0]["code"] == "INSTANCE_NOT_FOUND"
    with pytest.raises(ApiException) as bad:
        api(emu, "right-api", "right-app").get_workflow_instance(workflow_id="malformed", instance_id="x")
    assert bad.value.status == 400


def test_rate_limit_answers_carry_datadogs_headers(emu: Emulator):
    emu.datadog.rate_limit_reset = 12
    emu.add_fault({"service": "datadog", "operation": "ListWorkflowInstances", "status": 429})
    status, body, headers = raw(emu, "GET", f"/api/v2/workflows/{WORKFLOW_ID}/instances", KEYS)
    assert status == 429 and body == {"errors": ["Too many requests"]}
    assert headers["X-RateLimit-Reset"] == "12" and headers["X-RateLimit-Remaining"] == "0"
    assert {"X-RateLimit-Limit", "X-RateLimit-Period", "X-RateLimit-Name"} <= set(headers)


def test_not_found_right_after_create_and_scenarios(emu: Emulator):
    emu.load_scenario(
        {
            "datadog": {
                "workflows": [
                    {"workflow_id": WORKFLOW_ID, "timeline": [{"status": "SUCCEEDED"}], "not_found_polls": 1}
                ],
                "instances": [
                    {"workflow_id": WORKFLOW_ID, "instance_id": "fixed-id", "timeline": [{"status": "SUCCEEDED"}]}
                ],
            }
        }
    )
    client = api(emu)
    created = client.create_workflow_instance(workflow_id=WORKFLOW_ID, body=WorkflowInstanceCreateRequest()).to_dict()
    with pytest.raises(NotFoundException):
        client.get_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=created["data"]["id"])
    assert client.get_workflow_instance(workflow_id=WORKFLOW_ID, instance_id=created["data"]["id"]).to_dict()["data"]
    assert emu.datadog.instance(WORKFLOW_ID, "fixed-id")["attributes"]["instanceStatus"]["detailsKind"] == "SUCCEEDED"
    with pytest.raises(ValueError, match="unknown datadog timeline step fields"):
        emu.datadog.define_workflow(WORKFLOW_ID, [{"status": "SUCCEEDED", "bogus": 1}])


def test_control_routes(emu: Emulator):
    def control(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{emu.http_url}/_emulator/datadog/{path}", data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert control("PUT", "workflows", {"workflow_id": WORKFLOW_ID, "timeline": [{"status": "SUCCEEDED"}]}) == (
        200,
        {"ok": True},
    )
    status, added = control("POST", "instances", {"workflow_id": WORKFLOW_ID, "payload": {"a": 1}})
    assert status == 200
    status, record = control("GET", f"instances/{WORKFLOW_ID}/{added['instance_id']}")
    assert status == 200 and record["payload"] == {"a": 1} and record["observations"] == 0
    assert control("GET", f"instances/{WORKFLOW_ID}/nope")[0] == 404
    assert control("PUT", "workflows", {"workflow_id": "not-a-uuid"})[0] == 400
