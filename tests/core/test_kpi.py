"""KPIs against small hand-computed fixtures (server/core/kpi.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.core.kpi import (
    CaseFacts,
    Dataset,
    Exposure,
    Progress,
    Purchase,
    case_facts,
    compute,
    days_period,
    iso_week_period,
    percentile,
    period_kpis,
    previous_week,
)

TZ = "Europe/Stockholm"
STHLM = ZoneInfo(TZ)
# Monday 2026-11-16 00:00 Stockholm (CET, UTC+1)
T0 = datetime(2026, 11, 16, tzinfo=STHLM).timestamp()
HOUR = 3600.0


def case(
    case_id: str, created: float, *, wait: float | None = None, state: str = "closed",
    resolved: bool | None = True, rating: int | None = None, session: str | None = None,
    dropped: bool = False, store: str = "s1", queue: str = "general", label: str | None = None,
    agent: str | None = "Lisa", handle: float = 120.0, kiosk: str | None = None,
) -> CaseFacts:
    answered = created + 2 + wait if wait is not None else None
    closed_at = answered + handle + 30 if answered is not None else created + 40
    return CaseFacts(
        id=case_id, store=store, channel="web", queue=queue, state=state, created_at=created,
        queued_at=created + 2, answered_at=answered,
        wrap_up_at=answered + handle if answered is not None else None,
        closed_at=closed_at if state != "active" else None, label=label,
        agent=agent if answered is not None else None, session_id=session, kiosk_id=kiosk,
        resolved=resolved if state == "closed" else None, rating=rating,
        customer_dropped=dropped,
    )


def test_no_cases_gives_counts_of_zero_and_no_rates() -> None:
    kpis = compute([], [], [])
    assert kpis.cases == 0 and kpis.answered == 0
    assert kpis.asa_mean is None and kpis.asa_p90 is None
    assert kpis.fcr is None and kpis.abandonment is None and kpis.csat_mean is None
    assert kpis.cases_per_100_purchases is None  # no purchases: not "0 per 100"
    assert kpis.sessions == 0 and kpis.conversion_with_support is None


def test_hand_computed_week() -> None:
    cases = [
        # waits 10, 20, 30, 40 s → mean 25, p90 (nearest rank: ceil(0.9·4)=4th) 40
        case("a", T0 + 1 * HOUR, wait=10, rating=5, session="s-a", label="betalningsfråga"),
        case("b", T0 + 2 * HOUR, wait=20, rating=4, session="s-b"),
        case("c", T0 + 3 * HOUR, wait=30, resolved=False, session="s-c"),
        case("d", T0 + 4 * HOUR, wait=40, rating=3, dropped=True, session="s-d"),
        case("e", T0 + 5 * HOUR, state="abandoned", session="s-e"),
        # the same customer as "a" is back 2 h later: "a" was not resolved at first contact
        case("f", T0 + 3 * HOUR, wait=10, session="s-a"),
    ]
    purchases = [
        Purchase("o1", "s-a", "s1", 100.0, "SEK", T0 + 6 * HOUR),
        Purchase("o2", "s-x", "s1", 50.0, "SEK", T0 + 6 * HOUR),
        Purchase("o3", "s-y", "s1", 25.5, "SEK", T0 + 6 * HOUR),
        Purchase("o4", None, "s1", 10.0, "SEK", T0 + 6 * HOUR),
    ]
    exposures = [Exposure(s, "s1", "A", T0) for s in ("s-a", "s-b", "s-e", "s-x", "s-y", "s-z")]
    kpis = compute(cases, purchases, exposures)
    assert kpis.cases == 6 and kpis.answered == 5
    assert kpis.asa_mean == pytest.approx((10 + 20 + 30 + 40 + 10) / 5)
    assert kpis.asa_p90 == 40
    # closed with a resolution: a b c d f (5); first-contact resolved: b d f (a repeated, c not resolved)
    assert (kpis.fcr_eligible, kpis.fcr_resolved_first) == (5, 3)
    assert kpis.fcr == pytest.approx(0.6)
    # 1 abandoned before answer, 1 dropped after answer, of 6 finished cases
    assert (kpis.abandoned_before_answer, kpis.dropped_after_answer) == (1, 1)
    assert kpis.abandonment == pytest.approx(2 / 6)
    assert kpis.cases_per_100_purchases == pytest.approx(150.0)
    assert kpis.csat_mean == pytest.approx(4.0) and kpis.csat_response_rate == pytest.approx(3 / 5)
    # exposed sessions: s-a s-b s-e (support) and s-x s-y s-z (none); s-c, s-d never exposed
    assert (kpis.sessions_with_support, kpis.converted_with_support) == (3, 1)
    assert (kpis.sessions_without_support, kpis.converted_without_support) == (3, 2)
    assert kpis.conversion_with_support == pytest.approx(1 / 3)
    assert kpis.conversion_without_support == pytest.approx(2 / 3)
    assert (kpis.revenue_with_support, kpis.revenue_without_support) == (100.0, 75.5)


def test_all_abandoned() -> None:
    cases = [case(str(i), T0 + i, state="abandoned") for i in range(4)]
    kpis = compute(cases, [Purchase("o", None, "s1", 1.0, "SEK", T0)], [])
    assert kpis.abandonment == 1.0 and kpis.abandonment_before_answer == 1.0
    assert kpis.answered == 0 and kpis.asa_mean is None
    assert kpis.fcr is None and kpis.csat_response_rate is None
    assert kpis.cases_per_100_purchases == 400.0


def test_repeat_contact_after_the_window_or_from_a_kiosk() -> None:
    first = case("k1", T0, wait=5, kiosk="kiosk-7")
    # 25 h later: outside the default 24 h window → still first-contact resolved
    later = case("k2", T0 + 25 * HOUR, wait=5, kiosk="kiosk-7")
    assert compute([first], all_cases=[first, later]).fcr == 1.0
    # a 2-day window makes it a repeat
    assert compute([first], all_cases=[first, later], fcr_window_seconds=48 * HOUR).fcr == 0.0


def test_a_case_open_across_the_period_boundary() -> None:
    period = days_period(date(2026, 11, 16), date(2026, 11, 16), TZ)
    end = period.end_ts
    # created 1 min before midnight, answered 2 min after: belongs to the day it was created
    across = case("x", end - 60, wait=120)
    # created before the period, answered inside: not in this period
    before = case("y", period.start_ts - 30, wait=60)
    # created inside, still being served when the report runs: open, not finished
    still_open = case("z", end - 30, wait=5, state="active")
    data = Dataset([across, before, still_open])
    result = period_kpis(data, period)
    assert result.total.cases == 2 and result.total.open == 1
    assert result.total.asa_mean == pytest.approx((120 + 5) / 2)
    assert result.total.abandonment == 0.0  # of the one finished case
    nxt = period_kpis(data, days_period(date(2026, 11, 17), date(2026, 11, 17), TZ))
    assert nxt.total.cases == 0


def test_dst_change_week_has_167_hours_and_local_days() -> None:
    # Sweden: summer time starts Sunday 2026-03-29 02:00 → 03:00
    week = iso_week_period("2026-W13", TZ)
    assert week.start == datetime(2026, 3, 23, tzinfo=STHLM)
    assert (week.end_ts - week.start_ts) / HOUR == 167
    assert len(week.days()) == 7
    # 23:30 local on Sunday (after the change: UTC+2) is 21:30 UTC, still Sunday
    sunday_late = datetime(2026, 3, 29, 23, 30, tzinfo=STHLM).timestamp()
    monday_early = datetime(2026, 3, 30, 0, 30, tzinfo=STHLM).timestamp()
    data = Dataset([case("s", sunday_late, wait=10), case("m", monday_early, wait=10)])
    result = period_kpis(data, week)
    assert result.total.cases == 1
    assert result.daily["2026-03-29"].cases == 1
    assert sum(k.cases for k in result.daily.values()) == 1
    # autumn: 2026-10-25 03:00 → 02:00, that week has 169 hours
    autumn = iso_week_period("2026-W43", TZ)
    assert (autumn.end_ts - autumn.start_ts) / HOUR == 169


def test_groupings() -> None:
    cases = [
        case("1", T0 + 10, wait=10, store="s1", queue="payments", session="v1", agent="Lisa"),
        case("2", T0 + 20, wait=30, store="s2", queue="general", session="v2", agent="Omar"),
        case("3", T0 + 30, state="abandoned", store="s2", queue="general"),
    ]
    exposures = [Exposure("v1", "s1", "A", T0), Exposure("v2", "s2", "B", T0),
                 Exposure("v3", "s2", "B", T0)]
    purchases = [Purchase("o1", "v3", "s2", 99.0, "SEK", T0 + 100)]
    week = iso_week_period("2026-W47", TZ)
    result = period_kpis(Dataset(cases, purchases, exposures), week)
    assert set(result.by["store"]) == {"s1", "s2"}
    assert result.by["store"]["s2"].cases == 2
    assert result.by["store"]["s2"].cases_per_100_purchases == 200.0
    assert result.by["store"]["s1"].cases_per_100_purchases is None  # no purchases there
    assert result.by["queue"]["payments"].asa_mean == 10
    assert result.by["queue"]["general"].purchases is None
    assert set(result.by["agent"]) == {"Lisa", "Omar", "none"}
    assert result.by["variant"]["B"].sessions == 2
    assert result.by["variant"]["B"].conversion_without_support == 1.0
    assert result.by["variant"]["none"].cases == 1
    with pytest.raises(ValueError, match="unknown grouping"):
        period_kpis(Dataset(cases), week, groupings=["weather"])


def test_payment_step_abandonment_per_variant() -> None:
    # A: a1, a2 reach payment, a1 buys -> 1 of 2 abandoned; a3 never reaches payment (not counted)
    # B: b1 reaches payment and buys -> 0 of 1; b2 reaches payment only after the period
    exposures = [Exposure("a1", "s1", "A", T0), Exposure("a2", "s1", "A", T0 + 1),
                 Exposure("a3", "s1", "A", T0 + 2), Exposure("b1", "s1", "B", T0 + 3),
                 Exposure("b2", "s1", "B", T0 + 4)]
    progress = [Progress("a1", "s1", "payment", T0 + 60), Progress("a2", "s1", "payment", T0 + 61),
                Progress("b1", "s1", "payment", T0 + 62),
                Progress("b2", "s1", "payment", T0 + 8 * 24 * HOUR),
                # a session never exposed (a kiosk, the widget hidden) is not counted anywhere
                Progress("ghost", "s1", "payment", T0 + 63)]
    purchases = [Purchase("o1", "a1", "s1", 50.0, "SEK", T0 + 120),
                 Purchase("o2", "b1", "s1", 70.0, "SEK", T0 + 121),
                 Purchase("o3", "a3", "s1", 10.0, "SEK", T0 + 122)]
    week = iso_week_period("2026-W47", TZ)
    result = period_kpis(Dataset([], purchases, exposures, progress), week)
    a, b = result.by["variant"]["A"], result.by["variant"]["B"]
    assert (a.sessions_reached_payment, a.payment_abandoned, a.payment_abandonment) == (2, 1, 0.5)
    assert (b.sessions_reached_payment, b.payment_abandoned, b.payment_abandonment) == (1, 0, 0.0)
    total = result.total
    assert (total.sessions_reached_payment, total.payment_abandoned) == (3, 1)
    assert total.payment_abandonment == pytest.approx(1 / 3)
    # nobody reached payment: no rate, not "0 %"
    empty = compute([], purchases, exposures)
    assert empty.sessions_reached_payment == 0 and empty.payment_abandonment is None
    # per queue (no sessions there) the figure does not apply
    assert compute([], None, None, progress=progress).payment_abandonment is None


def test_case_facts_from_stored_rows() -> None:
    row: dict[str, Any] = {
        "id": "c", "store": "s", "channel": "kiosk", "queue": "q", "state": "closed",
        "created_at": 100.0, "closed_at": 400.0, "label": "x", "agent_id": "a-1",
        "agent_name": None, "session_id": None, "kiosk_id": "k", "resolved": True,
        "rating": 5, "customer_dropped": False,
    }
    events = [
        {"seq": 0, "at": 100.0, "kind": "transition", "from_state": None, "to_state": "created"},
        {"seq": 1, "at": 101.0, "kind": "transition", "from_state": "created", "to_state": "queued"},
        {"seq": 2, "at": 110.0, "kind": "transition", "from_state": "queued", "to_state": "offered"},
        {"seq": 3, "at": 115.0, "kind": "transition", "from_state": "offered", "to_state": "active"},
        {"seq": 4, "at": 150.0, "kind": "transition", "from_state": "active", "to_state": "queued"},
        {"seq": 5, "at": 160.0, "kind": "transition", "from_state": "queued", "to_state": "active"},
        {"seq": 6, "at": 300.0, "kind": "transition", "from_state": "active", "to_state": "wrap_up"},
        {"seq": 7, "at": 400.0, "kind": "transition", "from_state": "wrap_up", "to_state": "closed"},
    ]
    facts = case_facts(row, events)
    assert facts.wait_seconds == 14.0  # first queued → first active
    assert facts.handle_seconds == 185.0
    assert facts.agent == "a-1" and facts.customer_key == "kiosk:k"


def test_periods() -> None:
    assert percentile([], 90) is None
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    with pytest.raises(ValueError, match="ISO week"):
        iso_week_period("2026-47", TZ)
    # Monday 2026-11-23 08:00 → the report covers week 47
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=STHLM).timestamp()
    assert previous_week(monday, TZ) == iso_week_period("2026-W47", TZ)
