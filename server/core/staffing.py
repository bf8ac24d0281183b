"""How many agents each hour of the week needs to keep ASA under the target (Erlang C).

Pure. Arrivals are Poisson with rate λ, handling times exponential with mean h, N agents:
traffic A = λ·h (Erlangs), P(wait) = Erlang C(N, A), ASA = P(wait)·h / (N − A). Seed 001:
chat volume swings with weekday, season and news, so the need is computed per hour of the week.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .kpi import CaseFacts

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: never recommend more than this many agents for one hour (a guard against absurd inputs)
MAX_AGENTS = 500


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that an arrival waits, for ``agents`` servers and ``traffic`` Erlangs."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Erlang B by the stable recursion, then C = B / (1 − ρ(1 − B))
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    rho = traffic / agents
    return b / (1 - rho * (1 - b))


def average_speed_of_answer(agents: int, traffic: float, handle_seconds: float) -> float:
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * handle_seconds / (agents - traffic)


def service_level(agents: int, traffic: float, handle_seconds: float, target_seconds: float) -> float:
    """Share of arrivals answered within ``target_seconds``."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def agents_needed(
    arrivals_per_hour: float, handle_seconds: float, target_asa_seconds: float,
    max_occupancy: float = 1.0,
) -> int:
    """The fewest agents with ASA ≤ target (and occupancy ≤ ``max_occupancy``); 0 with no arrivals."""
    if arrivals_per_hour <= 0 or handle_seconds <= 0:
        return 0
    traffic = arrivals_per_hour * handle_seconds / 3600
    agents = max(1, math.floor(traffic) + 1)
    while agents <= MAX_AGENTS:
        if (traffic / agents <= max_occupancy
                and average_speed_of_answer(agents, traffic, handle_seconds) <= target_asa_seconds):
            return agents
        agents += 1
    return MAX_AGENTS


@dataclass(frozen=True)
class HourNeed:
    weekday: int  # 0 = Monday
    hour: int
    arrivals_per_hour: float
    handle_seconds: float
    needed: int
    observed_agents: int  # distinct agents who answered a case in that hour (a lower bound)

    @property
    def gap(self) -> int:
        """Positive: under-staffed by that many agents; negative: over-staffed."""
        return self.needed - self.observed_agents


def hourly_needs(
    cases: Iterable[CaseFacts], timezone: str, weeks: float, target_asa_seconds: float,
    default_handle_seconds: float = 180.0,
) -> list[HourNeed]:
    """Per hour of the week (local time): average arrivals over ``weeks``, mean handling time,
    agents needed, and agents seen answering (the staffing the data shows)."""
    zone = ZoneInfo(timezone)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    handles: dict[tuple[int, int], list[float]] = defaultdict(list)
    agents_seen: dict[tuple[int, int, str], set[str]] = defaultdict(set)
    all_handles: list[float] = []
    for case in cases:
        local = datetime.fromtimestamp(case.created_at, zone)
        key = (local.weekday(), local.hour)
        counts[key] += 1
        if case.handle_seconds is not None:
            handles[key].append(case.handle_seconds)
            all_handles.append(case.handle_seconds)
        if case.agent and case.answered_at is not None:
            agents_seen[(*key, local.date().isoformat())].add(case.agent)
    overall = sum(all_handles) / len(all_handles) if all_handles else default_handle_seconds
    observed: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (weekday, hour, _day), names in agents_seen.items():
        observed[(weekday, hour)].append(len(names))
    needs: list[HourNeed] = []
    for weekday in range(7):
        for hour in range(24):
            key = (weekday, hour)
            rate = counts[key] / weeks if weeks > 0 else 0.0
            handle = sum(handles[key]) / len(handles[key]) if handles[key] else overall
            seen = max(observed[key]) if observed[key] else 0
            needs.append(HourNeed(weekday, hour, rate, handle,
                                  agents_needed(rate, handle, target_asa_seconds), seen))
    return needs


def table(needs: Sequence[HourNeed]) -> list[list[int]]:
    """Agents needed as 7 rows (Mon–Sun) × 24 hours."""
    grid = [[0] * 24 for _ in range(7)]
    for need in needs:
        grid[need.weekday][need.hour] = need.needed
    return grid
