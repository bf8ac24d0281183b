"""The agent console in Chromium behind nginx in front of two nodes: a drained node moves it.

Two server processes behind Debian's nginx with deploy/nginx/helpwire-cluster.conf
(tests/support/nginx_lb.py). An agent signs in through nginx over https; the node her console
landed on is stopped with SIGTERM while she has no case: the drain tells her console
`server_restarting` (reason draining) and closes it, and the console reconnects by itself,
through nginx, to the other node — signed in, connected, nothing to do for the agent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.integration.helpers import AGENT_NS
from tests.support.nginx_lb import cluster_behind_nginx
from tests.support.server_process import PASSWORD, AgentSpec

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.postgres,
              pytest.mark.timeout(180)]

#: the bound of every wait (a busy two-core machine), in milliseconds for Playwright
WAIT_MS = 20_000


async def test_an_idle_console_on_a_draining_node_reconnects_through_nginx_to_the_other_node(
        tmp_path: Path, browser: Browser) -> None:
    async with cluster_behind_nginx(tmp_path, agents=[AgentSpec("lisa", 3)]) as cluster:
        context = await browser.new_context(locale="sv-SE")
        try:
            page = await context.new_page()
            await page.goto(f"{cluster.url}/agent")
            await page.get_by_label("Användarnamn").fill("lisa")
            await page.get_by_label("Lösenord").fill(PASSWORD)
            await page.get_by_role("button", name="Logga in").click()
            connection = page.locator("#connection")
            await expect(connection).to_have_text("Ansluten", timeout=WAIT_MS)
            placed = await cluster.placement(AGENT_NS)
            assert sorted(placed) == [0, 1], placed
            draining = cluster.nodes[placed.index(1)]
            other = cluster.nodes[placed.index(0)]

            assert await asyncio.wait_for(draining.terminate(), WAIT_MS / 1000) == 0
            ended = [r for r in draining.log_records() if r.get("event") == "drain_ended"]
            # moved by the drain (not by the shutdown after it)
            assert [(r["outcome"], r["sockets_moved"]) for r in ended] == [("cases_ended", 1)]
            async with asyncio.timeout(WAIT_MS / 1000):
                while await cluster.sockets(other, AGENT_NS) != 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)  # another process's /metrics: nothing to await
            await expect(connection).to_have_text("Ansluten", timeout=WAIT_MS)
        finally:
            await context.close()
