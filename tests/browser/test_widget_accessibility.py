"""axe-core audits of the customer pages: no serious or critical violations, overlay open or not."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    HELP_BUTTON,
    MOBILE,
    POSITION,
    STATUS,
    fill_seed_cart,
    open_page,
    serious_axe_violations,
    signed_in_agent,
)


async def test_the_shop_with_the_help_overlay_open_has_no_serious_axe_violations(
    server: LiveServer, browser: Browser, axe_source: str
) -> None:
    async with signed_in_agent(server, skills=("payments",)) as agent:
        page = await open_page(browser, server.url + "/")
        assert await serious_axe_violations(page, axe_source) == []
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        assert await serious_axe_violations(page, axe_source) == []

        # the chat and the wrap-up with its rating buttons
        await agent.presence("available")
        offer = await agent.accept_offer()
        await agent.say(offer["case_id"], quick_reply="greeting_cart")
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        assert await serious_axe_violations(page, axe_source) == []
        await agent.call("case_close", {"case_id": offer["case_id"], "label": "betalningsfråga",
                                        "resolved": True})
        await expect(page.get_by_role("button", name="Betyg 1 av 5: Mycket dåligt")).to_be_visible()
        assert await serious_axe_violations(page, axe_source) == []


async def test_the_english_shop_on_a_phone_with_the_overlay_open_has_no_serious_axe_violations(
    server: LiveServer, browser: Browser, axe_source: str
) -> None:
    async with signed_in_agent(server, presence="available") as agent:
        page = await open_page(browser, server.url + "/?lang=en", MOBILE)
        await agent.presence("busy")  # so the case waits in the queue
        await page.get_by_role("button", name="Help – answer within 60 sec").click()
        await expect(page.locator(POSITION)).to_have_text("You are number 1 in the queue")
        assert await serious_axe_violations(page, axe_source) == []


async def test_the_kiosk_page_has_no_serious_axe_violations_closed_or_open(
    server: LiveServer, browser: Browser, axe_source: str, artifacts: Path
) -> None:
    async with signed_in_agent(server):
        page = await open_page(browser, server.url + "/kiosk?store=kista-1&kiosk=kiosk-7",
                               {"width": 1280, "height": 1024})
        await page.click("[data-action=scan]")
        await page.click("[data-action=scan]")
        assert await serious_axe_violations(page, axe_source) == []
        await page.locator(HELP_BUTTON).click()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        assert await serious_axe_violations(page, axe_source) == []
        await page.screenshot(path=artifacts / "kiosk-widget-open-queue.png", full_page=True)
