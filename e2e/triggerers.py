"""Checks: a deferred wait survives its triggerer's loss; two triggerers share triggers and take over.

A triggerer is lost the way a machine is lost: SIGKILL of its whole session (the triggerer and
its trigger runner), no shutdown, no ``cleanup()``. Its triggers stay assigned to its job until
that job's heartbeat is older than ``[triggerer] triggerer_health_check_threshold`` (lowered to
12 s here, heartbeats every 2 s); then a live triggerer claims them.

A triggerer can also stall past that threshold and come back (SIGSTOP here: a long pause, a frozen
VM): its triggers have moved meanwhile, and for a moment both triggerers run them. When it finds them
gone it cancels them; that must not cancel the remote runs (Airflow 3.3 cancels them as if a user had
acted, so ``on_kill`` runs: apache/airflow#73454).

Airflow does not balance triggers: every triggerer claims unassigned triggers up to its
``--capacity``. The two-triggerer check therefore makes the spread deterministic: the first
triggerer has a capacity of 3, so it holds the first three waits, and the second triggerer (default
capacity) is started after it and gets the next three.
"""

from __future__ import annotations

import time

from .api import wait_for
from .procs import stop_all
from .remote import GLUE, LOGIC_APPS
from .report import CheckResult, Timer
from .stack import TRIGGERER_HEALTH_CHECK_THRESHOLD, TRIGGERER_HEARTBEAT_SEC, Stack, Triggerer
from .waits import Wait, launch, operator_ti, poll_counts, triggerer_of, verify_succeeded, wait_deferred, wait_polled

SMALL_CAPACITY = 3
# A lost triggerer's triggers must have moved by then: the health threshold, one heartbeat and the
# new owner's next loop, with room for a loaded 2-core machine.
TAKEOVER_LIMIT = TRIGGERER_HEALTH_CHECK_THRESHOLD + TRIGGERER_HEARTBEAT_SEC + 15


def check_triggerer_restart(stack: Stack) -> CheckResult:
    result = CheckResult("triggerer-restart", "a deferred wait survives its triggerer being SIGKILLed and replaced")
    timer = Timer()
    old = _one_triggerer(stack, capacity=None)
    waits = [
        *launch(stack, GLUE, "e2e_restart_etl", polls=10),
        *launch(stack, LOGIC_APPS, "e2e-restart-export", polls=10),
    ]
    before = poll_counts(stack, waits)
    wait_deferred(stack, waits, {old.job_id}, timeout=180)
    wait_polled(stack, waits, before)
    result.info(f"{len(waits)} operators deferred on {old.name} (job {old.job_id}), their triggers polling")
    killed = stack.kill_triggerer(old)
    lost_at = time.monotonic()
    result.info(f"SIGKILLed {old.name}: {killed} processes of its session")
    new = stack.start_triggerer(capacity=SMALL_CAPACITY)
    result.info(f"started {new.name} (job {new.job_id}) {time.monotonic() - lost_at:.0f} s after the kill")
    _expect_takeover(stack, result, waits, new, lost_at)
    verify_succeeded(stack, result, waits, timeout=240)
    result.seconds = timer()
    return result


def check_two_triggerers(stack: Stack) -> CheckResult:
    result = CheckResult("two-triggerers", "two triggerers: triggers on both; one killed, the other takes its triggers")
    timer = Timer()
    first = _one_triggerer(stack, capacity=SMALL_CAPACITY)
    batch_a = [
        *launch(stack, GLUE, "e2e_ha_etl", polls=30, count=2),
        *launch(stack, LOGIC_APPS, "e2e-ha-export", polls=30),
    ]
    wait_deferred(stack, batch_a, {first.job_id}, timeout=180)
    second = stack.start_triggerer()
    batch_b = [
        *launch(stack, GLUE, "e2e_ha_etl", polls=30),
        *launch(stack, LOGIC_APPS, "e2e-ha-export", polls=30, count=2),
    ]
    owners = wait_deferred(stack, batch_a + batch_b, {first.job_id, second.job_id}, timeout=180)
    on_first = sum(1 for job in owners.values() if job == first.job_id)
    on_second = sum(1 for job in owners.values() if job == second.job_id)
    result.expect(
        on_first == SMALL_CAPACITY and on_second == len(owners) - SMALL_CAPACITY,
        f"triggers spread: {on_first} on {first.name} (job {first.job_id}, capacity {SMALL_CAPACITY}), "
        f"{on_second} on {second.name} (job {second.job_id})",
    )
    before = poll_counts(stack, batch_a + batch_b)
    wait_polled(stack, batch_a + batch_b, before)
    killed = stack.kill_triggerer(first)
    lost_at = time.monotonic()
    result.info(f"SIGKILLed {first.name}: {killed} processes of its session")
    _expect_takeover(stack, result, [w for w in batch_a + batch_b if owners[w.run_id] == first.job_id], second, lost_at)
    verify_succeeded(stack, result, batch_a + batch_b, timeout=300)
    result.seconds = timer()
    return result


def check_paused_triggerer(stack: Stack) -> CheckResult:
    """A triggerer that stalls past the health threshold (SIGSTOP: a long GC pause, a frozen VM) loses its
    triggers to another; when it runs again, both run them for a moment. That must do no harm."""
    result = CheckResult("paused-triggerer", "a trigger briefly running in two triggerers does no harm")
    timer = Timer()
    old = stack.live_triggerers()[0] if stack.live_triggerers() else stack.start_triggerer()
    for other in stack.live_triggerers()[1:]:
        stack.killed.add(other.name)
        stop_all([other.proc])
    waits = [
        *launch(stack, GLUE, "e2e_pause_etl", polls=25),
        *launch(stack, LOGIC_APPS, "e2e-pause-export", polls=25),
    ]
    before = poll_counts(stack, waits)
    wait_deferred(stack, waits, {old.job_id}, timeout=180)
    wait_polled(stack, waits, before)
    heir = stack.start_triggerer()
    stack.pause_triggerer(old)
    paused_at = time.monotonic()
    result.info(f"SIGSTOPped {old.name} (job {old.job_id}) with {len(waits)} triggers; {heir.name} is running")
    try:
        _expect_takeover(stack, result, waits, heir, paused_at)
    finally:
        stack.resume_triggerer(old)
    result.info(f"SIGCONTed {old.name} {time.monotonic() - paused_at:.0f} s after the pause; its triggers are gone")
    verify_succeeded(stack, result, waits, timeout=240)
    result.seconds = timer()
    return result


def _expect_takeover(stack: Stack, result: CheckResult, waits: list[Wait], heir: Triggerer, lost_at: float) -> None:
    """The lost triggerer's triggers are assigned to ``heir`` within TAKEOVER_LIMIT and it polls them."""
    before = poll_counts(stack, waits)
    try:
        wait_deferred(stack, waits, {heir.job_id}, timeout=TAKEOVER_LIMIT + 60)
    except TimeoutError as exc:
        states = {w.run_id: (operator_ti(stack, w)["state"], triggerer_of(operator_ti(stack, w))) for w in waits}
        result.fail(f"the triggers did not move to {heir.name}: {exc}; TI state, triggerer: {states}")
        return
    took = time.monotonic() - lost_at
    result.expect(
        took <= TAKEOVER_LIMIT,
        f"{len(waits)} triggers moved to {heir.name} {took:.0f} s after it was lost (limit {TAKEOVER_LIMIT} s: "
        f"health check threshold {TRIGGERER_HEALTH_CHECK_THRESHOLD} s, heartbeat {TRIGGERER_HEARTBEAT_SEC} s)",
    )
    wait_polled(stack, waits, before)
    result.info(f"{heir.name} polls the same remote runs")


def _one_triggerer(stack: Stack, capacity: int | None) -> Triggerer:
    """The only live triggerer if it has ``capacity``; else stop the live ones and start one that has."""
    live = stack.live_triggerers()
    if len(live) == 1 and live[0].capacity == capacity:
        return live[0]
    stack.killed.update(t.name for t in live)
    stop_all([t.proc for t in live])
    triggerer = stack.start_triggerer(capacity=capacity)
    wait_for("no other triggerer alive", lambda: len(stack.live_triggerers()) == 1, 30)
    return triggerer
