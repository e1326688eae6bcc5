"""Check: remote runs finishing schedule DAG runs, each once, across a triggerer SIGKILL, two triggerers.

``example_schedule_on_remote_runs`` has an asset watcher per service on the emulator's scheduled
workflows (the ``demo`` scenario starts a run of each every 30 s; each succeeds 8 s after its tick).
Unpausing its DAGs starts the watchers. Once every asset has had an event, a second triggerer is
started and the one running the watchers is SIGKILLed (no shutdown, so its leases are not
released); the watchers move to the other and carry on. Then the DAGs are paused and, per service:

- the ground truth is the emulator's schedule (tick ``k`` ends at ``first_at + 30 k + 8``): every
  run that ended from the first one announced until shortly before the pause must have an event;
- no run has two events, unless the second is flagged ``possible_duplicate`` (the crash window);
- every event was consumed by a DAG run of the service's DAG, each by its own (Airflow gives events
  that arrive before its scheduler acts to one DAG run; the watchers space a backlog's events);
- ``example_after_all_five`` ran (``AssetAll`` of the five).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .api import quote, wait_for
from .report import CheckResult, Timer
from .stack import Stack, Triggerer

SERVICES = ("glue", "codecatalyst", "datadog", "dataworks", "logic_apps")
ALL_FIVE = "example_after_all_five"
RUN_SECONDS = 8.0  # each scheduled run succeeds this long after its tick
POLL = 10.0  # the example watchers' poll_interval
AFTER_KILL = 100.0  # seconds of runs after the SIGKILL that must be announced too
SLACK = POLL + 15.0  # a run that ended this long before the pause must have been listed


def dag_id(service: str) -> str:
    return f"example_after_{service}"


def check_asset_events(stack: Stack) -> CheckResult:
    result = CheckResult(
        "asset-events", "each finished remote run: one asset event, one DAG run (SIGKILL, two triggerers)"
    )
    timer = Timer()
    api = stack.airflow_api()
    wait_for("the event DAGs to be parsed", lambda: {dag_id(s) for s in SERVICES} | {ALL_FIVE} <= api.dag_ids(), 120, 2)
    assets = _asset_ids(stack)
    for dag in [*(dag_id(s) for s in SERVICES), ALL_FIVE]:
        api.unpause(dag)
    result.info(f"unpaused {len(SERVICES) + 1} DAGs: the watchers of {len(assets)} assets start")
    wait_for("an event on every asset", lambda: all(_events(stack, a) for a in assets.values()), 180, 2)
    first_end = {s: min(_ended(e) for e in _events(stack, assets[s])) for s in SERVICES}
    result.info("every asset has its first event")

    live = stack.live_triggerers()
    if len(live) < 2:
        stack.start_triggerer()
    holder = _watchers_holder(stack)
    killed = stack.kill_triggerer(holder)
    killed_at = time.time()
    result.info(
        f"{len(stack.live_triggerers())} triggerers left; SIGKILLed {holder.name}, which ran the "
        f"watchers ({killed} processes)"
    )
    deadline = time.monotonic() + AFTER_KILL
    while time.monotonic() < deadline:
        stack.check_alive()
        time.sleep(5)
    new_holder = wait_for("a live triggerer to run the watchers", lambda: _try_holder(stack), 60, 2)
    result.info(f"the watchers run on {new_holder.name} now")
    cut = time.time() - SLACK

    def consumed_until_cut() -> bool:
        return all(_consumed(e, dag_id(s)) for s in SERVICES for e in _events(stack, assets[s]) if _ended(e) <= cut)

    try:
        wait_for("the DAG runs of every event up to the cut", consumed_until_cut, 90, 3)
    except TimeoutError as exc:
        result.fail(str(exc))
    for dag in [*(dag_id(s) for s in SERVICES), ALL_FIVE]:
        api.call("PATCH", f"/dags/{quote(dag)}", {"is_paused": True})

    schedules = {s["service"]: s for s in stack.emulator_api().call("GET", "schedules")["schedules"]}
    for service in SERVICES:
        _verify(stack, result, service, assets[service], schedules[service], first_end[service], cut, killed_at)
    all_five = api.call("GET", f"/dags/{ALL_FIVE}/dagRuns", params={"limit": 100})["dag_runs"]
    result.expect(bool(all_five), f"{ALL_FIVE} (AssetAll of the five) ran {len(all_five)} times")
    result.seconds = timer()
    return result


def _verify(
    stack: Stack,
    result: CheckResult,
    service: str,
    asset_id: int,
    schedule: dict[str, Any],
    first_end: float,
    cut: float,
    killed_at: float,
) -> None:
    events = _events(stack, asset_id)
    ends = [_ended(e) for e in events]
    keys = Counter(e["extra"]["payload"]["key"] for e in events)
    flagged = sum(1 for e in events if e["extra"]["payload"].get("possible_duplicate"))
    repeated = sum(n - 1 for n in keys.values())
    ticks = range(int(schedule["runs_created"]) + 1)
    expected = [t for k in ticks if first_end - 0.5 <= (t := schedule["first_at"] + k * 30.0 + RUN_SECONDS) <= cut]
    missing = [t for t in expected if not any(abs(t - end) < 1.0 for end in ends)]
    during_outage = sum(1 for t in expected if t > killed_at)
    result.expect(
        not missing,
        f"{service}: {len(expected)} runs ended between the first announced and {SLACK:.0f} s before the pause "
        f"({during_outage} after the SIGKILL), {len(keys)} announced"
        + (f"; MISSING the runs that ended at {[_iso(t) for t in missing]}" if missing else ""),
    )
    result.expect(
        repeated <= flagged,
        f"{service}: {repeated} run(s) announced twice, {flagged} event(s) flagged possible_duplicate",
    )
    due = [e for e in events if _ended(e) <= cut]  # later ones may still wait for their DAG run
    runs = {(r["dag_id"], r["run_id"]) for e in due for r in e["created_dagruns"] if r["dag_id"] == dag_id(service)}
    unconsumed = sum(1 for e in due if not _consumed(e, dag_id(service)))
    result.expect(
        unconsumed == 0 and len(runs) == len(due),
        f"{service}: one DAG run of {dag_id(service)} per remote run: {len(due)} events up to the cut, "
        f"{len(runs)} DAG runs consumed them" + (f", {unconsumed} not consumed" if unconsumed else ""),
    )
    if len(runs) < len(due) - unconsumed:
        result.info(
            f"{service}: Airflow gave several events to one DAG run (they arrived before its scheduler "
            "created one; the watchers' announce_spacing should have prevented it)"
        )


def _consumed(event: dict[str, Any], dag: str) -> bool:
    return any(ref["dag_id"] == dag for ref in event["created_dagruns"])


def _asset_ids(stack: Stack) -> dict[str, int]:
    found = stack.airflow_api().call("GET", "/assets", params={"limit": 100, "name_pattern": "_workflow_finished"})
    by_name = {a["name"]: int(a["id"]) for a in found["assets"]}
    return {s: by_name[f"{s}_workflow_finished"] for s in SERVICES}


def _events(stack: Stack, asset_id: int) -> list[dict[str, Any]]:
    params = {"asset_id": asset_id, "limit": 100, "order_by": "timestamp"}
    events: list[dict[str, Any]] = stack.airflow_api().call("GET", "/assets/events", params=params)["asset_events"]
    return [e for e in events if isinstance((e.get("extra") or {}).get("payload"), dict)]


def _ended(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["extra"]["payload"]["run"]["ended_at"]).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def _try_holder(stack: Stack) -> Triggerer | None:
    try:
        return _watchers_holder(stack)
    except RuntimeError:
        return None


def _watchers_holder(stack: Stack) -> Triggerer:
    """The live triggerer whose job runs most of the event triggers (read from the metadata DB)."""
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT triggerer_id FROM trigger WHERE classpath LIKE :path"),
                {"path": "airflow_workflow_runs.triggers.%EventTrigger"},
            ).all()
    finally:
        engine.dispose()
    owners = Counter(row[0] for row in rows if row[0] is not None)
    live = {t.job_id: t for t in stack.live_triggerers()}

    def holder() -> Triggerer | None:
        for job_id, _ in owners.most_common():
            if job_id in live:
                return live[job_id]
        return None

    found = holder()
    if found is None:
        raise RuntimeError(f"no live triggerer runs the event triggers (owners {dict(owners)}, live {list(live)})")
    return found
