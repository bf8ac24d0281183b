"""The Help widget on the demo shop: a keyboard press at the payment step is answered in an overlay.

Each test drives headless Chromium against a live server; the agent is a python-socketio
client doing what the agent console does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    CONTRAST_JS,
    DEEP_ACTIVE_JS,
    DESKTOP,
    DIALOG,
    FOCUS_RING_JS,
    HELP_BUTTON,
    MOBILE,
    POSITION,
    PROMISE,
    STATUS,
    SV_BUTTON,
    SV_PROMISE,
    WIDGET_ROOT_JS,
    case_id_of,
    countdown,
    countdown_below,
    fill_seed_cart,
    open_page,
    plain,
    signed_in_agent,
    tab_to,
)

GREETING = "Hej! Jag ser din korg (142,50 kr). Hur kan jag hjälpa?"


async def test_a_keyboard_help_press_at_payment_is_answered_in_an_overlay_and_rated_after_close(
    server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    async with signed_in_agent(server, skills=("payments",)) as agent:
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await page.screenshot(path=artifacts / "widget-closed-shop-payment.png", full_page=True)
        url = page.url

        # keyboard only: Tab to the Help button and press Enter
        await tab_to(page, HELP_BUTTON)
        await page.keyboard.press("Enter")

        dialog = page.get_by_role("dialog", name="Hjälp")
        await expect(dialog).to_be_visible()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        await expect(page.locator(STATUS)).to_have_text(
            re.compile(r"^Kopplar upp dig till support… \d+ s kvar$"))
        assert page.url == url, "the overlay must never navigate"
        # focus moved into the dialog
        assert await page.evaluate(f"{WIDGET_ROOT_JS}.querySelector('{DIALOG}').contains({DEEP_ACTIVE_JS})")
        first = await countdown(page)
        await countdown_below(page, first)  # it counts down live
        await page.screenshot(path=artifacts / "widget-open-queue.png", full_page=True)
        case_id = await case_id_of(page)

        # an agent takes it and greets with the cart's amount
        await agent.presence("available")
        offer = await agent.accept_offer()
        assert offer["case_id"] == case_id
        assert offer["queue"] == "payment-experts"
        await expect(page.locator(STATUS)).to_have_text("Lisa är här")
        greeting = await agent.say(case_id, quick_reply="greeting_cart")
        agent_lines = page.locator(f"{DIALOG} .hw-msg-agent p")
        await expect(agent_lines).to_have_count(1)
        assert plain(await agent_lines.first.inner_text()) == GREETING
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        # the customer's widget confirmed it was shown: the agent gets the delivery receipt
        delivered = await agent.client.wait_for(
            "chat_delivered", lambda d: d["message_id"] == greeting["id"])
        assert delivered["case_id"] == case_id

        # the customer types (the agent sees it) and sends
        box = page.get_by_role("textbox", name="Ditt meddelande")
        await box.press_sequentially("Kortet nekas")
        await agent.client.wait_for("typing", lambda d: d["sender"] == "customer" and d["active"])
        await box.press("Enter")
        said = await agent.client.wait_for(
            "chat_message", lambda d: d["sender"] == "customer" and d["text"] == "Kortet nekas")
        mine = page.locator(f"{DIALOG} .hw-msg-customer").filter(has_text="Kortet nekas")
        await expect(mine.locator(".hw-tick")).to_have_attribute("data-status", "sent")
        await agent.call("chat_received", {"case_id": case_id, "message_id": said["id"]})
        await expect(mine.locator(".hw-tick")).to_have_attribute("data-status", "delivered")
        await expect(mine.locator(".hw-tick")).to_contain_text("Levererat")

        # the agent types and answers
        await agent.call("typing", {"case_id": case_id, "active": True})
        await expect(page.locator(f"{DIALOG} .hw-typing")).to_have_text("Lisa skriver…")
        await agent.say(case_id, "Jag ser att kortet nekades. Prova Swish.")
        await expect(agent_lines).to_have_count(2)
        await expect(agent_lines.nth(1)).to_have_text("Jag ser att kortet nekades. Prova Swish.")
        await expect(page.locator(f"{DIALOG} .hw-typing")).to_have_text("")

        # the agent closes with a label; the customer rates
        await agent.call("case_close", {"case_id": case_id, "label": "betalningsfråga",
                                        "resolved": True})
        await expect(page.locator(STATUS)).to_have_text("Klart! Skriv gärna hur det gick (10 sek).")
        ratings = dialog.get_by_role("button", name=re.compile(r"^Betyg \d av 5"))
        await expect(ratings).to_have_count(5)
        await dialog.get_by_role("button", name="Betyg 5 av 5: Mycket bra").click()
        await expect(dialog.get_by_role("button", name="Betyg 5 av 5: Mycket bra")).to_have_attribute(
            "aria-pressed", "true")
        await dialog.get_by_role("textbox", name="Kort kommentar (valfritt)").fill("Snabbt och bra")
        await dialog.get_by_role("button", name="Skicka omdöme").click()
        await expect(page.locator(STATUS)).to_have_text("Tack för hjälpen!")
        assert page.url == url

        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None
        assert row["state"] == "closed"
        assert row["queue"] == "payment-experts"
        assert row["channel"] == "web"
        assert row["label"] == "betalningsfråga"
        assert row["resolved"] is True
        assert row["rating"] == 5
        assert row["feedback_text"] == "Snabbt och bra"
        assert row["agent_name"] == "Lisa"
        context = row["context"]
        assert context["payment_step"] == "payment"
        assert context["page"] == "/checkout"
        assert context["device"] == "desktop"
        assert context["language"] == "sv"
        assert context["session_id"] and row["session_id"] == context["session_id"]
        assert [(line["sku"], line["quantity"]) for line in context["cart"]["lines"]] == [
            ("kaffe-450", 1), ("bananer-1kg", 1), ("starkol-50", 2)]
        assert [line["age_restricted"] for line in context["cart"]["lines"]] == [False, False, True]
        # the shop's state survived the whole overlay
        await dialog.get_by_role("button", name="Stäng").click()
        await expect(page.locator("[data-total]")).to_have_text(re.compile(r"142,50\s*kr"))


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-390x844"])
async def test_the_help_button_is_a_large_high_contrast_keyboard_button_fixed_bottom_right(
    server: LiveServer, browser: Browser, artifacts: Path, viewport: ViewportSize
) -> None:
    async with signed_in_agent(server, presence="available"):
        page = await open_page(browser, server.url + "/", viewport)
        button = page.get_by_role("button", name=SV_BUTTON, exact=True)
        await expect(button).to_be_visible()
        await expect(button).to_have_text("Hjälp")
        # the icon is an SVG drawn in the button's colour, not an emoji a kiosk may lack
        await expect(button.locator(".hw-icon svg")).to_have_count(1)
        assert await button.evaluate("(el) => el.tagName") == "BUTTON"
        await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
        await expect(page.locator(PROMISE)).to_be_visible()

        box = await button.bounding_box()
        assert box is not None
        assert box["width"] >= 44 and box["height"] >= 44, box
        # fixed at the bottom right, inside the viewport
        assert box["x"] + box["width"] <= viewport["width"]
        assert viewport["width"] - (box["x"] + box["width"]) <= 32, box
        assert box["y"] + box["height"] <= viewport["height"]
        assert viewport["height"] - (box["y"] + box["height"]) <= 120, box
        promise = await page.locator(PROMISE).bounding_box()
        assert promise is not None and promise["y"] >= box["y"] + box["height"], "the promise sits under"
        assert promise["x"] >= 0 and promise["x"] + promise["width"] <= viewport["width"]
        # still there after scrolling: fixed, not part of the page flow
        await page.mouse.wheel(0, 2000)
        await expect(button).to_be_in_viewport()

        contrast = await button.evaluate(CONTRAST_JS)
        assert contrast["backgroundAlpha"] == 1, contrast
        assert contrast["ratio"] >= 4.5, contrast
        promise_contrast = await page.locator(PROMISE).evaluate(CONTRAST_JS)
        assert promise_contrast["ratio"] >= 4.5, promise_contrast

        unfocused = await button.evaluate(FOCUS_RING_JS)
        assert not unfocused["focused"]
        await tab_to(page, HELP_BUTTON)
        ring = await button.evaluate(FOCUS_RING_JS)
        assert ring["focused"] and ring["focusVisible"], ring
        assert ring["outlineStyle"] != "none" and ring["outlineWidth"] >= 2, ring
        assert ring != unfocused
        name = "mobile" if viewport["width"] < 600 else "desktop"
        await page.screenshot(path=artifacts / f"widget-closed-{name}-focused.png", full_page=True)


async def test_a_reload_while_waiting_resumes_the_same_case_with_its_messages(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, skills=("payments",)):
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        case_id = await case_id_of(page)
        box = page.get_by_role("textbox", name="Ditt meddelande")
        await box.fill("Mitt kort nekas i kassan")
        await box.press("Enter")
        await expect(page.locator(f"{DIALOG} .hw-msg-customer .hw-tick")).to_have_attribute(
            "data-status", "sent")

        await page.reload()

        await expect(page.get_by_role("dialog", name="Hjälp")).to_be_visible()
        await expect(page.locator(DIALOG)).to_have_attribute("data-case-id", case_id)
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        await expect(page.locator(STATUS)).to_have_text(re.compile(r"\d+ s kvar"))
        await expect(page.locator(f"{DIALOG} .hw-msg-customer p")).to_have_text(
            ["Mitt kort nekas i kassan"])
        # the same case, not a second one
        live = [c for c in server.services.engine.live_cases()]
        assert [c.id for c in live] == [case_id]
        assert live[0].state.value == "queued"


async def test_a_reload_mid_chat_resumes_the_case_and_the_conversation_goes_on(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, skills=("payments",), presence="available") as agent:
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await page.locator(HELP_BUTTON).click()
        offer = await agent.accept_offer()
        case_id = offer["case_id"]
        await agent.say(case_id, quick_reply="greeting_cart")
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        box = page.get_by_role("textbox", name="Ditt meddelande")
        await box.fill("Kortet nekas")
        await box.press("Enter")
        await agent.client.wait_for("chat_message", lambda d: d["sender"] == "customer")

        await page.reload()

        await expect(page.locator(DIALOG)).to_have_attribute("data-case-id", case_id)
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        agent_lines = page.locator(f"{DIALOG} .hw-msg-agent p")
        await expect(agent_lines).to_have_count(1)
        assert plain(await agent_lines.first.inner_text()) == GREETING
        await expect(page.locator(f"{DIALOG} .hw-msg-customer p")).to_have_text(["Kortet nekas"])
        await agent.client.wait_for("customer_connection", lambda d: d["connected"] is True)
        # the reloaded page is the one in the case now
        await agent.say(case_id, "Prova Swish i stället.")
        await expect(agent_lines).to_have_count(2)
        await expect(agent_lines.nth(1)).to_have_text("Prova Swish i stället.")
        assert server.services.engine.case(case_id).state.value == "active"


async def test_escape_minimises_without_losing_the_case_and_the_button_reopens_it(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, skills=("payments",)) as agent:
        page = await open_page(browser, server.url + "/")
        await fill_seed_cart(page)
        await tab_to(page, HELP_BUTTON)
        await page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Hjälp")
        await expect(page.locator(POSITION)).to_have_text("Du är nummer 1 i kön")
        case_id = await case_id_of(page)

        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        # focus is back on the Help button, which now points to the open case
        assert await page.evaluate(f"{DEEP_ACTIVE_JS} === {WIDGET_ROOT_JS}.querySelector('{HELP_BUTTON}')")
        button = page.get_by_role("button", name="Hjälp – visa ditt pågående ärende")
        await expect(button).to_be_focused()
        await expect(page.locator(PROMISE)).to_have_text("Ditt ärende pågår – tryck för att öppna.")

        # the agent answers while the overlay is minimised: the button says so
        await agent.presence("available")
        await agent.accept_offer()
        greeting = await agent.say(case_id, quick_reply="greeting_cart")
        await expect(page.locator(PROMISE)).to_have_text("Nytt meddelande från Lisa – tryck för att läsa.")
        assert agent.client.received.get("chat_delivered", []) == [], "not shown yet"

        await page.keyboard.press("Enter")
        await expect(dialog).to_be_visible()
        await expect(page.locator(DIALOG)).to_have_attribute("data-case-id", case_id)
        await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
        # shown now: the receipt goes to the agent
        await agent.client.wait_for("chat_delivered", lambda d: d["message_id"] == greeting["id"])
        assert [c.id for c in server.services.engine.live_cases()] == [case_id]


async def test_english_shop_speaks_english_and_routes_to_the_english_queue(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, "sam", "Sam", presence="available") as agent:
        page = await open_page(browser, server.url + "/?lang=en")
        assert await page.get_attribute("html", "lang") == "en"
        button = page.get_by_role("button", name="Help – answer within 60 sec", exact=True)
        await expect(button).to_have_text("Help")
        await expect(page.locator(PROMISE)).to_have_text("Need help? Answer within 60 sec.")
        await page.click("[data-add='kaffe-450']")
        await page.click("[data-go=cart]")

        await agent.presence("busy")  # so the case waits in the queue
        await button.click()
        await expect(page.get_by_role("dialog", name="Help")).to_be_visible()
        await expect(page.locator(POSITION)).to_have_text("You are number 1 in the queue")
        await expect(page.locator(STATUS)).to_have_text(
            re.compile(r"^Connecting you to support… \d+ s left$"))
        case_id = await case_id_of(page)

        await agent.presence("available")
        offer = await agent.accept_offer()
        assert offer["queue"] == "english"
        assert offer["summary"]["language"] == "en"
        await expect(page.locator(STATUS)).to_have_text("Sam is here")
        await agent.say(case_id, quick_reply="greeting_cart")
        agent_lines = page.locator(f"{DIALOG} .hw-msg-agent p")
        await expect(agent_lines).to_have_count(1)
        assert plain(await agent_lines.first.inner_text()) == (
            "Hi! I can see your cart (59,90 kr). How can I help?")
        await expect(page.locator(STATUS)).to_have_text("You are chatting with Sam")
        await expect(page.get_by_role("textbox", name="Your message")).to_be_visible()

        await server.flush()
        row = await server.services.cases.get(case_id)
        assert row is not None
        assert (row["queue"], row["language"], row["rule"]) == ("english", "en", "english")
        assert row["context"]["payment_step"] == "cart"
