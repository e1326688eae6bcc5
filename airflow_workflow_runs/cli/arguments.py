"""The command line's parser, derived from the service declarations.

Each service's id options are its sensor's arguments (``--workflow-name``, ``--run-id``; the
underscore spelling works too), so a service declared tomorrow gets ``get``, ``wait`` and ``list``
from its declaration alone. Parse errors raise :class:`~.exits.CliError` (one line, exit 2)
instead of printing argparse's usage block.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from airflow_workflow_runs.cli.exits import USAGE, CliError
from airflow_workflow_runs.model import TimeWindow, as_utc
from airflow_workflow_runs.services import ServiceDeclaration, declarations

PROG = "airflow-workflow-runs"
DEFAULT_SINCE = "24h"
DEFAULT_POLL_INTERVAL = 5.0
EMULATOR_POLL_INTERVAL = 1.0
#: get and list retry transient answers this long by default; wait has no default deadline.
DEFAULT_READ_TIMEOUT = 60.0

COMMANDS = {
    "get": "print a run: by its ids, or the newest run of a workflow in the window",
    "wait": "poll a run until it ends (or --timeout); the exit code says how it ended",
    "list": "list the runs of a workflow in a window, newest first",
}

EPILOG = """\
first try, against the bundled emulator (no cloud account):
  %(prog)s --emulator wait glue --workflow-name demo_scheduled_refresh
  %(prog)s --emulator get glue --workflow-name demo_nightly_etl --json
  %(prog)s --emulator list glue --workflow-name demo_scheduled_refresh --since 10m

'%(prog)s get SERVICE --help' lists a service's id options (its sensor's arguments).
exit codes: 0 ok/succeeded, 1 failed, 2 usage, 3 cancelled, 4 skipped, 5 timed out,
6 unknown status, 7 bad ids, 8 connection, 9 not found, 10 refused, 11 gave up (transient),
12 unexpected, 130 interrupted.
"""

_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix(PROG).strip()
        raise CliError(USAGE, f"{where + ': ' if where else ''}{message} (see {self.prog} --help)")


@dataclass(frozen=True)
class Invocation:
    """What one command line asks: the command, the service, its ids and the options."""

    command: str
    service: ServiceDeclaration
    values: dict[str, Any]
    conn_id: str | None
    conn_given: bool
    since: datetime | None
    until: datetime | None
    as_json: bool
    timeout: float | None
    poll_interval: float
    limit: int
    emulator: bool
    verbose: bool

    def window(self) -> TimeWindow:
        return TimeWindow(self.since, self.until)


def moment(text: str) -> datetime:
    """``--since``/``--until``: ``30m``, ``2h``, ``1d`` ago (``s m h d w``), ``now``, or ISO 8601 (naive: UTC)."""
    text = text.strip()
    now = datetime.now(timezone.utc)
    if text == "now":
        return now
    match = _RELATIVE.fullmatch(text)
    if match:
        return now - timedelta(**{_UNITS[match[2]]: float(match[1])})
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a time ago (30m, 2h, 1d) nor an ISO 8601 time (2026-12-01T08:00)"
        ) from None


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def build_parser(services: Sequence[ServiceDeclaration] | None = None) -> Parser:
    parser = Parser(
        prog=PROG,
        description="Read and wait for workflow runs in other clouds, through the provider's hooks "
        "and Airflow connections (AIRFLOW_CONN_* or the metadata DB).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="start the bundled emulator (demo scenario) in this process and point every service's "
        "default connection at it",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log the hooks' and SDKs' messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for command, summary in COMMANDS.items():
        sub = commands.add_parser(command, help=summary, description=summary)
        by_service = sub.add_subparsers(dest="service", metavar="SERVICE", required=True, parser_class=Parser)
        for service in services if services is not None else declarations():
            leaf = by_service.add_parser(service.name, help=service.title, description=f"{summary} ({service.title})")
            _add_service_options(leaf, service, command)
            _add_command_options(leaf, command)
    return parser


def _add_service_options(parser: argparse.ArgumentParser, service: ServiceDeclaration, command: str) -> None:
    ids = set(service.workflow_args if command == "list" else (*service.ref_args, *service.workflow_args))
    id_group = parser.add_argument_group("ids (named like the sensor's arguments)")
    connection = parser.add_argument_group("connection")
    for argument in service.sensor_arguments:
        if argument.name not in ids and argument.name not in service.option_args:
            continue
        # A service whose runs cannot be chosen by workflow needs its run id.
        needs_run_id = argument.name == service.run_id_arg and not service.workflow_args
        group = id_group if argument.name in ids else connection
        group.add_argument(
            *_flags(argument.name),
            dest=f"id.{argument.name}",
            metavar=argument.name.upper(),
            required=argument.required or needs_run_id,
            help=argument.doc.replace("``", "'"),
        )
    default = service.default_conn
    connection.add_argument(
        "--conn-id",
        *_flags(service.conn_arg),
        dest="conn_id",
        metavar="CONN_ID",
        help=f"the Airflow connection ({service.conn_type}); default {default!r}",
    )


def _add_command_options(parser: argparse.ArgumentParser, command: str) -> None:
    choose = "" if command == "list" else " (used without a run id, to choose the newest run)"
    parser.add_argument("--json", action="store_true", help="print JSON (the XCom form of a run) instead of a table")
    parser.add_argument(
        "--since",
        type=moment,
        default=None,
        help=f"the window's start{choose}: 30m, 2h, 1d ago or an ISO 8601 time; default {DEFAULT_SINCE} ago",
    )
    parser.add_argument("--until", type=moment, default=None, help="the window's end (exclusive); default: none")
    if command == "wait":
        timeout_help = "give up after this many seconds (exit 5); default: wait until the run ends"
    else:
        timeout_help = f"how long transient answers are retried (exit 11 after); default {DEFAULT_READ_TIMEOUT:g}"
    parser.add_argument("--timeout", type=seconds, default=None, help=timeout_help)
    between = "seconds between polls, and the base" if command == "wait" else "seconds, the base"
    parser.add_argument(
        "--poll-interval",
        type=seconds,
        default=None,
        help=f"{between} of the backoff after transient answers; default {DEFAULT_POLL_INTERVAL:g} "
        f"({EMULATOR_POLL_INTERVAL:g} with --emulator)",
    )
    if command == "list":
        parser.add_argument("--limit", type=int, default=20, help="show at most this many runs (0: all); default 20")


def _flags(name: str) -> list[str]:
    dashed = "--" + name.replace("_", "-")
    return [dashed] if "_" not in name else [dashed, "--" + name]


def parse(argv: Sequence[str], services: Sequence[ServiceDeclaration] | None = None) -> Invocation:
    known = tuple(services) if services is not None else declarations()
    args = build_parser(known).parse_args(argv)
    service = next(s for s in known if s.name == args.service)
    values = {
        key.removeprefix("id."): value
        for key, value in vars(args).items()
        if key.startswith("id.") and value is not None
    }
    conn_id = args.conn_id if args.conn_id is not None else service.default_conn
    values[service.conn_arg] = conn_id
    since = args.since if args.since is not None else moment(DEFAULT_SINCE)
    default_timeout = None if args.command == "wait" else DEFAULT_READ_TIMEOUT
    default_interval = EMULATOR_POLL_INTERVAL if args.emulator else DEFAULT_POLL_INTERVAL
    return Invocation(
        command=args.command,
        service=service,
        values=values,
        conn_id=conn_id,
        conn_given=args.conn_id is not None,
        since=since,
        until=args.until,
        as_json=args.json,
        timeout=args.timeout if args.timeout is not None else default_timeout,
        poll_interval=args.poll_interval if args.poll_interval is not None else default_interval,
        limit=max(getattr(args, "limit", 0), 0),
        emulator=args.emulator,
        verbose=args.verbose,
    )
