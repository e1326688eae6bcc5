"""moto, an independent Glue implementation, as a second peer for the wire format we parse.

moto's runs stay RUNNING (even when stopped) and have no Statistics, so it checks start, read,
list and the stop call only.
"""

from __future__ import annotations

import boto3
import pytest

from airflow_workflow_runs.clients.glue import GlueRunClient
from airflow_workflow_runs.model import RunState

moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def moto_glue():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "glue",
        region_name="us-east-1",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client
    server.stop()


def test_start_read_list_and_stop_against_moto(moto_glue):
    moto_glue.create_workflow(Name="moto_etl")
    glue = GlueRunClient(moto_glue)
    ref = glue.start_run("moto_etl", {"day": "1"}, run_key="k")
    run = glue.get_run(ref)
    assert run.state is RunState.RUNNING and run.raw_status == "RUNNING"
    assert run.details["run_properties"]["airflow_run_key"] == "k"
    assert glue.find_running_run("moto_etl", "k").run_id == ref["run_id"]
    glue.cancel_run(ref)  # accepted by moto (which keeps the run RUNNING regardless)
