"""Cases: the row mirrors the Case, events are appended exactly once, carts expire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.core.case import Case, CaseState
from server.core.history import CustomerDropped, FeedbackReceived, Marked, Overflowed
from server.store import CaseRepository, Database
from server.store import cases as cases_module

MakeCase = Callable[..., Case]


async def test_a_case_saved_twice_with_new_events_stores_each_event_once_in_order(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case()
    case.transition(CaseState.QUEUED, at=1001.0)
    await repo.save(case)
    await repo.save(case)  # nothing new: nothing added
    case.transition(CaseState.OFFERED, at=1002.0, agent_id="a-1")
    case.apply(Overflowed(1003.0, from_queue="general", to_queue="fallback"))
    await repo.save(case)

    events = await repo.events(case.id)
    assert [e["seq"] for e in events] == [0, 1, 2, 3]
    assert [(e["kind"], e["from_state"], e["to_state"], e["at"]) for e in events] == [
        ("transition", None, "created", 1000.0),
        ("transition", "created", "queued", 1001.0),
        ("transition", "queued", "offered", 1002.0),
        ("overflow", None, None, 1003.0),
    ]
    assert [(e["type"], e["version"]) for e in events] == [
        ("opened", 1), ("queued", 1), ("offered", 1), ("overflow", 1)]
    assert events[2]["detail"] == {"agent_id": "a-1"}
    assert events[3]["detail"] == {"from_queue": "general", "to_queue": "fallback"}


async def test_the_stored_row_matches_the_case_after_a_full_lifecycle(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case(
        "life-1",
        kiosk_id="k-7",
        session_id="sess-9",
        rule="payment_problems",
        skills=frozenset({"payments", "swedish"}),
        priority=2,
    )
    await repo.save(case)
    case.transition(CaseState.QUEUED, at=1001.0)
    await repo.save(case)
    case.transition(CaseState.OFFERED, at=1004.0, agent_id="agent-1")
    case.transition(CaseState.ACTIVE, at=1006.5, agent_id="agent-1", agent_name="Alva")
    await repo.save(case)
    case.transition(CaseState.WRAP_UP, at=1100.0)
    case.transition(CaseState.CLOSED, at=1120.0, label="betalningsfråga", resolved=True)
    case.apply(FeedbackReceived(1120.0, rating=5))
    case.feedback_text = "Snabb hjälp!"
    await repo.save(case)

    row = await repo.get("life-1")
    assert row == {
        "id": "life-1",
        "store": "s1",
        "channel": "app",
        "kiosk_id": "k-7",
        "session_id": "sess-9",
        "context": case.context,
        "queue": "general",
        "rule": "payment_problems",
        "skills": ["payments", "swedish"],
        "language": "sv",
        "first_channel": "chat",
        "priority": 2,
        "state": "closed",
        "agent_id": "agent-1",
        "agent_name": "Alva",
        "label": "betalningsfråga",
        "resolved": True,
        "rating": 5,
        "feedback_text": "Snabb hjälp!",
        "customer_dropped": False,
        "overflowed": False,
        "created_at": 1000.0,
        "updated_at": 1120.0,
        "closed_at": 1120.0,
        "anonymised_at": None,
        "host_node": None,  # one process: no host recorded
    }
    states = [e["to_state"] for e in await repo.events("life-1") if e["kind"] == "transition"]
    assert states == ["created", "queued", "offered", "active", "wrap_up", "closed"]


async def test_an_open_case_has_no_closed_at_and_an_abandoned_one_does(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case()
    case.transition(CaseState.QUEUED, at=1001.0)
    await repo.save(case)
    row = await repo.get(case.id)
    assert row is not None and row["closed_at"] is None and row["resolved"] is None

    case.apply(CustomerDropped(1030.0))
    case.transition(CaseState.ABANDONED, at=1031.0)
    await repo.save(case)
    row = await repo.get(case.id)
    assert row is not None
    assert (row["state"], row["closed_at"], row["customer_dropped"]) == ("abandoned", 1031.0, True)


async def test_concurrent_saves_of_one_case_store_each_event_exactly_once(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    case = make_case()
    saves = []
    for i in range(20):
        case.apply(Marked(1001.0 + i, mark=str(i)))
        saves.append(repo.save(case))
    await asyncio.gather(*saves)

    events = await repo.events(case.id)
    assert [e["seq"] for e in events] == list(range(21))
    assert [int(e["detail"]["mark"]) for e in events[1:]] == list(range(20))


async def test_concurrent_saves_of_many_cases_all_succeed(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)

    async def lifecycle(i: int) -> None:
        case = make_case(f"c-{i:03}", created_at=1000.0 + i)
        await repo.save(case)
        case.transition(CaseState.QUEUED, at=1000.5 + i)
        await repo.save(case)

    await asyncio.gather(*(lifecycle(i) for i in range(40)))
    rows = await repo.list_cases()
    assert [r["id"] for r in rows] == [f"c-{i:03}" for i in range(40)]
    assert {r["state"] for r in rows} == {"queued"}


async def test_get_and_events_of_an_unknown_case_are_empty(db: Database) -> None:
    repo = CaseRepository(db)
    assert await repo.get("nope") is None
    assert await repo.events("nope") == []
    assert await repo.get_callback("nope") is None
    assert await repo.transcript("nope") == []


async def test_list_cases_returns_cases_created_in_the_half_open_window(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    for i, created in enumerate([900.0, 1000.0, 1500.0, 2000.0]):
        await repo.save(make_case(f"w-{i}", created_at=created))

    assert [r["id"] for r in await repo.list_cases()] == ["w-0", "w-1", "w-2", "w-3"]
    assert [r["id"] for r in await repo.list_cases(since=1000.0)] == ["w-1", "w-2", "w-3"]
    assert [r["id"] for r in await repo.list_cases(until=2000.0)] == ["w-0", "w-1", "w-2"]
    assert [r["id"] for r in await repo.list_cases(1000.0, 2000.0)] == ["w-1", "w-2"]


async def test_the_cart_snapshot_is_purged_at_its_expiry_and_not_before(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    cart = {"lines": [{"sku": "A1", "qty": 2, "price": 49.9}], "total": 99.8}
    for case_id, expires in [("cb-1", 1300.0), ("cb-2", 1400.0)]:
        case = make_case(case_id)
        case.transition(CaseState.CALLBACK_REQUESTED, at=1000.0)
        await repo.save(case)
        await repo.save_callback(case_id, 1000.0, "no_agent", "+46700000000", cart, expires)

    assert await repo.purge_expired_carts(now=1299.0) == 0
    first = await repo.get_callback("cb-1")
    assert first is not None and first["cart_snapshot"] == cart

    assert await repo.purge_expired_carts(now=1300.0) == 1  # at the limit
    first = await repo.get_callback("cb-1")
    assert first is not None and first["cart_snapshot"] is None
    assert (first["reason"], first["contact"], first["requested_at"]) == (
        "no_agent",
        "+46700000000",
        1000.0,
    )
    second = await repo.get_callback("cb-2")
    assert second is not None and second["cart_snapshot"] == cart

    assert await repo.purge_expired_carts(now=1301.0) == 0  # one past: nothing left to drop
    assert await repo.purge_expired_carts(now=1401.0) == 1
    second = await repo.get_callback("cb-2")
    assert second is not None and second["cart_snapshot"] is None


async def test_a_callback_without_a_cart_is_not_counted_as_purged(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    await repo.save(make_case("cb-0"))
    await repo.save_callback("cb-0", 1000.0, "no_agent", None, None, 1300.0)
    assert await repo.purge_expired_carts(now=2000.0) == 0
    saved = await repo.get_callback("cb-0")
    assert saved is not None and saved["cart_snapshot"] is None and saved["contact"] is None


async def test_saving_a_callback_again_replaces_it(db: Database, make_case: MakeCase) -> None:
    repo = CaseRepository(db)
    await repo.save(make_case("cb-r"))
    await repo.save_callback("cb-r", 1000.0, "no_agent", None, {"lines": []}, 1300.0)
    await repo.save_callback("cb-r", 1010.0, "customer_asked", "a@b.se", {"lines": [1]}, 1310.0)
    saved = await repo.get_callback("cb-r")
    assert saved is not None
    assert (saved["reason"], saved["contact"], saved["cart_snapshot"]) == (
        "customer_asked",
        "a@b.se",
        {"lines": [1]},
    )


async def test_a_callback_for_an_unsaved_case_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await CaseRepository(db).save_callback("ghost", 1.0, "x", None, None, 2.0)


async def test_transcript_messages_come_back_in_order(db: Database, make_case: MakeCase) -> None:
    repo = CaseRepository(db)
    await repo.save(make_case("t-1"))
    await repo.add_transcript_message("t-1", 1010.0, "customer", "Hej, kortet nekas")
    await repo.add_transcript_message("t-1", 1012.0, "agent", "Ett ögonblick")
    messages = await repo.transcript("t-1")
    assert [(m["at"], m["sender"], m["text"]) for m in messages] == [
        (1010.0, "customer", "Hej, kortet nekas"),
        (1012.0, "agent", "Ett ögonblick"),
    ]


async def test_a_transcript_message_from_an_unknown_sender_is_refused(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    await repo.save(make_case("t-2"))
    with pytest.raises(ValueError, match="sender"):
        await repo.add_transcript_message("t-2", 1010.0, "bot", "hi")
    assert await repo.transcript("t-2") == []


# --- several cases in one transaction, remembered event counts ---------------------


def _statements(db: Database) -> list[str]:
    """Every SQL statement the database runs from now on (for the test's lifetime)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_save_many_stores_every_case_and_its_events_in_order(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    cases = [make_case(f"m-{i:03}", created_at=1000.0 + i) for i in range(300)]
    for i, case in enumerate(cases):
        for n in range(i % 4):
            case.apply(Marked(1001.0 + n, mark=str(n)))
    begins: list[object] = []

    def began(conn: Any) -> None:
        begins.append(conn)

    sa.event.listen(db.engine.sync_engine, "begin", began)
    await repo.save_many(cases)
    sa.event.remove(db.engine.sync_engine, "begin", began)

    assert len(begins) == 1
    rows = await repo.list_cases()
    assert [r["id"] for r in rows] == [c.id for c in cases]
    for i, case in enumerate(cases):
        events = await repo.events(case.id)
        assert [e["seq"] for e in events] == list(range(1 + i % 4))
        assert [int(e["detail"]["mark"]) for e in events[1:]] == list(range(i % 4))


async def test_events_appended_between_saves_are_stored_once_and_counted_only_once(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    statements = _statements(db)
    case, other = make_case("once-1"), make_case("once-2")
    await repo.save(case)
    for i in range(5):
        case.apply(Marked(1001.0 + i, mark=str(i)))
        other.apply(Marked(1001.0 + i, mark=str(i)))
        if i % 2:
            await repo.save_many([case, other, case])
        else:
            await repo.save(case)
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 2  # the first save of each case in this process, not every save

    # a new process does not know what is stored: it counts once, then appends after it
    restarted = CaseRepository(db)
    case.apply(Marked(1010.0, mark=str(5)))
    await restarted.save(case)
    await restarted.save(other)
    await restarted.save(case)
    assert len([s for s in statements if "count(" in s.lower()]) == 4

    assert [int(e["detail"]["mark"]) for e in (await repo.events(case.id))[1:]] == list(range(6))
    assert [int(e["detail"]["mark"]) for e in (await repo.events(other.id))[1:]] == list(range(5))


async def test_a_failed_save_many_stores_nothing_and_the_next_save_stores_everything(
    db: Database, make_case: MakeCase
) -> None:
    repo = CaseRepository(db)
    good = make_case("f-good")
    await repo.save(good)
    good.apply(Marked(1001.0, mark=str(0)))
    broken = make_case("f-broken", store=None)  # violates NOT NULL
    with pytest.raises(IntegrityError):
        await repo.save_many([good, broken])
    assert await repo.get("f-broken") is None
    assert len(await repo.events(good.id)) == 1

    good.apply(Marked(1002.0, mark=str(1)))
    await repo.save(good)
    assert [e["seq"] for e in await repo.events(good.id)] == [0, 1, 2]


async def test_a_case_forgotten_by_the_bounded_memory_is_counted_again(
    db: Database, make_case: MakeCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases_module, "REMEMBERED_CASES", 2)
    repo = CaseRepository(db)
    statements = _statements(db)
    first, second, third = make_case("lru-1"), make_case("lru-2"), make_case("lru-3")
    await repo.save_many([first, second, third])  # one count; remembers the last two saved
    for case in (first, second, third):
        case.apply(Marked(1001.0, mark=str(0)))
        await repo.save(case)  # three cases round-robin over a memory of two: all counted again
    assert len([s for s in statements if "count(" in s.lower()]) == 4
    third.apply(Marked(1002.0, mark=str(1)))
    await repo.save(third)  # saved last: still remembered
    assert len([s for s in statements if "count(" in s.lower()]) == 4
    for case in (first, second):
        assert [e["seq"] for e in await repo.events(case.id)] == [0, 1]
    assert [e["seq"] for e in await repo.events(third.id)] == [0, 1, 2]


async def test_a_case_s_host_is_written_when_it_is_created_and_changed_only_by_a_claim(
    db: Database, make_case: MakeCase
) -> None:
    node_a, node_b = CaseRepository(db), CaseRepository(db)
    node_a.host, node_b.host = "node-a", "node-b"
    case = make_case("hosted-1")
    case.transition(CaseState.QUEUED, at=1001.0)
    await node_a.save(case)
    case.transition(CaseState.OFFERED, at=1002.0, agent_id="agent-1")
    await node_a.save(case)  # an update of the row keeps its host
    assert (await node_a.get("hosted-1") or {})["host_node"] == "node-a"
    assert [c.id for c in (await node_b.live_cases(host="node-b"))[0]] == []
    assert [c.id for c in (await node_a.live_cases(host="node-a"))[0]] == ["hosted-1"]

    assert await node_b.claim("node-b", "node-a") == ["hosted-1"]
    assert await node_b.claim("node-b", "node-a") == []  # claimed once
    assert (await node_b.get("hosted-1") or {})["host_node"] == "node-b"
    assert await node_a.hosted_elsewhere(["hosted-1"], "node-a") == {"hosted-1"}
    async with node_a.batch() as batch:  # the old host's writes of it are fenced
        assert await batch.fence(["hosted-1"]) == {"hosted-1"}
    async with node_b.batch() as batch:
        assert await batch.fence(["hosted-1"]) == set()
