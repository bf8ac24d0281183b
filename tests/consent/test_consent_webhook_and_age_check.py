"""The POS webhook's signature, its retry schedule, the age check's stored minimum, prompt texts."""

from __future__ import annotations

import hashlib
import hmac

from consent import ConsentLedger, ConsentPolicy, EndReason, Scope
from consent.age_check import DENIAL_REASONS, AgeCheckRecord, Outcome, denial_text
from consent.webhook import backoff_delays, signature, signed_headers, verify
from server.media.consent import prompt_text

SECRET = "s3cret"
BODY = b'{"event":"item_unlocked","sku":"starkol-50"}'
T0 = 1_800_000_000.0


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1800000000", BODY) == "sha256=" + expected
    headers = signed_headers(SECRET, BODY, T0 + 0.7, "d1")
    assert headers["X-Helpwire-Timestamp"] == "1800000000"
    assert headers["X-Helpwire-Signature"] == "sha256=" + expected
    assert headers["X-Helpwire-Delivery"] == "d1"


def test_verify_accepts_fresh_and_refuses_forged_altered_or_stale() -> None:
    good = signature(SECRET, "1800000000", BODY)
    assert verify(SECRET, "1800000000", BODY, good, now=T0 + 299)
    assert not verify(SECRET, "1800000000", BODY, good, now=T0 + 301)  # replayed later
    assert not verify(SECRET, "1800000000", BODY, good, now=T0 - 301)  # from the future
    assert not verify("other", "1800000000", BODY, good, now=T0)
    assert not verify(SECRET, "1800000000", BODY + b" ", good, now=T0)
    assert not verify(SECRET, "1800000001", BODY, good, now=T0)  # timestamp swapped
    assert not verify(SECRET, "not-a-number", BODY, good, now=T0)


def test_retries_back_off_exponentially_and_are_bounded() -> None:
    assert backoff_delays(5, 1.0) == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delays(8, 10.0, cap=30.0) == [10.0, 20.0, 30.0, 30.0, 30.0, 30.0, 30.0]
    assert backoff_delays(1, 1.0) == []


def test_an_age_check_stores_only_sku_agent_outcome_and_method() -> None:
    record = AgeCheckRecord("case-1", "starkol-50", "agent-1", T0, Outcome.APPROVED)
    assert record.as_detail() == {"sku": "starkol-50", "agent": "agent-1", "outcome": "approved",
                                  "method": "video"}


def test_a_denial_is_told_kindly_in_both_languages() -> None:
    for reason in DENIAL_REASONS:
        assert denial_text(reason, "sv") and denial_text(reason, "en")
    assert denial_text(None, "en") == DENIAL_REASONS["other"]["en"]
    assert denial_text("made_up", "sv") == DENIAL_REASONS["other"]["sv"]


def test_prompt_texts_are_the_seed_texts() -> None:
    text = prompt_text(Scope.SCREEN_SHARE, 300)
    assert text["sv"] == "Support kan tillfälligt se kassaskärmen i 5 min. Godkänn?"
    assert text["en"] == "Support may see the checkout screen for 5 min. Approve?"
    assert "i 2 min." in prompt_text(Scope.SCREEN_SHARE, 120)["sv"]
    age = prompt_text(Scope.AGE_CHECK_VIDEO, 180, "Starköl")
    assert "Vi använder video/röst bara för att hjälpa i stunden." in age["sv"]


def test_forgetting_a_case_keeps_live_grants() -> None:
    book = ConsentLedger(ConsentPolicy())
    book.request("g1", Scope.SCREEN_SHARE, "case-1", "kiosk", "agent", T0)
    book.grant("g1", T0 + 1)
    book.end("g1", EndReason.EXPIRED, T0 + 301)
    book.request("g2", Scope.AGE_CHECK_VIDEO, "case-1", "cust", "agent", T0 + 302)
    book.forget_case("case-1")
    assert [g.id for g in book.of_case("case-1")] == ["g2"]


def test_every_server_message_is_in_swedish_and_english_with_the_same_placeholders() -> None:
    from string import Formatter

    from server.i18n import MESSAGES

    for message_id, texts in MESSAGES.items():
        assert set(texts) == {"sv", "en"}, message_id
        fields = [{name for _, name, _, _ in Formatter().parse(text) if name} for text in texts.values()]
        assert fields[0] == fields[1], message_id
