"""Erasure and export of one person's data, on SQLite and PostgreSQL.

Two people leave cases, history, a callback number, feedback, chat text, a delivery, purchases, an
A/B exposure, progress and access rows; one is erased by each selector in turn and a walk over
every column of every table (``metadata.tables``, so a table added later is walked too) finds
nothing of theirs, while everything of the other person is still there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from server.core.case import Case, CaseState
from server.core.clock import ManualClock
from server.core.history import AgeChecked, ChatLineSent, NoteAdded
from server.core.notes import Note
from server.privacy.operations import Actor, LiveCasesRunning, PrivacyOperations
from server.store import CaseRepository, Database
from server.store.privacy import Selector, export
from server.store.tables import metadata, outbox, purchases, session_exposures, session_progress

KIOSK = "kiosk-entrance-1"  # one kiosk, used by both people at different times


@dataclass(frozen=True)
class Person:
    name: str
    case_id: str
    created_at: float

    @property
    def session(self) -> str:
        return f"sess-{self.name}"

    @property
    def phone(self) -> str:
        return "+4670000000" + ("1" if self.name == "anna" else "2")

    @property
    def markers(self) -> set[str]:
        """Every value that identifies this person, wherever it is stored."""
        n = self.name
        return {self.session, self.phone, f"feedback-{n}", f"chat-{n}", f"order-{n}",
                f"page-{n}", f"client-{n}", f"live-{n}", f"sku-{n}", f"note-{n}"}


ANNA = Person("anna", "case-anna", 1_000_000.0)
BO = Person("bo", "case-bo", 1_000_000.0 + 7200)


async def seed(db: Database, make_case: Callable[..., Case], person: Person) -> None:
    repo = CaseRepository(db)
    n = person.name
    case = make_case(person.case_id, session_id=person.session, kiosk_id=KIOSK,
                     created_at=person.created_at,
                     context={"page": f"page-{n}", "session_id": person.session,
                              "cart": {"lines": [{"sku": f"sku-{n}", "qty": 1}]}})
    t = person.created_at
    case.transition(CaseState.QUEUED, t + 1, queue="general")
    case.transition(CaseState.OFFERED, t + 2, agent_id="agent-1")
    case.transition(CaseState.ACTIVE, t + 5, agent_id="agent-1", agent_name="Alva")
    case.apply(ChatLineSent(t + 6, message_id=f"m-{n}", sender="customer", client_id=f"client-{n}"))
    case.apply(AgeChecked(t + 7, sku=f"sku-{n}", agent="agent-1", outcome="approved", method="video"))
    case.apply(NoteAdded(t + 8, note_id=f"n-{n}", agent_id="agent-1", note_kind="wrap_up"))
    case.transition(CaseState.WRAP_UP, t + 60, by="agent")
    case.transition(CaseState.CLOSED, t + 70, label="betalningsfråga", resolved=True)
    case.label, case.resolved, case.rating, case.feedback_text = "betalningsfråga", True, 4, f"feedback-{n}"
    await repo.save(case)
    await repo.save_callback(person.case_id, t + 3, "customer_asked", person.phone,
                             {"lines": [{"sku": f"sku-{n}"}]}, t + 300)
    await repo.add_transcript_message(person.case_id, t + 6, "customer", f"chat-{n}")
    async with repo.batch() as batch:
        await batch.keep_chat_texts([(person.case_id, f"m-{n}", f"live-{n}")])
        # a wrap-up note kept under transcript retention
        await batch.keep_notes([Note(f"n-{n}", person.case_id, "agent-1", "Alva", "wrap_up",
                                     f"note-{n}", t + 8)])
    async with db.transaction() as conn:
        await conn.execute(sa.insert(outbox).values(
            id=f"delivery-{n}", kind="pos.item_unlocked", target="http://pos.invalid/hook",
            payload={"case_id": person.case_id, "session_id": person.session, "sku": f"sku-{n}"},
            case_id=person.case_id, created_at=t + 8, status="delivered", attempts=1,
            next_attempt_at=t + 8))
        await conn.execute(sa.insert(purchases).values(
            order_id=f"order-{n}", session_id=person.session, store="s1", amount_minor=12900,
            currency="SEK", at=t + 100, received_at=t + 100))
        await conn.execute(sa.insert(session_exposures).values(
            session_id=person.session, store="s1", variant="B", at=t - 10))
        await conn.execute(sa.insert(session_progress).values(
            session_id=person.session, step="payment", store="s1", at=t + 90))
    operations = PrivacyOperations(db, ManualClock(t + 5))
    await operations.access_log.record("agent", "agent-1", "case_opened", case_id=person.case_id,
                                       reason="offer_accepted")
    await operations.access_log.record("agent", "agent-1", "age_check_approved",
                                       case_id=person.case_id)


async def every_stored_value(db: Database, skip: frozenset[str] = frozenset()) -> str:
    """Every value of every column of every table, as one text to search in."""
    parts: list[str] = []
    async with db.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in (await conn.execute(sa.select(table))).mappings():
                for column in table.columns:
                    parts.append(json.dumps(row[column.name], default=str, ensure_ascii=False))
    return "\n".join(parts)


async def assert_only_bo_is_left(db: Database) -> None:
    stored = await every_stored_value(db)
    left_of_anna = sorted(marker for marker in ANNA.markers if marker in stored)
    assert left_of_anna == []
    missing_of_bo = sorted(marker for marker in BO.markers if marker not in stored)
    assert missing_of_bo == []


SELECTORS = {
    "case id": Selector(case_id=ANNA.case_id),
    "shop session id": Selector(session_id=ANNA.session),
    "kiosk id and time window": Selector(kiosk_id=KIOSK, since=ANNA.created_at - 60,
                                         until=ANNA.created_at + 3600),
    "visitor id": Selector(visitor_id=ANNA.session),
    "callback phone number": Selector(phone=ANNA.phone),
}


@pytest.mark.parametrize("selector", SELECTORS.values(), ids=SELECTORS.keys())
async def test_erasing_one_person_leaves_nothing_of_theirs_and_the_other_untouched(
    db: Database, make_case: Callable[..., Case], selector: Selector,
) -> None:
    await seed(db, make_case, ANNA)
    await seed(db, make_case, BO)
    operations = PrivacyOperations(db, ManualClock(2_000_000.0))

    erased = await operations.erase(selector, Actor("operator"), "ticket 4711")

    assert erased.changed["cases"] == 1
    assert erased.changed["callback_requests"] == 1
    assert erased.changed["purchases"] == 1
    await assert_only_bo_is_left(db)
    bo = await CaseRepository(db).get(BO.case_id)
    assert bo is not None and bo["kiosk_id"] == KIOSK and bo["feedback_text"] == "feedback-bo"


async def test_an_erased_case_keeps_what_the_kpis_need(
    db: Database, make_case: Callable[..., Case],
) -> None:
    await seed(db, make_case, ANNA)
    await PrivacyOperations(db, ManualClock(2_000_000.0)).erase(
        Selector(case_id=ANNA.case_id), Actor("operator"))

    row = await CaseRepository(db).get(ANNA.case_id)
    assert row is not None
    kept = {key: row[key] for key in ("queue", "label", "resolved", "rating", "state",
                                      "created_at", "closed_at", "agent_name")}
    assert kept == {"queue": "general", "label": "betalningsfråga", "resolved": True, "rating": 4,
                    "state": "closed", "created_at": ANNA.created_at,
                    "closed_at": ANNA.created_at + 70, "agent_name": "Alva"}
    assert row["context"] == {} and row["feedback_text"] is None
    assert row["anonymised_at"] == 2_000_000.0
    states = [e["to_state"] for e in await CaseRepository(db).events(ANNA.case_id)]
    assert [s for s in states if s] == ["created", "queued", "offered", "active", "wrap_up",
                                        "closed"]
    async with db.connect() as conn:
        bought = (await conn.execute(sa.select(purchases))).mappings().one()
        exposure = (await conn.execute(sa.select(session_exposures))).mappings().one()
    # the purchase still joins the case and the exposure: one pseudonym for one session
    assert bought["session_id"] == row["session_id"] == exposure["session_id"]
    assert bought["amount_minor"] == 12900 and exposure["variant"] == "B"


async def test_erasing_twice_changes_nothing_the_second_time(
    db: Database, make_case: Callable[..., Case],
) -> None:
    await seed(db, make_case, ANNA)
    operations = PrivacyOperations(db, ManualClock(2_000_000.0))
    first = await operations.erase(Selector(session_id=ANNA.session), Actor("operator"))
    stored = await every_stored_value(db, skip=frozenset({"access_log"}))

    again = await operations.erase(Selector(session_id=ANNA.session), Actor("operator"))
    by_case = await operations.erase(Selector(case_id=ANNA.case_id), Actor("operator"))

    assert first.changed and again.changed == {} and by_case.changed == {}
    assert await every_stored_value(db, skip=frozenset({"access_log"})) == stored


async def test_an_erasure_is_in_the_access_log_without_the_erased_values(
    db: Database, make_case: Callable[..., Case],
) -> None:
    await seed(db, make_case, ANNA)
    operations = PrivacyOperations(db, ManualClock(2_000_000.0))
    await operations.erase(Selector(phone=ANNA.phone), Actor("supervisor", "admin-1"), "ticket 4711")

    newest = (await operations.access_log.rows(limit=1))[0]
    assert {k: newest[k] for k in ("at", "actor_kind", "actor_id", "action", "reason")} == {
        "at": 2_000_000.0, "actor_kind": "supervisor", "actor_id": "admin-1", "action": "erase",
        "reason": "ticket 4711"}
    assert newest["detail"]["selector"] == "phone"
    assert newest["detail"]["changed"]["cases"] == 1
    assert ANNA.phone not in json.dumps(newest)


async def test_the_command_line_refuses_live_cases_unless_the_server_is_stopped(
    db: Database, make_case: Callable[..., Case],
) -> None:
    repo = CaseRepository(db)
    live = make_case("case-live", session_id="sess-live", created_at=5000.0)
    live.transition(CaseState.QUEUED, 5001.0, queue="general")
    await repo.save(live)
    operations = PrivacyOperations(db, ManualClock(6000.0))  # no engine: the command line

    with pytest.raises(LiveCasesRunning):
        await operations.erase(Selector(session_id="sess-live"), Actor("operator"))
    erased = await operations.erase(Selector(session_id="sess-live"), Actor("operator"),
                                    server_stopped=True)

    assert erased.ended == ["case-live"]
    row = await repo.get("case-live")
    assert row is not None and row["state"] == "closed" and row["session_id"] != "sess-live"
    last = (await repo.events("case-live"))[-1]
    assert last["detail"] == {"by": "system", "reason": "erasure_requested"}


async def test_the_export_holds_everything_stored_about_the_person_and_nothing_else(
    db: Database, make_case: Callable[..., Case],
) -> None:
    await seed(db, make_case, ANNA)
    await seed(db, make_case, BO)

    document = await export(db, Selector(session_id=ANNA.session))

    text = json.dumps(document, ensure_ascii=False)
    assert sorted(m for m in ANNA.markers if m not in text) == []
    assert sorted(m for m in BO.markers if m in text) == []
    assert [c["id"] for c in document["cases"]] == [ANNA.case_id]
    assert document["purchases"] == [{
        "order_id": "order-anna", "session_id": ANNA.session, "store": "s1", "amount": 129.0,
        "currency": "SEK", "at": ANNA.created_at + 100, "received_at": ANNA.created_at + 100}]
    assert [r["action"] for r in document["access_log"]] == ["case_opened", "age_check_approved"]
    assert {name for name, rows in document.items() if isinstance(rows, list) and rows} == {
        "cases", "case_events", "callback_requests", "transcript_messages", "live_chat_text",
        "case_notes", "outbox", "purchases", "session_exposures", "session_progress", "access_log"}


async def test_an_export_round_trips_through_json_and_is_recorded(
    db: Database, make_case: Callable[..., Case],
) -> None:
    await seed(db, make_case, ANNA)
    operations = PrivacyOperations(db, ManualClock(2_000_000.0))

    document = await operations.export(Selector(phone=ANNA.phone), Actor("operator"), "art. 15")

    assert json.loads(json.dumps(document)) == document
    assert document["format"] == 1 and document["exported_at"] == 2_000_000.0
    assert document["selector"] == {"selector": "phone"}
    assert document["callback_requests"][0]["contact"] == ANNA.phone
    newest = (await operations.access_log.rows(limit=1))[0]
    assert (newest["action"], newest["actor_kind"], newest["reason"]) == ("export", "operator",
                                                                         "art. 15")
    assert newest["detail"] == {"selector": "phone", "cases": 1}


@pytest.mark.parametrize("arguments", [
    {}, {"case_id": "a", "session_id": "b"}, {"session_id": "s", "since": 1.0},
    {"kiosk_id": "k", "since": 5.0, "until": 5.0},
])
def test_a_selector_names_exactly_one_person(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Selector(**arguments)
