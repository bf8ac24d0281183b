"""Media events at the edges: limits, roles, ICE servers for clients, the aioice adaptation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import aioice
import pytest

from media_tests.calls import AGENT_NS, ok, open_case
from server.media import aioice_compat
from server.media.ice import IceConfig, turn_rest_credentials
from tests.support.live import LiveServer, connect


def refused(ack: dict, code: str) -> dict:  # type: ignore[type-arg]
    assert ack.get("ok") is False and ack["error"]["code"] == code, ack
    return ack["error"]  # type: ignore[no-any-return]


def test_turn_rest_credentials_match_coturn_use_auth_secret() -> None:
    username, password = turn_rest_credentials("north-secret", "agent-7", 3600, 1_800_000_000.4)
    assert username == "1800003600:agent-7"
    expected = base64.b64encode(
        hmac.new(b"north-secret", b"1800003600:agent-7", hashlib.sha1).digest()).decode()
    assert password == expected == "mdeEHmDSj2xyyJMQvij4SXajUAk="
    config = IceConfig(stun_urls=("stun:turn.example.test:3478",),
                       turn_urls=("turn:turn.example.test:3478?transport=udp",),
                       turn_secret="north-secret", turn_ttl_seconds=3600)
    assert config.for_client("agent-7", 1_800_000_000.4) == [
        {"urls": ["stun:turn.example.test:3478"]},
        {"urls": ["turn:turn.example.test:3478?transport=udp"], "username": username,
         "credential": password},
    ]
    assert IceConfig().for_server(0) == []  # never aiortc's public STUN default


async def test_clients_get_ice_servers_with_fresh_turn_credentials(media_server: object) -> None:
    settings = {"media__ice_stun_urls": ["stun:turn.example.test:3478"],
                "media__ice_turn_urls": ["turn:turn.example.test:3478"],
                "media__ice_turn_secret": "north-secret", "media__ice_turn_ttl_seconds": 600}
    async with media_server(**settings) as server:  # type: ignore[operator]
        call = await open_case(server, "lisa")
        try:
            token = await server.login("lisa")
            second = await connect(server.url, AGENT_NS, auth={"token": token})
            hello = ok(await second.call("agent_hello", {}))
            await second.close()
            stun, turn = hello["ice_servers"]
            assert stun == {"urls": ["stun:turn.example.test:3478"]}
            expiry, user = turn["username"].split(":", 1)
            assert user == call.agent_id and abs(int(expiry) - (time.time() + 600)) < 5
            digest = hmac.new(b"north-secret", turn["username"].encode(), hashlib.sha1).digest()
            assert turn["credential"] == base64.b64encode(digest).decode()

            config = ok(await call.customer.call("media_config", {}))
            assert config["ice_servers"][1]["username"].endswith(f":case-{call.case_id}")
            ok(await call.agent.call("media_propose", {"case_id": call.case_id,
                                                       "channel": "video"}))
            proposed = await call.customer.wait_for("media_proposed")
            assert len(proposed["ice_servers"]) == 2
        finally:
            await call.close()


async def test_media_events_are_checked(media_server: object) -> None:
    async with media_server(media__max_sdp_bytes=20000) as server:  # type: ignore[operator]
        call = await open_case(server, "lisa")
        try:
            # no call agreed yet: an offer is refused by the policy, not by the size limit
            big = "v=0\r\n" + "a=x-padding:" + "p" * 18000 + "\r\n"
            refused(await call.customer.call("media_offer", {"sdp": big, "type": "offer"}),
                    "media_not_allowed")
            refused(await call.customer.call("media_offer", {"sdp": big * 2, "type": "offer"}),
                    "invalid_payload")  # over max_sdp_bytes
            refused(await call.customer.call("media_offer", {"sdp": big * 3, "type": "offer"}),
                    "payload_too_large")  # over max_sdp_bytes + max_event_bytes: not even parsed
            refused(await call.customer.call("media_offer", {"sdp": "v=0", "type": "answer"}),
                    "invalid_payload")
            refused(await call.customer.call("media_candidate", {"candidate": "c" * 2000}),
                    "invalid_payload")
            refused(await call.customer.call("media_request", {"channel": "video"}),
                    "media_not_allowed")
            refused(await call.customer.call("media_accept", {}), "no_media_proposal")
            refused(await call.customer.call("media_hangup", {}), "invalid_media_transition")
            refused(await call.agent.call("media_propose", {"case_id": "someone-else",
                                                            "channel": "voice"}),
                    "case_not_found")
            await call.agree("voice")
            refused(await call.customer.call("media_offer", {"sdp": "not sdp", "type": "offer"}),
                    "media_not_allowed")
            ok(await call.customer.call("media_mute", {"audio": False}))
            muted = await call.agent.wait_for("media_muted")
            assert muted == {"case_id": call.case_id, "by": "customer", "audio": False,
                             "video": None}
        finally:
            await call.close()


async def test_other_agents_cannot_touch_the_call(server: LiveServer) -> None:
    call = await open_case(server, "lisa")
    other = await open_case(server, "omar")
    try:
        refused(await other.agent.call("media_propose", {"case_id": call.case_id,
                                                         "channel": "video"}), "not_your_case")
    finally:
        await call.close()
        await other.close()


def test_aioice_internals_are_as_expected() -> None:
    """Fails loudly when an aiortc/aioice upgrade breaks server/media/aioice_compat.py."""
    aioice_compat.check()
    aioice_compat.install()
    assert aioice_compat.installed()


@pytest.mark.parametrize("chosen", [["127.0.0.1"], None])
async def test_host_addresses_choose_the_candidates(chosen: list[str] | None) -> None:
    connection = aioice.Connection(ice_controlling=True, components=1)
    try:
        with aioice_compat.host_addresses(chosen):
            await connection.gather_candidates()
        hosts = {c.host for c in connection.local_candidates}
        if chosen:
            assert hosts == {"127.0.0.1"}
        else:
            assert "127.0.0.1" not in hosts  # aioice's own choice leaves loopback out
    finally:
        await connection.close()
