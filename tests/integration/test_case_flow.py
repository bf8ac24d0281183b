"""The whole life of one case, over real sockets, as the shop widget and the agent console see it."""

from __future__ import annotations

from typing import Any

from tests.support.live import LiveServer

from .helpers import PAYMENT_CONTEXT, agent, connect, context, customer, ok, press_help

CHAT = [
    ("agent", "Hej! Jag ser din korg (142,50 kr). Hur kan jag hjälpa?"),
    ("customer", "Kortet nekas vid betalningen"),
    ("agent", "Ett ögonblick, jag kollar det åt dig."),
    ("customer", "Tack, nu gick det!"),
]


async def run_whole_case(server: LiveServer) -> tuple[str, str, dict[str, Any]]:
    """Help → queue → offer → chat → reload → wrap-up → close → feedback. Returns ids and the sent context."""
    lisa = await agent(server, "lisa", "Lisa", skills=("payments",), languages=("sv",))
    ctx = context(PAYMENT_CONTEXT)

    # the customer presses Help at the checkout, in the payment step
    shopper = await customer(server)
    helped = await press_help(shopper, ctx)
    case_id = helped["case_id"]
    assert helped["case"]["queue"] == "payment-experts"
    assert helped["case"]["language"] == "sv"
    status = await shopper.wait_for("queue_status", lambda s: s["case_id"] == case_id)
    assert status["queue"] == "payment-experts"
    assert status["queue_title"] == {"sv": "Betalexperter", "en": "Payment experts"}
    assert status["position"] == 1
    assert isinstance(status["eta_seconds"], int) and status["eta_seconds"] > 0
    assert status["promise_seconds"] == 60

    # the payments agent is offered the case, with a summary, and accepts
    offer = await lisa.client.wait_for("offer", lambda o: o["case_id"] == case_id)
    assert offer["queue"] == "payment-experts"
    assert offer["summary"]["rule"] == "payment-step"
    assert offer["summary"]["payment_step"] == "payment"
    assert offer["summary"]["cart_total"] == round(2 * 17.95 + 6 * 17.77, 2)
    accepted = ok(await lisa.call("offer_accept", {"case_id": case_id}))
    assert accepted["case"]["state"] == "active"
    assigned = await lisa.client.wait_for("case_assigned", lambda c: c["case_id"] == case_id)
    assert assigned["context"]["network"] == "4g"
    assert assigned["context"]["battery"] == 37
    assert assigned["context"]["cart"]["lines"] == ctx["cart"]["lines"]
    joined = await shopper.wait_for("agent_joined", lambda e: e["case_id"] == case_id)
    assert joined == {"case_id": case_id, "agent_name": "Lisa", "first_channel": "chat"}

    # chat both ways, with typing and delivery receipts
    ok(await lisa.call("typing", {"case_id": case_id, "active": True}))
    typing = await shopper.wait_for("typing", lambda t: t["sender"] == "agent")
    assert typing == {"case_id": case_id, "sender": "agent", "active": True}
    greeting = ok(await lisa.call("chat_send", {"case_id": case_id, "text": CHAT[0][1],
                                                "client_id": "a-1"}))["message"]
    shown = await shopper.wait_for("chat_message", lambda m: m["id"] == greeting["id"])
    assert shown["sender"] == "agent" and shown["text"] == CHAT[0][1]
    ok(await shopper.call("chat_received", {"message_id": greeting["id"]}))
    receipt = await lisa.client.wait_for("chat_delivered", lambda d: d["message_id"] == greeting["id"])
    assert receipt == {"case_id": case_id, "message_id": greeting["id"], "client_id": "a-1"}

    ok(await shopper.call("typing", {"active": True}))
    typing = await lisa.client.wait_for("typing", lambda t: t["sender"] == "customer")
    assert typing == {"case_id": case_id, "sender": "customer", "active": True}
    question = ok(await shopper.call("chat_send", {"text": CHAT[1][1], "client_id": "c-1"}))["message"]
    seen = await lisa.client.wait_for("chat_message", lambda m: m["id"] == question["id"])
    assert seen["sender"] == "customer" and seen["text"] == CHAT[1][1]
    ok(await lisa.call("chat_received", {"case_id": case_id, "message_id": question["id"]}))
    receipt = await shopper.wait_for("chat_delivered", lambda d: d["message_id"] == question["id"])
    assert receipt == {"case_id": case_id, "message_id": question["id"], "client_id": "c-1"}

    # the customer reloads the page: a new socket resumes the same case with its messages
    await shopper.close()
    await lisa.client.wait_for("customer_connection", lambda e: e["connected"] is False)
    shopper = await customer(server)
    resumed = ok(await shopper.call("resume", {"case_token": helped["case_token"]}))
    assert resumed["case_id"] == case_id
    assert resumed["case"]["state"] == "active"
    assert resumed["case"]["agent_name"] == "Lisa"
    assert [(m["sender"], m["text"]) for m in resumed["case"]["messages"]] == CHAT[:2]
    await lisa.client.wait_for("customer_connection", lambda e: e["connected"] is True)

    reply = ok(await lisa.call("chat_send", {"case_id": case_id, "text": CHAT[2][1]}))["message"]
    await shopper.wait_for("chat_message", lambda m: m["id"] == reply["id"])
    thanks = ok(await shopper.call("chat_send", {"text": CHAT[3][1]}))["message"]
    await lisa.client.wait_for("chat_message", lambda m: m["id"] == thanks["id"])

    # the agent ends the conversation, the customer is asked for feedback, the agent closes
    ok(await lisa.call("conversation_end", {"case_id": case_id}))
    wrap_up = await shopper.wait_for("wrap_up")
    assert wrap_up == {"case_id": case_id, "feedback_seconds": 10}
    ok(await lisa.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                      "resolved": True}))
    assert await shopper.wait_for("case_closed") == {"case_id": case_id, "resolved": True}
    assert await lisa.client.wait_for("case_closed") == {"case_id": case_id}
    ok(await shopper.call("feedback", {"rating": 4, "text": "Snabb och trevlig hjälp"}))

    await shopper.close()
    await lisa.client.close()
    await server.flush()
    return case_id, lisa.id, ctx


async def test_a_case_goes_from_help_press_to_feedback_and_is_stored_without_chat_text(
    server: LiveServer,
) -> None:
    case_id, agent_id, ctx = await run_whole_case(server)

    row = await server.services.cases.get(case_id)
    assert row is not None
    assert row["state"] == "closed"
    assert row["queue"] == "payment-experts"
    assert row["rule"] == "payment-step"
    assert row["skills"] == ["payments"]
    assert row["priority"] == 10
    assert row["store"] == "ica-maxi-lund" and row["channel"] == "app"
    assert row["language"] == "sv" and row["first_channel"] == "chat"
    assert row["agent_id"] == agent_id and row["agent_name"] == "Lisa"
    assert row["label"] == "betalningsfråga"
    assert row["resolved"] is True
    assert row["rating"] == 4
    assert row["feedback_text"] == "Snabb och trevlig hjälp"
    assert row["customer_dropped"] is False and row["overflowed"] is False
    assert row["session_id"] == "sess-42"
    # the context snapshot: exactly what the widget sent
    assert {key: row["context"][key] for key in ctx} == ctx
    assert row["closed_at"] is not None and row["closed_at"] >= row["created_at"]

    events = await server.services.cases.events(case_id)
    transitions = [e for e in events if e["kind"] == "transition"]
    assert [e["to_state"] for e in transitions] == [
        "created", "queued", "offered", "active", "wrap_up", "closed"
    ]
    assert [e["from_state"] for e in transitions] == [
        None, "created", "queued", "offered", "active", "wrap_up"
    ]
    times = [e["at"] for e in events]
    assert times == sorted(times)
    assert transitions[0]["at"] == row["created_at"]
    assert transitions[-1]["at"] == row["closed_at"]
    assert transitions[-1]["detail"] == {"label": "betalningsfråga", "resolved": True}
    assert transitions[3]["detail"] == {"agent_id": agent_id, "agent_name": "Lisa"}
    assert transitions[0]["at"] < transitions[3]["at"] < transitions[-1]["at"]
    assert [e["seq"] for e in events] == list(range(len(events)))
    feedback = [e for e in events if e["kind"] == "feedback"]
    assert [e["detail"] for e in feedback] == [{"rating": 4}]

    # privacy by default: no chat text anywhere in the database
    assert await server.services.cases.transcript(case_id) == []
    assert not any(text in repr(row) or text in repr(events) for _, text in CHAT)


async def test_with_transcript_retention_the_chat_text_is_stored_in_order(
    server_factory: Any,
) -> None:
    async with server_factory(storage__transcript_retention=True) as server:
        case_id, _, _ = await run_whole_case(server)
        transcript = await server.services.cases.transcript(case_id)
    assert [(line["sender"], line["text"]) for line in transcript] == CHAT


async def test_a_reloaded_page_with_two_tabs_keeps_one_case(server: LiveServer) -> None:
    lisa = await agent(server, "lisa", "Lisa")
    first = await customer(server)
    helped = await press_help(first)
    second = await connect(server.url, "/customer")
    resumed = ok(await second.call("resume", {"case_token": helped["case_token"]}))
    assert resumed["case_id"] == helped["case_id"]
    await lisa.accept_next_offer()
    # both tabs of the customer see the agent join
    for tab in (first, second):
        await tab.wait_for("agent_joined", lambda e: e["case_id"] == helped["case_id"])
