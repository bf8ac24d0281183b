"""Erlang C staffing (server/core/staffing.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.core.kpi import CaseFacts
from server.core.staffing import (
    agents_needed,
    average_speed_of_answer,
    erlang_c,
    hourly_needs,
    service_level,
    table,
)


def test_published_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
    (callcentrehelper.com): 100 calls in 30 minutes, average handling time 180 s → traffic
    A = 10 Erlangs. With N = 11 agents: P(wait) = 0.6821, service level (answered within 20 s)
    = 39 %, ASA = 122.8 s; 14 agents is the first number reaching the 80/20 service level
    (88.8 %)."""
    traffic = 100 / 1800 * 180
    assert traffic == pytest.approx(10)
    assert erlang_c(11, traffic) == pytest.approx(0.6821, abs=5e-5)
    assert service_level(11, traffic, 180, 20) == pytest.approx(0.39, abs=0.005)
    assert average_speed_of_answer(11, traffic, 180) == pytest.approx(122.8, abs=0.05)
    levels = {n: service_level(n, traffic, 180, 20) for n in range(11, 16)}
    assert min(n for n, level in levels.items() if level >= 0.8) == 14
    assert levels[14] == pytest.approx(0.888, abs=0.002)


def test_agents_needed_for_an_asa_target() -> None:
    # 200 arrivals/h × 180 s = 10 Erlangs; ASA at 12 agents is 40.4 s, at 13 it is 17.1 s
    assert agents_needed(200, 180, 30) == 13
    assert agents_needed(0, 180, 30) == 0
    assert agents_needed(1, 180, 30) == 1
    assert agents_needed(200, 180, 30, max_occupancy=0.7) == 15
    assert erlang_c(5, 0) == 0.0 and erlang_c(5, 6) == 1.0


def test_hourly_needs_per_hour_of_week() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    monday_9 = datetime(2026, 11, 16, 9, 10, tzinfo=zone).timestamp()
    cases = [
        CaseFacts(id=str(i), store="s", channel="web", queue="q", state="closed",
                  created_at=monday_9 + i, queued_at=monday_9 + i, answered_at=monday_9 + i + 5,
                  wrap_up_at=monday_9 + i + 185, agent="Lisa")
        for i in range(20)
    ]
    needs = hourly_needs(cases, "Europe/Stockholm", weeks=1, target_asa_seconds=30)
    assert len(needs) == 168
    monday = next(n for n in needs if (n.weekday, n.hour) == (0, 9))
    assert monday.arrivals_per_hour == 20 and monday.handle_seconds == 180
    assert monday.needed == agents_needed(20, 180, 30) == 3
    assert monday.observed_agents == 1 and monday.gap == 2
    assert table(needs)[0][9] == 3 and table(needs)[1][9] == 0
