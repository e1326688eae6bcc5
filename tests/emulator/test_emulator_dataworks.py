"""The emulated DataWorks API driven by the plain Alibaba SDK (no provider code), plus its control API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from alibabacloud_dataworks_public20240518 import models
from alibabacloud_dataworks_public20240518.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from airflow_workflow_runs.emulator import Emulator


def sdk(emu: Emulator, secret: str = "secret") -> Client:
    return Client(
        Config(
            access_key_id="LTAItest",
            access_key_secret=secret,
            region_id="cn-hangzhou",
            endpoint=emu.http_url.split("://", 1)[1],
            protocol="http",
        )
    )


def control(emu: Emulator, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{emu.http_url}/_emulator/dataworks/{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_control_api_and_the_sdk_see_the_same_instance(emu: Emulator):
    emu.dataworks.require_credentials({"LTAItest": "secret"})
    created = control(emu, "POST", "instances", {"project_id": 7, "timeline": [{"status": "Checking"}]})
    instance_id = int(created["instance_id"])
    body = (
        sdk(emu)
        .get_workflow_instance_with_options(models.GetWorkflowInstanceRequest(id=instance_id), RuntimeOptions())
        .body
    )
    assert (body.workflow_instance.id, body.workflow_instance.status, body.workflow_instance.project_id) == (
        instance_id,
        "Checking",
        7,
    )
    assert body.request_id
    assert control(emu, "GET", f"instances/{instance_id}")["observations"] == 1


def test_wrong_secret_is_signature_does_not_match(emu: Emulator):
    emu.dataworks.require_credentials({"LTAItest": "secret"})
    with pytest.raises(ClientException) as raised:
        sdk(emu, secret="wrong").get_workflow_instance_with_options(
            models.GetWorkflowInstanceRequest(id=1), RuntimeOptions()
        )
    assert (raised.value.status_code, raised.value.code) == (400, "SignatureDoesNotMatch")
    assert raised.value.data["HostId"] and raised.value.data["RequestId"]


def test_create_stop_and_list_round_trip(emu: Emulator):
    control(emu, "PUT", "workflows", {"project_id": 7, "workflow_id": 9, "timeline": [{"status": "Running"}]})
    client, runtime = sdk(emu), RuntimeOptions()
    operation = client.create_workflow_instances_with_options(
        models.CreateWorkflowInstancesRequest(
            name="n",
            project_id=7,
            workflow_id=9,
            type="ManualWorkflow",
            periods=models.CreateWorkflowInstancesRequestPeriods(
                biz_dates=[
                    models.CreateWorkflowInstancesRequestPeriodsBizDates(
                        start_biz_date="2026-01-01", end_biz_date="2026-01-01"
                    )
                ]
            ),
        ),
        runtime,
    ).body.operation_id
    result_request = models.GetCreateWorkflowInstancesResultRequest(operation_id=operation)
    first = client.get_create_workflow_instances_result_with_options(result_request, runtime).body.result
    second = client.get_create_workflow_instances_result_with_options(result_request, runtime).body.result
    assert first.status == "Creating" and second.status == "Created"
    (instance_id,) = second.workflow_instance_ids
    stopped = client.stop_workflow_instances_with_options(
        models.StopWorkflowInstancesRequest(ids=[instance_id, 123]), runtime
    ).body.success_info
    assert stopped[str(instance_id)].success is True and stopped["123"].success is False
    listed = client.list_workflow_instances_with_options(
        models.ListWorkflowInstancesRequest(project_id=7, biz_date=1767196800000, workflow_id=9), runtime
    ).body.paging_info
    assert listed.total_count == 1 and listed.workflow_instances[0].status == "Failure"  # a stop ends as Failure


def test_scenario_section(emu: Emulator):
    emu.load_scenario(
        {
            "dataworks": {
                "workflows": [{"project_id": 3, "workflow_id": 4, "creation_polls": 0}],
                "instances": [
                    {"project_id": 3, "workflow_id": 4, "instance_id": 77, "timeline": [{"status": "NotRun"}]}
                ],
            }
        }
    )
    assert emu.dataworks.instance(77)["Status"] == "NotRun"
    assert "StartedTime" not in emu.dataworks.instance(77)
