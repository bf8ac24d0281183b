"""Transfer, internal notes, wrap-up notes and earlier cases over real sockets and a real store.

The customer hears who takes over and never a note; the receiving agent gets the note in the
offer and in the case; refusals carry their stable codes; reading earlier cases is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from server.store.privacy import access_rows
from tests.support.live import Client, LiveServer

from .helpers import (
    active_case,
    agent,
    count,
    customer,
    fresh,
    ok,
    press_help,
    refused,
    refused_with_event,
)

NOTE = "Kunden vill byta hörlurarna, kvitto finns"


def never_saw(client: Client, text: str) -> None:
    """Nothing the customer's socket received carries the text."""
    assert text not in repr(client.received), f"the customer was sent {text!r}"


async def test_a_transfer_to_a_colleague_carries_the_note_to_them_and_not_to_the_customer(
    server: LiveServer,
) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)
    omar = await agent(server, "omar", "Omar")

    targets = ok(await lisa.call("transfer_targets", {"case_id": case_id}))
    assert [(a["display_name"], a["available"]) for a in targets["agents"]] == [("Omar", True)]
    assert {q["name"] for q in targets["queues"]} >= {"general", "oncall"}

    internal = ok(await lisa.call("note_add", {"case_id": case_id, "text": "Stressad kund"}))
    assert internal["note"]["kind"] == "internal"
    ack = ok(await lisa.call("case_transfer", {"case_id": case_id, "to_agent_id": omar.id,
                                               "note": NOTE}))
    assert ack == {"ok": True, "case_id": case_id, "state": "offered", "queue": "general"}

    told = await shopper.wait_for("transferred", lambda e: e["case_id"] == case_id)
    assert told == {"case_id": case_id, "agent_name": "Omar", "queue": "general",
                    "queue_title": {"sv": "Support", "en": "Support"}}
    handed = await lisa.client.wait_for("case_transferred", lambda e: e["case_id"] == case_id)
    assert handed["to_agent_name"] == "Omar"
    offer = await omar.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    assert offer["transfer"]["note"] == NOTE
    assert offer["transfer"]["from_agent_name"] == "Lisa"

    accepted = ok(await omar.call("offer_accept", {"case_id": case_id}))["case"]
    assert [(n["kind"], n["text"]) for n in accepted["notes"]] == [
        ("internal", "Stressad kund"), ("transfer", NOTE)]
    joined = await shopper.wait_for("agent_joined", lambda e: e["agent_name"] == "Omar")
    assert joined["case_id"] == case_id
    # Lisa no longer has it; Omar chats with the customer
    refused(await lisa.call("chat_send", {"case_id": case_id, "text": "hej"}), "not_your_case")
    reply = ok(await omar.call("chat_send", {"case_id": case_id, "text": "Hej, Omar här"}))
    await shopper.wait_for("chat_message", lambda m: m["id"] == reply["message"]["id"])
    never_saw(shopper, NOTE)
    never_saw(shopper, "Stressad kund")


async def test_a_transfer_to_a_queue_is_neutral_for_the_customer_and_keeps_the_place(
    server: LiveServer,
) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)
    nils = await agent(server, "nils", "Nils", skills=("oncall",), available=False)
    ok(await nils.call("presence_set", {"presence": "busy"}))
    later = await customer(server)
    await press_help(later)  # offered to Lisa meanwhile, or waiting

    ok(await lisa.call("case_transfer", {"case_id": case_id, "to_queue": "oncall",
                                         "note": NOTE}))
    told = await shopper.wait_for("transferred", lambda e: e["case_id"] == case_id)
    assert told["agent_name"] is None and told["queue"] == "oncall"
    status = await shopper.wait_for("queue_status", lambda s: s["queue"] == "oncall")
    assert status["position"] == 1

    await nils.available()
    offer = await nils.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    assert offer["transfer"]["note"] == NOTE and offer["queue"] == "oncall"
    never_saw(shopper, NOTE)


async def test_a_declined_transfer_tells_the_sender(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    _, case_id, _ = await active_case(server, lisa)
    omar = await agent(server, "omar", "Omar")
    ok(await lisa.call("case_transfer", {"case_id": case_id, "to_agent_id": omar.id}))
    await omar.client.wait_for("offer", lambda o: o["case_id"] == case_id)

    ok(await omar.call("offer_decline", {"case_id": case_id}))

    failed = await lisa.client.wait_for("transfer_failed", lambda e: e["case_id"] == case_id)
    assert failed == {"case_id": case_id, "to_agent_id": omar.id, "reason": "declined"}
    # Lisa is the only other agent: she is offered it back
    await lisa.client.wait_for("offer", lambda o: o["case_id"] == case_id)


async def test_transfer_refusals_carry_stable_codes(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    _, case_id, _ = await active_case(server, lisa)
    away = await agent(server, "omar", "Omar", available=False)

    await refused_with_event(lisa.client, "case_transfer",
                             {"case_id": case_id, "to_agent_id": away.id},
                             "transfer_target_unavailable")
    await refused_with_event(lisa.client, "case_transfer",
                             {"case_id": case_id, "to_queue": "oncall"},
                             "transfer_target_unavailable")
    await refused_with_event(lisa.client, "case_transfer",
                             {"case_id": case_id, "to_queue": "nowhere"}, "unknown_queue")
    await refused_with_event(away.client, "case_transfer",
                             {"case_id": case_id, "to_agent_id": lisa.id}, "not_your_case")
    # exactly one target, and the schema is strict
    for payload in ({"case_id": case_id}, {"case_id": case_id, "to_agent_id": away.id,
                                            "to_queue": "general"},
                    {"case_id": case_id, "to_queue": "general", "extra": 1}):
        refused(await lisa.call("case_transfer", payload), "invalid_payload")
    await refused_with_event(away.client, "note_add", {"case_id": case_id, "text": "x"},
                             "not_your_case")


async def test_a_note_is_refused_one_character_past_max_note_chars(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with server_factory(limits__max_note_chars=20) as server:
        lisa = await agent(server, "lisa", "Lisa")
        _, case_id, _ = await active_case(server, lisa)
        ok(await lisa.call("note_add", {"case_id": case_id, "text": "x" * 20}))
        error = refused(await lisa.call("note_add", {"case_id": case_id, "text": "x" * 21}),
                        "invalid_payload")
        assert "max_note_chars" in error["message"]
        refused(await lisa.call("case_close", {"case_id": case_id, "label": "tekniskt fel",
                                               "resolved": True, "note": "y" * 21}),
                "invalid_payload")
        ok(await lisa.call("case_close", {"case_id": case_id, "label": "tekniskt fel",
                                          "resolved": True, "note": "y" * 20}))


async def earlier_from_the_same_session(server: LiveServer) -> tuple[dict[str, Any], str, Any]:
    """A closed, rated case with a chat line and a wrap-up note, then a second case of the same
    shop session: its agent's earlier_cases acknowledgement."""
    lisa = await agent(server, "lisa", "Lisa")
    ctx = {"store": "ica-maxi-lund", "language": "sv", "session_id": "sess-earlier"}
    first, first_id, _ = await active_case(server, lisa, ctx)
    line = ok(await first.call("chat_send", {"text": "Var är kvittot?"}))["message"]
    await lisa.client.wait_for("chat_message", lambda m: m["id"] == line["id"])
    ok(await lisa.call("case_close", {"case_id": first_id, "label": "produkt saknas",
                                      "resolved": True, "note": "Skickade kvitto"}))
    ok(await first.call("feedback", {"rating": 5}))
    await lisa.client.wait_for("feedback", lambda f: f["case_id"] == first_id)
    _, second_id, _ = await active_case(server, lisa, ctx)
    seen = count(lisa.client, "error")
    earlier = ok(await lisa.call("earlier_cases", {"case_id": second_id}))
    assert count(lisa.client, "error") == seen
    return earlier, first_id, lisa


async def test_earlier_cases_show_label_outcome_rating_and_times_but_no_text_by_default(
    server: LiveServer,
) -> None:
    earlier, first_id, lisa = await earlier_from_the_same_session(server)

    [item] = earlier["cases"]
    assert earlier["transcript_retention"] is False
    assert (item["case_id"], item["label"], item["resolved"], item["rating"], item["state"],
            item["same"], item["agent_name"]) == (
        first_id, "produkt saknas", True, 5, "closed", "session", "Lisa")
    assert item["closed_at"] >= item["created_at"]
    assert "transcript" not in item and "notes" not in item
    assert "kvitto" not in repr(earlier).lower()
    rows = await access_rows(server.services.database, limit=5)
    viewed = [r for r in rows if r["action"] == "earlier_cases_viewed"]
    assert viewed and viewed[0]["actor_id"] == lisa.id
    assert viewed[0]["detail"] == {"cases": [first_id], "with_text": False}


async def test_earlier_cases_carry_chat_text_and_wrap_up_notes_under_transcript_retention(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with server_factory(storage__transcript_retention=True) as server:
        earlier, _, _ = await earlier_from_the_same_session(server)
        [item] = earlier["cases"]
        assert [line["text"] for line in item["transcript"]] == ["Var är kvittot?"]
        assert [n["text"] for n in item["notes"]] == ["Skickade kvitto"]


async def test_earlier_cases_are_only_for_the_cases_agent(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    _, case_id, _ = await active_case(server, lisa)
    omar = await agent(server, "omar", "Omar")
    seen = count(omar.client, "error")
    refused(await omar.call("earlier_cases", {"case_id": case_id}), "not_your_case")
    await fresh(omar.client, "error", since=seen)
