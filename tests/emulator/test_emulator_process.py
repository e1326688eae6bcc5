"""The emulator as users run it: TLS material, the CLI process, and a light import footprint."""

from __future__ import annotations

import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from airflow_workflow_runs.emulator import Emulator
from airflow_workflow_runs.emulator.scenarios import DEMO_GLUE_RUN_ID, DEMO_GLUE_WORKFLOW

REPO = Path(__file__).resolve().parents[2]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The process' first stdout line, or fail after ``timeout`` seconds."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"no output from the emulator within {timeout}s")
    return proc.stdout.readline()


def test_certificate_is_its_own_ca_and_is_reused(tmp_path: Path):
    with Emulator(state_dir=tmp_path) as emu:
        pem = Path(emu.ca_bundle).read_bytes()
        context = ssl.create_default_context(cafile=emu.ca_bundle)
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        for host in ("localhost", "127.0.0.1"):
            url = f"https://{host}:{emu.https_port}/_emulator/health"
            with urllib.request.urlopen(url, context=context, timeout=5) as response:
                assert json.loads(response.read())["ok"] is True
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert (tmp_path / "emulator-key.pem").stat().st_mode & 0o077 == 0
    with Emulator(state_dir=tmp_path) as again:
        assert Path(again.ca_bundle).read_bytes() == pem  # reused while valid
    (tmp_path / "emulator-cert.pem").write_text("garbage")
    with Emulator(state_dir=tmp_path) as fresh:
        assert Path(fresh.ca_bundle).read_bytes() != pem  # regenerated when unusable


def test_temporary_state_dir_is_removed_on_stop():
    emu = Emulator().start()
    state_dir = emu.state_dir
    assert state_dir is not None and state_dir.is_dir()
    emu.stop()
    emu.stop()  # idempotent
    assert not state_dir.exists()
    with pytest.raises(RuntimeError):
        _ = emu.http_url


def test_stop_closes_idle_keep_alive_connections_promptly():
    emu = Emulator().start()
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", emu.http_port, timeout=5)
    connection.request("GET", "/_emulator/health")
    connection.getresponse().read()
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        connection.request("GET", "/_emulator/health")
        connection.getresponse()
    connection.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_the_demo_scenario_until_signalled(tmp_path: Path, make_glue: Any, stop_signal: int):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_workflow_runs.emulator",
            "--state-dir",
            str(tmp_path),
            "--scenario",
            "demo",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        info = json.loads(read_line(proc, timeout=15))
        assert json.loads((tmp_path / "emulator.json").read_text()) == info
        assert info["pid"] == proc.pid and Path(info["ca_bundle"]).parent == tmp_path
        glue = make_glue(info["https_url"], info["ca_bundle"])
        run = glue.get_workflow_run(Name=DEMO_GLUE_WORKFLOW, RunId=DEMO_GLUE_RUN_ID)["Run"]
        assert run["Status"] in ("RUNNING", "COMPLETED")  # RUNNING for the first 3 s of its life
        run_id = glue.start_workflow_run(Name=DEMO_GLUE_WORKFLOW)["RunId"]
        assert glue.get_workflow_run(Name=DEMO_GLUE_WORKFLOW, RunId=run_id)["Run"]["Status"] == "RUNNING"
        plain = make_glue(info["http_url"])
        assert len(plain.get_workflow_runs(Name=DEMO_GLUE_WORKFLOW)["Runs"]) == 2
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=10) == 0
        assert not (tmp_path / "emulator.json").exists()  # no stale pointer to a dead server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def test_cli_rejects_an_unknown_scenario(tmp_path: Path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_workflow_runs.emulator",
            "--state-dir",
            str(tmp_path),
            "--scenario",
            "nope",
        ],
        capture_output=True,
        text=True,
        env=env(),
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "nope" in result.stderr and result.stdout == ""


def test_running_the_emulator_imports_no_sdk_or_airflow():
    code = (
        "import sys\n"
        "from airflow_workflow_runs.emulator import Emulator\n"
        "Emulator(scenario='demo').start().stop()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'airflow'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env(), timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
