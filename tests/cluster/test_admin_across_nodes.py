"""Two nodes on one database and one Redis: an admin change made on one node reaches the other
within admin.reload_seconds (server/admin/watch.py): its live settings, and its agents' sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import agent
from tests.integration.test_admin import admin_token, call
from tests.support.live import live_server
from tests.support.redis import delete_prefix, unique_prefix

pytestmark = pytest.mark.redis


async def test_a_change_on_one_node_is_live_on_the_other_and_a_disabled_agent_is_signed_out_there(
    tmp_path: Path, redis_url: str,
) -> None:
    prefix = unique_prefix("admin")
    cluster = {"redis_url": redis_url, "key_prefix": prefix}
    settings = {"cluster": cluster, "admin": {"reload_seconds": 0.1}}
    try:
        async with live_server(tmp_path, **settings) as first, \
                live_server(tmp_path, **settings) as second:
            token = await admin_token(first)
            omar = await agent(second, "omar", "Omar")
            reply = {"id": "hours", "sv": "Öppet till 22.", "en": "Open until 10 pm."}
            status, _ = await call(first, "PUT", "/api/admin/quick-replies", token,
                                   {"quick_replies": [reply]})
            assert status == 200
            status, _ = await call(first, "PATCH", f"/api/admin/agents/{omar.id}", token,
                                   {"disabled": True})
            assert status == 200
            ended = await omar.client.wait_for("token_expired", timeout=10)
            assert ended["code"] == "agent_disabled"
            assert [r.id for r in second.services.live.quick_replies] == ["hours"]
    finally:
        await delete_prefix(redis_url, prefix)
