"""Every service's watcher announces a finished run once; and what is refused when the DAG is
parsed (ids, connections, arguments, an Airflow without event triggers), what ``serialize()``
holds (no secret) and that it rebuilds the same trigger (the same Trigger row).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from airflow.triggers.base import BaseEventTrigger

from airflow_workflow_runs.registry import load_hook_class
from tests.emulated_services import EmulatedServices
from tests.event_harness import (
    POLL,
    AssetStore,
    Triggerer,
    event_trigger,
    event_trigger_class,
    until,
    watch_state,
)
from tests.test_hostile_ids import GLUE_HOSTILE, HOSTILE, assert_names
from tests.test_secret_leaks import leaks, sentinels

TARGETS = EmulatedServices.TARGETS


def import_string(classpath: str) -> Any:
    """The class a Trigger row's classpath names, as the triggerer imports it."""
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_id_of(ref: dict[str, str]) -> str:
    return ref.get("run_id") or ref.get("run_name") or ref["instance_id"]


@pytest.mark.parametrize("target", TARGETS)
def test_every_service_announces_a_finished_run_once(services, target):
    """Catches, per service: a list call that does not reach the run (filters, business dates,
    paging), a re-read that fails (Datadog's outputs), an id or a key the payload gets wrong."""
    history = services.add_run(target, "succeeded")  # ended before the first start: not announced
    time.sleep(0.05)
    trigger = event_trigger(services, target)
    store, saved = AssetStore(), []

    async def scenario() -> dict[str, str]:
        triggerer = Triggerer(saved)
        triggerer.start(1, trigger, store)
        await until(lambda: watch_state(store) is not None)
        ref = services.add_run(target, "running", "succeeded", polls=1)
        services.add_run(target, "running", "failed", polls=1)
        await until(lambda: len(saved) == 1)
        await asyncio.sleep(8 * POLL)
        await triggerer.shutdown()
        assert triggerer.errors == []
        return ref

    ref = asyncio.run(scenario())
    assert len(saved) == 1, [payload["key"] for _, payload in saved]
    payload = saved[0][1]
    assert payload["run"]["run_id"] == run_id_of(ref) and payload["run"]["state"] == "succeeded"
    assert payload["key"].endswith(f":{run_id_of(ref)}") and payload["service"] == services.service(target)
    assert run_id_of(history) not in json.dumps(saved)
    texts = [json.dumps(saved), json.dumps(store.keys), repr(trigger.serialize())]
    assert not leaks(texts, services.secrets)


# --- when the DAG is parsed ------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_a_hostile_workflow_id_is_refused_at_parse_naming_the_field(services, target):
    """The cases of test_hostile_ids, in every workflow field. Catches: an id that reaches the
    triggerer (and the service) instead of failing the DAG import with the field named."""
    service = services.service(target)
    fields = list(services.workflow(target))
    if service == "logic_apps":
        fields += ["subscription_id", "resource_group_name"]
    not_refused = []
    for field in fields:
        for value in GLUE_HOSTILE if service == "glue" else HOSTILE:
            try:
                event_trigger(services, target, **{field: value})
            except ValueError as error:
                assert_names(error, field)
            else:
                not_refused.append((field, value))
    assert not_refused == []
    assert services.requests(target) == [], "a request was sent for a hostile id"


@pytest.mark.parametrize("target", TARGETS)
def test_a_missing_connection_or_one_of_another_type_is_refused_at_parse(services, target, monkeypatch):
    """Catches: a watcher whose connection cannot work, found only in the triggerer's log."""
    service = services.service(target)
    cls = event_trigger_class(service)
    conn_arg = EmulatedServices.CONN_ARGS[service]
    workflow = services.workflow(target)
    if load_hook_class(cls.hook_class_path).missing_connection_ok:  # the SDK's own settings then
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # which the tests' environment lacks
        cls(**workflow, **{conn_arg: "awr_no_such_connection"})
    else:
        with pytest.raises(ValueError, match="'awr_no_such_connection' does not exist"):
            cls(**workflow, **{conn_arg: "awr_no_such_connection"})
    other = "datadog" if service != "datadog" else "glue"
    with pytest.raises(ValueError, match="is of type") as refused:
        cls(**workflow, **{conn_arg: services.conn_ids[other]})
    assert services.conn_ids[other] in str(refused.value)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"run_id": "wr_1"}, "run_id"),  # a sensor's argument: a watcher follows a workflow
        ({"workflow": "etl"}, "workflow"),
        ({"states": []}, "states"),
        ({"states": ["running"]}, "states"),
        ({"states": "succeded"}, "states"),
        ({"since": "yesterday"}, "since"),
        ({"since": 1767225600}, "since"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": -5}, "poll_interval"),
        ({"poll_interval": float("nan")}, "poll_interval"),
        ({"poll_interval": float("inf")}, "poll_interval"),
        ({"poll_interval": "often"}, "poll_interval"),
        ({"max_run_duration": 0}, "max_run_duration"),
        ({"max_run_duration": float("nan")}, "max_run_duration"),
    ],
)
def test_bad_arguments_are_refused_at_parse_naming_them(services, arguments, field):
    """Catches: an argument a watcher silently ignores, or a value that breaks it in the triggerer
    (a NaN interval sleeps forever; a NaN duration fails every listing)."""
    with pytest.raises((TypeError, ValueError)) as refused:
        event_trigger(services, "glue", **arguments)
    assert field in str(refused.value)


@pytest.mark.parametrize("target", TARGETS)
def test_serialize_holds_no_secret_and_rebuilds_the_same_trigger(services_with, target):
    """What Airflow stores in the Trigger row and rebuilds in the triggerer. Catches: a secret in
    the kwargs, kwargs that rebuild another trigger, or a hash that changes with how the same
    watcher is written (a second Trigger row for one watcher)."""
    services = services_with(sentinels())
    since = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    trigger = event_trigger(services, target, states=["failed", "succeeded"], since=since)
    classpath, kwargs = trigger.serialize()
    assert not leaks([json.dumps(kwargs), repr(trigger.shared_stream_key())], services.secrets)
    again = import_string(classpath)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    written_otherwise = event_trigger(services, target, states=["succeeded", "failed"], since=since.isoformat())
    assert written_otherwise.serialize() == (classpath, kwargs)
    assert BaseEventTrigger.hash(*again.serialize()) == BaseEventTrigger.hash(classpath, kwargs)

    async def in_the_triggerer() -> Any:  # built in a running loop: no parse-time checks, same result
        return import_string(classpath)(**kwargs).serialize()

    assert asyncio.run(in_the_triggerer()) == (classpath, kwargs)


def test_an_airflow_without_event_triggers_is_refused_naming_airflow_3_3(services, monkeypatch):
    """Catches: a watcher built on an Airflow without ack-mode shared streams and the asset state
    store, where it could not keep its promise (runs announced twice or lost)."""
    monkeypatch.delattr(BaseEventTrigger, "create_shared_stream_producer")
    for target in ("glue", "datadog"):
        with pytest.raises(RuntimeError, match=r"Airflow 3\.3"):
            event_trigger(services, target)


def test_a_task_deferring_to_the_watcher_trigger_fails_clearly(services):
    """Catches: the event trigger used as a task's trigger waiting forever without a word."""
    trigger = event_trigger(services, "glue")

    async def first() -> Any:
        return await trigger.run().__anext__()

    with pytest.raises(RuntimeError, match="AssetWatcher"):
        asyncio.run(first())
