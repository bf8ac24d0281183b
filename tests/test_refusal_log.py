"""Refused events are logged once per client and window, the rest as one summary line with a count."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from server.signalling.refusals import RefusalLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def lines(logs: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(line["event"], line.get("count")) for line in logs]


def test_the_first_refusal_is_logged_and_the_rest_of_the_window_summarised(clock: Clock) -> None:
    refusals = RefusalLog(60.0, clock)
    with capture_logs() as logs:
        for _ in range(1000):
            refusals.refused("/customer", "sid-1", "chat_send", "invalid_payload")
        refusals.refused("/customer", "sid-1", "typing", "no_open_case")
        clock.now = 60.0  # the next window begins with the next refusal
        refusals.refused("/customer", "sid-1", "chat_send", "invalid_payload")
    assert lines(logs) == [("event_refused", None), ("events_refused_summary", 1000),
                           ("event_refused", None)]
    summary = logs[1]
    assert summary["codes"] == {"invalid_payload": 999, "no_open_case": 1}
    assert summary["log_level"] == "info"
    assert "exc_info" not in summary


def test_just_inside_the_window_is_still_summarised(clock: Clock) -> None:
    refusals = RefusalLog(60.0, clock)
    with capture_logs() as logs:
        refusals.refused("/agent", "a", "x", "not_ready")
        clock.now = 59.999
        refusals.refused("/agent", "a", "x", "not_ready")
    assert lines(logs) == [("event_refused", None)]


def test_each_client_has_its_own_window(clock: Clock) -> None:
    refusals = RefusalLog(60.0, clock)
    with capture_logs() as logs:
        refusals.refused("/customer", "a", "x", "unknown_event")
        refusals.refused("/customer", "b", "x", "unknown_event")
        refusals.refused("/kiosk", "a", "x", "unknown_event")
    assert [line["event"] for line in logs] == ["event_refused"] * 3


def test_a_client_that_leaves_gets_its_summary_and_is_forgotten(clock: Clock) -> None:
    refusals = RefusalLog(60.0, clock)
    with capture_logs() as logs:
        refusals.refused("/customer", "a", "x", "unknown_event")
        refusals.refused("/customer", "a", "x", "unknown_event")
        refusals.forget("/customer", "a")
        refusals.forget("/customer", "never-refused")
    assert lines(logs) == [("event_refused", None), ("events_refused_summary", 1)]
    assert len(refusals) == 0


