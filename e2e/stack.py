"""The stack: the bundled emulator and a real Airflow, every process on 127.0.0.1, logs in one run dir.

``airflow db migrate``, then ``scheduler``, ``dag-processor``, ``triggerer`` (one or more) and
``api-server``, each a process (session) of its own, as a deployment runs them: LocalExecutor on
the embedded SQLite database (what ``airflow standalone`` uses) unless ``E2E_DATABASE_URL`` names
another (Postgres); the example DAGs are the dags folder; the connections are ``AIRFLOW_CONN_*``
variables pointing at the emulator, built exactly as ``make demo`` builds them.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from .api import Airflow, Emulator, wait_for
from .procs import Proc, free_port, run_logged, signal_session, stop_all

ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = ROOT / "example_dags"
LOOPWATCH = Path(__file__).resolve().parent / "loopwatch"
USERNAME = "admin"

# Heartbeats lowered so that a lost triggerer's triggers move within seconds, not the default 30 s.
TRIGGERER_HEARTBEAT_SEC = 2
TRIGGERER_HEALTH_CHECK_THRESHOLD = 12


@functools.cache
def _demo() -> Any:
    """``scripts/demo.py`` (what ``make demo`` runs), so e2e and the demo share connections and DAG list."""
    spec = importlib.util.spec_from_file_location("_demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def demo_connections(endpoints: dict[str, str]) -> dict[str, str]:
    """The ``AIRFLOW_CONN_*`` variables ``make demo`` sets, pointing at the emulator."""
    env: dict[str, str] = _demo().airflow_env(endpoints)
    return {k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}


def demo_dag_ids() -> tuple[str, ...]:
    """The example DAGs ``make demo`` runs: every DAG in example_dags/."""
    return tuple(_demo().DAG_IDS)


def connection_records(variables: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``AIRFLOW_CONN_<ID>`` JSON values as an ``airflow connections import`` file: ``{conn_id: fields}``."""
    records = {}
    for variable, value in variables.items():
        record = json.loads(value)
        record["extra_dejson"] = record.pop("extra", {})
        records[variable.removeprefix("AIRFLOW_CONN_").lower()] = record
    return records


class Triggerer:
    def __init__(self, proc: Proc, job_id: int, capacity: int | None) -> None:
        self.proc = proc
        self.job_id = job_id
        self.capacity = capacity  # None: Airflow's default

    @property
    def name(self) -> str:
        return self.proc.name


class Stack:
    def __init__(
        self,
        run_dir: Path,
        database_url: str | None = None,
        parallelism: int = 4,
        *,
        api_port: int | None = None,
        password: str | None = None,
        connections_in_db: bool = False,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """``connections_in_db``: import the demo connections into the metadata database (Admin →
        Connections shows them, a person can edit them) instead of ``AIRFLOW_CONN_*`` variables;
        ``settings``: more ``AIRFLOW__<SECTION>__<KEY>`` settings, without the prefix."""
        self.run_dir = run_dir
        self.home = run_dir / "airflow"
        self.home.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.home}/airflow.db"
        self.parallelism = parallelism
        self.api_port = api_port or free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.password = password or secrets.token_urlsafe(12)
        self.connections_in_db = connections_in_db
        self.settings = settings or {}
        self.connections: dict[str, str] = {}
        self.procs: list[Proc] = []
        self.triggerers: list[Triggerer] = []
        self.emulator_proc: Proc | None = None
        self.emulator: Emulator | None = None
        self.airflow: Airflow | None = None
        self.env: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.killed: set[str] = set()
        self.paused: set[str] = set()
        self.lingered: list[str] = []  # processes still there after stop()'s grace period
        self.pauses: list[tuple[str, float, float | None]] = []  # (triggerer, SIGSTOP at, SIGCONT at), epoch

    # --- start ---------------------------------------------------------------------------

    def start(self, dag_ids: tuple[str, ...]) -> None:
        began = time.monotonic()
        endpoints = self._start_emulator()
        self.env = self._airflow_env(endpoints)
        (self.home / "passwords.json").write_text(json.dumps({USERNAME: self.password}) + "\n")
        migrate_began = time.monotonic()
        if "E2E_DATABASE_URL" in os.environ:  # a database of its own, reset: results from earlier runs would mislead
            run_logged("db-reset", [*self._airflow, "db", "reset", "--yes"], self.env, self.run_dir, timeout=300)
        run_logged("db-migrate", [*self._airflow, "db", "migrate"], self.env, self.run_dir, timeout=300)
        self.timings["db migrate"] = time.monotonic() - migrate_began
        if self.connections_in_db:
            self._import_connections()
        for name in ("scheduler", "dag-processor"):
            self._spawn(name, [*self._airflow, name])
        self._spawn("api-server", [*self._airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port)])
        self.airflow = Airflow(self.api_url, USERNAME, self.password)
        wait_for("the api-server to answer", self._api_answers, 180)
        self.start_triggerer()
        wait_for("scheduler, dag-processor and triggerer healthy", self._healthy, 180)
        wait_for(f"the dag-processor to parse {len(dag_ids)} example DAGs", lambda: self._dags_ready(dag_ids), 180, 2)
        self.timings["stack ready"] = time.monotonic() - began

    def _start_emulator(self) -> dict[str, str]:
        state = self.run_dir / "emulator"
        argv = [sys.executable, "-m", "airflow_workflow_runs.emulator", "--state-dir", str(state), "--scenario", "demo"]
        self.emulator_proc = Proc("emulator", argv, os.environ, self.run_dir)
        self.procs.append(self.emulator_proc)
        info_file = state / "emulator.json"

        def ready() -> dict[str, str] | None:
            if not self.emulator_proc or not self.emulator_proc.alive():
                raise RuntimeError(f"the emulator exited; log: {self.run_dir / 'emulator.log'}")
            if not info_file.exists():
                return None
            info: dict[str, str] = json.loads(info_file.read_text())
            return info

        endpoints = wait_for("the emulator to start", ready, 60, 0.2)
        self.emulator = Emulator(endpoints["http_url"])
        return endpoints

    @property
    def _airflow(self) -> list[str]:
        return [sys.executable, "-m", "airflow"]

    def _airflow_env(self, endpoints: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        self.connections = demo_connections(endpoints)
        if not self.connections_in_db:
            env.update(self.connections)
        settings: dict[str, Any] = {
            "CORE__EXECUTOR": "LocalExecutor",
            "CORE__PARALLELISM": self.parallelism,
            "CORE__LOAD_EXAMPLES": "False",
            "CORE__DAGS_FOLDER": DAGS_FOLDER,
            "CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": self.home / "passwords.json",
            "CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "DATABASE__SQL_ALCHEMY_CONN": self.database_url,
            "API__HOST": "127.0.0.1",
            "API__PORT": self.api_port,
            "API__BASE_URL": self.api_url,
            "API__WORKERS": 1,
            "API__SECRET_KEY": secrets.token_urlsafe(24),
            "API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),  # one secret for every process
            "LOGGING__WORKER_LOG_SERVER_PORT": free_port(),
            "TRIGGERER__JOB_HEARTBEAT_SEC": TRIGGERER_HEARTBEAT_SEC,
            "TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": TRIGGERER_HEALTH_CHECK_THRESHOLD,
            **self.settings,
        }
        env.update({f"AIRFLOW__{k}": str(v) for k, v in settings.items()})
        env["AIRFLOW_HOME"] = str(self.home)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _import_connections(self) -> None:
        """``airflow connections import`` of the demo connections (a file only the stack's home holds)."""
        path = self.home / "connections.json"
        path.write_text(json.dumps(connection_records(self.connections), indent=2) + "\n")
        path.chmod(0o600)
        argv = [*self._airflow, "connections", "import", str(path)]
        run_logged("connections-import", argv, self.env, self.run_dir, timeout=120)

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, argv, {**self.env, **(extra_env or {})}, self.run_dir)
        self.procs.append(proc)
        return proc

    def airflow_api(self) -> Airflow:
        assert self.airflow is not None, "start() first"
        return self.airflow

    def emulator_api(self) -> Emulator:
        assert self.emulator is not None, "start() first"
        return self.emulator

    def check_alive(self) -> None:
        """Raise, with its log's tail, if a process of the stack died that no check killed."""
        for proc in self.procs:
            if proc.popen.poll() is not None and proc.name not in self.killed:
                raise RuntimeError(f"{proc.name} exited {proc.popen.returncode}; log: {proc.log_path}\n{proc.tail()}")

    def _api_answers(self) -> dict[str, Any]:
        self.check_alive()
        return self.airflow_api().health()

    def _healthy(self) -> bool:
        self.check_alive()
        health = self.airflow_api().health()
        return all(
            health.get(part, {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def _dags_ready(self, dag_ids: tuple[str, ...]) -> bool:
        self.check_alive()
        api = self.airflow_api()
        errors = api.import_errors()
        if errors:
            raise RuntimeError("import errors: " + "; ".join(f"{e['filename']}: {e['stack_trace']}" for e in errors))
        return set(dag_ids) <= api.dag_ids()

    # --- triggerers ----------------------------------------------------------------------

    def start_triggerer(self, capacity: int | None = None) -> Triggerer:
        """Start one more triggerer and wait until its job heartbeats; it is named triggerer-<n>."""
        api = self.airflow_api()
        known = {job["id"] for job in api.triggerer_jobs()}
        name = f"triggerer-{len(self.triggerers) + 1}"
        argv = [*self._airflow, "triggerer", *(["--capacity", str(capacity)] if capacity else [])]
        loopwatch = {  # e2e/loopwatch/sitecustomize.py: who held the event loop when it fell behind
            "PYTHONPATH": os.pathsep.join(filter(None, [str(LOOPWATCH), self.env.get("PYTHONPATH")])),
            "E2E_LOOPWATCH_DIR": str(self.run_dir),
            "E2E_PROCESS_NAME": name,
        }
        proc = self._spawn(name, argv, {"AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()), **loopwatch})

        def new_job() -> dict[str, Any] | None:
            self.check_alive()
            fresh = [j for j in api.triggerer_jobs() if j["id"] not in known and j["end_date"] is None]
            return fresh[0] if fresh else None

        job = wait_for(f"{name} to start heartbeating", new_job, 120)
        triggerer = Triggerer(proc, int(job["id"]), capacity)
        self.triggerers.append(triggerer)
        return triggerer

    def kill_triggerer(self, triggerer: Triggerer) -> int:
        """SIGKILL a triggerer and every process of its session (its trigger runner too)."""
        self.killed.add(triggerer.name)
        return triggerer.proc.kill_hard()

    def pause_triggerer(self, triggerer: Triggerer) -> None:
        """SIGSTOP every process of a triggerer's session: it stops heartbeating, as in a long stall."""
        self.paused.add(triggerer.name)
        self.pauses.append((triggerer.name, time.time(), None))
        signal_session(triggerer.proc.pid, signal.SIGSTOP)

    def resume_triggerer(self, triggerer: Triggerer) -> None:
        signal_session(triggerer.proc.pid, signal.SIGCONT)
        self.paused.discard(triggerer.name)
        self.pauses = [(n, a, time.time() if n == triggerer.name and b is None else b) for n, a, b in self.pauses]

    def live_triggerers(self) -> list[Triggerer]:
        return [t for t in self.triggerers if t.proc.alive()]

    # --- stop ----------------------------------------------------------------------------

    def stop(self, grace: float = 10.0) -> None:
        """Stop every Airflow process at once (SIGKILL after ``grace``), then the emulator."""
        if self.airflow is not None:
            self.airflow.close()
        for triggerer in self.triggerers:
            if triggerer.name in self.paused:
                self.resume_triggerer(triggerer)
        self.lingered = stop_all([p for p in self.procs if p is not self.emulator_proc], grace)
        if self.emulator_proc is not None:
            self.lingered += stop_all([self.emulator_proc], grace)
