"""Hostile ids end to end: refused before any request, naming the field, in every service.

``.`` and ``..`` (which an HTTP client normalises into the parent resource), a NUL, an empty and a
blank value in each id field, through the hooks (sync and async) and the sensors (poke, and
deferrable before it defers). And a run id that rendered empty is an error ("rendered empty"),
never "wait for the newest run in the window": the sensors must not succeed on an unrelated
finished run there.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException

from airflow_workflow_runs.model import InvalidRunReference
from tests.emulated_services import EmulatedServices
from tests.helpers import START, run_context

#: The id fields of each target (the sensor arguments naming its run).
ID_FIELDS = {
    "glue": ("workflow_name", "run_id"),
    "codecatalyst": ("space_name", "project_name", "run_id"),
    "logic_apps_consumption": ("subscription_id", "resource_group_name", "workflow_name", "run_name"),
    "logic_apps_standard": ("subscription_id", "resource_group_name", "site_name", "workflow_name", "run_name"),
    "datadog": ("workflow_id", "instance_id"),
    "dataworks": ("project_id", "instance_id"),
}
HOSTILE = {".": "dot", "..": "dot-dot", "run\x00id": "nul", "\x00": "only-nul", "": "empty", "  ": "blank"}
#: Glue names travel in a JSON body: '.' and '..' are names there (see test_glue_dot_names_are_names).
GLUE_HOSTILE = ("run\x00id", "\x00", "", "  ")
#: (target, field, value) -> the reason of a strict xfail, for a hole found and not yet closed.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def cases() -> list[Any]:
    out = []
    for target, fields in ID_FIELDS.items():
        for field in fields:
            for value in GLUE_HOSTILE if target == "glue" else HOSTILE:
                bug = KNOWN_BUGS.get((target, field, value))
                out.append(
                    pytest.param(
                        target,
                        field,
                        value,
                        id=f"{target}-{field}-{HOSTILE[value]}",
                        marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [],
                    )
                )
    return out


def assert_names(error: BaseException, field: str) -> None:
    assert field in str(error), f"the message does not name {field}: {error}"


@pytest.mark.parametrize(("target", "field", "value"), cases())
def test_a_hostile_id_fails_the_wait_before_any_request_naming_the_field(services, target, field, value):
    ref = services.add_run(target, "succeeded")  # a real run: only the hostile field is wrong
    ref[field] = value
    services.emu.clear_requests()
    hook = services.hook(target)
    with pytest.raises(InvalidRunReference) as raised:
        hook.get_run(ref)
    assert_names(raised.value, field)
    with pytest.raises(InvalidRunReference) as raised:
        asyncio.run(hook.aget_run(ref))
    assert_names(raised.value, field)
    for mode in ({}, {"deferrable": True}):
        sensor = services.sensor(target, ref, poke_interval=0.01, **mode)
        with pytest.raises(AirflowFailException) as failed:  # non-retryable: a retry cannot fix the id
            sensor.execute(run_context()) if mode else sensor.poke(run_context())
        assert_names(failed.value, field)
    assert services.requests(target) == [], "a request was sent for a hostile id"


def test_glue_dot_names_are_names_sent_in_the_body(services):
    """Glue names are JSON strings, never path segments: '..' is a workflow name like any other."""
    hook = services.hook("glue")
    run_id = services.emu.glue.add_run("..", [{"status": "COMPLETED"}])
    assert hook.get_run({"workflow_name": "..", "run_id": run_id}).run_id == run_id
    (sent,) = services.requests("glue")
    assert sent["body"]["Name"] == ".." and sent["path"] == "/"


# --- a run id that rendered empty ------------------------------------------------------------------

RUN_ID_ARGS = {
    "glue": "run_id",
    "codecatalyst": "run_id",
    "logic_apps_consumption": "run_name",
    "logic_apps_standard": "run_name",
    "datadog": "instance_id",
    "dataworks": "instance_id",
}
#: The sensors that can wait for the newest run of a workflow given only its name (the bug's scope).
WINDOW_TARGETS = ("glue", "logic_apps_consumption", "logic_apps_standard", "datadog")


def window_arguments(services: EmulatedServices, target: str, run_id: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(services.workflow(target))
    if target == "codecatalyst":
        del arguments["workflow_id"]  # given separately below
    return {**arguments, RUN_ID_ARGS[target]: run_id}


@pytest.mark.parametrize("empty", ["", "   "], ids=["empty", "blank"])
@pytest.mark.parametrize("target", WINDOW_TARGETS)
def test_an_empty_run_id_fails_and_does_not_follow_another_run_in_the_window(services, target, empty):
    unrelated = services.add_run(target, "succeeded", started_on=(datetime.now(timezone.utc).timestamp() - 60))
    # Left out (None), the sensor waits for the newest run in the window: here, the unrelated one.
    chosen = services.sensor(target, window_arguments(services, target, None)).poke(run_context())
    assert isinstance(chosen, PokeReturnValue) and chosen.is_done
    assert chosen.xcom_value["run_id"] == unrelated[RUN_ID_ARGS[target]]
    services.emu.clear_requests()

    for mode in ({}, {"deferrable": True}):
        sensor = services.sensor(target, window_arguments(services, target, empty), **mode)
        with pytest.raises(AirflowFailException, match="rendered empty") as failed:
            sensor.execute(run_context()) if mode else sensor.poke(run_context())
        assert f"{RUN_ID_ARGS[target]} rendered empty" in str(failed.value)
        assert "leave it out to wait for the newest run in the window" in str(failed.value)
    assert services.requests(target) == []


@pytest.mark.parametrize("with_workflow", [False, True], ids=["run-id-only", "and-workflow-id"])
@pytest.mark.parametrize("target", ["codecatalyst", "dataworks"])
def test_an_empty_run_id_is_named_not_the_workflow_id(services, target, with_workflow):
    arguments = window_arguments(services, target, "")
    if not with_workflow:
        arguments.pop("workflow_id", None)
    elif target == "codecatalyst":
        arguments["workflow_id"] = EmulatedServices.CC_WORKFLOW
    for mode in ({}, {"deferrable": True}):
        sensor = services.sensor(target, arguments, **mode)
        with pytest.raises(AirflowFailException) as failed:
            sensor.execute(run_context()) if mode else sensor.poke(run_context())
        assert f"{RUN_ID_ARGS[target]} rendered empty" in str(failed.value), failed.value
        assert "workflow_id must be" not in str(failed.value)
    assert services.requests(target) == []


def test_a_run_id_template_that_renders_empty_fails_every_sensor_in_a_dag_run(services, run_dag, dag_id, capfd):
    """As in a DAG: ``run_id="{{ ... }}"`` rendering empty, with a finished run in the data interval."""
    logical = datetime.now(timezone.utc) - timedelta(hours=1)
    for target in WINDOW_TARGETS:
        services.add_run(target, "succeeded", started_on=logical.timestamp() + 60)
    services.emu.clear_requests()
    with DAG(dag_id, schedule=None, start_date=START, catchup=False) as dag:
        for target in WINDOW_TARGETS:
            services.sensor(target, window_arguments(services, target, "{{ '' }}"), task_id=target, poke_interval=0.1)
        services.sensor(
            "glue", window_arguments(services, "glue", "{{ dag_run.conf.get('missing', '') }}"), task_id="glue_conf"
        )
    dag_run = run_dag(dag, logical_date=logical)
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert states == dict.fromkeys([*WINDOW_TARGETS, "glue_conf"], "failed")
    for target in WINDOW_TARGETS:
        assert services.requests(target) == [], f"{target} sent a request for a run id that rendered empty"
    logs = "".join(capfd.readouterr())
    for target in WINDOW_TARGETS:
        assert f"{RUN_ID_ARGS[target]} rendered empty ('')" in logs
