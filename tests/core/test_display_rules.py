"""Display rules decide where, for whom and when the Help button shows; time is always injected."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from server.core.display import DisplayRules, decide, is_open, next_opening
from server.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# 2025-10-06 is a Monday
MONDAY = (2025, 10, 6)


def local(hour: int, minute: int = 0, day: tuple[int, int, int] = MONDAY) -> datetime:
    return datetime(*day, hour, minute, tzinfo=STOCKHOLM)


def shown(
    rules: DisplayRules,
    at: datetime | None = None,
    page: str | None = "/",
    channel: str = "web",
    logged_in: bool = False,
    agents_available: bool = True,
) -> bool:
    return decide(rules, page=page, channel=channel, logged_in=logged_in, at=at or local(12),
                  agents_available=agents_available).show


WEEKDAY_HOURS = DisplayRules(opening_hours={"mon": "08:00-22:00", "tue": "08:00-22:00"})


def test_the_defaults_show_the_button_everywhere_to_everyone_always() -> None:
    rules = DisplayRules()
    decision = decide(rules, page="/anything/at/all", channel="kiosk", logged_in=False,
                      at=local(3, 17))
    assert (decision.show, decision.open, decision.reason) == (True, True, "ok")
    assert Settings().display == rules


def test_opening_hours_include_the_opening_minute_and_exclude_the_closing_minute() -> None:
    assert not is_open(WEEKDAY_HOURS, local(7, 59))
    assert is_open(WEEKDAY_HOURS, local(8, 0))
    assert is_open(WEEKDAY_HOURS, local(8, 1))
    assert is_open(WEEKDAY_HOURS, local(21, 59))
    assert not is_open(WEEKDAY_HOURS, local(22, 0))
    assert not is_open(WEEKDAY_HOURS, local(22, 1))


def test_a_day_without_hours_is_closed_all_day() -> None:
    sunday = (2025, 10, 12)
    assert not is_open(WEEKDAY_HOURS, local(12, 0, sunday))
    closed = DisplayRules(opening_hours={"mon": "closed", "tue": "09:00-10:00"})
    assert not is_open(closed, local(12))


def test_opening_hours_are_read_in_the_rules_time_zone_whatever_zone_the_time_comes_in() -> None:
    # 06:00 UTC on a Monday in October is 08:00 in Stockholm (summer time, UTC+2)
    assert is_open(WEEKDAY_HOURS, datetime(*MONDAY, 6, 0, tzinfo=UTC))
    assert not is_open(WEEKDAY_HOURS, datetime(*MONDAY, 5, 59, tzinfo=UTC))
    london = DisplayRules(opening_hours={"mon": "08:00-22:00"}, timezone="Europe/London")
    assert not is_open(london, datetime(*MONDAY, 6, 59, tzinfo=UTC))
    assert is_open(london, datetime(*MONDAY, 7, 0, tzinfo=UTC))


def test_a_range_past_midnight_continues_into_the_next_morning() -> None:
    rules = DisplayRules(opening_hours={"mon": "22:00-02:00"})
    assert not is_open(rules, local(21, 59))
    assert is_open(rules, local(22, 0))
    tuesday = (2025, 10, 7)
    assert is_open(rules, local(1, 59, tuesday))
    assert not is_open(rules, local(2, 0, tuesday))
    assert not is_open(rules, local(2, 1, tuesday))


def test_several_ranges_in_one_day_leave_the_lunch_break_closed() -> None:
    rules = DisplayRules(opening_hours={"mon": "08:00-12:00, 13:00-17:00"})
    assert is_open(rules, local(11, 59))
    assert not is_open(rules, local(12, 0))
    assert not is_open(rules, local(12, 59))
    assert is_open(rules, local(13, 0))
    assert is_open(rules, local(16, 59))
    assert not is_open(rules, local(17, 1))


def test_all_day_is_written_00_00_to_24_00() -> None:
    rules = DisplayRules(opening_hours={"mon": "00:00-24:00"})
    assert is_open(rules, local(0, 0))
    assert is_open(rules, local(23, 59))


def test_outside_opening_hours_the_button_stays_with_an_honest_reason_and_the_next_opening() -> None:
    decision = decide(WEEKDAY_HOURS, page="/", channel="web", logged_in=False, at=local(22, 1))
    assert (decision.show, decision.open, decision.reason) == (True, False, "outside_opening_hours")
    assert decision.opens_at == local(8, 0, (2025, 10, 7))


def test_next_opening_skips_closed_days_and_the_range_already_running() -> None:
    rules = DisplayRules(opening_hours={"mon": "08:00-22:00"})
    assert next_opening(rules, local(9)) == local(8, 0, (2025, 10, 13))
    assert next_opening(rules, local(7, 59)) == local(8, 0)
    assert next_opening(DisplayRules(), local(9)) is None


def test_nobody_online_keeps_the_button_without_the_promise() -> None:
    decision = decide(DisplayRules(), page="/", channel="web", logged_in=False, at=local(12),
                      agents_available=False)
    assert (decision.show, decision.open, decision.reason) == (True, True, "no_agent_available")


def test_when_unavailable_hide_hides_the_button_when_closed_or_nobody_is_online() -> None:
    rules = DisplayRules(opening_hours={"mon": "08:00-22:00"}, when_unavailable="hide")
    assert not shown(rules, at=local(22, 0))
    assert not shown(rules, at=local(12), agents_available=False)
    assert shown(rules, at=local(12))


def test_pages_are_glob_patterns_matched_against_the_reported_page() -> None:
    rules = DisplayRules(pages=["/", "/checkout*", "/membership/*"])
    assert shown(rules, page="/")
    assert shown(rules, page=None)  # a page that does not say is the start page
    assert shown(rules, page="/checkout")
    assert shown(rules, page="/checkout/payment")
    assert shown(rules, page="/membership/terms")
    decision = decide(rules, page="/products/coffee", channel="web", logged_in=False, at=local(12))
    assert (decision.show, decision.reason) == (False, "page_not_listed")


def test_only_listed_channels_show_the_button() -> None:
    rules = DisplayRules(channels=["kiosk"])
    assert shown(rules, channel="kiosk")
    decision = decide(rules, page="/", channel="web", logged_in=True, at=local(12))
    assert (decision.show, decision.reason) == (False, "channel_not_listed")


def test_logged_in_audience_hides_the_button_from_anonymous_visitors() -> None:
    rules = DisplayRules(audience="logged_in")
    assert shown(rules, logged_in=True)
    decision = decide(rules, page="/", channel="web", logged_in=False, at=local(12))
    assert (decision.show, decision.reason) == (False, "logged_in_only")


def test_hiding_rules_come_before_opening_hours() -> None:
    rules = DisplayRules(audience="logged_in", opening_hours={"mon": "08:00-09:00"})
    decision = decide(rules, page="/", channel="web", logged_in=False, at=local(12))
    assert (decision.show, decision.open, decision.reason) == (False, False, "logged_in_only")


@pytest.mark.parametrize(
    "hours",
    [{"mon": "8-22"}, {"mon": "08:00-25:00"}, {"mon": "08:00-08:00"}, {"mon": "08:60-09:00"},
     {"funday": "08:00-22:00"}, {"mon": "08:00-22:00,"}],
)
def test_malformed_opening_hours_are_refused_with_the_day_named(hours: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="opening_hours"):
        DisplayRules.model_validate({"opening_hours": hours})


def test_an_unknown_time_zone_or_empty_lists_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        DisplayRules(timezone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="pages"):
        DisplayRules(pages=[])
    with pytest.raises(ValidationError, match="channels"):
        DisplayRules(channels=[])


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        is_open(WEEKDAY_HOURS, datetime(*MONDAY, 12, 0))


def test_settings_take_display_rules_from_keywords() -> None:
    settings = Settings(display={"pages": ["/checkout*"], "audience": "logged_in"})
    assert settings.display.pages == ["/checkout*"]
    assert settings.display.audience == "logged_in"
