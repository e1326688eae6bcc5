"""Every answer is a run, a transient error or a clear permanent error: never a bare exception.

- Each service's parser, given any JSON value (and run objects of the documented shape whose fields
  have the wrong types), returns a ``WorkflowRun`` that serializes as the XCom and trigger event
  do, or raises a ``WorkflowRunError`` with a message; never a bare ``KeyError``, ``TypeError``,
  ``AttributeError`` or ``ValueError``. A garbled answer never reads as a success.
- End to end, sync and async, a 200 whose body is not the documented object (an HTML page, a
  cut-off body, JSON ``[]``/``null``/a string/``{}``, a run without its status) is a
  ``GarbledAnswer`` (transient) naming the run; a deferred wait that meets a few of them ends with
  the run's real outcome.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from airflow_workflow_runs.emulator.faults import BODY_KINDS
from airflow_workflow_runs.emulator.glue_wire import COUNTERS as GLUE_COUNTERS
from airflow_workflow_runs.model import GarbledAnswer, RunState, TransientServiceError, WorkflowRun, WorkflowRunError
from tests.emulated_services import EmulatedServices
from tests.helpers import first_event

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- values ------------------------------------------------------------------------------------

#: Any JSON value as ``json.loads`` returns it (1e400 decodes to infinity; NaN is not JSON).
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def either(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's documented value, or any JSON value in its place."""
    return valid | JSON


def run_object(
    fields: dict[str, st.SearchStrategy[Any]], exact: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the documented shape: each field present or not, of its type or another
    (``exact`` fields only of their type: botocore parses timestamps into datetimes, or fails)."""
    return st.fixed_dictionaries(
        {}, optional={name: valid if name in exact else either(valid) for name, valid in fields.items()}
    )


MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))
ISO = MOMENTS.map(lambda moment: moment.isoformat().replace("+00:00", "Z"))
EPOCH_MS = MOMENTS.map(lambda moment: int(moment.timestamp() * 1000))
TEXT = st.text(max_size=20)
COUNTS = st.integers(0, 10)


def statuses(documented: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([*documented, "PAUSED_BY_A_FUTURE_RELEASE"]) | TEXT


GLUE_STATUSES = ["RUNNING", "COMPLETED", "STOPPING", "STOPPED", "ERROR"]
GLUE_RUN = run_object(
    {
        "Name": TEXT,
        "WorkflowRunId": TEXT,
        "PreviousRunId": TEXT,
        "WorkflowRunProperties": st.dictionaries(TEXT, TEXT, max_size=3),
        "StartedOn": MOMENTS,
        "CompletedOn": MOMENTS,
        "Status": statuses(GLUE_STATUSES),
        "ErrorMessage": TEXT,
        "Statistics": run_object({name: COUNTS for name in GLUE_COUNTERS}),
    },
    exact=("StartedOn", "CompletedOn"),
)
CODECATALYST_STATUSES = [
    "SUCCEEDED",
    "FAILED",
    "STOPPED",
    "SUPERSEDED",
    "CANCELLED",
    "NOT_RUN",
    "VALIDATING",
    "PROVISIONING",
    "IN_PROGRESS",
    "STOPPING",
    "ABANDONED",
]
CODECATALYST_RUN = run_object(
    {
        "spaceName": TEXT,
        "projectName": TEXT,
        "id": TEXT,
        "workflowId": TEXT,
        "status": statuses(CODECATALYST_STATUSES),
        "statusReasons": st.lists(st.dictionaries(TEXT, TEXT, max_size=2), max_size=2),
        "startTime": MOMENTS,
        "endTime": MOMENTS,
        "lastUpdatedTime": MOMENTS,
    },
    exact=("startTime", "endTime", "lastUpdatedTime"),
)
LOGIC_APPS_STATUSES = ["Running", "Waiting", "Succeeded", "Failed", "Cancelled", "Skipped", "Suspended", "TimedOut"]
LOGIC_APPS_RUN = run_object(
    {
        "name": TEXT,
        "id": TEXT,
        "type": st.just("Microsoft.Logic/workflows/runs"),
        "status": statuses(LOGIC_APPS_STATUSES),  # where azure-mgmt-logic's flattened model puts it
        "properties": run_object(
            {
                "status": statuses(LOGIC_APPS_STATUSES) | statuses(LOGIC_APPS_STATUSES).map(str.upper),
                "startTime": ISO,
                "endTime": ISO,
                "code": TEXT,
                "error": run_object({"code": TEXT, "message": TEXT}),
                "outputs": st.dictionaries(TEXT, run_object({"value": JSON, "type": TEXT}), max_size=2),
                "correlation": run_object({"clientTrackingId": TEXT}),
                "trigger": run_object({"name": TEXT, "status": TEXT}),
            }
        ),
    }
)
DATADOG_STATUSES = ["IN_PROGRESS", "SUCCEEDED", "CANCELED", "INSTANCE_ERROR", "STEP_ERROR"]
DATADOG_INSTANCE = run_object(
    {
        "data": run_object(
            {
                "id": TEXT,
                "type": st.just("workflow_instance"),
                "attributes": run_object(
                    {
                        "instanceStatus": run_object({"detailsKind": statuses(DATADOG_STATUSES), "displayName": TEXT}),
                        "startTimestamp": ISO,
                        "endTimestamp": ISO,
                        "stepStateAssociations": st.lists(
                            run_object({"stepName": TEXT, "stepState": statuses(DATADOG_STATUSES), "error": JSON}),
                            max_size=3,
                        ),
                        "errorDetail": run_object({"message": TEXT}),
                        "outputs": st.dictionaries(TEXT, JSON, max_size=2),
                        "trigger": JSON,
                    }
                ),
            }
        ),
        "meta": run_object({"outputsTooBig": st.booleans()}),
    }
)
DATAWORKS_STATUSES = ["NotRun", "Running", "WaitTime", "CheckingCondition", "WaitResource", "Failure", "Success"]
DATAWORKS_INSTANCE = run_object(
    {
        "Id": st.integers(1, 2**63 - 1),
        "ProjectId": st.integers(1, 2**63 - 1),
        "WorkflowId": st.integers(1, 2**63 - 1),
        "Name": TEXT,
        "Type": st.sampled_from(["Normal", "Manual", "SmokeTest"]),
        "EnvType": st.sampled_from(["Prod", "Dev"]),
        "Status": statuses(DATAWORKS_STATUSES),
        "StartedTime": EPOCH_MS,
        "FinishedTime": EPOCH_MS,
        "BizDate": EPOCH_MS,
        "CreateTime": EPOCH_MS,
        "Owner": TEXT,
        "Tags": st.lists(run_object({"Key": TEXT, "Value": TEXT}), max_size=2),
        "WorkflowParameters": TEXT,
    }
)

# --- the parsers -------------------------------------------------------------------------------

#: What each parser reads, its documented success status, and (target) how the tests reach it.
PARSERS: dict[str, tuple[st.SearchStrategy[Any], str, Callable[[Any, Any], WorkflowRun]]] = {
    "glue": (GLUE_RUN, "COMPLETED", lambda client, raw: client.parse_run(raw)),
    "codecatalyst": (CODECATALYST_RUN, "SUCCEEDED", lambda client, raw: client.parse_run(raw)),
    "logic_apps_consumption": (
        LOGIC_APPS_RUN,
        "Succeeded",
        lambda client, raw: client.parse_run(raw, {"workflow_name": "wf", "run_name": "run-1"}),
    ),
    "logic_apps_standard": (
        LOGIC_APPS_RUN,
        "Succeeded",
        lambda client, raw: client.parse_run(raw, {"workflow_name": "wf", "run_name": "run-1", "site_name": "site"}),
    ),
    "datadog": (
        DATADOG_INSTANCE,
        "SUCCEEDED",
        lambda client, raw: client.parse_run(
            raw, {"workflow_id": EmulatedServices.DD_WORKFLOW, "instance_id": "instance-1"}
        ),
    ),
    "dataworks": (DATAWORKS_INSTANCE, "Success", lambda client, raw: client.parse_run(raw)),
}


def read_or_error(parse: Callable[[], WorkflowRun]) -> WorkflowRun | WorkflowRunError:
    """The parser's run, or the WorkflowRunError it raised (anything else propagates: a bug)."""
    try:
        return parse()
    except WorkflowRunError as error:
        return error


def assert_a_usable_answer(answer: WorkflowRun | WorkflowRunError, success: str) -> None:
    if isinstance(answer, WorkflowRunError):
        assert str(answer).strip(), f"{type(answer).__name__} without a message"
        return
    assert isinstance(answer, WorkflowRun), answer
    assert isinstance(answer.state, RunState) and isinstance(answer.raw_status, str)
    assert isinstance(answer.run_id, str) and all(isinstance(v, str) for v in answer.ref.values())
    for moment in (answer.started_at, answer.ended_at):
        assert moment is None or isinstance(moment, datetime), moment
    assert isinstance(answer.outcome_text(), str)
    # What the sensor pushes to XCom and the trigger puts in its event, and what resumes from it.
    as_json = json.loads(json.dumps(answer.to_dict(), default=_not_json))
    again = WorkflowRun.from_dict(as_json)
    assert (again.state, again.run_id, again.raw_status) == (answer.state, answer.run_id, answer.raw_status)
    # Fail closed: only the documented success status succeeds.
    if answer.state is RunState.SUCCEEDED:
        assert answer.raw_status.casefold() == success.casefold(), answer


def _not_json(value: Any) -> Any:
    raise TypeError(f"not JSON-serializable: {type(value).__name__} {value!r}")


def has_infinity(value: Any) -> bool:
    """Infinities (JSON's 1e400) are left to the deterministic huge-number test, so that the
    properties do not find its known bugs only now and then."""
    if isinstance(value, float):
        return math.isinf(value)
    if isinstance(value, dict):
        return any(has_infinity(v) for v in value.values())
    if isinstance(value, list):
        return any(has_infinity(v) for v in value)
    return False


@pytest.fixture
def clients(services) -> dict[str, Any]:
    return {target: services.hook(target).client for target in EmulatedServices.TARGETS}


@pytest.mark.parametrize("target", PARSERS)
def test_any_json_value_gives_a_run_or_a_clear_error(clients, target):
    _, success, parse = PARSERS[target]
    client = clients[target]

    @PROPERTY
    @given(JSON.filter(lambda value: not has_infinity(value)))
    def usable(raw: Any) -> None:
        assert_a_usable_answer(read_or_error(lambda: parse(client, raw)), success)

    usable()


@pytest.mark.parametrize("target", PARSERS)
def test_run_objects_with_fields_of_the_wrong_type_give_a_run_or_a_clear_error(clients, target):
    shape, success, parse = PARSERS[target]
    client = clients[target]

    @PROPERTY
    @given(shape.filter(lambda value: not has_infinity(value)))
    def usable(raw: Any) -> None:
        assert_a_usable_answer(read_or_error(lambda: parse(client, raw)), success)

    for raw in WRONG_TYPE_EXAMPLES.get(target, []):  # always tried, whatever hypothesis draws
        usable = example(raw)(usable)
    usable()


#: Cases found by the property above, kept so that it always tries them.
WRONG_TYPE_EXAMPLES = {"dataworks": [{"Status": "Success", "StartedTime": 10**20}]}

#: A complete answer of each service, every documented field filled in (a succeeded run).
COMPLETE = {
    "glue": {
        "Name": "etl",
        "WorkflowRunId": "wr_1",
        "PreviousRunId": "wr_0",
        "WorkflowRunProperties": {"day": "2026-01-01"},
        "StartedOn": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "CompletedOn": datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc),
        "Status": "COMPLETED",
        "ErrorMessage": "",
        "Statistics": {
            "TotalActions": 2,
            "TimeoutActions": 0,
            "FailedActions": 0,
            "StoppedActions": 0,
            "SucceededActions": 2,
            "RunningActions": 0,
            "ErroredActions": 0,
            "WaitingActions": 0,
        },
    },
    "codecatalyst": {
        "spaceName": "example-corp",
        "projectName": "my-project",
        "id": "0f5b8c3e-1f2a-4b6c-9d8e-7a6b5c4d3e2f",
        "workflowId": "a1b2c3d4-5678-90ab-cdef-111111111111",
        "status": "SUCCEEDED",
        "statusReasons": [{}],
        "startTime": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "endTime": datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc),
        "lastUpdatedTime": datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc),
    },
    "logic_apps": {
        "name": "run-1",
        "id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Logic/workflows/wf/runs/run-1",
        "type": "Microsoft.Logic/workflows/runs",
        "properties": {
            "status": "Succeeded",
            "startTime": "2026-01-01T00:00:00.1234567Z",
            "endTime": "2026-01-01T00:05:00.1234567Z",
            "code": "OK",
            "outputs": {"rows": {"value": 42, "type": "Integer"}},
            "correlation": {"clientTrackingId": "tracking-1"},
            "trigger": {"name": "manual", "status": "Succeeded"},
        },
    },
    "datadog": {
        "data": {
            "id": "instance-1",
            "type": "workflow_instance",
            "attributes": {
                "instanceStatus": {"detailsKind": "SUCCEEDED", "displayName": "Succeeded"},
                "startTimestamp": "2026-01-01T00:00:00Z",
                "endTimestamp": "2026-01-01T00:05:00Z",
                "stepStateAssociations": [{"stepName": "Fetch", "stepState": "SUCCEEDED"}],
                "outputs": {"rows": 42},
                "errorDetail": {},
                "trigger": {"source": "api"},
            },
        },
        "meta": {"outputsTooBig": False},
    },
    "dataworks": {
        "Id": 1000001,
        "ProjectId": 100,
        "WorkflowId": 4242,
        "Name": "nightly",
        "Type": "Normal",
        "EnvType": "Prod",
        "Status": "Success",
        "StartedTime": 1767225600000,
        "FinishedTime": 1767225900000,
        "BizDate": 1767139200000,
        "CreateTime": 1767225600000,
        "Owner": "1234567890",
        "Tags": [{"Key": "airflow_run_key", "Value": "k"}],
        "WorkflowParameters": "{}",
    },
}
HUGE_NUMBERS = [math.inf, -math.inf, 10**400, -(10**400), 1e300, 2**64]


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field of a JSON object at any depth (a path of keys and list indexes)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    paths = []
    for key, child in items:
        if key in BOTOCORE_TIMESTAMPS:
            continue  # botocore parses these into datetimes, or fails: nothing else reaches the parser
        paths.append((*path, key))
        paths.extend(leaf_paths(child, (*path, key)))
    return paths


def replaced(value: Any, path: tuple[Any, ...], leaf: Any) -> Any:
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        return [replaced(child, rest, leaf) if index == head else child for index, child in enumerate(value)]
    return {**value, head: replaced(value[head], rest, leaf)}


@pytest.mark.parametrize("target", PARSERS)
def test_a_number_too_large_in_any_field_gives_a_run_or_a_clear_error(clients, target):
    """JSON numbers have no limit: ``1e400`` decodes to infinity and ``10**400`` to a huge int."""
    _, success, parse = PARSERS[target]
    complete = COMPLETE[EmulatedServices.service(target)]
    assert read_or_error(lambda: parse(clients[target], complete)).state is RunState.SUCCEEDED
    broken = []
    for path in leaf_paths(complete):
        for number in HUGE_NUMBERS:
            raw = replaced(complete, path, number)
            try:
                assert_a_usable_answer(read_or_error(lambda raw=raw: parse(clients[target], raw)), success)
            except Exception as error:  # every field is tried, then all are reported
                broken.append(f"{'.'.join(map(str, path))}={number!r}: {type(error).__name__}: {error}")
    assert not broken, "\n".join(broken)


#: Fields botocore parses into datetimes (or fails on): never anything else in Glue's or CodeCatalyst's.
BOTOCORE_TIMESTAMPS = frozenset({"StartedOn", "CompletedOn", "startTime", "endTime", "lastUpdatedTime"})


# --- end to end: garbled answers over real HTTP ----------------------------------------------------

GARBLED_KINDS = [
    kind
    for kind in ("non_json", "truncated", "empty_list", "null", "string", "empty_object", "no_status")
    if kind in BODY_KINDS
]


def garbled_fault(kind: str) -> dict[str, Any]:
    return {"body": kind, "status": 200}


def run_id_of(ref: dict[str, str]) -> str:
    return ref.get("run_id") or ref.get("run_name") or ref["instance_id"]


def read(hook: Any, ref: dict[str, str], path: str) -> WorkflowRun:
    return hook.get_run(ref) if path == "sync" else asyncio.run(hook.aget_run(ref))


@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_every_garbled_answer_is_transient_and_names_the_run(services, target):
    ref = services.add_run(target, "succeeded")
    hook = services.hook(target)
    for kind in GARBLED_KINDS:
        for path in ("sync", "async"):
            services.fault(target, **garbled_fault(kind))
            with pytest.raises(TransientServiceError) as raised:
                read(hook, ref, path)
            assert run_id_of(ref) in str(raised.value), (kind, path, raised.value)
            assert services.requests(target)[-1]["fault"] == kind  # the garbled answer was served
    assert read(hook, ref, "sync").state is read(hook, ref, "async").state is RunState.SUCCEEDED


@pytest.mark.parametrize("kind", GARBLED_KINDS)
@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_a_garbled_answer_is_a_garbled_answer_sync_and_async(services, target, kind):
    """``GarbledAnswer`` is what says "not a readable run" (and what a wait's timeout reports)."""
    ref = services.add_run(target, "succeeded")
    hook = services.hook(target)
    for path in ("sync", "async"):
        services.fault(target, **garbled_fault(kind))
        with pytest.raises(TransientServiceError) as raised:
            read(hook, ref, path)
        assert isinstance(raised.value, GarbledAnswer), f"{path}: {type(raised.value).__name__}: {raised.value}"


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
@pytest.mark.parametrize("target", EmulatedServices.TARGETS)
def test_a_deferred_wait_through_garbled_answers_ends_with_the_runs_real_outcome(services, target, outcome):
    ref = services.add_run(target, "running", outcome, polls=1)
    for kind in ("non_json", "truncated", "empty_list", "no_status"):
        if kind in BODY_KINDS:
            services.fault(target, **garbled_fault(kind))
    event = first_event(services.trigger(target, ref, poll_interval=0.01))
    assert event["status"] == "terminal", event
    assert event["run"]["state"] == outcome and event["run"]["run_id"] == run_id_of(ref)
    faults = [r["fault"] for r in services.requests(target) if r["fault"]]
    assert len(faults) == len([k for k in ("non_json", "truncated", "empty_list", "no_status") if k in BODY_KINDS])


# A 200 whose run carries a time no calendar holds (the emulator reports the start time it is
# given): a garbled answer like any other, not a failed wait and not a bare exception.
@pytest.mark.parametrize("target", ["glue", "dataworks"])  # the two whose emulator serves such a time
@pytest.mark.parametrize("path", ["sync", "async"])
def test_a_start_time_out_of_any_calendar_is_a_garbled_answer(services, target, path):
    ref = services.add_run(target, "succeeded", started_on=1e300)
    hook = services.hook(target)
    with pytest.raises(GarbledAnswer) as raised:
        read(hook, ref, path)
    assert run_id_of(ref) in str(raised.value)


#: Where each service's answer holds the run's status.
STATUS_PATHS = {
    "glue": ("Status",),
    "codecatalyst": ("status",),
    "logic_apps": ("properties", "status"),
    "datadog": ("data", "attributes", "instanceStatus", "detailsKind"),
    "dataworks": ("Status",),
}
NOT_A_STATUS = [None, "", 5, True, [], {}, ["SUCCEEDED"]]


@pytest.mark.parametrize("target", PARSERS)
def test_a_status_that_is_not_a_string_is_garbled_in_every_service(clients, target):
    """One classification: an answer without a readable status is garbled, whatever the service;
    only a status *string* the provider does not know fails the wait (as unknown)."""
    parse = PARSERS[target][2]
    service = EmulatedServices.service(target)
    for status in NOT_A_STATUS:
        raw = replaced(COMPLETE[service], STATUS_PATHS[service], status)
        answer = read_or_error(lambda raw=raw: parse(clients[target], raw))
        assert isinstance(answer, GarbledAnswer), f"status {status!r}: {answer!r}"
    unknown = read_or_error(lambda: parse(clients[target], replaced(COMPLETE[service], STATUS_PATHS[service], "Zz")))
    assert isinstance(unknown, WorkflowRun) and unknown.state is RunState.UNKNOWN and "'Zz'" in (unknown.error or "")
