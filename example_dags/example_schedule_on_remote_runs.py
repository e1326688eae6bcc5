"""Schedule DAGs on remote runs: an asset per workflow, no sensor and no DAG run that waits.

Each asset has an ``AssetWatcher`` whose trigger lists the workflow's runs in the triggerer (one
list call per poll, shared by every watcher of that workflow). Every run that succeeds becomes one
asset event carrying the normalized run, and that event schedules the DAGs consuming the asset:
``after_<service>`` runs once per remote run, ``after_all_five`` once every asset has had a new
event (``AssetAll``). A watcher's first start announces only runs that end after it (pass
``since=...`` to go further back); its watermark lives in Airflow's asset state store, so a
triggerer restart neither repeats nor skips a run. Needs Airflow 3.3. With ``make live`` the
emulator finishes a run of each workflow every 30 seconds; unpaused DAGs start their watchers.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, Asset, AssetAll, AssetWatcher, task

from airflow_workflow_runs.asset_events import finished_runs
from airflow_workflow_runs.triggers.codecatalyst import CodeCatalystWorkflowRunEventTrigger
from airflow_workflow_runs.triggers.datadog import DatadogWorkflowInstanceEventTrigger
from airflow_workflow_runs.triggers.dataworks import DataWorksWorkflowInstanceEventTrigger
from airflow_workflow_runs.triggers.glue import GlueWorkflowRunEventTrigger
from airflow_workflow_runs.triggers.logic_apps import LogicAppsWorkflowRunEventTrigger

POLL = {"poll_interval": 10}  # seconds between list calls; real schedules: 60 or more

WATCHED = {
    "glue": GlueWorkflowRunEventTrigger(workflow_name="demo_scheduled_refresh", **POLL),
    "codecatalyst": CodeCatalystWorkflowRunEventTrigger(
        space_name="demo-space",
        project_name="demo-project",
        workflow_id="2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
        **POLL,
    ),
    "datadog": DatadogWorkflowInstanceEventTrigger(workflow_id="4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e", **POLL),
    "dataworks": DataWorksWorkflowInstanceEventTrigger(project_id=10086, workflow_id=700002, **POLL),
    "logic_apps": LogicAppsWorkflowRunEventTrigger(
        resource_group_name="rg-airflow", workflow_name="la-scheduled-sync", **POLL
    ),
}
ASSETS = {
    service: Asset(f"{service}_workflow_finished", watchers=[AssetWatcher(name=f"{service}_runs", trigger=trigger)])
    for service, trigger in WATCHED.items()
}
ARGS = {
    "start_date": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    "catchup": False,
    "default_args": {"retries": 2, "retry_delay": datetime.timedelta(seconds=10)},
    "tags": ["example", "cross-cloud", "event-driven"],
}


@task
def report(triggering_asset_events=None) -> list[dict]:
    """The remote runs this DAG run is for (none when triggered by hand)."""
    runs = finished_runs(triggering_asset_events or {})
    for run in runs:
        print(f"{run.describe()} ended {run.ended_at}; console: {run.console_url}")
    return [run.to_dict() for run in runs]


for service, asset in ASSETS.items():
    with DAG(dag_id=f"example_after_{service}", schedule=[asset], **ARGS):
        report()

with DAG(dag_id="example_after_all_five", schedule=AssetAll(*ASSETS.values()), **ARGS):
    report()
