"""Blocking SDK work runs in the provider's own I/O pool, sized by ``[workflow_runs] io_threads``.

The pool is not the event loop's default executor (six threads on two cores, shared with Airflow),
and every shared client keeps as many connections alive as the pool has threads, so no poll opens
(and drops) a TLS connection because the SDK's pool was smaller.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading

import pytest

from airflow_workflow_runs.clients.io import DEFAULT_IO_THREADS, io_threads, run_blocking
from airflow_workflow_runs.clients.thread_pool import IOThreadPool
from airflow_workflow_runs.hooks.codecatalyst import CodeCatalystWorkflowRunHook
from airflow_workflow_runs.hooks.datadog import DatadogWorkflowInstanceHook
from airflow_workflow_runs.hooks.dataworks import DataWorksWorkflowInstanceHook
from airflow_workflow_runs.hooks.glue import GlueWorkflowRunHook
from tests.helpers import aws_connection

IO_THREADS = "AIRFLOW__WORKFLOW_RUNS__IO_THREADS"
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def test_blocking_calls_run_in_the_providers_pool_with_the_callers_context():
    async def call() -> tuple[str, str, bool]:
        request_id.set("trigger-42")  # like the triggerer's per-trigger log context
        return await run_blocking(lambda: (threading.current_thread().name, request_id.get(), True))

    thread, seen, _ = asyncio.run(call())
    assert thread.startswith("workflow-runs-io")
    assert seen == "trigger-42"


def test_the_pool_size_comes_from_airflow_configuration(monkeypatch):
    monkeypatch.delenv(IO_THREADS, raising=False)
    assert io_threads() == DEFAULT_IO_THREADS == 64
    monkeypatch.setenv(IO_THREADS, "7")
    assert io_threads() == 7


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_a_pool_size_below_one_is_refused_naming_the_option(monkeypatch, bad):
    monkeypatch.setenv(IO_THREADS, bad)
    with pytest.raises(ValueError, match=r"\[workflow_runs\] io_threads must be a whole number >= 1"):
        io_threads()


def test_every_shared_client_keeps_one_connection_per_io_thread(emu, monkeypatch, glue_conn, cc_conn):
    monkeypatch.setenv(IO_THREADS, "7")
    datadog_conn = {"conn_type": "datadog_workflows", "host": emu.http_url, "password": "a", "extra": {"api_key": "k"}}
    monkeypatch.setenv("AIRFLOW_CONN_DD_POOL", json.dumps(datadog_conn))
    dataworks_conn = {"conn_type": "alibaba_dataworks", "host": emu.http_url, "login": "LTAIpool", "password": "s"}
    monkeypatch.setenv("AIRFLOW_CONN_DW_POOL", json.dumps(dataworks_conn))
    glue = GlueWorkflowRunHook(aws_conn_id=glue_conn).client
    codecatalyst = CodeCatalystWorkflowRunHook(codecatalyst_conn_id=cc_conn).client
    datadog = DatadogWorkflowInstanceHook(datadog_conn_id="dd_pool").client
    dataworks = DataWorksWorkflowInstanceHook(dataworks_conn_id="dw_pool").client
    assert glue._client.meta.config.max_pool_connections == 7
    assert codecatalyst._client.meta.config.max_pool_connections == 7
    assert datadog._api.api_client.rest_client.pool_manager.connection_pool_kw["maxsize"] == 7
    assert dataworks._runtime().max_idle_conns == 7


def test_a_glue_connection_that_sets_its_pool_keeps_it(emu, monkeypatch):
    extra = {"config_kwargs": {"max_pool_connections": 3}}
    monkeypatch.setenv("AIRFLOW_CONN_AWS_POOL", aws_connection(emu, **extra))
    assert GlueWorkflowRunHook(aws_conn_id="aws_pool").client._client.meta.config.max_pool_connections == 3


def test_the_pool_starts_threads_on_demand_up_to_its_size_never_in_the_submitting_thread(monkeypatch):
    starts: list[str] = []
    original_start = threading.Thread.start

    def recording_start(thread: threading.Thread) -> None:  # stdlib instrumentation: who starts the pool's threads
        if thread.name.startswith("test-io"):
            starts.append(threading.current_thread().name)
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    pool = IOThreadPool(max_workers=3, thread_name_prefix="test-io")
    together = threading.Barrier(3)  # three calls at once: three threads
    futures = [pool.submit(together.wait, 10) for _ in range(3)]
    futures += [pool.submit(lambda: threading.current_thread().name) for _ in range(5)]
    assert sorted(f.result(timeout=10) for f in futures[:3]) == [0, 1, 2]
    assert all(f.result(timeout=10).startswith("test-io_") for f in futures[3:])
    assert pool.threads == 3  # no more than its size, however many calls were queued
    assert starts == [threading.current_thread().name] + ["test-io-starter"] * 3  # the starter, then workers
    pool.shutdown()


def test_the_pool_returns_errors_and_cancels_what_is_queued_at_shutdown():
    pool = IOThreadPool(max_workers=1, thread_name_prefix="test-io")
    release = threading.Event()
    busy = pool.submit(release.wait, 10)
    queued = pool.submit(lambda: "never")
    failing_pool = IOThreadPool(max_workers=1, thread_name_prefix="test-io")
    with pytest.raises(ZeroDivisionError):
        failing_pool.submit(lambda: 1 / 0).result(timeout=10)
    failing_pool.shutdown()
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert busy.result(timeout=10) is True and queued.cancelled()
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)


def test_logic_apps_aio_connections_follow_the_pool_size_too(emu, monkeypatch):
    """aiohttp's own limit is 100 connections: with more I/O threads, Logic Apps would queue behind it."""
    from tests.logic_apps_helpers import client as logic_apps_client
    from tests.logic_apps_helpers import ref

    monkeypatch.setenv(IO_THREADS, "7")
    la = logic_apps_client(emu)
    run_name = emu.logic_apps.add_run("wf", [{"status": "Running"}])

    async def poll() -> int:
        await la.aget_run(ref(run_name))
        assert la._aio is not None
        return la._aio.arm._pipeline._transport.session.connector.limit

    assert asyncio.run(poll()) == 7
