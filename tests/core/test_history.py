"""The case history: typed events are what is stored, and a case is the fold of its history.

A scripted store day (seeded, on the injected clock) drives cases through the real engine; every
case's history, encoded as the store writes it and decoded again, folds to a case equal to the
one the engine holds. A history the machine does not allow is refused while it is replayed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
from collections import Counter
from typing import Any

import pytest

from server.core.agents import AgentProfile, Presence
from server.core.case import Case, CaseState
from server.core.errors import HelpwireError, InvalidTransition, UnknownHistoryEvent
from server.core.history import (
    HISTORY_EVENT_TYPES,
    Abandoned,
    AgeChecked,
    Answered,
    CallbackRequested,
    CallbackSuggested,
    CallConnected,
    CallDeclined,
    CallFailed,
    CallProposed,
    ChannelChanged,
    ChatLineDelivered,
    ChatLineSent,
    Closed,
    ConsentRecorded,
    CustomerDropped,
    CustomerEndedChat,
    FeedbackReceived,
    HistoryEvent,
    Marked,
    MediaPathChosen,
    NoteAdded,
    Offered,
    Overflowed,
    PhotoSent,
    Queued,
    Stored,
    Transferred,
    WrapUp,
    decode,
    decode_legacy,
    encode,
    replay,
)
from server.store.cases import _case_row
from tests.core.conftest import T0, Desk, DeskFactory, context
from tests.support.legacy_history import legacy_rows

S = CaseState


def new_case(case_id: str = "c1") -> Case:
    return Case(id=case_id, store="s1", channel="web", context={"page": "/kassa"},
                queue="general", skills=frozenset({"swedish"}), language="sv",
                first_channel="chat", priority=3, created_at=T0, rule="r", kiosk_id="k-1",
                session_id="sess-1")


def through_json(event: HistoryEvent) -> HistoryEvent:
    """Encode as the store writes a row (its payload as JSON text), then decode the row."""
    stored = encode(event)
    row = json.loads(json.dumps(stored._asdict()))
    return decode(Stored(**row))


#: one of each fact that is not a state change, as the engine, media desk and consent record them
FACTS: list[HistoryEvent] = [
    Overflowed(T0 + 5, from_queue="general", to_queue="oncall", reason="no_agent_online",
               skills=("oncall",)),
    CallbackSuggested(T0 + 6, reason="promise_at_risk"),
    ChatLineSent(T0 + 7, message_id="m-1", sender="customer", client_id="c-1"),
    ChatLineDelivered(T0 + 7, message_id="m-1"),
    CustomerEndedChat(T0 + 8),
    CustomerDropped(T0 + 9),
    FeedbackReceived(T0 + 10, rating=4),
    ChannelChanged(T0 + 11, from_channel="chat", to_channel="voice", by="customer"),
    CallProposed(T0 + 12, channel="video", by="agent"),
    CallDeclined(T0 + 13, channel="video", by="customer"),
    CallConnected(T0 + 14, channel="voice"),
    CallFailed(T0 + 15, role="customer", reason="media_inactive", channel="voice"),
    MediaPathChosen(T0 + 16, role="agent", stream="video", path="forwarded", codec_in="VP8",
                    codec_out="VP8"),
    Marked(T0 + 17, mark="needs_verification"),
    ConsentRecorded(T0 + 18, scope="age_check_video", event="granted", grant_id="g-1",
                    by="customer", duration=30.0),
    AgeChecked(T0 + 19, sku="A-18", agent="lisa", outcome="approved", method="video"),
    NoteAdded(T0 + 20, note_id="n-1", agent_id="lisa", note_kind="internal"),
    PhotoSent(T0 + 20, photo_id="p-1", width=1600, height=1200, size_bytes=182_000,
              source_type="JPEG"),
]

#: one history per way through the machine, with every kind of state change
LIVES: list[list[HistoryEvent]] = [
    [Queued(T0 + 1, S.CREATED, queue="general"), Offered(T0 + 2, S.QUEUED, agent_id="lisa"),
     Queued(T0 + 22, S.OFFERED, reason="offer_timeout", agent_id="lisa"),
     Offered(T0 + 23, S.QUEUED, agent_id="omar"),
     Answered(T0 + 25, S.OFFERED, agent_id="omar", agent_name="Omar"),
     Queued(T0 + 40, S.ACTIVE, reason="agent_lost", agent_id="omar"),
     Offered(T0 + 41, S.QUEUED, agent_id="lisa"),
     Answered(T0 + 42, S.OFFERED, agent_id="lisa", agent_name="Lisa"),
     WrapUp(T0 + 90, S.ACTIVE, by="agent"),
     Closed(T0 + 95, S.WRAP_UP, label="betalningsfråga", resolved=False)],
    [Queued(T0 + 1, S.CREATED, queue="general"),
     Closed(T0 + 2, S.QUEUED, by="system", reason="not_resumable")],
    [Queued(T0 + 1, S.CREATED), CallbackRequested(T0 + 50, S.QUEUED, reason="customer_asked"),
     Closed(T0 + 3600, S.CALLBACK_REQUESTED, by="system", reason="callback_expired")],
    [Queued(T0 + 1, S.CREATED), Abandoned(T0 + 9, S.QUEUED, reason="customer_cancelled")],
    [Queued(T0 + 1, S.CREATED, queue="general"), Offered(T0 + 2, S.QUEUED, agent_id="lisa"),
     Answered(T0 + 3, S.OFFERED, agent_id="lisa", agent_name="Lisa"),
     Transferred(T0 + 30, S.ACTIVE, agent_id="lisa", to_queue="general", skills=("swedish",),
                 to_agent="omar", to_agent_name="Omar", note_id="n-1"),
     Offered(T0 + 30, S.QUEUED, agent_id="omar"),
     Queued(T0 + 50, S.OFFERED, reason="offer_declined", agent_id="omar"),
     Offered(T0 + 52, S.QUEUED, agent_id="nils"),
     Answered(T0 + 53, S.OFFERED, agent_id="nils", agent_name="Nils"),
     Transferred(T0 + 60, S.ACTIVE, agent_id="nils", to_queue="oncall", skills=("oncall",)),
     Abandoned(T0 + 70, S.QUEUED, reason="customer_cancelled")],
]


def test_every_event_type_survives_the_codec_and_json_unchanged() -> None:
    opened = new_case().events[0]
    samples = [opened, *FACTS, *(e for life in LIVES for e in life)]
    assert {type(e) for e in samples} == set(HISTORY_EVENT_TYPES), "a sample of every type"
    for event in samples:
        assert through_json(event) == event


def test_a_stored_row_names_its_type_and_version_and_keeps_the_reports_projection() -> None:
    stored = encode(Answered(T0 + 25, S.OFFERED, agent_id="omar", agent_name="Omar"))
    assert (stored.type, stored.version, stored.payload) == (
        "answered", 1, {"agent_id": "omar", "agent_name": "Omar"})
    assert (stored.kind, stored.from_state, stored.to_state) == ("transition", "offered", "active")
    assert (encode(FACTS[0]).kind, encode(FACTS[0]).to_state) == ("overflow", None)


@pytest.mark.parametrize("life", LIVES, ids=["answered_twice", "system_close", "callback", "transferred",
                                             "abandoned"])
def test_a_case_is_the_fold_of_its_history(life: list[HistoryEvent]) -> None:
    live = new_case()
    for event in life:
        live.apply(event)
    assert replay(through_json(e) for e in live.events) == live


def test_the_fold_sets_what_each_fact_changes_on_the_case() -> None:
    case = new_case()
    for event in [Queued(T0 + 1, S.CREATED), FACTS[0], FACTS[1]]:
        case.apply(event)
    assert (case.queue, case.skills, case.overflowed, case.callback_offered) == (
        "oncall", frozenset({"oncall"}), True, True)
    case.apply(Offered(T0 + 20, S.QUEUED, agent_id="lisa"))
    case.apply(Answered(T0 + 21, S.OFFERED, agent_id="lisa", agent_name="Lisa"))
    assert (case.agent_id, case.agent_name, case.front_of_queue) == ("lisa", "Lisa", False)
    case.apply(Queued(T0 + 30, S.ACTIVE, reason="agent_lost", agent_id="lisa"))
    assert (case.agent_id, case.agent_name, case.front_of_queue) == (None, None, True)


def test_a_transfer_folds_into_a_waiting_case_reserved_for_the_colleague_until_the_offer_lapses(
) -> None:
    case = new_case()
    steps: list[HistoryEvent] = [
        Queued(T0 + 1, S.CREATED), Offered(T0 + 2, S.QUEUED, agent_id="lisa"),
        Answered(T0 + 3, S.OFFERED, agent_id="lisa", agent_name="Lisa"),
        Transferred(T0 + 9, S.ACTIVE, agent_id="lisa", to_queue="payment-experts",
                    skills=("payments",), to_agent="omar", to_agent_name="Omar")]
    for event in steps:
        case.apply(event)
    assert (case.state, case.agent_id, case.queue, case.skills, case.front_of_queue,
            case.transfer_to, case.transfers) == (
        S.QUEUED, None, "payment-experts", frozenset({"payments"}), True, "omar", 1)
    case.apply(Offered(T0 + 9, S.QUEUED, agent_id="omar"))
    case.apply(Queued(T0 + 29, S.OFFERED, reason="offer_timeout", agent_id="omar"))
    assert (case.transfer_to, case.front_of_queue) == (None, True)
    # only an active case can be transferred: the table has no edge from queued to queued
    with pytest.raises(InvalidTransition):
        case.apply(Transferred(T0 + 30, S.QUEUED, agent_id="lisa", to_queue="general",
                               skills=()))


def test_a_history_the_machine_does_not_allow_is_refused_while_replaying() -> None:
    opened = new_case().events[0]
    with pytest.raises(InvalidTransition) as refused:
        replay([opened, Answered(T0 + 1, S.CREATED, agent_id="lisa")])
    assert (refused.value.current, refused.value.wanted) == ("created", "active")
    # a transition that claims to leave another state than the case is in is refused too
    with pytest.raises(InvalidTransition):
        replay([opened, Queued(T0 + 1, S.CREATED), Offered(T0 + 2, S.CREATED, agent_id="l")])
    # a system close only from a state that can still be closed
    abandoned = [opened, Queued(T0 + 1, S.CREATED), Abandoned(T0 + 2, S.QUEUED, reason="left")]
    with pytest.raises(InvalidTransition):
        replay([*abandoned, Closed(T0 + 99, S.ABANDONED, by="system", reason="x")])


def test_a_history_must_start_with_the_case_being_opened_and_name_known_types() -> None:
    with pytest.raises(UnknownHistoryEvent):
        replay([Queued(T0 + 1, S.CREATED)])
    with pytest.raises(UnknownHistoryEvent):
        decode(Stored(T0, "note", 1, {}, "note", None, None))
    with pytest.raises(UnknownHistoryEvent):
        decode(Stored(T0, "queued", 99, {}, "transition", "created", "queued"))


# ---------------------------------------------------------------- a store day through the engine

AGENTS = ("lisa", "omar", "sara")


def store_day(desk: Desk, seed: int, steps: int = 900) -> dict[str, Case]:
    """Customers, agents and time, at random but reproducibly: returns every case opened."""
    rng = random.Random(seed)
    hands = random.Random(-seed)  # who a case is handed to (leaves the day's own draws alone)
    engine = desk.engine
    opened: dict[str, Case] = {}
    online: set[str] = set()

    def attempt(step: Any, *args: Any) -> None:
        try:
            step(*args)
        except HelpwireError:
            pass  # a step the moment does not allow (the engine refuses it with its typed error)

    for _ in range(steps):
        roll = rng.random()
        live = [c for c in opened.values() if not c.is_finished]
        if roll < 0.14:
            signals: dict[str, Any] = {"payment_step": rng.choice([None, "payment"]),
                                       "language": rng.choice(["sv", "sv", "en"])}
            attempt(lambda s: opened.update({(c := engine.open_case(context(**s))[0]).id: c}),
                    signals)
        elif roll < 0.22:
            agent = rng.choice(AGENTS)
            if agent in online and rng.random() < 0.4:
                engine.agent_disconnected(agent)
                online.discard(agent)
            elif agent not in online:
                skills = rng.choice([(), ("payments",), ("oncall", "payments")])
                engine.agent_connected(AgentProfile(id=agent, display_name=agent.capitalize(),
                                                    skills=frozenset(skills),
                                                    languages=frozenset({"sv", "en"})))
                attempt(engine.set_presence, agent, Presence.AVAILABLE)
                online.add(agent)
        elif roll < 0.40:
            for offer in list(engine.state.offers()):
                if rng.random() < 0.8:
                    attempt(engine.accept, offer.agent_id, offer.case_id)
                else:
                    attempt(engine.decline, offer.agent_id, offer.case_id)
        elif live and roll < 0.55:
            case = rng.choice(live)
            sender = rng.choice(["customer", "agent"])
            attempt(engine.chat, case.id, sender, "hej", *(() if sender == "customer"
                                                         else (case.agent_id,)))
        elif live and roll < 0.75:
            case = rng.choice(live)
            action = rng.random()
            if action < 0.2:
                attempt(engine.customer_disconnected, case.id)
            elif action < 0.35:
                attempt(engine.customer_reconnected, case.id)
            elif action < 0.5:
                attempt(engine.end_conversation, case.agent_id or "", case.id)
            elif action < 0.8:
                attempt(engine.close, case.agent_id or "", case.id, "betalningsfråga",
                        rng.random() < 0.8)
                if rng.random() < 0.6:  # the rating often arrives after the close
                    attempt(engine.feedback, case.id, rng.randint(1, 5), rng.choice([None, "tack"]))
            elif action < 0.84:
                attempt(engine.cancel, case.id)
            elif action < 0.9:
                case = hands.choice([c for c in live if c.state is S.ACTIVE] or [case])
                colleague = hands.choice([a for a in AGENTS if a != case.agent_id])
                agent = case.agent_id or ""
                attempt(engine.add_note, agent, case.id, "kund vill byta")
                attempt(functools.partial(engine.transfer, agent, case.id, to_agent=colleague,
                                          note="ring tillbaka"))
                attempt(functools.partial(engine.transfer, agent, case.id, to_queue="general"))
            else:
                attempt(engine.request_callback, case.id, None)
        else:
            desk.advance(rng.choice([1, 2, 5, 11, 25, 40]))
    return opened


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_store_day_through_the_engine_folds_back_to_the_same_cases(
    make_desk: DeskFactory, seed: int
) -> None:
    desk = make_desk()
    opened = store_day(desk, seed)

    seen: Counter[str] = Counter()
    for case in opened.values():
        rebuilt = replay(through_json(e) for e in case.events)
        rebuilt.feedback_text = case.feedback_text  # kept apart from the history, on the row
        assert rebuilt == case
        seen.update(e.TYPE for e in case.events)
    # the day went everywhere a case can go, or this test would prove little
    assert {"opened", "queued", "offered", "answered", "wrap_up", "closed", "abandoned",
            "callback_requested", "overflow", "chat_line", "feedback",
            "customer_dropped", "agent_note"} <= set(seen), seen
    assert len(opened) > 50


def test_a_history_stored_before_typed_events_rebuilds_the_same_case(
    make_desk: DeskFactory,
) -> None:
    desk = make_desk()
    opened = store_day(desk, seed=4)
    checked = 0
    for case in opened.values():
        if sum(isinstance(e, Overflowed) for e in case.events) > 1:
            continue  # the old rows kept only the last queue's skills
        if any(isinstance(e, Transferred) for e in case.events):
            continue  # transfers came after typed events: no old row holds one
        row = {"id": case.id, **_case_row(case)}
        rebuilt = replay(decode_legacy(row, legacy_rows(case)))
        rebuilt.feedback_text = case.feedback_text
        state = {f.name for f in dataclasses.fields(Case)} - {"events"}
        assert {n: getattr(rebuilt, n) for n in state} == {n: getattr(case, n) for n in state}
        assert [(e.at, e.kind, e.to_state) for e in rebuilt.events] == [
            (e.at, e.kind, e.to_state) for e in case.events]
        checked += 1
    assert checked > 50
