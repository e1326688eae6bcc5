"""Talking to the stack: Airflow's public REST API (as the UI does) and the emulator's control API."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from airflow_workflow_runs.emulator.control_client import control

T = TypeVar("T")
TERMINAL_DAG_RUN = frozenset({"success", "failed"})


class ApiError(RuntimeError):
    pass


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Airflow:
    """A user of the api-server: logs in with the simple auth manager's ``POST /auth/token``."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = {"username": username, "password": password}
        self._http = httpx.Client(base_url=self.base_url, timeout=30.0)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def login(self) -> None:
        answer = self._http.post("/auth/token", json=self._credentials)
        if answer.status_code != 201:
            raise ApiError(f"POST /auth/token answered {answer.status_code}: {answer.text[:300]}")
        self._token = answer.json()["access_token"]

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        if self._token is None:
            self.login()
        for attempt in (1, 2):
            answer = self._http.request(
                method, f"/api/v2{path}", json=body, params=params, headers={"Authorization": f"Bearer {self._token}"}
            )
            if answer.status_code == 401 and attempt == 1:
                self.login()  # the token expired
                continue
            if answer.status_code >= 400:
                raise ApiError(f"{method} /api/v2{path} answered {answer.status_code}: {answer.text[:500]}")
            return answer.json() if answer.content else None
        raise AssertionError("unreachable")

    # --- what the checks use -------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        answer = self._http.get("/api/v2/monitor/health")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.call("GET", "/dags", params={"limit": 100})["dags"]}

    def import_errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.call("GET", "/importErrors")["import_errors"]
        return errors

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{quote(dag_id)}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """Trigger a run as the UI does: no logical date. Returns its run id."""
        body: dict[str, Any] = {"logical_date": None}
        if conf:
            body["conf"] = conf
        run: dict[str, Any] = self.call("POST", f"/dags/{quote(dag_id)}/dagRuns", body)
        return str(run["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}")
        return result

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances"
        result: list[dict[str, Any]] = self.call("GET", path, params={"limit": 100})["task_instances"]
        return result

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/{quote(task_id)}"
        result: dict[str, Any] = self.call("GET", path)
        return result

    def set_task_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        """What the UI's "Mark as failed" does on one task instance."""
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/{quote(task_id)}"
        self.call("PATCH", path, {"new_state": state})

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/{quote(task_id)}/xcomEntries/{quote(key)}"
        return self.call("GET", path, params={"deserialize": True})["value"]

    def triggerer_jobs(self) -> list[dict[str, Any]]:
        params = {"job_type": "TriggererJob", "limit": 100, "order_by": "id"}
        jobs: list[dict[str, Any]] = self.call("GET", "/jobs", params=params)["jobs"]
        return jobs

    def wait_dag_run(self, dag_id: str, run_id: str, deadline: float) -> dict[str, Any]:
        """Poll the run until it is terminal or ``deadline`` (monotonic) passes; the last answer."""
        while True:
            run = self.dag_run(dag_id, run_id)
            if run["state"] in TERMINAL_DAG_RUN or time.monotonic() > deadline:
                return run
            time.sleep(2.0)


class Emulator:
    """The emulator's control API (``/_emulator/...``) over plain HTTP."""

    def __init__(self, http_url: str) -> None:
        self.http_url = http_url

    def call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = control(self.http_url, method, path, body)
        if status >= 400:
            raise ApiError(f"emulator {method} {path} answered {status}: {answer}")
        return answer

    def requests(self, service: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({k: v for k, v in (("service", service), ("operation", operation)) if v})
        entries: list[dict[str, Any]] = self.call("GET", "requests" + (f"?{query}" if query else ""))["requests"]
        return entries


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 1.0) -> T:
    """``probe()``'s first truthy answer within ``timeout`` seconds; TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except (ApiError, httpx.HTTPError, OSError) as exc:
            last_error = exc
        if time.monotonic() > deadline:
            suffix = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"{what}: not within {timeout:.0f} s{suffix}")
        time.sleep(every)
