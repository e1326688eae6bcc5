"""The built distribution, as a user installs it: the wheel and sdist build, the wheel installs into
a fresh venv with one service extra only (``[datadog]``), Airflow lists the provider and its hooks
from there, and the services whose extra is missing import but say which extra to install.

Needs a package registry (or uv's cache) to build and install: ``-m 'not network'`` skips it. One
build and one install serve the module (about 20-30 s, most of it the first imports of Airflow).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import airflow_workflow_runs
from airflow_workflow_runs.registry import MissingExtra, load_hook_class
from airflow_workflow_runs.services import declarations, register, unregister

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "airflow-workflow-runs"
#: The one service extra the fresh venv gets; the services of the other extras go without.
INSTALLED_EXTRA = "datadog"


def test_the_all_extra_is_every_service_extra():
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    declared = {service.extra for service in declarations() if service.extra}
    assert declared == {"azure", "datadog", "dataworks"}
    assert declared <= set(extras)
    assert extras["all"] == [f"{DISTRIBUTION}[{','.join(sorted(declared))}]"]


def test_a_hook_whose_sdk_is_missing_names_the_extra_to_install():
    from tests.toy_service import TOY

    service = dataclasses.replace(TOY, name="toy_without_sdk", home="tests.toy_without_sdk", extra="toy")
    register(service)
    try:
        with pytest.raises(MissingExtra, match=r"Toy.* pip install 'airflow-workflow-runs\[toy\]'") as raised:
            load_hook_class(service.hook_class_path)
        assert raised.value.name == "toy_sdk_that_is_not_installed"
        assert "No module named 'toy_sdk_that_is_not_installed'" in str(raised.value)
    finally:
        unregister(service.name)
    with pytest.raises(ModuleNotFoundError) as wrong_path:  # a hook path that is wrong is not a missing SDK
        load_hook_class("airflow_workflow_runs.hooks.no_such_service.Hook")
    assert not isinstance(wrong_path.value, MissingExtra)


# -- the built distribution ------------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    env: dict[str, str]
    uv: str
    constraints: list[str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(args, self.env)

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def run(
    args: tuple[str, ...] | list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")  # make setup installs it into the venv
    uv = str(found) if found.exists() else shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make setup installs it into .venv)")
    return uv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The sdist and wheel built, and the wheel with only ``[datadog]`` in a venv of its own."""
    uv, tmp = _uv(), tmp_path_factory.mktemp("packaging")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "PYTHON"))}
    env.update({"AIRFLOW_HOME": str(tmp / "airflow-home"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    pins = ROOT / "requirements" / f"constraints-{sys.version_info.major}.{sys.version_info.minor}.txt"
    constraints = ["-c", str(pins)] if pins.exists() else []
    run([uv, "build", "--quiet", "--out-dir", str(tmp / "dist"), str(ROOT)], env)
    (wheel,) = (tmp / "dist").glob("*.whl")
    (sdist,) = (tmp / "dist").glob("*.tar.gz")
    venv = tmp / "venv"
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], env)
    setup = Installed(wheel, sdist, venv, env, uv, constraints)
    setup.run(
        uv, "pip", "install", "--quiet", "--python", setup.bin("python"), *constraints, f"{wheel}[{INSTALLED_EXTRA}]"
    )
    yield setup


@pytest.mark.network
@pytest.mark.timeout(300)
def test_the_wheel_and_sdist_hold_the_package_and_no_dev_leftovers(installed: Installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry_points = wheel.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "airflow_workflow_runs/py.typed" in names and "airflow_workflow_runs/emulator/glue.py" in names
    assert not [n for n in names if n.startswith("tests/") or n.endswith(".pyc")]
    assert "[apache_airflow_provider]\nprovider_info = airflow_workflow_runs.get_provider_info" in entry_points
    for extra in ("all", "azure", "datadog", "dataworks"):
        assert f"Provides-Extra: {extra}\n" in metadata
    assert "Requires-Dist: azure-identity>=1.27.0; extra == 'all'" in metadata
    with tarfile.open(installed.sdist) as sdist:
        members = [name.partition("/")[2] for name in sdist.getnames()]
    assert {"pyproject.toml", "README.md", "LICENSE", "airflow_workflow_runs/__init__.py", "tests/conftest.py"} <= set(
        members
    )
    leftovers = [m for m in members if m.startswith((".hypothesis", "benchmarks", "soak", ".venv", ".demo"))]
    assert not leftovers, leftovers[:5]
    assert installed.sdist.stat().st_size < 2_000_000


@pytest.mark.network
@pytest.mark.timeout(300)
def test_airflow_lists_the_provider_and_its_hooks_from_a_fresh_venv(installed: Installed):
    # Both at once: each pays Airflow's first imports (about 8 s) in its own process.
    with ThreadPoolExecutor(2) as pool:
        listed, hooks = pool.map(
            lambda args: installed.run(installed.bin("airflow"), "providers", *args).stdout,
            [("list",), ("hooks",)],
        )
    (row,) = [line for line in listed.splitlines() if line.startswith(DISTRIBUTION + " ")]
    assert row.split("|")[-1].strip() == airflow_workflow_runs.__version__
    rows = {line.split("|")[0].strip(): line for line in hooks.splitlines() if "|" in line}
    assert "airflow_workflow_runs.hooks.datadog.DatadogWorkflowInstanceHook" in rows["datadog_workflows"]
    assert "airflow_workflow_runs.hooks.codecatalyst.CodeCatalystWorkflowRunHook" in rows["codecatalyst"]
    assert "airflow_workflow_runs.hooks.logic_apps.LogicAppsWorkflowRunHook" in rows["azure_logic_apps"]
    assert "alibaba_dataworks" in rows  # without its SDK: Airflow says it cannot import the hook


#: Run in the fresh venv: import every sensor and operator, then use each service's hook.
PROBE = """
import json, importlib
from airflow_workflow_runs.services import declarations
out = {}
for service in declarations():
    for kind in ("sensors", "operators"):
        importlib.import_module(service.module(kind))
    sensor_class = getattr(importlib.import_module(service.module("sensors")), service.sensor_class)
    sensor = sensor_class(task_id="t", **dict.fromkeys(service.ref_args, "1"))
    try:
        out[service.name] = {"hook": type(sensor.hook).__name__}
    except Exception as error:
        out[service.name] = {"error": type(error).__name__, "message": str(error)}
ref = {"subscription_id": "6f0d2b1e-3c4a-4e5f-9a8b-7c6d5e4f3a2b", "resource_group_name": "rg", "workflow_name": "wf",
       "run_name": "08585819341308342181211836757CU18"}
from airflow_workflow_runs.hooks.logic_apps import LogicAppsWorkflowRunHook
try:
    LogicAppsWorkflowRunHook(None).get_run(ref)
except Exception as error:
    out["logic_apps"]["first_call"] = str(error)
from airflow.sdk import Connection
from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook
conn = Connection(conn_id="dd", conn_type="datadog_workflows", password="app-key", extra='{"api_key": "api-key"}')
out["datadog"]["client"] = type(DatadogWorkflowInstanceHook("dd").build_client(conn)).__name__
print(json.dumps(out))
"""


@pytest.mark.network
@pytest.mark.timeout(300)
def test_a_service_without_its_extra_imports_and_its_use_names_the_extra(installed: Installed):
    found = json.loads(installed.run(installed.bin("python"), "-c", PROBE).stdout.splitlines()[-1])
    assert found["glue"] == {"hook": "GlueWorkflowRunHook"}  # the base install has boto3
    assert found["codecatalyst"] == {"hook": "CodeCatalystWorkflowRunHook"}
    assert found["datadog"] == {"hook": "DatadogWorkflowInstanceHook", "client": "DatadogRunClient"}
    assert found["dataworks"]["error"] == "MissingExtra"
    assert f"pip install '{DISTRIBUTION}[dataworks]'" in found["dataworks"]["message"]
    assert "alibabacloud" in found["dataworks"]["message"]  # what is missing
    # The Logic Apps hook imports its SDK at its first call (not at DAG parse, not on the loop):
    assert found["logic_apps"]["hook"] == "LogicAppsWorkflowRunHook"
    assert f"{DISTRIBUTION}[azure]" in found["logic_apps"]["first_call"]


@pytest.mark.network
@pytest.mark.timeout(300)
def test_the_all_extra_installs_every_services_sdk(installed: Installed):
    planned = installed.run(
        installed.uv,
        "pip",
        "install",
        "--dry-run",
        "--python",
        installed.bin("python"),
        *installed.constraints,
        f"{installed.wheel}[all]",
    )
    added = {line.split()[1].split("==")[0] for line in (planned.stdout + planned.stderr).splitlines() if " + " in line}
    assert {"azure-identity", "azure-mgmt-web", "alibabacloud-dataworks-public20240518", "darabonba-core"} <= added
