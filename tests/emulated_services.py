"""Every service's connection on the emulator, and one way to add runs, build hooks, sensors and
triggers for any of them: for tests that state one rule for all five services (hostile ids,
garbled answers, secret leaks). The ``services`` and ``services_with`` fixtures (conftest) give one."""

from __future__ import annotations

import os
from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator
from tests.helpers import aws_connection, codecatalyst_connection


class EmulatedServices:
    """One connection per service to the emulator, and per target the few things a test needs.

    A *target* is a service as a user waits on it; Logic Apps has two, its tiers
    (``logic_apps_consumption`` without a site, ``logic_apps_standard`` with one). ``secrets``
    are the connections' credentials; the emulator refuses requests that carry other ones.
    """

    TARGETS = ("glue", "codecatalyst", "logic_apps_consumption", "logic_apps_standard", "datadog", "dataworks")
    #: (running, succeeded, failed) raw statuses per service.
    STATUSES = {
        "glue": ("RUNNING", "COMPLETED", "ERROR"),
        "codecatalyst": ("IN_PROGRESS", "SUCCEEDED", "FAILED"),
        "logic_apps": ("Running", "Succeeded", "Failed"),
        "datadog": ("IN_PROGRESS", "SUCCEEDED", "INSTANCE_ERROR"),
        "dataworks": ("Running", "Success", "Failure"),
    }
    CONN_ARGS = {
        "glue": "aws_conn_id",
        "codecatalyst": "codecatalyst_conn_id",
        "logic_apps": "azure_logic_apps_conn_id",
        "datadog": "datadog_conn_id",
        "dataworks": "dataworks_conn_id",
    }
    GLUE_WORKFLOW = "etl"
    CC_SPACE, CC_PROJECT, CC_WORKFLOW = "example-corp", "my-demo-project", "a1b2c3d4-5678-90ab-cdef-111111111111"
    LA_WORKFLOW, LA_SITE = "wf", "la-standard-site"
    DD_WORKFLOW = "ccf73164-1998-4785-a7a3-8d06c7e5f558"
    DW_PROJECT, DW_WORKFLOW, DW_ACCESS_KEY_ID = 100, 4242, "LTAI5tEmulatorKeyId"
    DEFAULT_SECRETS = {
        "aws_secret_access_key": "emulator-secret-never-logged",
        "aws_session_token": "aws-session-token-never-logged",
        "codecatalyst_token": "cc-pat-never-logged",
        "azure_client_secret": "la-client-secret-never-logged",
        "datadog_api_key": "dd-api-key-never-logged-0001",
        "datadog_app_key": "dd-app-key-never-logged-0002",
        "dataworks_access_key_secret": "dw-secret-never-logged",
        "dataworks_security_token": "dw-sts-token-never-logged",
    }

    def __init__(self, emu: Emulator, monkeypatch: pytest.MonkeyPatch, secrets: dict[str, str] | None = None) -> None:
        import json

        from tests.logic_apps_helpers import CLIENT_ID, logic_apps_connection

        self.emu = emu
        self.secrets = {**self.DEFAULT_SECRETS, **(secrets or {})}
        s = self.secrets
        self.conn_ids = {service: f"awr_all_{service}" for service in self.CONN_ARGS}
        aws = json.loads(aws_connection(emu, aws_session_token=s["aws_session_token"]))
        aws["password"] = s["aws_secret_access_key"]
        azure = json.loads(logic_apps_connection(emu))
        azure["password"] = s["azure_client_secret"]
        connections = {
            "glue": aws,
            "codecatalyst": json.loads(codecatalyst_connection(emu, token=s["codecatalyst_token"])),
            "logic_apps": azure,
            "datadog": {
                "conn_type": "datadog_workflows",
                "host": emu.http_url,
                "password": s["datadog_app_key"],
                "extra": {"api_key": s["datadog_api_key"], "site": "datadoghq.com"},
            },
            "dataworks": {
                "conn_type": "alibaba_dataworks",
                "host": emu.http_url,
                "login": self.DW_ACCESS_KEY_ID,
                "password": s["dataworks_access_key_secret"],
                "extra": {"region": "cn-shanghai", "security_token": s["dataworks_security_token"]},
            },
        }
        for name in [n for n in os.environ if n.startswith("AZURE_")]:
            monkeypatch.delenv(name)
        self.monkeypatch = monkeypatch
        #: Each service's connection as set in its ``AIRFLOW_CONN_*`` variable (change it with :meth:`change`).
        self.connections = connections
        for service in connections:
            self.change(service)
        emu.codecatalyst.require_tokens(s["codecatalyst_token"])
        emu.logic_apps.require_client_secret(CLIENT_ID, s["azure_client_secret"])
        emu.datadog.require_keys(s["datadog_api_key"], s["datadog_app_key"])
        emu.dataworks.require_credentials(
            {self.DW_ACCESS_KEY_ID: (s["dataworks_access_key_secret"], s["dataworks_security_token"])}
        )

    def change(self, service: str, **fields: Any) -> dict[str, Any]:
        """Change fields of a service's connection (``extra`` is merged; a ``None`` value removes a
        field or extra) and set its variable again; returns the connection."""
        import json

        conn = self.connections[service]
        extra = {**conn.get("extra", {}), **fields.pop("extra", {})}
        conn.update(fields, extra=extra)
        conn["extra"] = {key: value for key, value in extra.items() if value is not None}
        for key in [key for key, value in conn.items() if value is None]:
            del conn[key]
        self.monkeypatch.setenv(f"AIRFLOW_CONN_{self.conn_ids[service].upper()}", json.dumps(conn))
        return conn

    READ_OPERATIONS = {
        "glue": "GetWorkflowRun",
        "codecatalyst": "GetWorkflowRun",
        "logic_apps": "GetWorkflowRun",
        "datadog": "GetWorkflowInstance",
        "dataworks": "GetWorkflowInstance",
    }

    def fault(self, target: str, count: int = 1, **fault: Any) -> None:
        """Fault the next ``count`` reads of a run of the target's service."""
        service = self.service(target)
        self.emu.add_fault({"service": service, "operation": self.READ_OPERATIONS[service], "count": count, **fault})

    @staticmethod
    def service(target: str) -> str:
        """The service (and emulator service) of a target."""
        return "logic_apps" if target.startswith("logic_apps") else target

    def status(self, target: str, outcome: str) -> str:
        running, succeeded, failed = self.STATUSES[self.service(target)]
        return {"running": running, "succeeded": succeeded, "failed": failed}[outcome]

    def add_run(self, target: str, *outcomes: str, polls: int = 1, started_on: float | None = None) -> dict[str, str]:
        """A run going through ``outcomes`` ("running", "succeeded", "failed"), ``polls`` observations
        each but the last; returns its ref (the sensor arguments naming it, connection aside)."""
        steps: list[dict[str, Any]] = [{"status": self.status(target, o), "polls": polls} for o in outcomes]
        steps[-1].pop("polls")
        emu = self.emu
        if target == "glue":
            run_id = emu.glue.add_run(self.GLUE_WORKFLOW, steps, started_on=started_on)
            return {"workflow_name": self.GLUE_WORKFLOW, "run_id": run_id}
        if target == "codecatalyst":
            run_id = emu.codecatalyst.add_run(
                self.CC_SPACE, self.CC_PROJECT, steps, workflow_id=self.CC_WORKFLOW, started_on=started_on
            )
            return {"space_name": self.CC_SPACE, "project_name": self.CC_PROJECT, "run_id": run_id}
        if target == "logic_apps_consumption":
            return {
                "workflow_name": self.LA_WORKFLOW,
                "run_name": emu.logic_apps.add_run(self.LA_WORKFLOW, steps, started_on=started_on),
            }
        if target == "logic_apps_standard":
            run_name = emu.logic_apps.add_run(self.LA_WORKFLOW, steps, site=self.LA_SITE, started_on=started_on)
            return {"workflow_name": self.LA_WORKFLOW, "run_name": run_name, "site_name": self.LA_SITE}
        if target == "datadog":
            instance_id = emu.datadog.add_instance(self.DD_WORKFLOW, steps, started_on=started_on)
            return {"workflow_id": self.DD_WORKFLOW, "instance_id": instance_id}
        assert target == "dataworks", target
        instance_id = emu.dataworks.add_instance(
            self.DW_PROJECT, steps, workflow_id=self.DW_WORKFLOW, started_on=started_on
        )
        return {"project_id": str(self.DW_PROJECT), "instance_id": instance_id}

    def workflow(self, target: str) -> dict[str, str]:
        """The arguments naming the workflow of :meth:`add_run`'s runs (window mode)."""
        return {
            "glue": {"workflow_name": self.GLUE_WORKFLOW},
            "codecatalyst": {
                "space_name": self.CC_SPACE,
                "project_name": self.CC_PROJECT,
                "workflow_id": self.CC_WORKFLOW,
            },
            "logic_apps_consumption": {"workflow_name": self.LA_WORKFLOW},
            "logic_apps_standard": {"workflow_name": self.LA_WORKFLOW, "site_name": self.LA_SITE},
            "datadog": {"workflow_id": self.DD_WORKFLOW},
            "dataworks": {"project_id": str(self.DW_PROJECT), "workflow_id": str(self.DW_WORKFLOW)},
        }[target]

    def hook(self, target: str) -> Any:
        from airflow_workflow_runs.registry import load_hook_class

        return load_hook_class(self.sensor_class(target).hook_class_path)(**self.hook_kwargs(target))

    def hook_kwargs(self, target: str) -> dict[str, str]:
        service = self.service(target)
        return {self.CONN_ARGS[service]: self.conn_ids[service]}

    @staticmethod
    def sensor_class(target: str) -> Any:
        from airflow_workflow_runs.sensors.codecatalyst import CodeCatalystWorkflowRunSensor
        from airflow_workflow_runs.sensors.datadog import DatadogWorkflowInstanceSensor
        from airflow_workflow_runs.sensors.dataworks import DataWorksWorkflowInstanceSensor
        from airflow_workflow_runs.sensors.glue import GlueWorkflowRunSensor
        from airflow_workflow_runs.sensors.logic_apps import LogicAppsWorkflowRunSensor

        return {
            "glue": GlueWorkflowRunSensor,
            "codecatalyst": CodeCatalystWorkflowRunSensor,
            "logic_apps": LogicAppsWorkflowRunSensor,
            "datadog": DatadogWorkflowInstanceSensor,
            "dataworks": DataWorksWorkflowInstanceSensor,
        }[EmulatedServices.service(target)]

    def sensor(self, target: str, arguments: dict[str, Any], **kwargs: Any) -> Any:
        """The target's sensor on this connection, given its id arguments (a ref or a workflow)."""
        kwargs.setdefault("task_id", f"wait_{target}")
        return self.sensor_class(target)(**arguments, **self.hook_kwargs(target), **kwargs)

    def trigger(self, target: str, ref: dict[str, str], **kwargs: Any) -> Any:
        from airflow_workflow_runs.triggers.workflow_run import WorkflowRunTrigger

        return WorkflowRunTrigger(
            hook_class=self.sensor_class(target).hook_class_path,
            hook_kwargs=self.hook_kwargs(target),
            ref=ref,
            **kwargs,
        )

    def requests(self, target: str) -> list[dict[str, Any]]:
        """Every request that reached the target's service (Logic Apps: sign-ins included)."""
        return self.emu.requests(service=self.service(target))
