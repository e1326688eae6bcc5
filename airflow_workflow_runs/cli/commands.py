"""``get``, ``wait`` and ``list``: the service's own hook, on an Airflow connection, as a task uses it.

Transient answers follow the shared retry policy (:func:`~..clients.retry_policy.backoff_delay`,
never sooner than the service asked): they delay ``wait``'s next poll and never end it, and
``get``/``list`` retry them until ``--timeout``. A run's ids are checked before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO, TypeVar

from airflow_workflow_runs.cli import exits, render
from airflow_workflow_runs.cli.exits import CliError
from airflow_workflow_runs.clients.retry_policy import backoff_delay
from airflow_workflow_runs.model import (
    GarbledAnswer,
    TransientServiceError,
    WorkflowRun,
    WorkflowRunError,
    describe_ref,
    format_ids,
)
from airflow_workflow_runs.targets import RunTarget

if TYPE_CHECKING:
    from airflow_workflow_runs.cli.arguments import Invocation
    from airflow_workflow_runs.hooks.base import WorkflowRunHook

T = TypeVar("T")


class Command:
    """One invocation's hook, ids and streams; ``get``, ``wait`` and ``list`` are its methods."""

    def __init__(self, invocation: Invocation, out: TextIO, err: TextIO) -> None:
        self.inv = invocation
        self.service = invocation.service
        self.out, self.err = out, err
        self.hook = self._open_hook()

    # -- the hook and its connection -------------------------------------------------------------

    def _open_hook(self) -> WorkflowRunHook:
        from airflow_workflow_runs.registry import load_hook_class

        hook_class = load_hook_class(self.service.hook_class_path)
        conn_id = self.inv.conn_id
        if conn_id is not None:
            self._check_connection(hook_class, conn_id)
        hook = hook_class(**self.service.hook_kwargs(self.inv.values))
        try:
            hook.client  # noqa: B018  (builds the client: a connection it cannot use fails here)
        except WorkflowRunError:
            raise
        except Exception as error:
            raise CliError(
                exits.NO_CONNECTION,
                f"connection {conn_id!r} cannot be used for {self.service.name}: {type(error).__name__}: {error}",
            ) from None
        return hook

    def _check_connection(self, hook_class: type[WorkflowRunHook], conn_id: str) -> None:
        """A connection named on the command line must exist; a missing default one is the SDK's
        default credentials where the hook allows that (Glue, as in the amazon provider)."""
        from airflow.sdk.exceptions import AirflowNotFoundException
        from airflow.sdk.log import mask_secret

        try:
            conn = hook_class.get_connection(conn_id)
        except AirflowNotFoundException:
            if hook_class.missing_connection_ok and not self.inv.conn_given:
                render.emit(self.err, f"connection {conn_id!r} is not defined; using the SDK's default credentials")
                return
            variable = f"AIRFLOW_CONN_{conn_id.upper()}"
            raise CliError(
                exits.NO_CONNECTION,
                f"connection {conn_id!r} is not defined: set {variable} or add it to the metadata DB "
                f"(airflow connections add), or pass --conn-id",
            ) from None
        if conn.password:
            mask_secret(conn.password)
        mask_secret(conn.extra_dejson)  # secret-named extras (api_key, *_secret, *token): never printed

    # -- what the ids name ---------------------------------------------------------------------

    def ref(self) -> dict[str, str] | None:
        """The validated ids of the run, or None when the run is to be chosen in the window."""
        if not self.service.names_run(self.inv.values):
            return None
        return self.hook.client.validate_ref(self.service.ref(self.inv.values))

    def workflow(self) -> dict[str, str]:
        return self.hook.client.validate_workflow(self.service.workflow(self.inv.values))

    def target(self, workflow: dict[str, str]) -> RunTarget:
        window = self.inv.window()
        return RunTarget(self.service.name, self.service.hook_class_path, {}, workflow=workflow, window=window)

    # -- get -------------------------------------------------------------------------------------

    def get(self) -> int:
        ref = self.ref()
        if ref is not None:
            run = self._read(lambda: self.hook.get_run(ref))
        else:
            workflow = self.workflow()
            first_poll_at = datetime.now(timezone.utc)
            found = self._read(lambda: self.hook.find_run(workflow, self.inv.window(), first_poll_at))
            if found is None:
                raise CliError(exits.NOT_FOUND, f"there is no {self.target(workflow).describe()}")
            run = found
        self._print_run(run)
        return exits.OK

    # -- list ------------------------------------------------------------------------------------

    def list(self) -> int:
        workflow = self.workflow()
        window = self.inv.window()
        runs = self._read(lambda: self.hook.renewing(lambda client: client.list_runs_in_window(workflow, window)))
        shown = runs[: self.inv.limit] if self.inv.limit else runs
        if self.inv.as_json:
            render.emit(self.out, render.as_json([run.to_dict() for run in shown]))
        elif runs:
            render.emit(self.out, render.runs_table(shown, self.service.run_id_arg))
        if not runs:
            render.emit(self.err, f"no {self.service.name} runs of ({format_ids(workflow)}) {window.describe()}")
        elif len(shown) < len(runs):
            render.emit(self.err, f"{len(runs) - len(shown)} older runs not shown (--limit 0 shows all)")
        return exits.OK

    # -- wait ------------------------------------------------------------------------------------

    def wait(self) -> int:
        progress = render.Progress(self.err)
        ref = self.ref()
        workflow = self.workflow() if ref is None else None
        described = self.hook.client.describe(ref) if ref is not None else self.target(workflow or {}).describe()
        progress.note(f"waiting for {described}")
        started = time.monotonic()
        deadline = started + self.inv.timeout if self.inv.timeout is not None else None
        first_poll_at = datetime.now(timezone.utc)
        run: WorkflowRun | None = None
        failures = garbled = 0
        last_error: TransientServiceError | None = None
        try:
            while True:
                try:
                    if ref is not None:
                        run = self.hook.get_run(ref)
                    else:
                        assert workflow is not None
                        run = self.hook.find_run(workflow, self.inv.window(), first_poll_at)
                except TransientServiceError as error:
                    failures += 1
                    garbled = garbled + 1 if isinstance(error, GarbledAnswer) else 0
                    last_error = error
                    delay = backoff_delay(self.inv.poll_interval, failures, error.retry_after)
                    status = _status(run) if run is not None else _unread(ref)
                    note = f"{_transient(error, described)}; next try in {render.delay(delay)}"
                    progress.update(time.monotonic() - started, status, note)
                else:
                    failures = garbled = 0
                    last_error = None
                    delay = self.inv.poll_interval
                    if run is not None and ref is None:
                        ref = dict(run.ref)
                        described = describe_ref(run.service, run.ref)
                        progress.note(f"following {described}")
                    progress.update(time.monotonic() - started, _status(run) if run is not None else _unread(ref))
                    if run is not None and run.is_terminal:
                        break
                if deadline is not None and time.monotonic() + delay >= deadline:
                    progress.sleep(deadline - time.monotonic(), started)
                    progress.finish()
                    return self._timed_out(run, f"{described}: {_unread(ref)}", failures, garbled, last_error)
                progress.sleep(delay, started)
        finally:
            progress.finish()
        assert run is not None
        self._print_run(run)
        code = exits.BY_STATE[run.state]
        if code != exits.OK:
            render.emit(self.err, f"{exits.one_line(run.outcome_text())}")
        return code

    def _timed_out(
        self,
        run: WorkflowRun | None,
        described: str,
        failures: int,
        garbled: int,
        last_error: TransientServiceError | None,
    ) -> int:
        if run is not None:
            self._print_run(run)
        where = run.describe() if run is not None else described
        message = f"timed out after {self.inv.timeout:g}s: {where}"
        if isinstance(last_error, GarbledAnswer) and garbled:
            message += f"; {last_error.streak_text(garbled)}"
        elif last_error is not None:
            message += f"; the last {failures} answers were transient, the last: {last_error}"
        render.emit(self.err, exits.one_line(message))
        return exits.TIMED_OUT

    # -- shared ----------------------------------------------------------------------------------

    def _read(self, call: Callable[[], T]) -> T:
        """``call()``, retrying transient answers with the shared backoff until ``--timeout``."""
        started = time.monotonic()
        failures = 0
        while True:
            try:
                return call()
            except TransientServiceError as error:
                failures += 1
                delay = backoff_delay(self.inv.poll_interval, failures, error.retry_after)
                spent = time.monotonic() - started
                if self.inv.timeout is None or spent + delay > self.inv.timeout:
                    after = f"{failures} transient answer(s) in {render.duration(spent)}"
                    raise CliError(exits.GAVE_UP, f"gave up after {after}: {_transient(error)}") from None
                render.emit(self.err, exits.one_line(f"{_transient(error)}; trying again in {render.delay(delay)}"))
                time.sleep(delay)

    def _print_run(self, run: WorkflowRun) -> None:
        text = render.as_json(run.to_dict()) if self.inv.as_json else render.run_table(run)
        render.emit(self.out, text)


def _status(run: WorkflowRun) -> str:
    return f"{run.state.value} ({run.raw_status})"


def _unread(ref: dict[str, str] | None) -> str:
    return "not read yet" if ref is not None else "no run yet"


def _transient(error: TransientServiceError, described: str = "") -> str:
    """A transient answer as a line shows it: without the run the line already names, and without
    the clients' "will retry" (the line says when)."""
    text = str(error).removesuffix("; will retry").removesuffix("; will poll again")
    return text.removeprefix(f"{described}: ") if described else text
