"""Chaos: a seeded random share of the reads of runs faulted, every kind, as a client receives it."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.chaos import KINDS, Chaos, parse_cli
from tests.emulator.raw_reads import SERVICES, add_run, dropped, read


def draws(emu: Emulator, spec: dict[str, Any], n: int, operation: str = "GetWorkflowRun") -> list[str | None]:
    chaos = Chaos(emu.services, spec)
    labels = []
    for _ in range(n):
        fault = chaos.draw(emu.glue, operation)
        labels.append(fault.kind if fault else None)
    return labels


def test_a_seed_gives_the_same_decisions(emu: Emulator):
    first = draws(emu, {"seed": 7, "rate": 0.35}, 400)
    assert first == draws(emu, {"seed": 7, "rate": 0.35}, 400)
    assert first != draws(emu, {"seed": 8, "rate": 0.35}, 400)


def test_the_rate_is_the_share_of_reads_faulted(emu: Emulator):
    labels = draws(emu, {"seed": 1, "rate": 0.35}, 5000)
    assert 0.32 < sum(label is not None for label in labels) / len(labels) < 0.38
    assert set(draws(emu, {"seed": 1, "rate": 0.0}, 200)) == {None}


def test_every_kind_is_drawn(emu: Emulator):
    assert {label for label in draws(emu, {"seed": 3, "rate": 1.0}, 3000)} == {f"chaos:{k}" for k in KINDS}
    only = draws(emu, {"seed": 3, "rate": 1.0, "kinds": ["null", "slow"]}, 200)
    assert set(only) == {"chaos:null", "chaos:slow"}


def test_only_reads_of_runs_are_faulted(emu: Emulator):
    assert set(draws(emu, {"seed": 3, "rate": 1.0}, 50, operation="StartWorkflowRun")) == {None}
    chaos = Chaos(emu.services, {"seed": 3, "rate": 1.0, "services": ["datadog"]})
    assert chaos.draw(emu.glue, "GetWorkflowRun") is None
    assert chaos.draw(emu.datadog, "GetWorkflowInstance") is not None
    assert chaos.to_dict()["requests"] == {"datadog": 1}
    assert chaos.draw(emu.logic_apps, "GetToken") is None


def chaos_of(emu: Emulator, *kinds: str, **extra: Any) -> None:
    emu.set_chaos({"seed": 5, "rate": 1.0, "kinds": list(kinds), **extra})


@pytest.mark.parametrize(
    ("kind", "status"),
    [("throttle_retry_after", 429), ("throttle", 429), ("http_500", 500), ("http_502", 502), ("http_503", 503)],
)
def test_error_kinds_answer_in_the_services_error_shape(emu: Emulator, kind: str, status: int):
    run_id = add_run(emu, "glue")
    chaos_of(emu, kind, retry_after=2)
    answer = read(emu, "glue", run_id)
    assert answer.status == status and "__type" in answer.json()
    assert answer.headers.get("retry-after") == ("2" if kind == "throttle_retry_after" else None)
    assert [e["fault"] for e in emu.requests()] == [f"chaos:{kind}"]
    assert emu.chaos()["faults"] == {"glue": {kind: 1}}
    assert emu.glue.run("etl", run_id)["observations"] == 0


@pytest.mark.parametrize(
    ("kind", "body"),
    [("empty_list", []), ("null", None), ("string", "injected: not an object"), ("empty_object", {})],
)
def test_json_that_is_not_the_documented_object(emu: Emulator, kind: str, body: Any):
    run_id = add_run(emu, "glue")
    chaos_of(emu, kind)
    answer = read(emu, "glue", run_id)
    assert (answer.status, answer.json()) == (200, body)
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"  # the real answer's headers
    assert emu.glue.run("etl", run_id)["observations"] == 0


def test_html_truncated_and_disconnect(emu: Emulator):
    run_id = add_run(emu, "glue")
    chaos_of(emu, "html_200")
    html = read(emu, "glue", run_id)
    assert (html.status, html.headers["content-type"]) == (200, "text/html") and html.body.startswith(b"<html>")
    chaos_of(emu, "truncated")
    cut = read(emu, "glue", run_id)
    assert cut.status == 200 and cut.body.startswith(b'{"Run":')
    with pytest.raises(ValueError):
        cut.json()
    chaos_of(emu, "disconnect")
    assert dropped(emu, "glue", run_id)
    assert [e["fault"] for e in emu.requests()] == ["chaos:html_200", "chaos:truncated", "chaos:disconnect"]
    assert emu.glue.run("etl", run_id)["observations"] == 0


def test_slow_answers_late_then_normally(emu: Emulator):
    import time

    run_id = add_run(emu, "glue")
    chaos_of(emu, "slow", slow_seconds=0.4)
    started = time.monotonic()
    answer = read(emu, "glue", run_id)
    assert time.monotonic() - started >= 0.4
    assert answer.json()["Run"]["Status"] == "RUNNING"
    assert emu.requests()[0]["fault"] == "chaos:slow"


THROTTLING = {
    "glue": (400, "ThrottlingException"),
    "codecatalyst": (429, "ThrottlingException"),
    "datadog": (429, None),
    "logic_apps": (429, "SubscriptionRequestsThrottled"),
}


@pytest.mark.parametrize("service", sorted(THROTTLING))
def test_each_service_throttles_in_its_own_shape(emu: Emulator, service: str):
    run_id = add_run(emu, service)
    chaos_of(emu, "service_throttle")
    answer = read(emu, service, run_id)
    status, code = THROTTLING[service]
    assert answer.status == status
    if code:
        assert code in answer.body.decode() + answer.headers.get("x-amzn-errortype", "")
    if service == "datadog":
        assert answer.headers["x-ratelimit-reset"] == "1" and "retry-after" not in answer.headers
    if service == "logic_apps":
        assert answer.headers["retry-after"] == "1"
        assert answer.headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"


def test_dataworks_throttles_with_400_and_with_429_and_its_retry_header(emu: Emulator):
    run_id = add_run(emu, "dataworks")
    chaos_of(emu, "service_throttle")
    answers = [read(emu, "dataworks", run_id) for _ in range(30)]
    shapes = {(a.status, a.json()["Code"], a.headers.get("x-acs-retry-after")) for a in answers}
    assert shapes == {(400, "Throttling.User", None), (429, "Throttling", "1000")}
    variants = emu.chaos()["throttling_variants"]["dataworks"]
    assert variants.keys() == {"400 Throttling.User", "429 Throttling x-acs-retry-after"}


def _runs(service: str, payload: Any, listing: bool) -> list[dict[str, Any]]:
    if service == "glue":
        return payload["Runs"] if listing else [payload["Run"]]
    if service == "codecatalyst":
        return payload["items"] if listing else [payload]
    if service == "datadog":
        return [item["attributes"] for item in payload["data"]] if listing else [payload["data"]["attributes"]]
    if service == "dataworks":
        return payload["PagingInfo"]["WorkflowInstances"] if listing else [payload["WorkflowInstance"]]
    return [item["properties"] for item in payload["value"]] if listing else [payload["properties"]]


STATUS_KEY = {"glue": "Status", "codecatalyst": "status", "datadog": "instanceStatus", "dataworks": "Status"}


@pytest.mark.parametrize("listing", [False, True], ids=["get", "list"])
@pytest.mark.parametrize("service", SERVICES)
def test_no_status_removes_each_services_status_field(emu: Emulator, service: str, listing: bool):
    run_id = add_run(emu, service)
    key = STATUS_KEY.get(service, "status")
    normal = read(emu, service, run_id, listing=listing)
    assert normal.status == 200 and all(key in run for run in _runs(service, normal.json(), listing))
    chaos_of(emu, "no_status")
    answer = read(emu, service, run_id, listing=listing)
    runs = _runs(service, answer.json(), listing)
    assert answer.status == 200 and runs and all(key not in run for run in runs)
    before = _runs(service, normal.json(), listing)
    assert [set(run) for run in runs] == [set(run) - {key} for run in before]
    assert emu.requests()[-1]["fault"] == "chaos:no_status"
    assert emu.chaos()["faults"] == {service: {"no_status": 1}}


def test_no_status_without_a_status_to_drop_answers_normally(emu: Emulator):
    emu.glue.define_workflow("etl")  # no runs: an empty page has no status field
    chaos_of(emu, "no_status")
    assert read(emu, "glue", "", listing=True).json() == {"Runs": []}
    assert emu.requests()[-1]["fault"] is None and emu.chaos()["faults"] == {}


def test_a_queued_fault_wins_over_chaos(emu: Emulator):
    run_id = add_run(emu, "glue")
    chaos_of(emu, "http_503")
    emu.add_fault([{"service": "glue", "body": "no_status"}, {"service": "glue", "status": 404}])
    assert "Status" not in read(emu, "glue", run_id).json()["Run"]
    assert read(emu, "glue", run_id).status == 404
    assert read(emu, "glue", run_id).status == 503
    assert [e["fault"] for e in emu.requests()] == ["no_status", "error", "chaos:http_503"]


def test_queued_json_body_faults(emu: Emulator):
    run_id = add_run(emu, "datadog")
    emu.add_fault([{"service": "datadog", "body": "empty_list"}, {"service": "datadog", "body": "null"}])
    assert read(emu, "datadog", run_id).json() == []
    assert read(emu, "datadog", run_id).json() is None
    assert read(emu, "datadog", run_id).json()["data"]["id"] == run_id
    with pytest.raises(ValueError, match="headers"):
        emu.add_fault({"service": "glue", "status": 429, "headers": {"x": 1}})


def test_control_api_scenario_cli_and_reset(emu: Emulator, control_call: Any):
    status, answer = control_call(emu, "PUT", "chaos", {"seed": 2, "rate": 0.5, "kinds": ["http_500"]})
    assert status == 200 and answer["chaos"]["settings"]["rate"] == 0.5
    run_id = add_run(emu, "glue")
    codes = [read(emu, "glue", run_id).status for _ in range(40)]
    assert set(codes) == {200, 500}
    status, answer = control_call(emu, "GET", "chaos")
    assert answer["chaos"]["requests"] == {"glue": 40}
    assert answer["chaos"]["faults"]["glue"]["http_500"] == codes.count(500)
    assert control_call(emu, "PUT", "chaos", {"rate": 2})[0] == 400
    assert control_call(emu, "PUT", "chaos", {"rate": 0.1, "kinds": ["bogus"]})[0] == 400
    assert control_call(emu, "DELETE", "chaos")[1]["chaos"]["settings"] is None  # the constructor's: none
    emu.load_scenario({"chaos": {"seed": 1, "rate": 0.2}})
    assert emu.chaos()["settings"]["seed"] == 1
    emu.reset()
    assert emu.chaos()["settings"] is None
    assert parse_cli(0.35, None) == {"rate": 0.35, "seed": 0} and parse_cli(None, None) is None
    with pytest.raises(ValueError):
        parse_cli(None, 3)


def test_constructor_chaos_wins_over_the_scenarios_and_reset_restores_it():
    with Emulator(scenario={"chaos": {"seed": 1, "rate": 0.1}}, chaos={"seed": 9, "rate": 0.3}) as emu:
        assert emu.chaos()["settings"]["seed"] == 9
        emu.set_chaos(None)
        emu.reset()
        assert emu.chaos()["settings"]["seed"] == 9
