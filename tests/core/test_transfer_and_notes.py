"""Transfer to a colleague or a queue, internal notes and wrap-up notes, decided by the engine.

The customer keeps their place (first in the queue) and their promise clock; a named colleague
alone is offered the case until that offer lapses; notes reach agents only, never the customer.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from server.core.agents import Presence
from server.core.case import CaseState
from server.core.effects import ForgetCase, ForgetNotes, KeepNote
from server.core.engine.base import promise_start
from server.core.errors import InvalidTransition, NotYourCase, TransferTargetUnavailable, UnknownQueue
from server.core.history import NoteAdded, Transferred, decode, encode, replay
from server.core.state import Offer, QueueEntry
from server.signalling.messages import ToAgent, ToCustomer
from tests.core.conftest import T0, Desk, DeskFactory, to_agent, to_customer, wire

S = CaseState


def lisa_has_a_case(desk: Desk, **signals: object) -> str:
    """Lisa answers a case; Omar and Sara are signed in and available (idle longer than Omar)."""
    desk.agent("lisa")
    case = desk.answered("lisa", **signals)
    desk.clock.advance(1)
    desk.agent("sara")
    desk.clock.advance(1)
    desk.agent("omar")
    desk.clock.advance(30)
    return case.id


def customer_payloads(outcome: Iterable[object]) -> list[dict[str, object]]:
    return [m.payload for m in wire(outcome) if isinstance(m, ToCustomer)]


# --- to a named colleague ---------------------------------------------------------------------


def test_a_case_transferred_to_a_colleague_is_offered_to_them_alone_with_the_note(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)

    out = desk.engine.transfer("lisa", case_id, to_agent="omar", note="Vill byta vara, kvitto finns")

    # Sara has been idle longer, but the transfer named Omar
    assert desk.offered_to(case_id) == "omar"
    [offer] = to_agent(out, "offer", "omar")
    assert offer.payload["transfer"] == {
        "from_agent_id": "lisa", "from_agent_name": "Lisa", "to_agent_id": "omar",
        "queue": "general", "at": desk.now, "note": "Vill byta vara, kvitto finns"}
    assert to_customer(out, "transferred") == [ToCustomer(case_id, "transferred", {
        "case_id": case_id, "agent_name": "Omar", "queue": "general",
        "queue_title": {"sv": "Support", "en": "Support"}})]
    assert to_agent(out, "case_transferred", "lisa") == [ToAgent("lisa", "case_transferred", {
        "case_id": case_id, "to_agent_name": "Omar", "queue": "general"})]
    assert case_id not in desk.status("lisa").cases
    # the note's text is kept apart, and never in anything the customer is sent
    assert [e for e in out if isinstance(e, KeepNote)][0].text == "Vill byta vara, kvitto finns"
    assert all("kvitto" not in repr(p) for p in customer_payloads(out))


def test_the_receiver_who_accepts_sees_the_note_and_the_customer_is_told_who_took_over(
    desk: Desk,
) -> None:
    case_id = lisa_has_a_case(desk)
    desk.engine.transfer("lisa", case_id, to_agent="omar", note="Kvitto finns")

    out = desk.engine.accept("omar", case_id)

    [assigned] = to_agent(out, "case_assigned", "omar")
    assert [n["text"] for n in assigned.payload["notes"]] == ["Kvitto finns"]
    assert assigned.payload["notes"][0]["kind"] == "transfer"
    assert assigned.payload["transfer"]["from_agent_name"] == "Lisa"
    assert to_customer(out, "agent_joined")[0].payload["agent_name"] == "Omar"
    case = desk.engine.case(case_id)
    assert (case.state, case.agent_id, case.transfer_to) == (S.ACTIVE, "omar", None)


def test_a_transferred_case_keeps_its_place_first_in_the_queue_and_its_promise_clock(
    desk: Desk,
) -> None:
    case_id = lisa_has_a_case(desk)
    first_queued = desk.engine.case(case_id).first_entered(S.QUEUED)
    desk.engine.set_presence("sara", Presence.BUSY)
    desk.engine.set_presence("omar", Presence.BUSY)
    others = [desk.press()[0].id for _ in range(2)]  # they came later and wait

    desk.engine.transfer("lisa", case_id, to_queue="general")

    assert [e.case_id for e in desk.engine.state.waiting("general")] == [case_id, *others]
    entry = desk.engine.state.entry(case_id)
    assert entry is not None and entry.front
    assert promise_start(desk.engine.case(case_id)) == first_queued == T0


def test_a_declined_transfer_tells_the_sender_and_the_case_goes_to_the_next_agent_first(
    desk: Desk,
) -> None:
    case_id = lisa_has_a_case(desk)
    desk.engine.transfer("lisa", case_id, to_agent="omar")

    out = desk.engine.decline("omar", case_id)

    assert to_agent(out, "transfer_failed", "lisa") == [ToAgent("lisa", "transfer_failed", {
        "case_id": case_id, "to_agent_id": "omar", "reason": "declined"})]
    # neither the colleague who declined nor the sender who handed it on: Sara
    assert desk.offered_to(case_id) == "sara"
    assert desk.engine.case(case_id).transfer_to is None


def test_a_transfer_offer_that_lapses_goes_back_to_the_queue_for_anyone(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)
    desk.engine.set_presence("sara", Presence.AWAY)
    desk.engine.transfer("lisa", case_id, to_agent="omar")

    out = desk.advance(desk.engine.config.offer_timeout_seconds)

    assert to_agent(out, "transfer_failed", "lisa")[0].payload["reason"] == "timeout"
    # nobody else is there: the sender, who had their go, is offered it back
    assert desk.offered_to(case_id) == "lisa"


@pytest.mark.parametrize("setup, target", [
    ("away", "omar"), ("busy", "omar"), ("signed_out", "omar"), ("self", "lisa"),
    ("ringing", "omar"), ("at_capacity", "omar"), ("unknown", "nobody"),
])
def test_a_colleague_who_cannot_take_the_case_now_is_refused_and_nothing_changes(
    desk: Desk, setup: str, target: str,
) -> None:
    case_id = lisa_has_a_case(desk)
    if setup in ("away", "busy"):
        desk.engine.set_presence("omar", Presence(setup))
    elif setup == "signed_out":
        desk.engine.agent_disconnected("omar")
    elif setup == "ringing":
        desk.engine.set_presence("sara", Presence.AWAY)
        desk.press()  # offered to Omar, who has not answered yet
        assert desk.engine.state.offer_for_agent("omar") is not None
    elif setup == "at_capacity":
        status = desk.status("omar")
        now = desk.engine.clock.now()
        for i in range(status.profile.max_concurrent):  # taken through the dispatch commands
            desk.engine.state.enqueue(QueueEntry(f"other-{i}", "general", 0, False, now))
            assert desk.engine.state.offer(Offer(f"other-{i}", "omar", now, now + 20)) is not None
            assert desk.engine.state.accept(f"other-{i}", "omar", now) is not None
    before = list(desk.engine.case(case_id).events)

    with pytest.raises(TransferTargetUnavailable):
        desk.engine.transfer("lisa", case_id, to_agent=target, note="n")

    case = desk.engine.case(case_id)
    assert (case.state, case.agent_id, case.events) == (S.ACTIVE, "lisa", before)
    assert desk.engine.notes.of(case_id) == []


def test_a_colleague_without_the_skill_the_case_needs_is_refused(desk: Desk) -> None:
    desk.agent("lisa", skills={"payments"})
    case = desk.answered("lisa", payment_step="payment")  # the payment-experts queue
    desk.agent("omar")
    with pytest.raises(TransferTargetUnavailable):
        desk.engine.transfer("lisa", case.id, to_agent="omar")


# --- to a queue --------------------------------------------------------------------------------


def test_a_case_transferred_to_a_queue_takes_its_skills_and_the_customer_gets_a_neutral_text(
    desk: Desk,
) -> None:
    case_id = lisa_has_a_case(desk)
    desk.agent("nils", skills={"oncall"})

    out = desk.engine.transfer("lisa", case_id, to_queue="oncall", note="Larm i kassan")

    case = desk.engine.case(case_id)
    assert (case.queue, case.skills) == ("oncall", frozenset({"oncall"}))
    assert desk.offered_to(case_id) == "nils"
    [told] = to_customer(out, "transferred")
    assert told.payload["agent_name"] is None
    assert told.payload["queue_title"] == {"sv": "Beredskap 24/7", "en": "24/7 on-call"}
    assert to_agent(out, "offer", "nils")[0].payload["transfer"]["note"] == "Larm i kassan"


def test_a_queue_nobody_else_serves_now_or_one_that_does_not_exist_is_refused(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)
    with pytest.raises(TransferTargetUnavailable):
        desk.engine.transfer("lisa", case_id, to_queue="oncall")  # no one with the skill
    with pytest.raises(UnknownQueue):
        desk.engine.transfer("lisa", case_id, to_queue="no-such-queue")
    assert desk.engine.case(case_id).state is S.ACTIVE


def test_only_the_answering_agent_may_transfer_and_only_an_active_case(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)
    with pytest.raises(NotYourCase):
        desk.engine.transfer("omar", case_id, to_agent="sara")
    desk.engine.end_conversation("lisa", case_id)
    with pytest.raises(InvalidTransition):
        desk.engine.transfer("lisa", case_id, to_agent="omar")


# --- notes -------------------------------------------------------------------------------------


def test_an_internal_note_reaches_the_agent_only_and_is_in_the_case_view(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)

    note, out = desk.engine.add_note("lisa", case_id, "Kunden verkar stressad")

    assert wire(out) == [ToAgent("lisa", "note", note.as_payload())]
    assert note.as_payload() == {"id": note.id, "case_id": case_id, "agent_id": "lisa",
                                 "agent_name": "Lisa", "kind": "internal",
                                 "text": "Kunden verkar stressad", "at": desk.now}
    assert KeepNote(case_id, note.id, desk.now, "lisa", "Lisa", "internal",
                    "Kunden verkar stressad") in out
    last = desk.engine.case(case_id).events[-1]
    assert isinstance(last, NoteAdded) and "Kunden" not in repr(encode(last))
    assert desk.engine.agent_view(case_id)["notes"] == [note.as_payload()]
    with pytest.raises(NotYourCase):
        desk.engine.add_note("omar", case_id, "x")


@pytest.mark.parametrize("retention", [False, True])
def test_a_wrap_up_note_is_stored_with_the_outcome_and_kept_only_with_transcript_retention(
    make_desk: DeskFactory, retention: bool,
) -> None:
    desk = make_desk(transcript_retention=retention)
    case_id = lisa_has_a_case(desk)

    out = desk.engine.close("lisa", case_id, "betalningsfråga", True, note="Kortet nekades")

    case = desk.engine.case(case_id)
    assert [type(e).__name__ for e in case.events[-3:]] == ["NoteAdded", "WrapUp", "Closed"]
    assert case.events[-3].note_kind == "wrap_up"  # type: ignore[union-attr]
    assert any(isinstance(e, KeepNote) and e.kind == "wrap_up" for e in out)
    forgets = [e for e in out if isinstance(e, ForgetNotes)]
    assert forgets == ([] if retention else [ForgetNotes(case_id)])
    # the notes' text goes before (with) the case's end: ForgetNotes precedes ForgetCase
    if not retention:
        assert out.index(forgets[0]) < next(i for i, e in enumerate(out) if isinstance(e, ForgetCase))
    assert all("Kortet" not in repr(p) for p in customer_payloads(out))


def test_a_case_without_notes_asks_for_no_note_deletion(desk: Desk) -> None:
    case_id = lisa_has_a_case(desk)
    out = desk.engine.close("lisa", case_id, "betalningsfråga", True)
    assert not any(isinstance(e, ForgetNotes) for e in out)


# --- after a restart ---------------------------------------------------------------------------


def test_a_transferred_case_comes_back_first_in_its_new_queue_with_its_note(
    desk: Desk, make_desk: DeskFactory,
) -> None:
    case_id = lisa_has_a_case(desk)
    desk.agent("nils", skills={"oncall"})
    desk.engine.set_presence("nils", Presence.BUSY)
    desk.engine.transfer("lisa", case_id, to_queue="oncall", note="Larm")
    live = desk.engine.case(case_id)
    assert live.state is S.QUEUED
    stored = replay(decode(encode(e)) for e in live.events)
    assert stored == live
    assert any(isinstance(e, Transferred) for e in stored.events)

    after = make_desk()
    after.engine.restore([stored], {}, {}, grace_seconds=30,
                         notes={case_id: desk.engine.notes.of(case_id)})

    entry = after.engine.state.entry(case_id)
    assert entry is not None and (entry.queue, entry.front, entry.enqueued_at) == ("oncall", True, T0)
    assert after.engine.transfer_of(after.engine.case(case_id))["note"] == "Larm"  # type: ignore[index]
