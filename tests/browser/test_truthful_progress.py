"""The widget tells the customer what has happened, no more and no less: the agent is here from the
moment they accept (not from their first line), and the ✓✓ a line earned survives a reload."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from playwright.async_api import Browser, ViewportSize, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    DESKTOP,
    DIALOG,
    HELP_BUTTON,
    MOBILE,
    STATUS,
    case_id_of,
    fill_seed_cart,
    open_page,
    signed_in_agent,
)

AGENT_LINES = f"{DIALOG} .hw-msg-agent"
MINE = f"{DIALOG} .hw-msg-customer"


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "phone"])
async def test_the_agent_is_shown_as_here_right_after_the_accept_before_any_agent_line(
    server: LiveServer, browser: Browser, viewport: ViewportSize
) -> None:
    async with signed_in_agent(server, skills=("payments",)) as agent:
        page = await open_page(browser, server.url + "/", viewport)
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        case_id = await case_id_of(page)

        await agent.presence("available")
        await agent.accept_offer()

        await expect(page.locator(STATUS)).to_have_text("Lisa är här")
        await expect(page.locator(AGENT_LINES)).to_have_count(0)  # she has not written yet
        # the customer may already ask for voice and type: the agent has the case
        await expect(page.locator(f"{DIALOG} [data-action=media-request]")).to_be_visible()
        await page.get_by_role("textbox", name="Ditt meddelande").press_sequentially("Hej")
        await agent.client.wait_for("typing", lambda d: d["case_id"] == case_id and d["active"])

        await agent.say(case_id, "Hej! Vad gäller det?")
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")


async def test_with_the_automatic_greeting_the_agent_greets_the_moment_they_join(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]], browser: Browser
) -> None:
    async with server_factory(auto_greeting=True) as server:
        async with signed_in_agent(server, skills=("payments",), presence="available") as agent:
            page = await open_page(browser, server.url + "/")
            await fill_seed_cart(page)
            await page.locator(HELP_BUTTON).click()
            case_id = await case_id_of(page)
            await agent.accept_offer()

            greeting = page.locator(f"{AGENT_LINES} p")
            await expect(greeting).to_have_text(["Hej, jag heter Lisa. Vad kan jag hjälpa dig med?"])
            await expect(page.locator(f"{AGENT_LINES} .hw-from")).to_have_text(["Lisa"])
            await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
            # a normal agent line: the customer's widget confirms it, the agent gets the ✓✓
            [line] = [m for m in server.services.engine.chats.of(case_id)]
            await agent.client.wait_for("chat_delivered", lambda d: d["message_id"] == line.id)


async def test_delivery_marks_survive_a_reload_and_shown_lines_are_not_confirmed_again(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, skills=("payments",), presence="available") as agent:
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        offer = await agent.accept_offer()
        case_id = offer["case_id"]
        hello = await agent.say(case_id, "Hej! Vad gäller det?")
        await agent.client.wait_for("chat_delivered", lambda d: d["message_id"] == hello["id"])
        box = page.get_by_role("textbox", name="Ditt meddelande")
        for text in ("Kortet nekas", "Det står fel 51"):
            await box.fill(text)
            await box.press("Enter")
            await expect(page.locator(MINE).filter(has_text=text).locator(".hw-tick")
                         ).to_have_attribute("data-status", "sent")
        first = await agent.client.wait_for("chat_message", lambda d: d["text"] == "Kortet nekas")
        await agent.call("chat_received", {"case_id": case_id, "message_id": first["id"]})
        delivered = page.locator(MINE).filter(has_text="Kortet nekas").locator(".hw-tick")
        await expect(delivered).to_have_attribute("data-status", "delivered")
        receipts = len(agent.client.received.get("chat_delivered", []))

        await page.reload()

        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        await expect(page.locator(MINE)).to_have_count(2)
        await expect(delivered).to_have_attribute("data-status", "delivered")
        await expect(delivered).to_contain_text("✓✓")
        await expect(delivered).to_contain_text("Levererat")
        pending = page.locator(MINE).filter(has_text="Det står fel 51").locator(".hw-tick")
        await expect(pending).to_have_attribute("data-status", "sent")
        await expect(pending).to_contain_text("Skickat")
        # the resumed widget is live: a new line and its receipt still go through
        await agent.say(case_id, "Prova Swish.")
        await expect(page.locator(f"{AGENT_LINES} p")).to_have_text(
            ["Hej! Vad gäller det?", "Prova Swish."])
        later = await agent.client.wait_for(
            "chat_delivered", lambda d: d["message_id"] != hello["id"])
        assert later["case_id"] == case_id
        # the greeting shown before the reload was not confirmed a second time
        confirmed = [d["message_id"] for d in agent.client.received["chat_delivered"][receipts:]]
        assert hello["id"] not in confirmed
