"""Admin over HTTP (docs/protocol.md "Admin"): only the admin role, every value checked like the
settings file (422 invalid_setting naming the field, at each limit and one past it), every change
in the audit log, and live at once: the console, the dispatcher and the widget see it."""

from __future__ import annotations

from typing import Any

import aiohttp

from server.store.audit import AuditLog
from tests.integration.helpers import (
    active_case,
    agent,
    agent_session,
    context,
    customer,
    ok,
    press_help,
    refused_connection,
)
from tests.support.live import LiveServer

AGENTS = "/api/admin/agents"
SETTINGS = "/api/admin/settings"
AUDIT = "/api/admin/audit-log"
WEEK_CLOSED = {day: "closed" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ALWAYS_OPEN = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def call(server: LiveServer, method: str, path: str, token: str | None,
               body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(
        method, f"{server.url}{path}", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def admin_token(server: LiveServer, username: str = "ada") -> str:
    await server.create_agent(username, "Ada", roles=("admin",))
    return await server.login(username)


async def audit(server: LiveServer) -> list[dict[str, Any]]:
    return await AuditLog(server.services.database).rows(limit=100)


def invalid(status: int, body: Any, field: str) -> None:
    assert status == 422, body
    assert body["error"]["code"] == "invalid_setting", body
    assert body["error"]["field"] == field, body
    assert body["error"]["message"]


async def test_every_admin_endpoint_needs_the_admin_role(server: LiveServer) -> None:
    await server.create_agent("lisa", "Lisa", roles=("supervisor",))
    supervisor = await server.login("lisa")
    endpoints = [("GET", AGENTS, None), ("POST", AGENTS, {}), ("PATCH", f"{AGENTS}/x", {}),
                 ("POST", f"{AGENTS}/x/password", {}), ("GET", SETTINGS, None),
                 ("PUT", "/api/admin/quick-replies", {}), ("PUT", "/api/admin/labels", {}),
                 ("PUT", "/api/admin/opening-hours/lund", {}),
                 ("DELETE", "/api/admin/opening-hours/lund", None),
                 ("PUT", "/api/admin/queues/general", {}), ("GET", AUDIT, None)]
    for method, path, body in endpoints:
        status, answer = await call(server, method, path, None, body)
        assert (status, answer["error"]["code"]) == (401, "invalid_token"), (method, path)
        status, answer = await call(server, method, path, supervisor, body)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), (method, path)
    assert await audit(server) == []


async def test_an_admin_creates_an_agent_who_signs_in_at_once_and_it_is_audited(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    status, body = await call(server, "POST", AGENTS, token, {
        "username": "omar", "display_name": "Omar", "password": "secret-pass",
        "roles": ["supervisor"], "skills": ["payments"], "languages": ["sv", "en"],
        "max_concurrent": 2})
    assert status == 201, body
    created = body["agent"]
    assert created["username"] == "omar" and created["max_concurrent"] == 2
    assert "password" not in created and "password_hash" not in created
    omar = await agent_session(server, created["id"], await server.login("omar", "secret-pass"))
    assert omar.hello["agent"]["skills"] == ["payments"]
    status, listed = await call(server, "GET", AGENTS, token)
    assert [a["username"] for a in listed["agents"]] == ["ada", "omar"]
    status, body = await call(server, "POST", AGENTS, token, {
        "username": "omar", "display_name": "Omar 2", "password": "secret-pass"})
    assert (status, body["error"]["code"]) == (409, "agent_exists")
    [row] = await audit(server)
    assert (row["action"], row["target"], row["actor_username"]) == ("agent_created",
                                                                    created["id"], "ada")
    assert row["after"]["password"] == "set" and "secret-pass" not in str(row)


async def test_agent_values_are_checked_at_their_limits(server: LiveServer) -> None:
    token = await admin_token(server)
    base = {"username": "omar", "display_name": "Omar", "password": "12345678"}
    status, body = await call(server, "POST", AGENTS, token, {**base, "password": "1234567"})
    invalid(status, body, "password")
    status, body = await call(server, "POST", AGENTS, token, {**base, "roles": ["owner"]})
    invalid(status, body, "roles.0")
    status, body = await call(server, "POST", AGENTS, token, {**base, "languages": ["de"]})
    invalid(status, body, "languages.0")
    status, body = await call(server, "POST", AGENTS, token, {**base, "max_concurrent": 21})
    invalid(status, body, "max_concurrent")
    status, body = await call(server, "POST", AGENTS, token, {**base, "max_concurrent": 0})
    invalid(status, body, "max_concurrent")
    status, body = await call(server, "POST", AGENTS, token, {**base, "max_concurrent": 20})
    assert status == 201, body
    status, body = await call(server, "PATCH", f"{AGENTS}/nobody", token, {"max_concurrent": 2})
    assert (status, body["error"]["code"]) == (404, "agent_not_found")


async def test_a_new_capacity_applies_to_the_next_offer(server: LiveServer) -> None:
    token = await admin_token(server)
    omar = await agent(server, "omar", "Omar", max_concurrent=1)
    await active_case(server, omar)
    waiting = await customer(server)
    second = await press_help(waiting, context())
    status, body = await call(server, "PATCH", f"{AGENTS}/{omar.id}", token, {"max_concurrent": 2})
    assert status == 200 and body["agent"]["max_concurrent"] == 2, body
    offer = await omar.client.wait_for("offer", lambda o: o["case_id"] == second["case_id"])
    assert offer["case_id"] == second["case_id"]
    [row] = await audit(server)
    assert (row["action"], row["before"], row["after"]) == (
        "agent_changed", {"max_concurrent": 1}, {"max_concurrent": 2})


async def test_a_disabled_agent_is_signed_out_with_agent_disabled_and_cannot_sign_in(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    omar = await agent(server, "omar", "Omar")
    status, body = await call(server, "PATCH", f"{AGENTS}/{omar.id}", token, {"disabled": True})
    assert status == 200 and body["agent"]["disabled"] is True
    ended = await omar.client.wait_for("token_expired")
    assert ended["code"] == "agent_disabled"
    status, body = await call(server, "POST", "/api/agent/login", None,
                              {"username": "omar", "password": "password123"})
    assert (status, body["error"]["code"]) == (403, "agent_disabled")
    error = await refused_connection(server.url, "/agent", {"token": omar.token})
    assert error["code"] == "token_revoked"
    status, body = await call(server, "PATCH", f"{AGENTS}/{omar.id}", token, {"disabled": False})
    assert body["agent"]["disabled"] is False
    await server.login("omar")
    assert [r["action"] for r in await audit(server)] == ["agent_enabled", "agent_disabled"]


async def test_an_admin_cannot_lock_themselves_out(server: LiveServer) -> None:
    token = await admin_token(server)
    me = (await call(server, "GET", AGENTS, token))[1]["agents"][0]["id"]
    for change in ({"disabled": True}, {"roles": ["supervisor"]}):
        status, body = await call(server, "PATCH", f"{AGENTS}/{me}", token, change)
        assert (status, body["error"]["code"]) == (409, "own_admin_access")


async def test_a_password_reset_signs_out_the_agent_and_the_new_one_works(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    omar = await agent(server, "omar", "Omar")
    status, body = await call(server, "POST", f"{AGENTS}/{omar.id}/password", token,
                              {"password": "new-password"})
    assert (status, body) == (200, {"password_reset": True})
    assert (await omar.client.wait_for("token_expired"))["code"] == "token_revoked"
    await server.login("omar", "new-password")
    [row] = await audit(server)
    assert row["action"] == "password_reset" and row["after"] == {"password": "changed"}
    assert "new-password" not in str(row)


async def test_a_new_quick_reply_is_in_the_next_console_hello_and_can_be_sent(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    status, current = await call(server, "GET", SETTINGS, token)
    replies = current["quick_replies"]
    added = {"id": "opening", "sv": "Vi har öppet till 22.", "en": "We are open until 10 pm."}
    status, body = await call(server, "PUT", "/api/admin/quick-replies", token,
                              {"quick_replies": [*replies, added]})
    assert status == 200, body
    omar = await agent(server, "omar", "Omar")
    assert added in omar.hello["quick_replies"]
    _, case_id, _ = await active_case(server, omar)
    sent = ok(await omar.call("chat_send", {"case_id": case_id, "quick_reply": "opening"}))
    assert sent["message"]["text"] == "Vi har öppet till 22."
    [row] = await audit(server)
    assert row["action"] == "quick_replies_changed" and row["after"][-1] == added


async def test_quick_replies_are_checked_at_their_limits(server_factory: Any) -> None:
    async with server_factory(admin={"max_quick_replies": 2}, limits__max_chat_chars=10) as server:
        token = await admin_token(server)
        path = "/api/admin/quick-replies"
        reply = {"id": "a", "sv": "x" * 10, "en": "y"}
        status, body = await call(server, "PUT", path, token, {"quick_replies": [
            reply, {**reply, "id": "b"}]})
        assert status == 200, body
        status, body = await call(server, "PUT", path, token, {"quick_replies": [
            reply, {**reply, "id": "b"}, {**reply, "id": "c"}]})
        invalid(status, body, "quick_replies")
        status, body = await call(server, "PUT", path, token,
                                  {"quick_replies": [{**reply, "sv": "x" * 11}]})
        invalid(status, body, "quick_replies.0.sv")
        status, body = await call(server, "PUT", path, token,
                                  {"quick_replies": [reply, reply]})
        invalid(status, body, "quick_replies.1.id")
        status, body = await call(server, "PUT", path, token,
                                  {"quick_replies": [{"id": "Bad Id", "sv": "x", "en": "y"}]})
        invalid(status, body, "quick_replies.0.id")
        assert len(await audit(server)) == 1


async def test_a_new_label_closes_the_next_case_and_both_languages_reach_the_console(
    server_factory: Any,
) -> None:
    async with server_factory(admin={"max_label_chars": 12, "max_labels": 2}) as server:
        token = await admin_token(server)
        labels = [{"id": "kassa", "sv": "kassa", "en": "till"},
                  {"id": "x" * 12, "sv": "lång", "en": "long"}]
        status, body = await call(server, "PUT", "/api/admin/labels", token, {"labels": labels})
        assert status == 200, body
        status, body = await call(server, "PUT", "/api/admin/labels", token, {"labels": [
            *labels, {"id": "tre", "sv": "tre", "en": "three"}]})
        invalid(status, body, "labels")
        status, body = await call(server, "PUT", "/api/admin/labels", token, {"labels": [
            {"id": "x" * 13, "sv": "a", "en": "b"}]})
        invalid(status, body, "labels.0.id")
        status, body = await call(server, "PUT", "/api/admin/labels", token, {"labels": []})
        invalid(status, body, "labels")
        omar = await agent(server, "omar", "Omar")
        assert omar.hello["labels"] == ["kassa", "x" * 12]
        assert omar.hello["label_names"] == labels
        _, case_id, _ = await active_case(server, omar)
        ok(await omar.call("conversation_end", {"case_id": case_id}))
        ok(await omar.call("case_close", {"case_id": case_id, "label": "kassa", "resolved": True}))


async def test_a_stores_opening_hours_change_the_widgets_promise_at_once(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    await agent(server, "omar", "Omar")

    async def status_of(store: str) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(
            f"{server.url}/api/widget/status", params={"store": store, "channel": "web"}
        ) as response:
            return dict(await response.json())

    assert (await status_of("lund"))["promise"] == "promise"
    status, body = await call(server, "PUT", "/api/admin/opening-hours/lund", token,
                              {"opening_hours": WEEK_CLOSED, "timezone": "Europe/Stockholm"})
    assert status == 200, body
    closed = await status_of("lund")
    assert (closed["promise"], closed["reason"]) == ("callback", "outside_opening_hours")
    assert (await status_of("malmo"))["promise"] == "promise"
    status, body = await call(server, "PUT", "/api/admin/opening-hours/lund", token,
                              {"opening_hours": {"mon": "25:00-26:00"}})
    invalid(status, body, "opening_hours")
    status, body = await call(server, "PUT", "/api/admin/opening-hours/lund", token,
                              {"opening_hours": ALWAYS_OPEN, "timezone": "Mars/Olympus"})
    invalid(status, body, "timezone")
    status, body = await call(server, "DELETE", "/api/admin/opening-hours/lund", token)
    assert status == 200
    assert (await status_of("lund"))["promise"] == "promise"
    assert [r["action"] for r in await audit(server)] == ["opening_hours_changed"] * 2


async def test_a_queues_new_fallback_is_used_by_the_next_overflow_and_bad_ones_are_refused(
    server: LiveServer,
) -> None:
    token = await admin_token(server)
    status, current = await call(server, "GET", SETTINGS, token)
    general = current["queues"]["general"]
    assert general["fallback"] == "oncall"
    status, body = await call(server, "PUT", "/api/admin/queues/general", token,
                              {**general, "fallback": "nowhere"})
    invalid(status, body, "queues.general.fallback")
    status, body = await call(server, "PUT", "/api/admin/queues/weekend", token, {
        "title_sv": "Helg", "title_en": "Weekend", "skills": ["weekend"]})
    assert status == 200, body
    status, body = await call(server, "PUT", "/api/admin/queues/general", token,
                              {**general, "fallback": "weekend"})
    assert status == 200, body
    assert server.services.engine.rules.fallback_chain("general") == ["weekend"]
    weekend = await agent(server, "wera", "Wera", skills=("weekend",))
    client = await customer(server)
    ack = await press_help(client, context())
    offer = await weekend.client.wait_for("offer", lambda o: o["case_id"] == ack["case_id"],
                                          timeout=10)
    assert offer["case_id"] == ack["case_id"]
    actions = [r["action"] for r in await audit(server)]
    assert actions == ["queue_changed", "queue_created"]


async def test_the_audit_log_pages_newest_first_within_its_limit(server: LiveServer) -> None:
    token = await admin_token(server)
    for name in ("a", "b", "c"):
        await call(server, "PUT", f"/api/admin/queues/q{name}", token,
                   {"title_sv": name, "title_en": name})
    status, body = await call(server, "GET", f"{AUDIT}?limit=2", token)
    assert [r["target"] for r in body["rows"]] == ["qc", "qb"]
    status, more = await call(server, "GET", f"{AUDIT}?limit=2&before_id={body['rows'][-1]['id']}",
                              token)
    assert [r["target"] for r in more["rows"]] == ["qa"]
    status, body = await call(server, "GET", f"{AUDIT}?limit=500", token)
    assert status == 200
    status, body = await call(server, "GET", f"{AUDIT}?limit=501", token)
    invalid(status, body, "limit")


async def test_changes_outlive_a_restart_and_the_settings_file_only_seeds_the_first_start(
    tmp_path: Any,
) -> None:
    from tests.support.live import live_server

    first_file = [{"id": "hej", "sv": "Hej!", "en": "Hi!"}]
    async with live_server(tmp_path, quick_replies=first_file, labels=["kassa"]) as server:
        token = await admin_token(server)
        _, current = await call(server, "GET", SETTINGS, token)
        assert current["quick_replies"] == first_file
        assert current["labels"] == [{"id": "kassa", "sv": "kassa", "en": "kassa"}]
        changed = [{"id": "tjena", "sv": "Tjena!", "en": "Hey!"}]
        await call(server, "PUT", "/api/admin/quick-replies", token, {"quick_replies": changed})
        await call(server, "PUT", "/api/admin/opening-hours/lund", token,
                   {"opening_hours": WEEK_CLOSED})
    later_file = [{"id": "other", "sv": "Annat", "en": "Other"}]
    async with live_server(tmp_path, quick_replies=later_file) as server:
        token = await server.login("ada")
        _, current = await call(server, "GET", SETTINGS, token)
        assert current["quick_replies"] == changed
        assert current["store_hours"]["lund"]["opening_hours"] == WEEK_CLOSED
        assert [q.id for q in server.services.live.quick_replies] == ["tjena"]
