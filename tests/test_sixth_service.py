"""A sixth service needs only its declaration, client, hook and emulator service (tests/toy_service.py).

From those alone it gets a sensor that waits in every mode, a start-and-wait operator (deferred
too), a place in the cross-cloud gate, trigger kwargs naming its hook, and provider-info entries
that Airflow's schema accepts: no generic module knows the toy service.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from importlib.resources import files

import jsonschema
import pytest
from airflow.sdk import DAG

from airflow_workflow_runs import services
from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.get_provider_info import provider_info
from airflow_workflow_runs.sensors.cross_cloud_gate import CrossCloudGateSensor
from tests.helpers import MODES, START, states, xcom
from tests.toy_service import TOY, ToyRunOperator, ToyRunSensor, ToyService


@pytest.fixture(scope="module")
def toy_emulator() -> Iterator[Emulator]:
    with Emulator(services=(ToyService,)) as emulator:
        yield emulator


@pytest.fixture
def toy(toy_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[ToyService]:
    """The toy service registered, its emulator emptied, ``toy_default`` pointing at it."""
    toy_emulator.reset()
    monkeypatch.setenv("AIRFLOW_CONN_TOY_DEFAULT", json.dumps({"conn_type": "toy", "host": toy_emulator.http_url}))
    services.register(TOY)
    yield toy_emulator.service("toy")  # type: ignore[misc]
    services.unregister(TOY.name)


def test_its_provider_info_entries_come_from_the_declaration_and_fit_airflows_schema():
    info = provider_info([*services.declarations(), TOY])
    jsonschema.validate(info, json.loads((files("airflow") / "provider_info.schema.json").read_text()))
    for section in ("hooks", "sensors", "operators"):
        assert {"integration-name": "Toy workflow runs", "python-modules": ["tests.toy_service"]} in info[section]
    assert "tests.toy_service.ToyRunLink" in info["extra-links"]
    (form,) = [c for c in info["connection-types"] if c["connection-type"] == "toy"]
    assert form["hook-class-name"] == "tests.toy_service.ToyRunHook"


def test_its_classes_have_the_declared_arguments_fields_docs_and_link():
    parameters = inspect.signature(ToyRunSensor.__init__).parameters
    assert parameters["run_id"].default is None and parameters["toy_conn_id"].default == "toy_default"
    assert ToyRunSensor.template_fields == ("run_id", "toy_conn_id", "started_after", "started_before")
    assert ":param run_id: the toy run's id (templated)" in (ToyRunSensor.__doc__ or "")
    assert [link.name for link in ToyRunOperator.operator_extra_links] == ["Toy run"]
    with pytest.raises(TypeError, match="toy_conn_id"):
        ToyRunOperator(task_id="t", steps=1, toy_conn_idx="typo")  # Airflow refuses unknown arguments


def test_its_sensor_waits_in_every_mode_and_fails_on_a_broken_run(toy, run_dag, dag_id):
    good = toy.add_run(steps=2)
    bad = toy.add_run(steps=1, end="BROKEN")
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        for name, mode in MODES.items():
            ToyRunSensor(task_id=name, run_id=good, poke_interval=0.1, timeout=30, **mode)
        ToyRunSensor(task_id="broken", run_id=bad, poke_interval=0.1, timeout=30, deferrable=True)
    dag_run = run_dag(dag)
    assert states(dag_run) == {**dict.fromkeys(MODES, "success"), "broken": "failed"}
    assert xcom(dag_run, "deferrable")["raw_status"] == "DONE"


@pytest.mark.parametrize("deferrable", [False, True], ids=["in-worker", "deferred"])
def test_its_operator_starts_one_run_and_waits_for_it(toy, run_dag, dag_id, deferrable):
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        ToyRunOperator(task_id="start", steps=2, poll_interval=0.1, deferrable=deferrable)
    dag_run = run_dag(dag)
    assert states(dag_run) == {"start": "success"}
    (run_id,) = toy.runs
    assert xcom(dag_run, "start")["run_id"] == run_id and toy.runs[run_id]["status"] == "DONE"
    assert xcom(dag_run, "start", "run_ref") == {"run_id": run_id}


def test_the_gate_follows_its_runs_beside_nothing_else(toy, run_dag, dag_id):
    first, second = toy.add_run(steps=1), toy.add_run(steps=3)
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        CrossCloudGateSensor(
            task_id="gate",
            runs=[{"service": "toy", "run_id": first}, {"service": "toy", "run_id": second, "conn_id": "toy_default"}],
            poke_interval=0.1,
            timeout=30,
            deferrable=True,
        )
    dag_run = run_dag(dag)
    assert states(dag_run) == {"gate": "success"}
    assert [run["run_id"] for run in xcom(dag_run, "gate")] == [first, second]


def test_a_bad_id_is_refused_before_any_request(toy, toy_emulator, run_dag, dag_id):
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        ToyRunSensor(task_id="bad", run_id="../admin", poke_interval=0.1, timeout=5)
        ToyRunSensor(task_id="good", run_id=(good := toy.add_run(steps=0)), poke_interval=0.1, timeout=5)
    assert states(run_dag(dag)) == {"bad": "failed", "good": "success"}
    assert {r["path"] for r in toy_emulator.requests("toy")} == {f"/toy/runs/{good}"}  # only the good one's
