"""A phone's browser stops running the shop's tab mid-chat: the agent sees the customer offline
within seconds, and the woken tab takes the case back by itself.

The page's scripts are stopped through the DevTools protocol (Debugger.pause: the next script to
run, the handler of the server's next ping, stops there), so the widget's socket.io-client answers
no ping while the browser's network stack keeps the TCP connection open, as with a frozen or
hung tab. The heartbeat settings are the shipped defaults, which the widget adopted from the
Engine.IO handshake.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Browser, expect

from server.settings.dispatch import DispatchSettings
from server.settings.network import NetworkSettings
from tests.support.widget import (
    DIALOG,
    HELP_BUTTON,
    MOBILE,
    STATUS,
    fill_seed_cart,
    open_page,
    signed_in_agent,
)

DEFAULTS: dict[str, Any] = {
    "network__ping_interval_seconds": NetworkSettings().ping_interval_seconds,
    "network__ping_timeout_seconds": NetworkSettings().ping_timeout_seconds,
    "dispatch__customer_grace_seconds": DispatchSettings().customer_grace_seconds,
    "dispatch__tick_seconds": DispatchSettings().tick_seconds,
}
BOUND_SECONDS = 10.0


async def test_a_frozen_tab_is_shown_offline_within_ten_seconds_and_resumes_when_woken(
    server_factory: Any, browser: Browser
) -> None:
    async with server_factory(**DEFAULTS) as server, \
            signed_in_agent(server, skills=("payments",), presence="available") as agent:
        page = await open_page(browser, server.url + "/", viewport=MOBILE)
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        case_id = (await agent.accept_offer())["case_id"]
        await agent.say(case_id, quick_reply="greeting_cart")
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")

        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Debugger.enable")
        await cdp.send("Debugger.pause")  # the page's next script (the next ping's handler) stops
        frozen_at = time.monotonic()
        offline = await agent.client.wait_for(
            "customer_connection", lambda e: e["connected"] is False, timeout=20)
        noticed = time.monotonic() - frozen_at
        print(f"\nfrozen tab shown offline to the agent after {noticed:.2f} s"
              f" (bound {BOUND_SECONDS:.0f} s)")
        assert offline == {"case_id": case_id, "connected": False}
        assert noticed <= BOUND_SECONDS

        await cdp.send("Debugger.resume")
        online = await agent.client.wait_for(
            "customer_connection", lambda e: e["connected"] is True, timeout=15)
        assert online == {"case_id": case_id, "connected": True}
        await agent.say(case_id, "Är du kvar?")
        await expect(page.locator(f"{DIALOG} .hw-msg-agent p").last).to_have_text("Är du kvar?")
        assert "customer_left" not in agent.client.received
