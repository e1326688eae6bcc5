"""What the soak waits on: each service's connection (with sentinel secrets, old and rotated), its
scripted runs (each ends in a known state) and the real sensor that names each run.

Every secret starts with :data:`SENTINEL`, so one search of the logs, events, kwargs, XComs,
exceptions and the emulator's request log finds any that leaked. SDK retries are off in every
connection (the provider's own classification sees every fault) and read timeouts are below the
emulator's slow answers where the connection has one to set.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.connections import LOGIC_APPS_RESOURCE_GROUP, LOGIC_APPS_SUBSCRIPTION

SERVICES = ("glue", "codecatalyst", "datadog", "dataworks", "logic_apps")
SENTINEL = "SOAKSECRET"
#: Bearer tokens the emulator's Entra endpoint issues: a secret too.
ISSUED_TOKEN_PREFIX = "emu-aad-"
CLIENT_TIMEOUT = 1.5  # seconds; the emulator's slow answers take SLOW_SECONDS
SLOW_SECONDS = 3.0
#: Connections whose client timeout cannot be set: a slow answer is simply waited for.
NO_SETTABLE_TIMEOUT = {
    "codecatalyst": "the codecatalyst connection has no timeout field (botocore's default read timeout, 60 s)",
    "dataworks": "the alibaba_dataworks connection has no timeout field (the client's fixed 10 s read timeout)",
}
CONN_IDS = {s: f"soak_{s}" for s in SERVICES}
RUNNING = {
    "glue": "RUNNING",
    "codecatalyst": "IN_PROGRESS",
    "datadog": "IN_PROGRESS",
    "dataworks": "Running",
    "logic_apps": "Running",
}
#: Raw terminal statuses and the state the provider must report for each.
TERMINALS = {
    "glue": (("COMPLETED", "succeeded"), ("ERROR", "failed"), ("STOPPED", "cancelled")),
    "codecatalyst": (("SUCCEEDED", "succeeded"), ("FAILED", "failed"), ("CANCELLED", "cancelled")),
    "datadog": (("SUCCEEDED", "succeeded"), ("INSTANCE_ERROR", "failed"), ("CANCELED", "cancelled")),
    "dataworks": (("Success", "succeeded"), ("Failure", "failed")),
    "logic_apps": (("Succeeded", "succeeded"), ("Failed", "failed"), ("Cancelled", "cancelled")),
}
SENSORS = {
    "glue": "airflow_workflow_runs.sensors.glue.GlueWorkflowRunSensor",
    "codecatalyst": "airflow_workflow_runs.sensors.codecatalyst.CodeCatalystWorkflowRunSensor",
    "datadog": "airflow_workflow_runs.sensors.datadog.DatadogWorkflowInstanceSensor",
    "dataworks": "airflow_workflow_runs.sensors.dataworks.DataWorksWorkflowInstanceSensor",
    "logic_apps": "airflow_workflow_runs.sensors.logic_apps.LogicAppsWorkflowRunSensor",
}
SPACE, PROJECT = "soak-space", "soak-project"
DATADOG_WORKFLOW = str(uuid.uuid5(uuid.NAMESPACE_URL, "soak/datadog"))
DATAWORKS_PROJECT = 4242
LOGIC_APPS_CLIENT = "00000000-0000-0000-0000-0000000050a4"
LOGIC_APPS_SITE = "soak-standard-site"


def _secret(service: str, label: str) -> str:
    return f"{SENTINEL}-{service}-{label}-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Credentials:
    """One generation of a connection's credentials: an id (not secret) and its secrets."""

    key_id: str
    secret: str
    token: str | None = None

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.secret, self.token) if s]


def credentials(service: str, label: str) -> Credentials:
    if service == "datadog":  # API key and application key: both secret
        return Credentials("", _secret(service, f"app-{label}"), _secret(service, f"api-{label}"))
    if service == "dataworks":  # AccessKey id, secret and an STS token
        return Credentials(f"STS.soak{label}{secrets.token_hex(4)}", _secret(service, label), _secret(service, "sts"))
    key_id = {"glue": f"AKIASOAK{label.upper()}{secrets.token_hex(4).upper()}", "logic_apps": LOGIC_APPS_CLIENT}
    return Credentials(key_id.get(service, ""), _secret(service, label))


def connection(service: str, emu: Emulator, cred: Credentials) -> dict[str, Any]:
    """The Airflow connection (JSON form) of ``service`` on the emulator with these credentials."""
    url, ca = emu.https_url, emu.ca_bundle
    extra: dict[str, Any]
    if service == "glue":
        config = {"retries": {"mode": "standard", "total_max_attempts": 1}, "read_timeout": CLIENT_TIMEOUT}
        extra = {"region_name": "eu-west-1", "endpoint_url": url, "verify": ca, "config_kwargs": config}
        return {"conn_type": "aws", "login": cred.key_id, "password": cred.secret, "extra": extra}
    if service == "codecatalyst":
        extra = {"ca_bundle": ca, "max_attempts": 1}
        return {"conn_type": "codecatalyst", "host": url, "password": cred.secret, "extra": extra}
    if service == "datadog":
        extra = {"api_key": cred.token, "site": "datadoghq.com", "ca_bundle": ca, "timeout": CLIENT_TIMEOUT}
        return {"conn_type": "datadog_workflows", "host": url, "password": cred.secret, "extra": extra}
    if service == "dataworks":
        extra = {"region": "cn-hangzhou", "ca_bundle": ca, "security_token": cred.token}
        return {
            "conn_type": "alibaba_dataworks",
            "host": url,
            "login": cred.key_id,
            "password": cred.secret,
            "extra": extra,
        }
    extra = {
        "tenant_id": "11111111-1111-1111-1111-111111111111",
        "subscription_id": LOGIC_APPS_SUBSCRIPTION,
        "resource_group": LOGIC_APPS_RESOURCE_GROUP,
        "authority_host": url,
        "ca_bundle": ca,
        "retry_total": 0,
        "timeout": CLIENT_TIMEOUT,
    }
    return {"conn_type": "azure_logic_apps", "host": url, "login": cred.key_id, "password": cred.secret, "extra": extra}


def env_name(service: str) -> str:
    return f"AIRFLOW_CONN_{CONN_IDS[service].upper()}"


@dataclass
class ServicePlan:
    """A service's two generations of credentials and whether the rotation has happened."""

    service: str
    old: Credentials
    new: Credentials
    rotated_at: float | None = None
    rotated_epoch: float | None = None

    def install(self, emu: Emulator) -> None:
        """The connection with the old credentials; the emulator checks what it can."""
        os.environ[env_name(self.service)] = json.dumps(connection(self.service, emu, self.old))
        if self.service == "logic_apps":
            emu.logic_apps.require_client_secret(LOGIC_APPS_CLIENT, self.old.secret)
        if self.service == "dataworks":  # signatures verified: the secret the connection holds must arrive
            emu.dataworks.require_credentials(
                {c.key_id: (c.secret, c.token) for c in (self.old, self.new)}  # type: ignore[misc]
            )

    def rotate(self, emu: Emulator, now: float) -> None:
        """Rotate mid-wait: the connection gets the new credentials first, then the emulator refuses the
        old ones (Logic Apps: the old client secret, and every token issued so far)."""
        os.environ[env_name(self.service)] = json.dumps(connection(self.service, emu, self.new))
        if self.service == "logic_apps":
            emu.logic_apps.require_client_secret(LOGIC_APPS_CLIENT, self.new.secret)
            emu.revoke_credentials("logic_apps")
        elif self.service == "glue":
            emu.revoke_credentials("glue", self.old.key_id)  # the emulator does not check AWS signatures
        elif self.service == "dataworks":
            emu.revoke_credentials("dataworks", self.old.key_id, *self.old.secrets)
        else:
            emu.revoke_credentials(self.service, *self.old.secrets)
            if self.service == "codecatalyst":
                emu.codecatalyst.require_tokens(self.new.secret)
            else:
                emu.datadog.require_keys(self.new.token, self.new.secret)
        self.rotated_at, self.rotated_epoch = now, time.time()

    def new_credential_uses(self, emu: Emulator) -> int | None:
        """Requests (Logic Apps: tokens fetched) with the rotated credentials: proof they were picked up."""
        if self.service == "codecatalyst":
            return emu.codecatalyst.token_digests.count(_digest(self.new.secret))
        if self.service == "datadog":
            assert self.new.token is not None
            return emu.datadog.key_digests.count((_digest(self.new.token), _digest(self.new.secret)))
        if self.service == "dataworks":
            return emu.dataworks.access_key_ids.count(self.new.key_id)
        if self.service == "logic_apps":
            since = self.rotated_epoch or float("inf")
            return sum(1 for t in emu.logic_apps.token_requests() if t["issued_at"] >= since)
        return None  # Glue: the emulator keeps no count of access key ids


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Wait:
    """One wait on one scripted run: the sensor arguments that name it and the state it must end in."""

    service: str
    mode: str  # "deferred", "poke" or "reschedule"
    index: int
    sensor_args: dict[str, Any]
    expected: str
    raw_final: str
    running_polls: int
    outcome: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.service}/{self.mode}/{self.index}"

    @property
    def run_id(self) -> str:
        return str(next(self.sensor_args[k] for k in ("run_id", "instance_id", "run_name") if k in self.sensor_args))


def add_runs(
    emu: Emulator, service: str, modes: dict[str, int], rng: random.Random, polls: tuple[int, int]
) -> list[Wait]:
    """Script one run per wait (running for a random number of observations, then a random terminal
    status) and name it as the service's sensor does."""
    waits: list[Wait] = []
    conn_arg = {
        "glue": "aws_conn_id",
        "codecatalyst": "codecatalyst_conn_id",
        "datadog": "datadog_conn_id",
        "dataworks": "dataworks_conn_id",
        "logic_apps": "azure_logic_apps_conn_id",
    }[service]
    for mode, count in modes.items():
        for index in range(count):
            raw, state = rng.choices(TERMINALS[service], weights=[2] + [1] * (len(TERMINALS[service]) - 1))[0]
            running = rng.randint(*polls)
            timeline: list[dict[str, Any]] = [{"status": RUNNING[service], "polls": running}, {"status": raw}]
            args = _add_run(emu, service, f"{mode}{index}", index, timeline)
            args[conn_arg] = CONN_IDS[service]
            waits.append(Wait(service, mode, index, args, state, raw, running))
    return waits


def _add_run(emu: Emulator, service: str, label: str, index: int, timeline: list[dict[str, Any]]) -> dict[str, Any]:
    if service == "glue":  # one run in four shares its workflow with four others: one GetWorkflowRuns reads them
        workflow = f"soak_{label.rstrip('0123456789')}_shared_{index // 20}" if index % 4 == 0 else f"soak_{label}"
        return {"workflow_name": workflow, "run_id": emu.glue.add_run(workflow, timeline)}
    if service == "codecatalyst":
        workflow_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"soak/{label}"))
        run_id = emu.codecatalyst.add_run(SPACE, PROJECT, timeline, workflow_id=workflow_id)
        return {"space_name": SPACE, "project_name": PROJECT, "run_id": run_id}
    if service == "datadog":
        return {"workflow_id": DATADOG_WORKFLOW, "instance_id": emu.datadog.add_instance(DATADOG_WORKFLOW, timeline)}
    if service == "dataworks":
        instance_id = emu.dataworks.add_instance(DATAWORKS_PROJECT, timeline, workflow_id=1 + index % 7)
        return {"project_id": str(DATAWORKS_PROJECT), "instance_id": instance_id}
    site = LOGIC_APPS_SITE if index % 2 else None  # Standard and Consumption tiers alike
    workflow = f"soak-{label}"
    run_name = emu.logic_apps.add_run(
        workflow, timeline, site=site, subscription_id=LOGIC_APPS_SUBSCRIPTION, resource_group=LOGIC_APPS_RESOURCE_GROUP
    )
    args = {"resource_group_name": LOGIC_APPS_RESOURCE_GROUP, "workflow_name": workflow, "run_name": run_name}
    return {**args, "site_name": site} if site else args
