"""The example DAGs users copy from must parse cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"


@pytest.fixture(autouse=True)
def demo_connections(monkeypatch):
    """The connections the examples name, as `make demo` defines them: the event triggers of
    example_schedule_on_remote_runs check theirs when the DAG is parsed."""
    from e2e.stack import demo_connections

    endpoints = {"http_url": "http://127.0.0.1:1", "https_url": "https://127.0.0.1:2", "ca_bundle": "/nonexistent.pem"}
    for name, value in demo_connections(endpoints).items():
        monkeypatch.setenv(name, value)


def test_example_dags_import_without_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert bag.import_errors == {}
    assert "example_glue_workflow_runs" in bag.dag_ids
    tasks = {task.task_id: type(task).__name__ for task in bag.get_dag("example_glue_workflow_runs").tasks}
    assert tasks["wait_in_worker"] == tasks["wait_deferred"] == "GlueWorkflowRunSensor"
    assert tasks["run_workflow"] == "GlueRunWorkflowOperator"
    assert {
        "example_codecatalyst_workflow_runs",
        "example_datadog_workflow_instances",
        "example_dataworks_workflow_instances",
        "example_latest_runs_and_gate",
    } <= set(bag.dag_ids)
    gate = bag.get_dag("example_latest_runs_and_gate").get_task("gate_next_runs")
    assert type(gate).__name__ == "CrossCloudGateSensor"
    assert {run["service"] for run in gate.runs} == {"glue", "codecatalyst", "datadog", "dataworks", "logic_apps"}


def ui_run_context(dag, task):
    """The template context of a run triggered from the UI or the REST API: no ``logical_date``,
    ``ds``, ``ts`` or data interval (the keys Airflow's task runner then leaves out)."""
    import datetime
    import types

    from airflow.sdk.definitions.param import process_params
    from airflow.sdk.execution_time.context import MacrosAccessor

    from tests.helpers import StandInTaskInstance

    class UiRunTaskInstance(StandInTaskInstance):
        def xcom_pull(self, *args, **kwargs):  # an upstream task's result, as rendering reads it
            return {"state": "succeeded"}

    now = datetime.datetime.now(datetime.timezone.utc)
    run_id = f"manual__{now.isoformat()}"
    ti = UiRunTaskInstance()
    ti.dag_id, ti.task_id, ti.run_id = dag.dag_id, task.task_id, run_id
    dag_run = types.SimpleNamespace(
        dag_id=dag.dag_id,
        run_id=run_id,
        run_after=now,
        start_date=now,
        logical_date=None,
        data_interval_start=None,
        data_interval_end=None,
        conf={},
        run_type="manual",
    )
    return {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "run_id": run_id,
        "dag_run": dag_run,
        "params": process_params(dag, task, None, suppress_exception=False),
        "macros": MacrosAccessor(),
        "var": {},
        "conn": None,
        "task_instance_key_str": f"{dag.dag_id}__{task.task_id}__{run_id}",
        "task_reschedule_count": 0,
    }


def test_every_example_task_renders_in_a_run_triggered_from_the_ui(airflow_db):
    import copy

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES))
    rendered = 0
    for dag_id in bag.dag_ids:
        dag = bag.get_dag(dag_id)
        for original in dag.tasks:
            task = copy.copy(original)
            task.render_template_fields(ui_run_context(dag, task), jinja_env=dag.get_template_env())
            rendered += 1
            for field in task.template_fields:
                assert "{{" not in str(getattr(task, field)), (dag_id, task.task_id, field)
    assert rendered >= 15


def test_every_example_task_retries():
    """Examples set retries: a transient outage or Airflow's own stale-defer race must not end a demo run."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES))
    no_retries = [(d, t.task_id) for d in bag.dag_ids for t in bag.get_dag(d).tasks if not t.retries]
    assert no_retries == []
