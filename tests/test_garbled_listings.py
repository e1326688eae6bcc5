"""A listing answered 200 with a body that is not a listing is garbled (transient), never "no runs".

The window sensors and the AssetWatcher event triggers take a listing as truth (a trigger moves its
watermark past what it listed): a proxy's HTML page, a cut-off body, ``{}``, ``[]``, ``null`` or a
bare string read as an empty page would lose runs. Every service's list call (the one
``list_runs_in_window`` / ``alist_runs_in_window`` makes) must refuse them with ``GarbledAnswer``,
naming the operation, and still take the real empty listing (the emulator's) for no runs.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_workflow_runs.clients.answers import require_listing
from airflow_workflow_runs.model import GarbledAnswer, TimeWindow
from tests.emulated_services import EmulatedServices

#: Each service's list call, as the emulator names it.
LIST_OPERATIONS = {
    "glue": "GetWorkflowRuns",
    "codecatalyst": "ListWorkflowRuns",
    "logic_apps": "ListWorkflowRuns",
    "datadog": "ListWorkflowInstances",
    "dataworks": "ListWorkflowInstances",
}
#: The emulator's garbled 200 bodies: an HTML page, the real body cut in half, and JSON that is
#: not the documented object.
GARBLED_BODIES = ("non_json", "truncated", "empty_object", "empty_list", "null", "string")
#: The ref field holding a run's id, per service.
RUN_ID_FIELDS = ("run_id", "run_name", "instance_id")


def window() -> TimeWindow:
    """The last two days and on: the emulator's runs (DataWorks: its business dates) are in it."""
    return TimeWindow(datetime.now(timezone.utc) - timedelta(days=2), None)


def list_in_window(services: EmulatedServices, target: str, aio: bool) -> list[Any]:
    client = services.hook(target).client
    workflow = services.workflow(target)
    if aio:
        return asyncio.run(client.alist_runs_in_window(workflow, window()))
    return client.list_runs_in_window(workflow, window())


def fault_listing(services: EmulatedServices, target: str, body: str) -> None:
    service = services.service(target)
    services.emu.add_fault({"service": service, "operation": LIST_OPERATIONS[service], "body": body, "status": 200})


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
@pytest.mark.parametrize("body", GARBLED_BODIES)
@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_a_garbled_listing_is_refused_as_transient_never_read_as_no_runs(services, target, body, aio):
    ref = services.add_run(target, "succeeded", started_on=time.time() - 60)
    fault_listing(services, target, body)

    with pytest.raises(GarbledAnswer) as raised:
        list_in_window(services, target, aio)

    message = str(raised.value)  # names what was listed and what was wrong, never a secret
    assert any(str(value) in message for value in services.workflow(target).values()), message
    assert "will retry" in message and ("listing" in message or "body" in message), message
    assert not any(secret in message for secret in services.secrets.values())
    # The next listing, answered for real, lists the run: nothing was lost, nothing cached.
    listed = list_in_window(services, target, aio)
    assert [run.run_id for run in listed] == [next(value for key, value in ref.items() if key in RUN_ID_FIELDS)]


@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_a_real_empty_listing_is_no_runs(services, target):
    """The emulator answers an empty listing as the service does: it stays a successful empty one."""
    if target == "glue":  # Glue and Logic Apps refuse to list a workflow that does not exist
        services.emu.glue.define_workflow(services.GLUE_WORKFLOW)
    elif target.startswith("logic_apps"):
        site = services.workflow(target).get("site_name")
        services.emu.logic_apps.define_workflow(services.LA_WORKFLOW, site=site)
    assert list_in_window(services, target, aio=False) == []
    assert list_in_window(services, target, aio=True) == []


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ({}, "no Runs list: it is missing"),
        ({"Runs": None}, "no Runs list: it is missing"),
        ({"Runs": {}}, "a JSON object instead of a list"),
        ({"Runs": "x"}, "a JSON string instead of a list"),
        ([], "a JSON array instead of an object"),
        (None, "a JSON null instead of an object"),
        ("<html>", "a JSON string instead of an object"),
    ],
)
def test_a_page_without_its_list_is_garbled(page, problem):
    with pytest.raises(GarbledAnswer, match=problem):
        require_listing(page, "Runs")


def test_a_page_with_its_list_is_read_even_empty():
    assert require_listing({"Runs": []}, "Runs") == []
    assert require_listing({"Runs": [{"a": 1}], "NextToken": "t"}, "Runs") == [{"a": 1}]
