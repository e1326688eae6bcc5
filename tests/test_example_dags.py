"""The example DAGs users copy from must parse cleanly."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"


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
