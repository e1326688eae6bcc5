"""``make live``: the e2e stack left running for a person to click around in.

The emulator (``demo`` scenario: its schedules keep starting runs) and a real Airflow — scheduler,
dag-processor, triggerer, api-server — on 127.0.0.1, the UI on port 8080. The demo connections are
imported into the metadata database, so Admin → Connections shows them and a person can edit and
test them; DAGs start unpaused, and each example is triggered once so the grid has something to
show. Ctrl-C (or SIGTERM) stops every process. Logs and the database are in ``.live/``, started
afresh each time.

    python -m e2e.live [--port 8080] [--no-trigger]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType

from .stack import ROOT, USERNAME, Stack, demo_dag_ids

LIVE_DIR = ROOT / ".live"
PASSWORD = "admin"  # the UI listens on 127.0.0.1 only; a fixed login a person can type
LIVE_SETTINGS = {
    "CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "CORE__TEST_CONNECTION": "Enabled",  # Airflow 3 hides the connection form's Test button by default
}


def start_live_stack(run_dir: Path, port: int, trigger: bool = True) -> Stack:
    """A started stack with the demo connections in the database; the examples triggered if asked."""
    stack = Stack(run_dir, api_port=port, password=PASSWORD, connections_in_db=True, settings=LIVE_SETTINGS)
    try:
        stack.start(demo_dag_ids())
        if trigger:
            api = stack.airflow_api()
            for dag_id in demo_dag_ids():
                api.trigger(dag_id)
    except BaseException:
        stack.stop()
        raise
    return stack


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def banner(stack: Stack) -> str:
    emulator = stack.emulator_api().http_url
    connections = ", ".join(sorted(v.removeprefix("AIRFLOW_CONN_").lower() for v in stack.connections))
    return "\n".join(
        [
            "",
            f"  Airflow UI     {stack.api_url}   login {USERNAME} / {PASSWORD}",
            f"  example DAGs   {', '.join(demo_dag_ids())}",
            f"  connections    {connections} (Admin → Connections; they point at the emulator)",
            f"  emulator       {emulator}/_emulator/requests (every request it answered)",
            f"  logs           {stack.run_dir}/*.log, task logs in {stack.home}/logs",
            "",
            "  The emulator's schedules keep starting remote runs; trigger any DAG from the UI.",
            "  Ctrl-C stops everything.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.live", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="the UI's port on 127.0.0.1 (default 8080)")
    parser.add_argument("--no-trigger", action="store_true", help="do not trigger the examples at start")
    args = parser.parse_args(argv)
    if port_in_use(args.port):
        parser.error(f"127.0.0.1:{args.port} is in use; choose another: make live LIVE_ARGS='--port 8081'")
    shutil.rmtree(LIVE_DIR, ignore_errors=True)
    LIVE_DIR.mkdir()
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"live: starting the emulator and Airflow (logs in {LIVE_DIR}) ...", flush=True)
    stack: Stack | None = None
    try:
        stack = start_live_stack(LIVE_DIR, args.port, trigger=not args.no_trigger)
        print(f"live: ready in {stack.timings['stack ready']:.0f} s", flush=True)
        print(banner(stack), flush=True)
        while True:
            time.sleep(2.0)
            stack.check_alive()
    except KeyboardInterrupt:
        print("\nlive: stopping every process ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as exc:  # a process of the stack died, or it did not start
        print(f"live: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
        print("live: stopped", flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
