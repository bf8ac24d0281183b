"""The supervisor view's server side over loopback: the live case list and its alerts, a case's
timeline from the stored history, the refusal path of /supervisor, the weekly report page."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import aiohttp
import pytest

from server.insights.report_page import MAX_TOKEN_CHARS, REPORT_CSP
from tests.integration.helpers import (
    active_case,
    agent,
    customer,
    ok,
    press_help,
    refused,
    refused_with_event,
)
from tests.support.live import Client, LiveServer, connect

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def supervisor(server: LiveServer, username: str = "boss") -> tuple[Client, str]:
    agent_id = await server.create_agent(username, "Boss", roles=("supervisor",))
    watcher = await connect(server.url, "/supervisor", {"token": await server.login(username)})
    await watcher.wait_for("supervisor_state")
    return watcher, agent_id


async def call_with_nothing(client: Client, event: str) -> object:
    """Call `event` with no payload argument at all."""
    return await client.sio.call(event, (), namespace=client.namespace, timeout=5)


async def access_rows(server: LiveServer, action: str) -> list[dict[str, object]]:
    rows = await server.services.privacy.access_log.rows(limit=500)
    return [row for row in rows if row["action"] == action]


async def test_the_state_lists_each_open_case_with_its_wait_and_queue(
    server_factory: Factory,
) -> None:
    async with server_factory(supervisor_refresh_seconds=30) as server:
        watcher, _ = await supervisor(server)
        lisa = await agent(server, "lisa", "Lisa", available=False)  # online, away: it waits
        shopper = await customer(server)
        case = await press_help(shopper)
        state = await watcher.wait_for("supervisor_state", lambda s: len(s["cases"]) == 1)
        row = state["cases"][0]
        assert row["id"] == case["case_id"]
        assert row["number"] == case["case_id"].replace("-", "")[:6].upper()
        assert row["queue"] == "general" and row["queue_title"]["sv"]
        assert row["state"] in ("queued", "offered") and row["over_promise"] is False
        assert row["waited_seconds"] >= 0 and row["agent_name"] is None
        assert state["promise_seconds"] == 60
        assert state["states"] == ["created", "queued", "offered", "active", "wrap_up"]
        assert state["report"]["period"].startswith("20")
        # nobody is ready for the waiting case: the queue's alert, no over-promise alert yet
        assert state["alerts"] == [{"kind": "no_agent", "queue": "general",
                                    "queue_title": row["queue_title"], "waiting": 1}]
        assert {q["name"]: q["agents_ready"] for q in state["queues"]}["general"] == 0
        await shopper.close()
        await lisa.client.close()
        await watcher.close()


async def test_a_wait_past_the_promise_is_pushed_at_the_deadline_without_a_refresh(
    server_factory: Factory,
) -> None:
    # the refresh is 30 s away: only the deadline wake-up can bring the alert within the wait
    async with server_factory(supervisor_refresh_seconds=30, dispatch__promise_seconds=1.0) as server:
        watcher, _ = await supervisor(server)
        lisa = await agent(server, "lisa", "Lisa", available=False)
        shopper = await customer(server)
        case = await press_help(shopper)
        state = await watcher.wait_for(
            "supervisor_state", lambda s: any(a["kind"] == "over_promise" for a in s["alerts"]),
            timeout=3)
        alert = next(a for a in state["alerts"] if a["kind"] == "over_promise")
        assert alert["case_id"] == case["case_id"] and alert["waited_seconds"] > 1.0
        assert state["cases"][0]["over_promise"] is True
        await shopper.close()
        await lisa.client.close()
        await watcher.close()


async def test_a_queue_with_an_available_agent_raises_no_alert(server_factory: Factory) -> None:
    async with server_factory(supervisor_refresh_seconds=30) as server:
        watcher, _ = await supervisor(server)
        lisa = await agent(server, "lisa", "Lisa", max_concurrent=2)
        shopper, case_id, _ = await active_case(server, lisa)
        state = await watcher.wait_for(
            "supervisor_state", lambda s: [c["state"] for c in s["cases"]] == ["active"])
        assert state["alerts"] == []
        assert state["cases"][0]["agent_name"] == "Lisa"
        assert state["cases"][0]["waited_seconds"] is None
        await shopper.close()
        await lisa.client.close()
        await watcher.close()


async def test_the_timeline_comes_from_the_stored_history_without_chat_text(
    server: LiveServer,
) -> None:
    watcher, boss_id = await supervisor(server)
    lisa = await agent(server, "lisa", "Lisa")
    shopper, case_id, _ = await active_case(server, lisa)
    ok(await shopper.call("chat_send", {"text": "hemligt meddelande"}))
    ok(await lisa.call("chat_send", {"case_id": case_id, "text": "svar till kunden"}))
    ok(await lisa.call("conversation_end", {"case_id": case_id}))
    ok(await lisa.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                      "resolved": True}))
    answer = ok(await watcher.call("case_timeline", {"case_id": case_id}))
    types = [entry["type"] for entry in answer["timeline"]]
    assert types[:4] == ["opened", "queued", "offered", "answered"]
    assert types.count("chat_line") == 2 and types[-2:] == ["wrap_up", "closed"]
    assert answer["timeline"][3]["detail"] == {"agent_id": lisa.id, "agent_name": "Lisa"}
    assert answer["timeline"][-1]["detail"]["label"] == "betalningsfråga"
    assert answer["timeline"][-1]["to_state"] == "closed"
    assert answer["case"]["state"] == "closed" and answer["case"]["resolved"] is True
    assert answer["case"]["agent_name"] == "Lisa" and answer["transcript"] is None
    text = json.dumps(answer, ensure_ascii=False)
    assert "hemligt" not in text and "svar till" not in text
    assert "context" not in text and "cart" not in text
    [row] = await access_rows(server, "case_timeline_viewed")
    assert row["actor_kind"] == "supervisor" and row["actor_id"] == boss_id
    assert row["case_id"] == case_id and row["detail"] == {"transcript": False}
    # the same view reading the timeline again (it follows the case) is one reading; another is not
    ok(await watcher.call("case_timeline", {"case_id": case_id}))
    assert len(await access_rows(server, "case_timeline_viewed")) == 1
    other, _ = await supervisor(server, "deputy")
    ok(await other.call("case_timeline", {"case_id": case_id}))
    assert len(await access_rows(server, "case_timeline_viewed")) == 2
    await other.close()
    await shopper.close()
    await lisa.client.close()
    await watcher.close()


async def test_the_timeline_carries_the_transcript_only_when_transcripts_are_kept(
    server_factory: Factory,
) -> None:
    async with server_factory(storage__transcript_retention=True) as server:
        watcher, _ = await supervisor(server)
        lisa = await agent(server, "lisa", "Lisa")
        shopper, case_id, _ = await active_case(server, lisa)
        ok(await shopper.call("chat_send", {"text": "var är min kvitto?"}))
        answer = ok(await watcher.call("case_timeline", {"case_id": case_id}))
        assert [line["text"] for line in answer["transcript"]] == ["var är min kvitto?"]
        [row] = await access_rows(server, "case_timeline_viewed")
        assert row["detail"] == {"transcript": True}
        await shopper.close()
        await lisa.client.close()
        await watcher.close()


async def test_a_timeline_request_is_checked_like_every_other_event(server: LiveServer) -> None:
    watcher, _ = await supervisor(server)
    refused(await watcher.call("case_timeline", {"case_id": "no-such-case"}), "case_not_found")
    refused(await watcher.call("case_timeline", {"case_id": 7}), "invalid_payload")
    refused(await watcher.call("case_timeline", {"case_id": "x" * 65}), "invalid_payload")
    refused(await watcher.call("case_timeline", {"case_id": "x", "more": 1}), "invalid_payload")
    refused(await watcher.call("supervisor_state", {}), "unknown_event")
    assert await access_rows(server, "case_timeline_viewed") == []
    await watcher.close()


@pytest.mark.parametrize("name", ["connect", "disconnect", "connect_error", "disconnecting",
                                  "newListener", "removeListener"])
async def test_reserved_event_names_on_supervisor_are_refused_and_run_nothing(
    server: LiveServer, name: str,
) -> None:
    watcher, _ = await supervisor(server)
    error = await refused_with_event(watcher, name, {"x": 1}, "unknown_event")
    assert error["event"] == name and name in error["message"]
    refused(await call_with_nothing(watcher, name), "unknown_event")
    # still watching: a change is pushed to it
    lisa = await agent(server, "lisa", "Lisa", available=False)
    shopper = await customer(server)
    await press_help(shopper)
    await watcher.wait_for("supervisor_state", lambda s: s["waiting"] == 1)
    await shopper.close()
    await lisa.client.close()
    await watcher.close()


async def post_report(server: LiveServer, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.post(
            f"{server.url}/supervisor/report", data=data) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_the_weekly_report_page_is_in_swedish_and_in_english(server: LiveServer) -> None:
    await server.create_agent("boss", "Boss", roles=("supervisor",))
    token = await server.login("boss")
    status, page, headers = await post_report(server, {"token": token, "lang": "sv"})
    assert status == 200 and '<html lang="sv">' in page
    assert "Helpwire veckorapport" in page and "Mot målen" in page
    assert headers["Content-Security-Policy"] == REPORT_CSP
    assert headers["Cache-Control"] == "no-store"
    status, page, _ = await post_report(server, {"token": token, "lang": "en"})
    assert status == 200 and '<html lang="en">' in page
    assert "Helpwire weekly report" in page and "Against the targets" in page
    # anything but en is Swedish, the default
    status, page, _ = await post_report(server, {"token": token, "lang": "de"})
    assert '<html lang="sv">' in page
    rows = await access_rows(server, "weekly_report_read")
    assert len(rows) == 3 and all(row["reason"] == rows[0]["reason"] for row in rows)


async def test_the_weekly_report_page_needs_a_supervisors_token(server: LiveServer) -> None:
    await server.create_agent("omar", "Omar")

    async def refused_with(data: dict[str, str], status: int, code: str) -> None:
        got, page, headers = await post_report(server, data)
        assert got == status, page
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(page)["error"]["code"] == code

    await refused_with({"lang": "en"}, 401, "not_authenticated")
    await refused_with({"token": "forged", "lang": "sv"}, 401, "invalid_token")
    await refused_with({"token": await server.login("omar")}, 403, "forbidden")
    # a token at the length limit is read (and refused as forged); one past it is not read
    await refused_with({"token": "x" * MAX_TOKEN_CHARS}, 401, "invalid_token")
    await refused_with({"token": "x" * (MAX_TOKEN_CHARS + 1)}, 401, "not_authenticated")
    assert await access_rows(server, "weekly_report_read") == []
