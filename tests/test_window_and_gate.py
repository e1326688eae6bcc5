"""The rules behind "the newest run in a window" and gates over many runs, as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_workflow_runs.gate import Policy, judge
from airflow_workflow_runs.model import InvalidRunReference, RunState, TimeWindow, WorkflowRun, choose_run
from airflow_workflow_runs.targets import RunTarget

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def run(run_id: str, started: datetime | None, state: RunState = RunState.RUNNING) -> WorkflowRun:
    return WorkflowRun("glue", {"workflow_name": "etl", "run_id": run_id}, run_id, state, state.value.upper(), started)


# -- TimeWindow ---------------------------------------------------------------------------------


def test_window_is_half_open_like_a_data_interval():
    window = TimeWindow(T0, T0 + timedelta(hours=1))
    assert window.contains(T0)
    assert window.contains(T0 + timedelta(minutes=59, seconds=59))
    assert not window.contains(T0 + timedelta(hours=1))
    assert not window.contains(T0 - timedelta(microseconds=1))
    assert not window.contains(None)


def test_open_bounds_and_naive_times_read_as_utc():
    assert TimeWindow(None, None).contains(T0)
    assert TimeWindow(T0, None).contains(T0 + timedelta(days=400))
    assert TimeWindow(datetime(2026, 11, 23, 12), None).started_after == T0
    assert TimeWindow(None, T0).contains(datetime(2026, 11, 23, 11, 59))


def test_window_parses_what_templates_render():
    window = TimeWindow.parse("2026-11-23T12:00:00Z", "2026-11-23 13:00:00+00:00")
    assert window == TimeWindow(T0, T0 + timedelta(hours=1))
    assert TimeWindow.from_dict(window.to_dict()) == window


@pytest.mark.parametrize(
    ("after", "before", "match"),
    [
        (T0, T0, "empty"),
        (T0, T0 - timedelta(seconds=1), "empty"),
        ("yesterday", None, "started_after must be a datetime or an ISO 8601 string"),
        (None, 5, "started_before"),
    ],
)
def test_bad_windows_are_rejected_naming_the_rule(after, before, match):
    with pytest.raises(InvalidRunReference, match=match):
        TimeWindow.parse(after, before)


# -- choose_run ---------------------------------------------------------------------------------


def test_no_candidates_means_no_run_yet():
    assert choose_run([], T0) is None


def test_the_newest_run_started_by_the_first_poll_wins():
    older, newer = run("a", T0 - timedelta(hours=2)), run("b", T0 - timedelta(minutes=5))
    assert choose_run([newer, older], T0) is newer
    assert choose_run([older, newer], T0) is newer  # list order does not matter, start time does


def test_a_run_starting_later_does_not_steal_the_choice():
    chosen = run("b", T0 - timedelta(minutes=5))
    later = run("c", T0 + timedelta(minutes=1))
    assert choose_run([later, chosen], T0) is chosen


def test_with_nothing_started_by_the_first_poll_the_first_to_start_after_wins():
    first, second = run("a", T0 + timedelta(minutes=1)), run("b", T0 + timedelta(minutes=3))
    assert choose_run([second, first], T0) is first
    # Runs that have not started yet (a DataWorks NotRun instance) come after started ones,
    # the oldest listed first.
    pending_new, pending_old = run("p2", None), run("p1", None)
    assert choose_run([pending_new, pending_old], T0) is pending_old
    assert choose_run([pending_new, first], T0) is first


def test_the_choice_is_the_same_at_every_later_poll():
    chosen = run("b", T0 - timedelta(minutes=5))
    candidates = [chosen]
    for minute in range(1, 5):
        candidates.insert(0, run(f"later{minute}", T0 + timedelta(minutes=minute)))
        assert choose_run(candidates, T0) is chosen


# -- gate policies ------------------------------------------------------------------------------


def target(name: str, state: RunState | None = None, error: str | None = None) -> RunTarget:
    t = RunTarget("glue", "hook.Path", {}, ref={"workflow_name": "etl", "run_id": name}, last_status="RUNNING")
    if state is not None:
        t = t.observe(run(name, T0, state))
    if error is not None:
        t = t.fail(RuntimeError(error))
    return t


def test_all_waits_until_every_run_succeeded():
    assert not judge(Policy.ALL, [target("a", RunState.SUCCEEDED), target("b")]).done
    verdict = judge(Policy.ALL, [target("a", RunState.SUCCEEDED), target("b", RunState.SUCCEEDED)])
    assert verdict.outcome is RunState.SUCCEEDED


def test_all_fails_fast_naming_the_failed_run_and_the_others_states():
    verdict = judge(Policy.ALL, [target("a"), target("b", RunState.FAILED), target("c", RunState.SUCCEEDED)])
    assert verdict.outcome is RunState.FAILED
    assert verdict.message.startswith("glue run (workflow_name='etl', run_id='b') is FAILED (failed)")
    assert "run_id='a') is RUNNING" in verdict.message
    assert "run_id='c') is SUCCEEDED (succeeded)" in verdict.message


@pytest.mark.parametrize("policy", list(Policy))
def test_an_error_reading_a_run_counts_as_a_failure(policy):
    verdict = judge(policy, [target("a", error="glue run (...) was not found")])
    assert verdict.outcome is RunState.FAILED
    assert "was not found" in verdict.message


def test_all_with_a_skipped_run_and_no_failure_skips():
    verdict = judge(Policy.ALL, [target("a", RunState.SUCCEEDED), target("b", RunState.SKIPPED)])
    assert verdict.outcome is RunState.SKIPPED


def test_any_succeeds_on_the_first_success_even_after_failures():
    assert not judge(Policy.ANY, [target("a", RunState.FAILED), target("b")]).done
    verdict = judge(Policy.ANY, [target("a", RunState.FAILED), target("b", RunState.SUCCEEDED), target("c")])
    assert verdict.outcome is RunState.SUCCEEDED


def test_any_fails_only_when_every_run_ended_without_success():
    verdict = judge(Policy.ANY, [target("a", RunState.FAILED), target("b", RunState.CANCELLED)])
    assert verdict.outcome is RunState.FAILED
    assert "none of the 2 runs succeeded" in verdict.message and "run_id='b'" in verdict.message
    assert judge(Policy.ANY, [target("a", RunState.SKIPPED)]).outcome is RunState.SKIPPED


def test_targets_survive_a_round_trip_through_trigger_kwargs():
    pinned = target("a", RunState.SUCCEEDED)
    waiting = RunTarget(
        "codecatalyst",
        "hook.Path",
        {"codecatalyst_conn_id": "cc"},
        workflow={"space_name": "s"},
        window=TimeWindow(T0, None),
    )
    for original in (pinned, waiting, target("b", error="gone")):
        assert RunTarget.from_dict(original.to_dict()) == original
