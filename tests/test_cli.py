"""``airflow-workflow-runs``: get, wait and list through the real hooks and SDK clients, on the emulator.

A few tests run the installed console script (or ``python -m``) in a fresh process, as a user
does; the rest call ``main([...])`` in this one. Errors must be one line with their documented
exit code, and no secret of a connection may be printed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_workflow_runs import services as declared
from airflow_workflow_runs.cli import exits, main
from airflow_workflow_runs.cli.render import Progress
from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.scenarios import DEMO_GLUE_RUN_ID, DEMO_GLUE_WORKFLOW

SCRIPT = Path(sys.executable).with_name("airflow-workflow-runs")
RUNNING, COMPLETED = {"status": "RUNNING", "polls": 2}, {"status": "COMPLETED"}


def cli(*argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def script(*argv: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    """The installed console script (or ``python -m airflow_workflow_runs.cli``) in a fresh process."""
    command = [sys.executable, "-m", "airflow_workflow_runs.cli"] if module else [str(SCRIPT)]
    return subprocess.run([*command, *argv], capture_output=True, text=True, timeout=90, env=os.environ.copy())


def glue(conn: str, *ids: str) -> list[str]:
    return ["glue", "--conn-id", conn, "--workflow-name", "etl", *ids]


def table(out: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in out.splitlines())


def assert_one_line_error(err: str, *expected: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("airflow-workflow-runs: "), err
    for text in expected:
        assert text in lines[0]


# -- in a fresh process, as a user runs it ------------------------------------------------------


def test_the_console_script_prints_a_run_as_a_table(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [COMPLETED], run_properties={"day": "2026-12-01"})
    done = script("get", *glue(glue_conn, "--run-id", run_id))
    assert done.returncode == exits.OK, done.stderr
    rows = table(done.stdout)
    assert rows["run_id"] == run_id and rows["workflow_name"] == "etl"
    assert rows["state"] == "succeeded" and rows["raw_status"] == "COMPLETED"
    assert json.loads(rows["outputs"]) == {"day": "2026-12-01"}
    assert rows["console_url"].startswith("https://eu-west-1.console.aws.amazon.com/glue/")
    assert done.stderr == ""


def test_emulator_flag_waits_for_the_newest_demo_run_with_the_default_connection():
    started = time.monotonic()
    done = script(
        "--emulator", "wait", "glue", "--workflow-name", DEMO_GLUE_WORKFLOW, "--poll-interval", "0.2", "--json"
    )
    assert done.returncode == exits.OK, done.stderr
    run = json.loads(done.stdout)
    assert run["run_id"] == DEMO_GLUE_RUN_ID and run["state"] == "succeeded"
    assert "emulator: https://127.0.0.1:" in done.stderr and "aws_default" in done.stderr
    assert f"following glue run (workflow_name='{DEMO_GLUE_WORKFLOW}', run_id='{DEMO_GLUE_RUN_ID}')" in done.stderr
    assert time.monotonic() - started < 30


def test_a_connection_in_the_metadata_db_works(emu, airflow_db):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from tests.helpers import aws_connection

    conn = Connection(conn_id="aws_in_db", uri=Connection.from_json(aws_connection(emu), conn_id="x").get_uri())
    with create_session() as session:
        session.add(conn)
    try:
        run_id = emu.glue.add_run("etl", [COMPLETED])
        code, out, err = cli("get", *glue("aws_in_db", "--run-id", run_id), "--json")
        assert (code, json.loads(out)["raw_status"]) == (exits.OK, "COMPLETED"), err
    finally:
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "aws_in_db").delete()
    assert "_AIRFLOW_PROCESS_CONTEXT" not in os.environ  # put back after the command


# -- get ------------------------------------------------------------------------------------------


def test_get_json_is_the_xcom_form_of_the_run(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    code, out, err = cli("get", *glue(glue_conn, "--run_id", run_id), "--json")  # the underscore spelling too
    assert code == exits.OK and err == ""
    run = json.loads(out)
    assert run["ref"] == {"workflow_name": "etl", "run_id": run_id}
    assert (run["state"], run["raw_status"], run["ended_at"]) == ("running", "RUNNING", None)


def test_get_without_a_run_id_reads_the_newest_run_in_the_window(emu, glue_conn):
    now = time.time()
    emu.glue.add_run("etl", [COMPLETED], started_on=now - 7200)
    newest = emu.glue.add_run("etl", [COMPLETED], started_on=now - 60)
    code, out, _ = cli("get", *glue(glue_conn), "--json")
    assert (code, json.loads(out)["run_id"]) == (exits.OK, newest)
    code, _, err = cli("get", *glue(glue_conn), "--until", "1h")
    assert code == exits.OK
    code, _, err = cli("get", *glue(glue_conn), "--since", "10m", "--until", "5m")
    assert code == exits.NOT_FOUND
    assert_one_line_error(err, "there is no newest glue run of (workflow_name='etl') started in [")


@pytest.mark.parametrize("target", ["glue", "codecatalyst", "logic_apps_standard", "datadog", "dataworks"])
def test_every_service_gets_options_from_its_declaration_and_prints_no_secret(services, target):
    ref = services.add_run(target, "succeeded")
    service = services.service(target)
    ids = [item for name, value in ref.items() for item in (f"--{name.replace('_', '-')}", str(value))]
    code, out, err = cli("wait", service, *ids, "--conn-id", services.conn_ids[service], "--poll-interval", "0.05")
    assert code == exits.OK, err
    assert table(out)["state"] == "succeeded"
    for secret in services.secrets.values():
        assert secret not in out + err


# -- wait -----------------------------------------------------------------------------------------


def test_wait_prints_a_line_per_change_when_not_on_a_terminal(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [RUNNING, COMPLETED])
    code, out, err = cli("wait", *glue(glue_conn, "--run-id", run_id), "--poll-interval", "0.05", "--json")
    assert code == exits.OK, err
    assert json.loads(out)["state"] == "succeeded"
    lines = err.splitlines()
    assert lines[0] == f"waiting for glue run (workflow_name='etl', run_id='{run_id}')"
    assert [line.split("] ", 1)[1] for line in lines[1:]] == ["running (RUNNING)", "succeeded (COMPLETED)"]
    assert "\r" not in err


@pytest.mark.parametrize(
    ("status", "code", "state"),
    [
        ("ERROR", exits.FAILED, "failed"),
        ("STOPPED", exits.CANCELLED, "cancelled"),
        ("MYSTERY", exits.UNKNOWN_STATUS, "unknown"),
    ],
)
def test_wait_exits_by_outcome(emu, glue_conn, status, code, state):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING", "polls": 1}, {"status": status}])
    exit_code, out, err = cli("wait", *glue(glue_conn, "--run-id", run_id), "--poll-interval", "0.05", "--json")
    assert exit_code == code
    assert json.loads(out)["state"] == state
    assert err.splitlines()[-1].startswith(f"glue run (workflow_name='etl', run_id='{run_id}') is {status} ({state})")


def test_wait_exits_4_on_a_skipped_run(emu, cc_conn):
    run_id = emu.codecatalyst.add_run("space", "project", [{"status": "NOT_RUN"}])
    ids = ["--space-name", "space", "--project-name", "project", "--run-id", run_id]
    code, _, err = cli("wait", "codecatalyst", "--conn-id", cc_conn, *ids)
    assert code == exits.SKIPPED, err


def test_wait_times_out_with_exit_5_at_its_timeout(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    started = time.monotonic()
    code, out, err = cli("wait", *glue(glue_conn, "--run-id", run_id), "--poll-interval", "0.2", "--timeout", "0.7")
    assert code == exits.TIMED_OUT
    assert 0.6 < time.monotonic() - started < 3
    assert err.splitlines()[-1] == f"timed out after 0.7s: glue run (workflow_name='etl', run_id='{run_id}') is RUNNING"
    assert "state" in out  # the last observation


def test_transient_answers_never_end_a_wait_and_retry_after_is_honoured(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [RUNNING, COMPLETED])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "status": 429, "retry_after": 1, "count": 2})
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "body": "non_json", "status": 200, "count": 2})
    started = time.monotonic()
    code, _, err = cli("wait", *glue(glue_conn, "--run-id", run_id), "--poll-interval", "0.05")
    assert code == exits.OK, err
    assert time.monotonic() - started >= 1.0  # the 429 asked for a second
    assert "not read yet; " in err and "next try in" in err  # the transient answers, on the progress line


def test_a_wait_meeting_only_garbled_answers_times_out_saying_so(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [{"status": "RUNNING"}])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "body": "empty_object", "count": 100})
    code, _, err = cli("wait", *glue(glue_conn, "--run-id", run_id), "--poll-interval", "0.05", "--timeout", "0.5")
    assert code == exits.TIMED_OUT
    assert "not read yet" in err.splitlines()[-1] and "the service kept answering garbled data" in err.splitlines()[-1]


def test_wait_without_a_run_id_waits_for_one_to_start(emu, glue_conn):
    emu.glue.define_workflow("etl")
    code, _, err = cli("wait", *glue(glue_conn), "--poll-interval", "0.05", "--timeout", "0.3")
    assert code == exits.TIMED_OUT
    assert err.splitlines()[-1].startswith(
        "timed out after 0.3s: newest glue run of (workflow_name='etl') started in ["
    )


def test_progress_rewrites_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(stream)
    progress.note("waiting for x")
    progress.update(1, "running (RUNNING)")
    progress.update(2, "running (RUNNING)")
    progress.update(3, "succeeded (COMPLETED)")
    progress.finish()
    assert stream.getvalue() == (
        "waiting for x\n\r[     1s] running (RUNNING)\x1b[K\r[     2s] running (RUNNING)\x1b[K"
        "\r[     3s] succeeded (COMPLETED)\x1b[K\n"
    )


# -- list -----------------------------------------------------------------------------------------


def test_list_shows_the_runs_in_the_window_newest_first(emu, glue_conn):
    now = time.time()
    old = emu.glue.add_run("etl", [COMPLETED], started_on=now - 3 * 3600)
    ids = [
        emu.glue.add_run("etl", [{"status": s}], started_on=now - 60 * m) for s, m in (("ERROR", 30), ("RUNNING", 5))
    ]
    code, out, err = cli("list", *glue(glue_conn), "--since", "2h")
    assert code == exits.OK, err
    header, *rows = out.splitlines()
    assert header.split() == ["run_id", "state", "raw_status", "started_at", "ended_at", "duration"]
    assert [row.split()[:3] for row in rows] == [[ids[1], "running", "RUNNING"], [ids[0], "failed", "ERROR"]]
    code, out, _ = cli("list", *glue(glue_conn), "--since", "1d", "--json", "--limit", "2")
    assert [run["run_id"] for run in json.loads(out)] == [ids[1], ids[0]] and old not in out
    code, out, err = cli("list", *glue(glue_conn), "--since", "2026-01-01T00:00", "--until", "2026-01-02T00:00")
    assert (code, out) == (exits.OK, "")
    assert (
        err.strip()
        == "no glue runs of (workflow_name='etl') started in [2026-01-01T00:00:00+00:00, 2026-01-02T00:00:00+00:00)"
    )


# -- errors: one line, a documented code ----------------------------------------------------------


def test_a_bad_id_is_refused_before_any_request(services):
    code, _, err = cli("get", "dataworks", "--instance-id", "12a", "--conn-id", services.conn_ids["dataworks"])
    assert code == exits.BAD_IDS
    assert_one_line_error(err, "instance_id")
    assert services.requests("dataworks") == []


def test_a_run_that_does_not_exist_exits_9(emu, glue_conn):
    code, _, err = cli("get", *glue(glue_conn, "--run-id", "wr_missing"))
    assert code == exits.NOT_FOUND
    assert_one_line_error(err, "was not found")


def test_a_missing_connection_is_one_line_naming_it(emu):
    code, _, err = cli("get", "datadog", "--workflow-id", "7c1e2f3a-4b5d-4e6f-8a9b-0c1d2e3f4a5b")
    assert code == exits.NO_CONNECTION
    assert_one_line_error(
        err, "connection 'datadog_workflows_default' is not defined", "AIRFLOW_CONN_DATADOG_WORKFLOWS_DEFAULT"
    )
    code, _, err = cli("get", *glue("no_such_conn", "--run-id", "wr_1"))  # named: no fallback to boto3's chain
    assert code == exits.NO_CONNECTION
    assert_one_line_error(err, "connection 'no_such_conn' is not defined")


def test_refused_credentials_exit_10_without_printing_them(services, monkeypatch):
    ref = services.add_run("datadog", "succeeded")
    wrong = {"api_key": "dd-wrong-api-key-0042", "site": "datadoghq.com"}
    conn = {
        "conn_type": "datadog_workflows",
        "host": services.emu.http_url,
        "password": "dd-wrong-app-key",
        "extra": wrong,
    }
    monkeypatch.setenv("AIRFLOW_CONN_DD_WRONG", json.dumps(conn))
    ids = ["--workflow-id", ref["workflow_id"], "--instance-id", ref["instance_id"]]
    code, out, err = cli("get", "datadog", "--conn-id", "dd_wrong", *ids)
    assert (code, out) == (exits.REFUSED, "")
    assert_one_line_error(err, "refused again after connection 'dd_wrong' was read again")
    assert "dd-wrong" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "nosuch", "--run-id", "1"],
        ["wait", "glue", "--run-id", "wr_1"],  # no --workflow-name
        ["list", "glue", "--workflow-name", "etl", "--since", "yesterday-ish"],
        ["frobnicate"],
    ],
    ids=["unknown-service", "missing-id", "bad-since", "unknown-command"],
)
def test_usage_errors_exit_2_in_one_line(argv):
    code, out, err = cli(*argv)
    assert (code, out) == (exits.USAGE, "")
    assert_one_line_error(err)


def test_transient_answers_until_the_timeout_give_up_with_exit_11(emu, glue_conn):
    run_id = emu.glue.add_run("etl", [COMPLETED])
    emu.add_fault({"service": "glue", "operation": "GetWorkflowRun", "status": 503, "count": 100})
    code, out, err = cli("get", *glue(glue_conn, "--run-id", run_id), "--timeout", "0.5", "--poll-interval", "0.1")
    assert (code, out) == (exits.GAVE_UP, "")
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("airflow-workflow-runs: gave up after ")


# -- a sixth service ------------------------------------------------------------------------------


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.toy_service import TOY, ToyService

    with Emulator(services=(ToyService,)) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_TOY_DEFAULT", json.dumps({"conn_type": "toy", "host": emulator.http_url}))
        declared.register(TOY)
        try:
            yield emulator.service("toy")
        finally:
            declared.unregister(TOY.name)


def test_a_sixth_service_gets_the_cli_from_its_declaration(toy):
    run_id = toy.add_run(steps=1, end="BROKEN")
    code, out, err = cli("wait", "toy", "--run-id", run_id, "--poll-interval", "0.05", "--json")
    assert (code, json.loads(out)["raw_status"]) == (exits.FAILED, "BROKEN"), err
    code, _, err = cli("get", "toy")
    assert code == exits.USAGE  # its runs cannot be chosen by workflow, so the run id is required
    assert_one_line_error(err, "--run-id")
