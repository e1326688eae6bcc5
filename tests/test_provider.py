"""Registration as an Airflow provider: the entry point, the schema, and what the CLI lists."""

from __future__ import annotations

import functools
import importlib
import json
import subprocess
import sys
from importlib.metadata import entry_points
from importlib.resources import files

import jsonschema
import pytest

from airflow_workflow_runs.get_provider_info import get_provider_info


def test_provider_info_validates_against_airflows_schema():
    schema = json.loads((files("airflow") / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_entry_point_points_at_get_provider_info():
    (entry,) = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_workflow_runs")
    ]
    assert entry.load() is get_provider_info


def test_every_listed_module_and_class_imports():
    info = get_provider_info()
    for section in ("hooks", "sensors", "operators", "triggers"):
        for item in info[section]:
            for module in item["python-modules"]:
                importlib.import_module(module)
    for path in info["extra-links"]:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name)
    integrations = {i["integration-name"] for i in info["integrations"]}
    for section in ("hooks", "sensors", "operators", "triggers"):
        assert {item["integration-name"] for item in info[section]} <= integrations


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("list", "airflow-workflow-runs"),
        ("triggers", "airflow_workflow_runs.triggers.workflow_run"),
        ("links", "airflow_workflow_runs.links.glue.GlueWorkflowRunLink"),
        ("links", "airflow_workflow_runs.links.logic_apps.LogicAppsWorkflowRunLink"),
        ("hooks", "azure_logic_apps"),
    ],
)
def test_airflow_providers_cli_lists_it(command, expected):
    assert expected in providers_cli(command)


@functools.cache
def providers_cli(command: str) -> str:
    """``airflow providers <command>``'s output, run once per command (seconds each)."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", command, "--output", "plain"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_connection_forms_have_their_own_fields():
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    forms = {meta.connection_type: meta for meta in HookMetaService.hook_meta_data()}
    codecatalyst = forms["codecatalyst"]
    assert codecatalyst.hook_name == "AWS CodeCatalyst"
    assert set(codecatalyst.extra_fields) == {"region_name", "max_attempts", "ca_bundle"}
    standard = codecatalyst.standard_fields
    assert standard.password.title == "Personal access token" and standard.host.title == "Endpoint URL"
    assert standard.login.hidden is True
