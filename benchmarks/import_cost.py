"""Child process: the cost of importing one sensor module on top of what a DAG file pays anyway.

``python benchmarks/import_cost.py MODULE OUT.json`` imports the baseline (``airflow.sdk`` and the
names every DAG with a sensor touches: ``DAG``, ``BaseOperator``, ``BaseSensorOperator``), then
times ``import MODULE`` alone and writes wall time, CPU time, RSS/USS deltas and the modules it
pulled in (cloud SDKs flagged) to OUT.json. Run by benchmarks/run.py in a fresh process each time.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time

from benchlib import SDK_MODULES, rss_bytes, uss_bytes, write_json


def measure(module: str) -> dict[str, object]:
    started = time.perf_counter()
    import airflow.sdk  # noqa: F401  (the baseline: every DAG file imports it)
    from airflow.sdk import DAG, BaseOperator, BaseSensorOperator  # noqa: F401  (lazy names, resolved here)

    baseline_s = time.perf_counter() - started
    gc.collect()
    before_modules = set(sys.modules)
    rss0, uss0 = rss_bytes(), uss_bytes()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    importlib.import_module(module)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    rss1, uss1 = rss_bytes(), uss_bytes()
    new = sorted(set(sys.modules) - before_modules)
    return {
        "module": module,
        "baseline_import_s": baseline_s,
        "baseline_modules": len(before_modules),
        "wall_s": wall1 - wall0,
        "cpu_s": cpu1 - cpu0,
        "rss_delta_bytes": rss1 - rss0,
        "uss_delta_bytes": None if uss0 is None or uss1 is None else uss1 - uss0,
        "new_modules": len(new),
        "new_top_level_packages": sorted({name.split(".")[0] for name in new}),
        "sdk_modules_imported": {name: name in sys.modules for name in SDK_MODULES},
        "sdk_modules_before": {name: name in before_modules for name in SDK_MODULES},
    }


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: import_cost.py MODULE OUT.json")
    write_json(sys.argv[2], measure(sys.argv[1]))


if __name__ == "__main__":
    main()
