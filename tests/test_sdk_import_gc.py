"""An SDK's first import must not stall a triggerer's event loop with garbage collections.

In ``make e2e`` every "async thread was blocked" warning was a full collection (0.3-0.5 s, holding
the GIL) set off by the hundreds of thousands of objects an SDK import allocates in the I/O pool.
Imports therefore run with the cyclic GC paused, and what they leave is frozen afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json, sys, time
import airflow_workflow_runs.triggers.workflow_run  # a triggerer has these, and Airflow, imported already
from airflow_workflow_runs.registry import load_hook_class
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
frozen_before = gc.get_freeze_count()
started = time.perf_counter()
load_hook_class(sys.argv[1])
took = time.perf_counter() - started
during = list(collections)
print(json.dumps({"collections": during, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count() - frozen_before,
                  "seconds": took}))
"""


def import_hook(path: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, path], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_hook_modules_first_import_runs_no_collection_and_freezes_what_it_imported():
    seen = import_hook("airflow_workflow_runs.hooks.datadog.DatadogWorkflowInstanceHook")
    assert seen["collections"] == []  # not one pause of the interpreter during the import
    assert seen["enabled"] is True
    assert seen["frozen"] > 100_000  # the SDK's modules, classes and functions: never scanned again
