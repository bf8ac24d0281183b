"""Privacy requests over HTTP and the access log of every path that opens or decides on a case."""

from __future__ import annotations

from typing import Any

import aiohttp

from server.store.privacy import access_rows
from tests.integration.helpers import active_case, agent, agent_session, context, ok
from tests.integration.test_webhook_outbox import CART, SKU
from tests.support.live import LiveServer, connect

ERASE = "/api/admin/privacy/erase"
EXPORT = "/api/admin/privacy/export"
ACCESS_LOG = "/api/admin/access-log"


async def admin_token(server: LiveServer) -> str:
    await server.create_agent("boss", "Boss", roles=("supervisor",))
    return await server.login("boss")


async def post(server: LiveServer, path: str, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.post(
        f"{server.url}{path}", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def get(server: LiveServer, path: str, token: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(
        f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def test_the_admin_endpoints_need_a_token_with_the_supervisor_role(server: LiveServer) -> None:
    await server.create_agent("omar", "Omar")
    agent_token = await server.login("omar")
    for path in (ERASE, EXPORT):
        status, body = await post(server, path, {"case_id": "c"}, None)
        assert (status, body["error"]["code"]) == (401, "not_authenticated")
        status, body = await post(server, path, {"case_id": "c"}, "forged")
        assert (status, body["error"]["code"]) == (401, "invalid_token")
        status, body = await post(server, path, {"case_id": "c"}, agent_token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await get(server, ACCESS_LOG, agent_token)
    assert (status, body["error"]["code"]) == (403, "forbidden")


async def test_a_request_names_exactly_one_person(server: LiveServer) -> None:
    token = await admin_token(server)
    status, body = await post(server, ERASE, {"case_id": "a", "phone": "+46"}, token)
    assert (status, body["error"]["code"]) == (400, "invalid_selector")
    status, body = await post(server, EXPORT, {"case_id": "a", "ssn": "x"}, token)
    assert (status, body["error"]["code"]) == (400, "invalid_payload")
    status, body = await get(server, f"{ACCESS_LOG}?limit=501", token)
    assert (status, body["error"]["code"]) == (400, "invalid_payload")


async def test_erasing_a_live_case_over_http_ends_it_first_with_the_reason(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    lisa = await agent(server, "lisa", "Lisa")
    client, case_id, _ = await active_case(server, lisa, context(session_id="sess-http"))
    status, exported = await post(server, EXPORT, {"session_id": "sess-http"}, token)
    assert status == 200 and [c["id"] for c in exported["cases"]] == [case_id]
    assert exported["cases"][0]["session_id"] == "sess-http"

    status, erased = await post(server, ERASE, {"session_id": "sess-http", "reason": "ticket 7"},
                                token)

    assert status == 200 and erased["ended_cases"] == 1 and erased["changed"]["cases"] == 1
    closed = await client.wait_for("case_closed")
    assert closed["case_id"] == case_id
    await lisa.client.wait_for("case_closed", lambda e: e["case_id"] == case_id)
    row = await server.services.cases.get(case_id)
    assert row is not None and row["state"] == "closed" and row["session_id"] != "sess-http"
    assert (await server.services.cases.events(case_id))[-1]["detail"] == {
        "by": "system", "reason": "erasure_requested"}
    assert case_id not in server.services.engine.cases
    status, again = await post(server, ERASE, {"session_id": "sess-http"}, token)
    assert status == 200 and again == {"ended_cases": 0, "changed": {}}
    status, after = await post(server, EXPORT, {"session_id": "sess-http"}, token)
    assert status == 200 and after["cases"] == [] and after["purchases"] == []
    await client.close()
    await lisa.client.close()


async def test_every_access_path_writes_an_access_row(server: LiveServer) -> None:
    token = await admin_token(server)
    watcher = await connect(server.url, "/supervisor", {"token": token})
    await watcher.wait_for("supervisor_state")
    lisa = await agent(server, "lisa", "Lisa")
    customer, case_id, _ = await active_case(server, lisa, CART)
    for outcome in ("approved", "denied"):
        grant_id = ok(await customer.call("age_check_request", {"sku": SKU}))["grant"]["grant_id"]
        await customer.wait_for("consent_prompt", lambda p, g=grant_id: p["grant_id"] == g)
        ok(await customer.call("consent_answer", {"grant_id": grant_id, "approve": True}))
        await lisa.client.wait_for("consent_state", lambda p, g=grant_id: p["grant_id"] == g
                                   and p["state"] == "granted")
        decision: dict[str, Any] = {"case_id": case_id, "grant_id": grant_id, "outcome": outcome}
        if outcome == "denied":
            decision["reason"] = "no_id_shown"
        ok(await lisa.call("age_check_decision", decision))
    again = await agent_session(server, lisa.id, lisa.token)  # a second console: the case again
    assert (await post(server, EXPORT, {"case_id": case_id, "reason": "art. 15"}, token))[0] == 200
    assert (await post(server, ERASE, {"case_id": case_id}, token))[0] == 200
    status, body = await get(server, f"{ACCESS_LOG}?case_id={case_id}", token)
    assert status == 200

    boss = (await server.services.agents.by_username("boss"))
    assert boss is not None
    rows = await access_rows(server.services.database, limit=50)
    seen = [(r["action"], r["actor_kind"], r["actor_id"], r["case_id"], r["reason"])
            for r in reversed(rows)]
    assert seen == [
        ("supervisor_view_opened", "supervisor", boss.id, None, None),
        ("case_opened", "agent", lisa.id, case_id, "offer_accepted"),
        ("age_check_approved", "agent", lisa.id, case_id, None),
        ("age_check_denied", "agent", lisa.id, case_id, "no_id_shown"),
        ("case_opened", "agent", lisa.id, case_id, "resumed"),
        ("export", "supervisor", boss.id, case_id, "art. 15"),
        ("erase", "supervisor", boss.id, case_id, None),
        ("access_log_read", "supervisor", boss.id, case_id, None),
    ]
    assert [r["action"] for r in body["rows"]] == [
        "erase", "export", "case_opened", "age_check_denied", "age_check_approved", "case_opened"]
    for client in (watcher, customer, lisa.client, again.client):
        await client.close()


async def test_the_access_log_answers_up_to_its_row_limit_and_refuses_one_more(
    server_factory: Any,
) -> None:
    async with server_factory(limits__max_access_log_rows=3) as server:
        token = await admin_token(server)
        status, _ = await get(server, f"{ACCESS_LOG}?limit=3", token)
        assert status == 200
        status, body = await get(server, f"{ACCESS_LOG}?limit=4", token)
        assert (status, body["error"]["code"]) == (400, "invalid_payload")
        assert "limits.max_access_log_rows" in body["error"]["message"]
