"""Consent grants as a specification: one tap grants, the deadline is absolute, nothing outlives it."""

from __future__ import annotations

import pytest

from consent import ConsentError, ConsentLedger, ConsentPolicy, EndReason, GrantState, Scope

T0 = 1_800_000_000.0


def ledger(**policy: float) -> ConsentLedger:
    return ConsentLedger(ConsentPolicy(**policy))


def test_a_screen_share_lasts_five_minutes_by_default() -> None:
    book = ledger()
    grant = book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    book.grant("g1", T0 + 3)
    assert grant.expires_at == T0 + 3 + 300
    assert grant.allows_media(T0 + 302.999)
    assert not grant.allows_media(T0 + 303)


def test_an_operator_may_shorten_a_screen_share_but_never_lengthen_it() -> None:
    assert ConsentPolicy(screen_share_seconds=120).duration(Scope.SCREEN_SHARE) == 120
    ConsentPolicy(screen_share_seconds=300)  # the limit itself is allowed
    with pytest.raises(ConsentError, match="at most 300"):
        ConsentPolicy(screen_share_seconds=300.001)


def test_an_age_check_is_capped_at_three_minutes() -> None:
    with pytest.raises(ConsentError):
        ConsentPolicy(age_check_seconds=181)


def test_only_one_live_grant_per_scope_per_case() -> None:
    book = ledger()
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    with pytest.raises(ConsentError, match="already has a live"):
        book.request("g2", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0 + 1)
    # another scope, or another case, is independent
    book.request("g3", Scope.AGE_CHECK_VIDEO, "case-1", "cust", "agent-1", T0 + 1)
    book.request("g4", Scope.SCREEN_SHARE, "case-2", "kiosk-8", "agent-1", T0 + 1)


def test_sharing_again_after_the_end_needs_a_new_consent() -> None:
    book = ledger()
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    book.grant("g1", T0 + 1)
    [(grant, reason)] = book.due(T0 + 301)
    assert reason is EndReason.EXPIRED
    book.end(grant.id, reason, T0 + 301)
    assert grant.state is GrantState.ENDED and not grant.allows_media(T0 + 301)
    again = book.request("g2", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0 + 302)
    assert again.state is GrantState.REQUESTED and not again.allows_media(T0 + 302)


def test_no_answer_within_thirty_seconds_declines() -> None:
    book = ledger()
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    assert book.due(T0 + 29.9) == []
    [(grant, reason)] = book.due(T0 + 30)
    assert reason is EndReason.NO_ANSWER
    book.end(grant.id, reason, T0 + 30)
    assert grant.state is GrantState.DENIED
    with pytest.raises(ConsentError):
        book.grant("g1", T0 + 31)


def test_a_late_tap_cannot_grant_an_expired_prompt() -> None:
    book = ledger()
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    with pytest.raises(ConsentError, match="not answered in time"):
        book.grant("g1", T0 + 30)


def test_stop_sharing_ends_at_once_and_records_who_and_when() -> None:
    book = ledger()
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk-7", "agent-1", T0)
    book.grant("g1", T0 + 2)
    grant = book.end("g1", EndReason.REVOKED_BY_CUSTOMER, T0 + 40)
    assert not grant.allows_media(T0 + 40)
    assert grant.end_reason is EndReason.REVOKED_BY_CUSTOMER
    assert grant.history == [(T0, "requested"), (T0 + 2, "granted"), (T0 + 40, "revoked_by_customer")]
    # a second end (e.g. the case closes afterwards) does not rewrite history
    book.end("g1", EndReason.CASE_CLOSED, T0 + 50)
    assert grant.end_reason is EndReason.REVOKED_BY_CUSTOMER


def test_a_denied_prompt_never_allows_media() -> None:
    book = ledger()
    book.request("g1", Scope.AGE_CHECK_VIDEO, "case-1", "cust", "agent-1", T0)
    grant = book.deny("g1", T0 + 1)
    assert grant.state is GrantState.DENIED and not grant.allows_media(T0 + 1)
    assert grant.remaining(T0 + 1) == 0
