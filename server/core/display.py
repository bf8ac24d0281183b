"""Display rules: where, for whom and when the Help button is shown. Decided without any I/O.

The operator decides (seed 001: show the chat only on some pages, or only for logged-in
customers) and the widget asks `GET /api/widget/status` on every page. The time is passed in,
so the rules can be tested at any instant, including both sides of a closing time.

Opening hours are local to `timezone`: ``{"mon": "08:00-22:00", "sat": "10:00-16:00"}``.
A range includes its start and excludes its end (08:00-22:00 is open at 21:59, closed at 22:00).
Several ranges are separated by commas; an end at or before the start runs past midnight into
the next day ("22:00-02:00"); "closed" or a missing day means closed all day. No opening hours
at all means always open.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .context import ChannelKind
from .readiness import Readiness, Verdict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_CHANNELS: tuple[ChannelKind, ...] = ("web", "app", "kiosk")
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")

#: why the button is shown as it is; the widget picks its text from this
Reason = Literal[
    "ok",
    "channel_not_listed",
    "page_not_listed",
    "logged_in_only",
    "outside_opening_hours",
    "no_agent_available",
    # from the agents' readiness (server/core/readiness.py) when open
    "all_agents_busy",
    "all_agents_away",
    "no_skilled_agent",
    "no_agent_online",
]


class DisplayRules(BaseModel):
    """The operator's display rules. The defaults show the button everywhere, to everyone, always."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: glob patterns matched against the page the widget reports (e.g. "/checkout*"); "*" = all
    pages: list[str] = Field(default_factory=lambda: ["*"])
    #: channels that show the button
    channels: list[ChannelKind] = Field(default_factory=lambda: list(ALL_CHANNELS))
    #: "everyone", or "logged_in" to show it only to signed-in customers
    audience: Literal["everyone", "logged_in"] = "everyone"
    #: weekday → "HH:MM-HH:MM[,HH:MM-HH:MM]" or "closed"; empty = always open
    opening_hours: dict[Weekday, str] = Field(default_factory=dict)
    #: the time zone the opening hours are written in
    timezone: str = "Europe/Stockholm"
    #: closed or nobody online: "callback" shows an honest text and a callback request instead of
    #: the promise; "hide" hides the button
    when_unavailable: Literal["callback", "hide"] = "callback"

    @field_validator("pages")
    @classmethod
    def _pages(cls, value: list[str]) -> list[str]:
        if not value or any(not p.strip() or len(p) > 200 for p in value):
            raise ValueError("pages must be a non-empty list of glob patterns (\"*\" = every page)")
        return value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: list[ChannelKind]) -> list[ChannelKind]:
        if not value:
            raise ValueError("channels must name at least one of web, app, kiosk")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[Weekday, str]) -> dict[Weekday, str]:
        for day, text in value.items():
            parse_ranges(text, day)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Stockholm)"
            ) from None
        return value


@dataclass(frozen=True)
class DisplayDecision:
    #: draw the button at all
    show: bool
    #: inside opening hours
    open: bool
    reason: Reason
    #: when a closed support opens next (None when open, or when it never opens)
    opens_at: datetime | None = None
    #: what the button may say: the promise, an honest queue estimate, or a callback offer
    promise: Verdict = "promise"
    #: the honest estimate behind a "queue" (or a promise a few places back), whole seconds
    eta_seconds: int | None = None


def parse_ranges(text: str, day: str = "") -> list[tuple[int, int]]:
    """'08:00-12:00,13:00-17:00' → [(480, 720), (780, 1020)] in minutes; 'closed' → []."""
    if text.strip().lower() == "closed":
        return []
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        match = _RANGE.match(part)
        where = f"opening_hours.{day}" if day else "opening hours"
        if match is None:
            raise ValueError(f"{where}: {part.strip()!r} is not HH:MM-HH:MM (or \"closed\")")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"{where}: {part.strip()!r} is not a valid time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise ValueError(f"{where}: {part.strip()!r} is empty; write 00:00-24:00 for all day")
        ranges.append((start, end))
    return ranges


def _day_ranges(rules: DisplayRules, weekday: int) -> list[tuple[int, int]]:
    text = rules.opening_hours.get(WEEKDAYS[weekday])
    return parse_ranges(text) if text is not None else []


def is_open(rules: DisplayRules, at: datetime) -> bool:
    """Inside the opening hours at this (time-zone aware) instant."""
    if not rules.opening_hours:
        return True
    local = _local(rules, at)
    minute = local.hour * 60 + local.minute
    for start, end in _day_ranges(rules, local.weekday()):
        inside = (start <= minute < end) if end > start else start <= minute
        if inside:
            return True
    # a range of yesterday that runs past midnight
    for start, end in _day_ranges(rules, (local.weekday() - 1) % 7):
        if end <= start and minute < end:
            return True
    return False


def next_opening(rules: DisplayRules, at: datetime) -> datetime | None:
    """The next start of an opening range after `at`, in the rules' time zone."""
    if not rules.opening_hours:
        return None
    local = _local(rules, at)
    zone = ZoneInfo(rules.timezone)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        starts = sorted(start for start, _ in _day_ranges(rules, day.weekday()))
        for start in starts:
            candidate = datetime(day.year, day.month, day.day, start // 60, start % 60, tzinfo=zone)
            if candidate > local:
                return candidate
    return None


def decide(
    rules: DisplayRules,
    *,
    page: str | None,
    channel: str,
    logged_in: bool,
    at: datetime,
    agents_available: bool = True,
    readiness: Readiness | None = None,
) -> DisplayDecision:
    """Whether the widget shows its button, and whether it may promise an answer.

    Checked in this order: channel, page, audience (hide the button), then opening hours and
    agents (with when_unavailable = "callback" the button stays, honestly worded). With the
    agents' `readiness` the promise is only made when someone can keep it now; a queue keeps the
    button, worded with its estimate; a callback verdict counts as no agent available.
    """
    open_now = is_open(rules, at)
    if channel not in rules.channels:
        return DisplayDecision(False, open_now, "channel_not_listed")
    path = page or "/"
    if not any(fnmatch.fnmatchcase(path, pattern) for pattern in rules.pages):
        return DisplayDecision(False, open_now, "page_not_listed")
    if rules.audience == "logged_in" and not logged_in:
        return DisplayDecision(False, open_now, "logged_in_only")
    offer_callback = rules.when_unavailable == "callback"
    if not open_now:
        return DisplayDecision(offer_callback, False, "outside_opening_hours",
                               next_opening(rules, at), promise="callback")
    if readiness is not None:
        if readiness.verdict == "callback":
            return DisplayDecision(offer_callback, True, readiness.reason, promise="callback")
        return DisplayDecision(True, True, readiness.reason, promise=readiness.verdict,
                               eta_seconds=readiness.eta_seconds)
    if not agents_available:
        return DisplayDecision(offer_callback, True, "no_agent_available", promise="callback")
    return DisplayDecision(True, True, "ok")


def _local(rules: DisplayRules, at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("display rules need a time-zone aware datetime")
    return at.astimezone(ZoneInfo(rules.timezone))
