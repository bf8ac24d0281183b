"""A seeded, realistic synthetic month of cases, purchases and shop sessions, clearly marked as demo.

Marked three ways: store ids start with ``demo-``, case contexts carry ``"demo": true``, and
order and session ids start with ``demo-``. Every id is derived from the seed, the store and the
day, so running the command again (even on a later day) adds nothing twice.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..core.abtest import assign
from ..core.case import Case, CaseState
from ..core.history import CustomerDropped, FeedbackReceived
from ..core.kpi import Exposure, Progress, Purchase

S = CaseState
#: case ids are 36 characters in the store (a UUID's length); a demo case id is ``demo-`` and a
#: name-based UUID's first 31 hex digits, derived from the session, so it is stable across runs
_DEMO_NAMESPACE = uuid.UUID("5f0c7a52-8d4e-4a0b-9a53-3c6f1e2d9b7a")


def demo_case_id(name: str) -> str:
    return "demo-" + uuid.uuid5(_DEMO_NAMESPACE, name).hex[:31]

@dataclass(frozen=True)
class DemoStore:
    id: str
    channel: str
    sessions_per_day: int
    kiosk_id: str | None = None


STORES = (
    DemoStore("demo-kvartersbutiken-sthlm", "web", 220),
    DemoStore("demo-obemannad-goteborg", "kiosk", 90, kiosk_id="demo-kiosk-1"),
)
AGENTS = (("demo-agent-lisa", "Lisa"), ("demo-agent-omar", "Omar"), ("demo-agent-sara", "Sara"))
LABELS = ("betalningsfråga", "produkt saknas", "tekniskt fel")
#: relative traffic per local hour (the shop is open 07–23)
HOURLY = [0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 5, 6, 8, 7, 5, 5, 6, 8, 10, 9, 7, 5, 3, 1]
#: relative traffic per weekday, Monday first (busy Friday and Saturday)
WEEKLY = [0.9, 0.85, 0.9, 1.0, 1.25, 1.4, 0.8]


@dataclass
class DemoData:
    cases: list[Case] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)


def generate(
    end: date, days: int, timezone: str, *, seed: int = 7, ab_salt: str = "helpwire-help-button-1",
    split_b: float = 0.5,
) -> DemoData:
    """Demo data for the ``days`` local days before ``end`` (``end`` itself not included)."""
    zone = ZoneInfo(timezone)
    data = DemoData()
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset)
        for store in STORES:
            rng = random.Random(f"{seed}:{store.id}:{day.isoformat()}")
            _day(rng, day, zone, store, data, ab_salt, split_b)
    return data


def _moment(rng: random.Random, day: date, zone: ZoneInfo) -> float:
    hour = rng.choices(range(24), weights=HOURLY)[0]
    local = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    return local.timestamp() + rng.uniform(0, 3600)


def _day(
    rng: random.Random, day: date, zone: ZoneInfo, store: DemoStore, data: DemoData,
    ab_salt: str, split_b: float,
) -> None:
    sessions = round(store.sessions_per_day * WEEKLY[day.weekday()] * rng.uniform(0.85, 1.15))
    for n in range(sessions):
        session_id = f"demo-{store.id[5:]}-{day.isoformat()}-{n}"
        variant = assign(session_id, ab_salt, split_b)
        at = _moment(rng, day, zone)
        data.exposures.append(Exposure(session_id, store.id, variant, at))
        # B, the visible button with its promise, is pressed more often and converts a bit better
        presses = rng.random() < (0.09 if variant == "B" else 0.05)
        helped_ok = False
        if presses:
            case = _case(rng, demo_case_id(f"{session_id}-c1"), store, session_id,
                         at + rng.uniform(30, 600), zone)
            data.cases.append(case)
            helped_ok = bool(case.resolved)
            if rng.random() < 0.06:  # came back: not resolved at first contact
                data.cases.append(_case(rng, demo_case_id(f"{session_id}-c2"), store, session_id,
                                        case.created_at + rng.uniform(900, 7200), zone))
        base = 0.27 if variant == "A" else 0.30
        buys = rng.random() < (0.45 if helped_ok else base)
        # every buyer passed the payment step; so did some who gave up there (fewer with B)
        if buys or rng.random() < (0.12 if variant == "A" else 0.09):
            data.progress.append(Progress(session_id, store.id, "payment",
                                          at + rng.uniform(60, 1200)))
        if buys:
            amount = round(math.exp(rng.gauss(5.3, 0.6)), 2)  # median ≈ 200 kr
            data.purchases.append(Purchase(f"demo-order-{session_id}", session_id, store.id,
                                           amount, "SEK", at + rng.uniform(1200, 1500)))


def _case(
    rng: random.Random, case_id: str, store: DemoStore, session_id: str, created: float,
    zone: ZoneInfo,
) -> Case:
    step = rng.choices(["browsing", "cart", "payment", "after_payment"], weights=[3, 2, 4, 1])[0]
    case = Case(
        id=case_id, store=store.id, channel=store.channel,
        context={"demo": True, "payment_step": step, "channel": store.channel},
        queue="payments" if step == "payment" else "general", skills=frozenset(), language="sv",
        first_channel="chat", priority=1 if step == "payment" else 0, created_at=created,
        kiosk_id=store.kiosk_id, session_id=session_id,
    )
    queued = created + rng.uniform(0.2, 1.0)
    case.transition(S.QUEUED, queued)
    hour = datetime.fromtimestamp(created, zone).hour
    busy = HOURLY[hour] / max(HOURLY)
    wait = rng.expovariate(1 / (8 + 38 * busy ** 2))
    patience = rng.expovariate(1 / 500)
    if patience < wait:
        case.transition(S.ABANDONED, queued + patience, reason="customer_left")
        return case
    agent_id, agent_name = rng.choice(AGENTS)
    case.transition(S.OFFERED, queued + max(0.0, wait - rng.uniform(1, 4)), agent_id=agent_id)
    answered = queued + wait
    case.transition(S.ACTIVE, answered, agent_id=agent_id, agent_name=agent_name)
    handle = math.exp(rng.gauss(5.0, 0.5))  # median ≈ 150 s
    dropped = rng.random() < 0.02
    if dropped:
        case.apply(CustomerDropped(answered + handle / 2))
    case.transition(S.WRAP_UP, answered + handle)
    label = rng.choices(LABELS, weights=[5, 3, 2])[0]
    resolved = (not dropped) and rng.random() < 0.88
    closed = answered + handle + rng.uniform(5, 40)
    case.transition(S.CLOSED, closed, label=label, resolved=resolved)
    if not dropped and rng.random() < 0.62:
        case.apply(FeedbackReceived(closed, rating=rng.choices([5, 4, 3, 2, 1],
                                                                weights=[70, 18, 6, 3, 3])[0]))
    return case
