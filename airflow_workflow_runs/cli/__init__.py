"""``airflow-workflow-runs``: get, wait for and list workflow runs from a shell, for the first five
minutes with the provider (and for scripts after that).

It uses the same hooks and Airflow connections as the sensors, so what works here works in a DAG.
Errors are one line on stderr with a documented exit code (:mod:`.exits`), never a traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from airflow_workflow_runs.cli.arguments import Invocation

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command line; returns its exit code (the console script exits with it)."""
    from airflow_workflow_runs.cli import exits
    from airflow_workflow_runs.cli.arguments import PROG, parse

    out = out or sys.stdout
    err = err or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    try:
        invocation = parse(args)
        return _run(invocation, out, err)
    except exits.CliError as error:
        _error(err, PROG, str(error))
        return error.code
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        _error(err, PROG, "interrupted")
        return exits.INTERRUPTED
    except Exception as error:  # a bug: still one line, unless -v
        if verbose:
            traceback.print_exc(file=err)
        hint = "" if verbose else " (-v shows the traceback)"
        _error(err, PROG, f"unexpected {type(error).__name__}: {error}{hint}")
        return exits.UNEXPECTED


def _run(invocation: Invocation, out: TextIO, err: TextIO) -> int:
    from airflow_workflow_runs.cli import exits, render
    from airflow_workflow_runs.cli.commands import Command
    from airflow_workflow_runs.cli.environment import airflow_lookups, bundled_emulator, quiet_logging
    from airflow_workflow_runs.model import WorkflowRunError

    with ExitStack() as stack:
        stack.enter_context(quiet_logging(invocation.verbose))
        stack.enter_context(airflow_lookups())
        if invocation.emulator:
            stack.enter_context(bundled_emulator(lambda text: render.emit(err, text)))
        try:
            command = Command(invocation, out, err)
            return int(getattr(command, invocation.command)())
        except WorkflowRunError as error:
            raise exits.CliError(exits.code_of(error), str(error)) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _error(err: TextIO, prog: str, message: str) -> None:
    from airflow_workflow_runs.cli.exits import one_line

    try:
        from airflow_workflow_runs.cli.render import redact

        message = redact(message)
    except Exception:  # the masker itself failed: say only what kind of error it was
        message = message.split(":", 1)[0]
    err.write(f"{prog}: {one_line(message)}\n")
    err.flush()
