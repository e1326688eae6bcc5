"""Command line: run the emulator as its own lightweight process until SIGTERM or SIGINT.

On start it writes ``{"http_url", "https_url", "ca_bundle", "pid"}`` to
``<state-dir>/emulator.json`` (atomically) and prints the same object as one JSON line on
stdout, so a parent process can either read the pipe or poll for the file.

``--latency [SERVICE[.OPERATION]=]DELAY[/JITTER]`` (seconds, repeatable) makes service requests
wait as over a real network, e.g. ``--latency 0.05 --latency dataworks=0.3/0.1``; given at all,
the flags replace the scenario's latency (the ``demo`` scenario's is 50 ms +/- 20 ms).
``--chaos RATE [--chaos-seed N]`` faults that share of the reads of runs with a seeded random mix
of every fault kind (see :mod:`.chaos`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .app import Emulator
from .chaos import parse_cli as parse_chaos_cli
from .latency import CLI_FORM, parse_cli_specs

INFO_FILE = "emulator.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_workflow_runs.emulator",
        description="Serve emulated cloud workflow-run APIs on 127.0.0.1 over HTTP and HTTPS.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="plain HTTP port (0 = any free port)")
    parser.add_argument("--tls-port", type=int, default=0, help="HTTPS port (0 = any free port)")
    parser.add_argument(
        "--state-dir",
        help="directory for the TLS cert/key and emulator.json (default: a new temp dir)",
    )
    parser.add_argument("--scenario", help="'demo' or a path to a scenario JSON file")
    parser.add_argument(
        "--latency",
        action="append",
        metavar="SPEC",
        help=f"{CLI_FORM}: seconds each service request waits, e.g. 0.05 or glue.GetWorkflowRun=0.3/0.1;"
        " repeatable, the most specific match wins; replaces the scenario's latency (demo: 0.05/0.02)",
    )
    parser.add_argument(
        "--chaos",
        type=float,
        metavar="RATE",
        help="fault this share (0..1) of the reads of runs with a random mix of every fault kind, e.g. 0.35",
    )
    parser.add_argument("--chaos-seed", type=int, metavar="N", help="the chaos generator's seed (default 0)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            tls_port=args.tls_port,
            state_dir=args.state_dir,
            scenario=args.scenario,
            latency=parse_cli_specs(args.latency) if args.latency else None,
            chaos=parse_chaos_cli(args.chaos, args.chaos_seed),
        ).start()
    except (ValueError, OSError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    assert emulator.state_dir is not None
    info_file = emulator.state_dir / INFO_FILE
    try:
        emulator.write_info(info_file)
        print(json.dumps(emulator.info()), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
        _remove_if_ours(info_file)
    return 0


def _remove_if_ours(info_file: Path) -> None:
    """Delete emulator.json on exit unless another emulator has since claimed the directory."""
    try:
        if json.loads(info_file.read_text(encoding="utf-8")).get("pid") == os.getpid():
            info_file.unlink()
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
