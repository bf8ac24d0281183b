"""Support KPIs computed from stored case metadata, purchases and shop-session exposures.

Pure: no I/O and no clock. The inputs are the rows the store keeps (``cases`` and
``case_events``, ``purchases``, ``session_exposures``); every figure can be traced back to them.

Definitions (docs/operations.md, "Reports"):

- a case belongs to the period in which it was **created** (``created_at``, the Help press), and
  to the local day of that moment in the report's time zone. A case created before the period
  and answered inside it is not counted; one created inside and still open at the end keeps
  counting with the outcome it has when the report is computed (an open case is ``open``);
- **ASA** (answer speed): first entry into ``queued`` → first entry into ``active``; mean and
  90th percentile (nearest-rank) over the answered cases;
- **FCR**: of the cases an agent closed with a resolution (``resolved`` is true or false), the
  share closed as resolved with no new case from the same customer (``session_id``, or the
  ``kiosk_id`` when there is no session) within ``fcr_window_seconds`` after the close;
- **abandoned**: before answer = state ``abandoned``; after answer = ``customer_dropped`` (the
  customer left an answered case). Rates are over the finished cases (everything but ``open``);
- **cases per 100 purchases**: cases / purchases × 100 in the same period and group;
- **CSAT**: mean of the 1–5 ratings; response rate = rated cases / cases that reached an agent's
  wrap-up (``closed`` with ``resolved`` set);
- **conversion**: of the shop sessions exposed in the period (``session_exposures``), the share
  with a purchase, split by whether the session had a case; revenue is summed per split;
- **payment-step abandonment**: of the exposed sessions that reached the payment step
  (``session_progress`` with step ``payment``, reported by the widget), the share without a
  purchase in the period.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_FCR_WINDOW_SECONDS = 24 * 3600.0
GROUPINGS = ("store", "queue", "channel", "label", "agent", "variant")


# ---------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Half-open ``[start, end)`` in a time zone; the bounds are aware datetimes."""

    start: datetime
    end: datetime
    timezone: str

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    def contains(self, at: float) -> bool:
        return self.start_ts <= at < self.end_ts

    def days(self) -> list[date]:
        """The local calendar days the period covers."""
        first = self.start.date()
        last = (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    @property
    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        return f"{self.start.date().isoformat()} – {last.isoformat()} ({self.timezone})"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 local time of ``day`` (midnight exists on every day in zones with DST at 02:00/03:00)."""
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def days_period(first: date, last: date, timezone: str) -> Period:
    """From local midnight of ``first`` to local midnight after ``last`` (inclusive days)."""
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    zone = ZoneInfo(timezone)
    return Period(local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone), timezone)


def iso_week_period(week: str, timezone: str) -> Period:
    """``2026-W47`` → Monday 00:00 to the next Monday 00:00, local time (167 or 169 h around DST)."""
    try:
        year_text, week_text = week.upper().split("-W")
        monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError:
        raise ValueError(f"{week!r} is not an ISO week like 2026-W47") from None
    return days_period(monday, monday + timedelta(days=6), timezone)


def previous_week(now: float, timezone: str) -> Period:
    """The whole ISO week before the one containing ``now`` (what Monday's report covers)."""
    today = datetime.fromtimestamp(now, ZoneInfo(timezone)).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return days_period(monday, monday + timedelta(days=6), timezone)


def local_day(at: float, timezone: str) -> date:
    return datetime.fromtimestamp(at, ZoneInfo(timezone)).date()


# ---------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class CaseFacts:
    """What the KPIs need of one case, taken from its stored row and events."""

    id: str
    store: str
    channel: str
    queue: str
    state: str
    created_at: float
    queued_at: float | None = None
    answered_at: float | None = None
    wrap_up_at: float | None = None
    closed_at: float | None = None
    label: str | None = None
    agent: str | None = None
    session_id: str | None = None
    kiosk_id: str | None = None
    resolved: bool | None = None
    rating: int | None = None
    customer_dropped: bool = False

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def wait_seconds(self) -> float | None:
        """Queued → first answer; None if never answered."""
        if self.answered_at is None:
            return None
        start = self.queued_at if self.queued_at is not None else self.created_at
        return max(0.0, self.answered_at - start)

    @property
    def handle_seconds(self) -> float | None:
        """First answer → wrap-up (the talk time an agent spent), or None."""
        if self.answered_at is None or self.wrap_up_at is None:
            return None
        return max(0.0, self.wrap_up_at - self.answered_at)

    @property
    def customer_key(self) -> str | None:
        if self.session_id:
            return f"session:{self.session_id}"
        if self.kiosk_id:
            return f"kiosk:{self.kiosk_id}"
        return None

    @property
    def is_open(self) -> bool:
        return self.state not in ("closed", "abandoned", "callback_requested")


def case_facts(row: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> CaseFacts:
    """Build the facts of a case from its ``cases`` row and its ``case_events`` rows."""
    firsts: dict[str, float] = {}
    for event in sorted(events, key=lambda e: (e["seq"] if "seq" in e else 0, e["at"])):
        to_state = event.get("to_state")
        if event.get("kind") == "transition" and to_state and to_state not in firsts:
            firsts[to_state] = float(event["at"])
    return CaseFacts(
        id=str(row["id"]),
        store=str(row["store"]),
        channel=str(row["channel"]),
        queue=str(row["queue"]),
        state=str(row["state"]),
        created_at=float(row["created_at"]),
        queued_at=firsts.get("queued"),
        answered_at=firsts.get("active"),
        wrap_up_at=firsts.get("wrap_up"),
        closed_at=row.get("closed_at"),
        label=row.get("label"),
        agent=row.get("agent_name") or row.get("agent_id"),
        session_id=row.get("session_id"),
        kiosk_id=row.get("kiosk_id"),
        resolved=row.get("resolved"),
        rating=row.get("rating"),
        customer_dropped=bool(row.get("customer_dropped")),
    )


@dataclass(frozen=True)
class Purchase:
    order_id: str
    session_id: str | None
    store: str
    amount: float
    currency: str
    at: float


@dataclass(frozen=True)
class Exposure:
    session_id: str
    store: str
    variant: str
    at: float


@dataclass(frozen=True)
class Progress:
    """A shop session reached ``step`` (only ``"payment"`` so far) at ``at``."""

    session_id: str
    store: str
    step: str
    at: float


# ---------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Kpis:
    cases: int
    open: int
    answered: int
    asa_mean: float | None
    asa_p90: float | None
    fcr_eligible: int
    fcr_resolved_first: int
    fcr: float | None
    abandoned_before_answer: int
    dropped_after_answer: int
    abandonment: float | None
    abandonment_before_answer: float | None
    purchases: int | None
    cases_per_100_purchases: float | None
    csat_mean: float | None
    csat_responses: int
    csat_eligible: int
    csat_response_rate: float | None
    sessions: int | None = None
    sessions_with_support: int | None = None
    converted_with_support: int | None = None
    conversion_with_support: float | None = None
    sessions_without_support: int | None = None
    converted_without_support: int | None = None
    conversion_without_support: float | None = None
    revenue_with_support: float | None = None
    revenue_without_support: float | None = None
    sessions_reached_payment: int | None = None
    payment_abandoned: int | None = None
    payment_abandonment: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0–100): the smallest value with at least q % at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def first_contact_resolved(
    case: CaseFacts, later_by_customer: Mapping[str, Sequence[float]], window: float
) -> bool:
    """Closed as resolved, and the same customer did not open another case within ``window``."""
    if case.resolved is not True:
        return False
    key = case.customer_key
    if key is None:
        return True
    closed = case.closed_at if case.closed_at is not None else case.created_at
    return not any(
        closed < created <= closed + window
        for created in later_by_customer.get(key, ())
    )


def _cases_by_customer(all_cases: Iterable[CaseFacts]) -> dict[str, list[float]]:
    by_customer: dict[str, list[float]] = defaultdict(list)
    for case in all_cases:
        if case.customer_key is not None:
            by_customer[case.customer_key].append(case.created_at)
    return by_customer


def compute(
    cases: Sequence[CaseFacts],
    purchases: Sequence[Purchase] | None = None,
    exposures: Sequence[Exposure] | None = None,
    *,
    fcr_window_seconds: float = DEFAULT_FCR_WINDOW_SECONDS,
    all_cases: Sequence[CaseFacts] | None = None,
    progress: Sequence[Progress] = (),
) -> Kpis:
    """The KPIs of ``cases`` (already filtered to a period and group).

    ``all_cases`` are the cases searched for repeat contacts (FCR); pass every case up to the
    period's end plus the window, so a repeat just after the period still counts. ``purchases``
    None means purchases do not apply to this grouping (e.g. per queue). ``progress`` rows of
    sessions not in ``exposures`` are ignored.
    """
    by_customer = _cases_by_customer(all_cases if all_cases is not None else cases)
    waits = [w for w in (c.wait_seconds for c in cases) if w is not None]
    finished = [c for c in cases if not c.is_open]
    abandoned = sum(1 for c in finished if c.state == "abandoned")
    dropped = sum(1 for c in finished if c.customer_dropped and c.answered)
    fcr_cases = [c for c in cases if c.state == "closed" and c.resolved is not None]
    fcr_ok = sum(1 for c in fcr_cases if first_contact_resolved(c, by_customer, fcr_window_seconds))
    ratings = [c.rating for c in fcr_cases if c.rating is not None]
    n_purchases = len(purchases) if purchases is not None else None
    kpis = Kpis(
        cases=len(cases),
        open=len(cases) - len(finished),
        answered=len(waits),
        asa_mean=sum(waits) / len(waits) if waits else None,
        asa_p90=percentile(waits, 90),
        fcr_eligible=len(fcr_cases),
        fcr_resolved_first=fcr_ok,
        fcr=_ratio(fcr_ok, len(fcr_cases)),
        abandoned_before_answer=abandoned,
        dropped_after_answer=dropped,
        abandonment=_ratio(abandoned + dropped, len(finished)),
        abandonment_before_answer=_ratio(abandoned, len(finished)),
        purchases=n_purchases,
        cases_per_100_purchases=(
            _ratio(100 * len(cases), n_purchases) if n_purchases is not None else None
        ),
        csat_mean=sum(ratings) / len(ratings) if ratings else None,
        csat_responses=len(ratings),
        csat_eligible=len(fcr_cases),
        csat_response_rate=_ratio(len(ratings), len(fcr_cases)),
    )
    if exposures is None or purchases is None:
        return kpis
    return _with_conversion(kpis, cases, purchases, exposures, progress)


def _with_conversion(
    kpis: Kpis, cases: Sequence[CaseFacts], purchases: Sequence[Purchase],
    exposures: Sequence[Exposure], progress: Sequence[Progress],
) -> Kpis:
    sessions = {e.session_id for e in exposures}
    helped = {c.session_id for c in cases if c.session_id} & sessions
    revenue: dict[str, float] = defaultdict(float)
    for purchase in purchases:
        if purchase.session_id in sessions:
            revenue[purchase.session_id] += purchase.amount
    bought = set(revenue)
    unhelped = sessions - helped
    at_payment = {p.session_id for p in progress if p.step == "payment"} & sessions
    return _replace(
        kpis,
        sessions=len(sessions),
        sessions_with_support=len(helped),
        converted_with_support=len(helped & bought),
        conversion_with_support=_ratio(len(helped & bought), len(helped)),
        sessions_without_support=len(unhelped),
        converted_without_support=len(unhelped & bought),
        conversion_without_support=_ratio(len(unhelped & bought), len(unhelped)),
        revenue_with_support=round(sum(revenue[s] for s in helped & bought), 2),
        revenue_without_support=round(sum(revenue[s] for s in unhelped & bought), 2),
        sessions_reached_payment=len(at_payment),
        payment_abandoned=len(at_payment - bought),
        payment_abandonment=_ratio(len(at_payment - bought), len(at_payment)),
    )


def _replace(kpis: Kpis, **changes: Any) -> Kpis:
    values = kpis.as_dict()
    values.update(changes)
    return Kpis(**values)


# ---------------------------------------------------------------------------- a period's report


@dataclass(frozen=True)
class Dataset:
    """Everything read from the store for one report: cases (with a look-ahead), purchases,
    sessions and how far they got."""

    cases: Sequence[CaseFacts]
    purchases: Sequence[Purchase] = ()
    exposures: Sequence[Exposure] = ()
    progress: Sequence[Progress] = ()


@dataclass(frozen=True)
class PeriodKpis:
    period: Period
    total: Kpis
    by: dict[str, dict[str, Kpis]] = field(default_factory=dict)
    daily: dict[str, Kpis] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
                       "timezone": self.period.timezone},
            "total": self.total.as_dict(),
            "by": {g: {k: v.as_dict() for k, v in groups.items()} for g, groups in self.by.items()},
            "daily": {day: k.as_dict() for day, k in self.daily.items()},
        }


def _group_key(grouping: str, variant_of: Mapping[str, str]) -> Callable[[CaseFacts], str]:
    def key(case: CaseFacts) -> str:
        if grouping == "variant":
            return variant_of.get(case.session_id or "", "none")
        value = getattr(case, grouping)
        return str(value) if value else "none"

    return key


def period_kpis(
    data: Dataset,
    period: Period,
    *,
    fcr_window_seconds: float = DEFAULT_FCR_WINDOW_SECONDS,
    groupings: Sequence[str] = GROUPINGS,
) -> PeriodKpis:
    """Totals, per grouping and per local day for ``period``."""
    cases = [c for c in data.cases if period.contains(c.created_at)]
    purchases = [p for p in data.purchases if period.contains(p.at)]
    exposures = [e for e in data.exposures if period.contains(e.at)]
    progress = [p for p in data.progress if period.contains(p.at)]
    variant_of = {e.session_id: e.variant for e in data.exposures}

    def kpis(sub: Sequence[CaseFacts], subp: Sequence[Purchase] | None,
             sube: Sequence[Exposure] | None) -> Kpis:
        # progress is matched to the exposed sessions passed with it, so every group gets it all
        return compute(sub, subp, sube, fcr_window_seconds=fcr_window_seconds,
                       all_cases=data.cases, progress=progress)

    by: dict[str, dict[str, Kpis]] = {}
    for grouping in groupings:
        if grouping not in GROUPINGS:
            raise ValueError(f"unknown grouping {grouping!r}; use one of {', '.join(GROUPINGS)}")
        key = _group_key(grouping, variant_of)
        groups: dict[str, list[CaseFacts]] = defaultdict(list)
        for case in cases:
            groups[key(case)].append(case)
        if grouping == "store":
            for p in purchases:
                groups.setdefault(p.store, [])
        if grouping == "variant":
            for e in exposures:
                groups.setdefault(e.variant, [])
        result: dict[str, Kpis] = {}
        for name in sorted(groups):
            if grouping == "store":
                result[name] = kpis(groups[name], [p for p in purchases if p.store == name],
                                    [e for e in exposures if e.store == name])
            elif grouping == "variant":
                result[name] = kpis(
                    groups[name],
                    [p for p in purchases if variant_of.get(p.session_id or "") == name],
                    [e for e in exposures if e.variant == name],
                )
            else:
                result[name] = kpis(groups[name], None, None)
        by[grouping] = result

    daily: dict[str, Kpis] = {}
    for day in period.days():
        day_period = days_period(day, day, period.timezone)
        daily[day.isoformat()] = kpis(
            [c for c in cases if day_period.contains(c.created_at)],
            [p for p in purchases if day_period.contains(p.at)],
            [e for e in exposures if day_period.contains(e.at)],
        )
    return PeriodKpis(period, kpis(cases, purchases, exposures), by, daily)
