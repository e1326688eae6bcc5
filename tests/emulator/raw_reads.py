"""Reads of runs as plain HTTP requests, one shape per service, for the chaos and revocation tests.

The SDKs would parse (or refuse) the mangled answers these tests look at, so the requests are
built by hand: the headers each emulated service checks, and nothing else.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.logic_apps_state import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION

SERVICES = ("glue", "codecatalyst", "datadog", "dataworks", "logic_apps")
DATADOG_WORKFLOW = "0233a3b7-b7ba-425e-a8cc-375ca2020b5b"
CODECATALYST_WORKFLOW = "5f0c1d6e-2b7a-4c3e-9d81-0a1b2c3d4e5f"
RUNNING = {"glue": "RUNNING", "codecatalyst": "IN_PROGRESS", "datadog": "IN_PROGRESS", "dataworks": "Running"}
LOGIC_APPS_BASE = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{DEFAULT_RESOURCE_GROUP}"
    "/providers/Microsoft.Logic/workflows/wf/runs"
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def add_run(emu: Emulator, service: str) -> str:
    """A run that stays running (so every read has a status to show); returns its id."""
    timeline = [{"status": RUNNING.get(service, "Running")}]
    if service == "glue":
        return emu.glue.add_run("etl", timeline)
    if service == "codecatalyst":
        return emu.codecatalyst.add_run("sp", "pr", timeline, workflow_id=CODECATALYST_WORKFLOW)
    if service == "datadog":
        return emu.datadog.add_instance(DATADOG_WORKFLOW, timeline)
    if service == "dataworks":
        return emu.dataworks.add_instance(7, timeline)
    return emu.logic_apps.add_run("wf", timeline)


def default_credential(emu: Emulator, service: str) -> Any:
    """What the service authenticates: a key id, a token, a key pair, (key id, STS token)."""
    return {
        "glue": "AKIDRAW",
        "codecatalyst": "raw-token",
        "datadog": ("raw-api-key", "raw-app-key"),
        "dataworks": ("LTAIraw", "raw-sts-token"),
    }.get(service) or emu.logic_apps.issue_token()


def read(emu: Emulator, service: str, run_id: str, *, listing: bool = False, credential: Any = None) -> Answer:
    """One read of a run (or of its workflow's runs) with ``credential`` (default: a fixed one)."""
    cred = credential if credential is not None else default_credential(emu, service)
    method, path, headers, body = "GET", "/", {}, b""
    if service == "glue":
        operation = "GetWorkflowRuns" if listing else "GetWorkflowRun"
        method, body = "POST", json.dumps({"Name": "etl", **({} if listing else {"RunId": run_id})}).encode()
        headers = {
            "X-Amz-Target": f"AWSGlue.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={cred}/20260101/eu-west-1/glue/aws4_request, Sig=x",
        }
    elif service == "codecatalyst":
        base = "/v1/spaces/sp/projects/pr/workflowRuns"
        method = "POST" if listing else "GET"
        path = f"{base}?workflowId={CODECATALYST_WORKFLOW}" if listing else f"{base}/{run_id}"
        headers = {"Authorization": f"Bearer {cred}"}
    elif service == "datadog":
        path = f"/api/v2/workflows/{DATADOG_WORKFLOW}/instances" + ("" if listing else f"/{run_id}")
        headers = {"DD-API-KEY": cred[0], "DD-APPLICATION-KEY": cred[1]}
    elif service == "dataworks":
        method, path, headers, body = _dataworks(emu, run_id, listing, cred)
    else:
        path = LOGIC_APPS_BASE + ("" if listing else f"/{run_id}") + "?api-version=2019-05-01"
        headers = {"Authorization": f"Bearer {cred}"}
    request = urllib.request.Request(emu.http_url + path, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def _dataworks(emu: Emulator, run_id: str, listing: bool, cred: Any) -> tuple[str, str, dict[str, str], bytes]:
    if listing:
        biz_date = emu.dataworks.instance(run_id)["BizDate"]
        method, path, body = "POST", "/", urlencode({"ProjectId": 7, "BizDate": biz_date}).encode()
    else:
        method, path, body = "GET", f"/?Id={run_id}", b""
    signed = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-content-sha256", "x-acs-signature-nonce"]
    headers = {
        "x-acs-action": "ListWorkflowInstances" if listing else "GetWorkflowInstance",
        "x-acs-version": "2024-05-18",
        "x-acs-date": "2026-01-01T00:00:00Z",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-security-token": cred[1],
        "Authorization": f"ACS3-HMAC-SHA256 Credential={cred[0]},SignedHeaders={';'.join(signed)},Signature={'0' * 64}",
    }
    if listing:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return method, path, headers, body


def dropped(emu: Emulator, service: str, run_id: str) -> bool:
    """Whether the connection closed without an answer."""
    try:
        read(emu, service, run_id)
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
        return True
    return False
