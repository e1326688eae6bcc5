"""Timeline semantics without HTTP: polls, seconds, peeking, interruption and validation."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_workflow_runs.emulator.timeline import Step, Timeline, parse_steps


def statuses(timeline: Timeline, times: list[float]) -> list[str]:
    return [timeline.observe(t).step.status for t in times]


def test_poll_steps_last_for_their_observation_count_and_the_last_sticks():
    timeline = Timeline(parse_steps([{"status": "A", "polls": 2}, {"status": "B", "polls": 1}, {"status": "C"}]), 0)
    assert statuses(timeline, [0] * 6) == ["A", "A", "B", "C", "C", "C"]


def test_zero_polls_step_is_skipped():
    timeline = Timeline(parse_steps([{"status": "A", "polls": 0}, {"status": "B"}]), 0)
    assert timeline.observe(0).step.status == "B"


def test_seconds_steps_measure_from_when_the_step_was_entered():
    steps = parse_steps([{"status": "A", "seconds": 10}, {"status": "B", "seconds": 5}, {"status": "C"}])
    timeline = Timeline(steps, 100)
    assert statuses(timeline, [100, 109.9, 110, 114.9]) == ["A", "A", "B", "B"]
    position = timeline.observe(115)
    assert (position.step.status, position.entered_at, position.index) == ("C", 115, 2)


def test_seconds_after_polls_start_when_the_polls_are_used_up():
    timeline = Timeline(parse_steps([{"status": "A", "polls": 1}, {"status": "B", "seconds": 5}, {"status": "C"}]), 0)
    assert statuses(timeline, [0, 50, 54.9, 55]) == ["A", "B", "B", "C"]


def test_peek_spends_no_poll_but_time_still_moves():
    timeline = Timeline(parse_steps([{"status": "A", "polls": 1}, {"status": "B", "seconds": 1}, {"status": "C"}]), 0)
    assert [timeline.peek(0).step.status for _ in range(3)] == ["A", "A", "A"]
    assert timeline.observe(0).step.status == "A"
    assert timeline.peek(0).step.status == "B"
    assert timeline.peek(1).step.status == "C"


def test_interrupt_replaces_what_is_left():
    timeline = Timeline(parse_steps([{"status": "RUNNING", "polls": 5}, {"status": "COMPLETED"}]), 0)
    timeline.observe(0)
    timeline.interrupt([Step("STOPPING", polls=1), Step("STOPPED")], 3)
    assert statuses(timeline, [3, 4, 5]) == ["STOPPING", "STOPPED", "STOPPED"]
    assert [s["status"] for s in timeline.to_list()] == ["RUNNING", "STOPPING", "STOPPED"]


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ([], "non-empty list"),
        ("RUNNING", "non-empty list"),
        ([{"polls": 1}], "status"),
        ([{"status": ""}], "status"),
        (["RUNNING"], "must be an object"),
        ([{"status": "A", "polls": 1, "seconds": 1}, {"status": "B"}], "not both"),
        ([{"status": "A", "polls": -1}, {"status": "B"}], "polls"),
        ([{"status": "A", "polls": True}, {"status": "B"}], "polls"),
        ([{"status": "A", "seconds": "3"}, {"status": "B"}], "seconds"),
        ([{"status": "A", "seconds": float("inf")}, {"status": "B"}], "seconds"),
        ([{"status": "A"}, {"status": "B"}], "only the last"),
        ([{"status": "A", "poll": 3}], "unknown"),
    ],
)
def test_invalid_timelines_are_rejected_with_the_reason(raw: Any, match: str):
    with pytest.raises(ValueError, match=match):
        parse_steps(raw)
