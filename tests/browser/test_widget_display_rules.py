"""The operator's display rules: which pages and customers see the button, and when it may promise.

Outside opening hours or with nobody online the widget never promises "Svar inom 60 sek":
it says so and offers a callback instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    DESKTOP,
    DIALOG,
    HELP_BUTTON,
    MOBILE,
    PROMISE,
    ROOT,
    STATUS,
    fill_seed_cart,
    open_page,
    signed_in_agent,
    widget_decided,
)

ServerFactory = Callable[..., AbstractAsyncContextManager[LiveServer]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def status(server: LiveServer, **query: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/widget/status", params=query) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == 200, body
            assert response.headers["Cache-Control"] == "no-store"
            return body


async def mode(page: Page, expected: str) -> None:
    await expect(page.locator(ROOT)).to_have_attribute("data-mode", expected)


def hours_excluding_now() -> dict[str, str]:
    """Opening hours for today (Stockholm) that do not include the current time; other days closed."""
    now = datetime.now(ZoneInfo("Europe/Stockholm"))
    today = WEEKDAYS[now.weekday()]
    # an hour-long window that ended at least an hour ago, or starts in two hours
    return {today: "00:00-01:00" if now.hour >= 2 else "03:00-04:00"}


async def test_a_page_not_in_the_list_shows_no_button_and_a_listed_page_does(
    server_factory: ServerFactory, browser: Browser
) -> None:
    async with server_factory(display={"pages": ["/checkout*"]}) as server:
        assert (await status(server, store="s1", page="/"))["show"] is False
        page = await open_page(browser, server.url + "/")
        await mode(page, "hidden")
        await expect(page.locator(HELP_BUTTON)).to_be_hidden()
        # the shop moves to its checkout (the same URL; the shop reports the page) → shown
        await fill_seed_cart(page)
        await expect(page.locator(HELP_BUTTON)).to_be_visible()
        body = await status(server, store="s1", page="/checkout")
        assert body["show"] is True


async def test_logged_in_only_hides_the_button_from_anonymous_visitors(
    server_factory: ServerFactory, browser: Browser
) -> None:
    async with server_factory(display={"audience": "logged_in"}) as server:
        async with signed_in_agent(server, presence="available"):
            body = await status(server, store="s1", page="/", logged_in="false")
            assert (body["show"], body["reason"]) == (False, "logged_in_only")
            page = await open_page(browser, server.url + "/")
            await mode(page, "hidden")
            await expect(page.locator(HELP_BUTTON)).to_be_hidden()

            await page.get_by_role("button", name="Logga in (demo)").click()
            await mode(page, "promise")
            await expect(page.get_by_role("button", name="Hjälp – svar inom 60 sek")).to_be_visible()
            assert (await status(server, store="s1", page="/", logged_in="true"))["show"] is True


async def test_outside_opening_hours_the_widget_says_closed_and_offers_a_callback_not_a_promise(
    server_factory: ServerFactory, browser: Browser
) -> None:
    async with server_factory(display={"opening_hours": hours_excluding_now()}) as server:
        # even with an agent online who could take it: support is closed
        async with signed_in_agent(server, skills=("payments",)):
            body = await status(server, store="s1", page="/")
            assert (body["show"], body["open"], body["reason"]) == (True, False, "outside_opening_hours")
            assert body["opens_at"] is not None
            page = await open_page(browser, server.url + "/")
            await mode(page, "closed")
            button = page.get_by_role("button", name="Hjälp – supporten är stängd, be oss ringa upp dig")
            await expect(button).to_be_visible()
            await expect(page.locator(PROMISE)).to_contain_text("Just nu är supporten stängd.")
            await expect(page.get_by_text("Svar inom 60 sek")).to_have_count(0)

            await fill_seed_cart(page)
            await button.click()
            dialog = page.get_by_role("dialog", name="Hjälp")
            await expect(dialog.get_by_role("alert")).to_have_text(
                "Just nu är supporten stängd, så vi kan inte svara inom 60 sek.")
            await expect(page.get_by_text("Kopplar upp dig")).to_have_count(0)
            await dialog.get_by_role("button", name="Ring upp mig").click()
            await expect(page.locator(STATUS)).to_have_text(
                "Tack! Vi ringer upp dig. Din korg sparas i 5 min.")
            case_id = await page.get_attribute(DIALOG, "data-case-id")
            assert case_id

            await server.flush()
            row = await server.services.cases.get(case_id)
            assert row is not None and row["state"] == "callback_requested"
            callback = await server.services.cases.get_callback(case_id)
            assert callback is not None
            assert callback["reason"] == "customer_asked"
            assert len(callback["cart_snapshot"]["lines"]) == 3


async def test_with_no_agent_online_the_status_and_the_widget_say_so_honestly(
    server: LiveServer, browser: Browser
) -> None:
    body = await status(server, store="s1", page="/", channel="web", language="sv",
                        payment_step="payment")
    assert body == {"show": True, "open": True, "agents_available": False, "promise": "callback",
                    "eta_seconds": None, "promise_seconds": 60,
                    "reason": "no_agent_online", "opens_at": None,
                    "timezone": "Europe/Stockholm"}
    page = await open_page(browser, server.url + "/")
    await mode(page, "no_agent")
    button = page.get_by_role("button", name="Hjälp – ingen kan svara just nu, be oss ringa upp dig")
    await expect(button).to_be_visible()
    await expect(page.locator(PROMISE)).to_have_text("Ingen kan svara just nu. Vi kan ringa upp dig.")
    await expect(page.get_by_text("Svar inom 60 sek")).to_have_count(0)

    await fill_seed_cart(page)
    await button.click()
    dialog = page.get_by_role("dialog", name="Hjälp")
    await expect(dialog.get_by_role("alert")).to_have_text(
        "Ingen kan svara just nu, så vi kan inte lova svar inom 60 sek.")
    await dialog.get_by_role("button", name="Ring upp mig").click()
    # the server takes its no-service path (a callback with the cart kept): confirmed as asked
    await expect(page.locator(STATUS)).to_have_text("Tack! Vi ringer upp dig. Din korg sparas i 5 min.")
    case_id = await page.get_attribute(DIALOG, "data-case-id")
    assert case_id
    await server.flush()
    row = await server.services.cases.get(case_id)
    assert row is not None and row["state"] == "callback_requested"
    assert row["queue"] == "payment-experts"

    # an agent without the payments skill signs in: available for browsing, not for payment
    async with signed_in_agent(server, "omar", "Omar"):
        assert (await status(server, store="s1", page="/"))["agents_available"] is True
        paying = await status(server, store="s1", page="/checkout", payment_step="payment")
        assert paying["agents_available"] is False
        # the widget asks again on the next press (and whenever the shop calls Helpwire.update())
        await dialog.get_by_role("button", name="Stäng").click()
        await page.evaluate("window.Helpwire.update()")
        await widget_decided(page)
        await mode(page, "no_agent")  # still at the payment step


async def test_the_status_endpoint_refuses_a_request_without_a_valid_store(server: LiveServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/widget/status", params={"page": "/"}) as response:
            assert response.status == 400
            body = await response.json()
            assert body["error"]["code"] == "invalid_payload"
            assert "store" in body["error"]["message"]
        async with http.get(f"{server.url}/api/widget/status",
                            params={"store": "s1", "payment_step": "paying"}) as response:
            assert response.status == 400
            assert "payment_step" in (await response.json())["error"]["message"]


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile-390x844"])
async def test_with_every_agent_busy_the_button_gives_the_honest_wait_and_never_the_promise(
    server: LiveServer, browser: Browser, viewport: ViewportSize
) -> None:
    async with signed_in_agent(server, skills=("payments",)) as agent:
        body = await status(server, store="s1", page="/")
        assert (body["promise"], body["reason"], body["agents_available"]) == (
            "queue", "all_agents_busy", True)
        assert isinstance(body["eta_seconds"], int) and body["eta_seconds"] > 0
        minutes = max(1, -(-body["eta_seconds"] // 60))
        page = await open_page(browser, server.url + "/", viewport)
        await mode(page, "queue")
        await expect(page.locator(HELP_BUTTON)).to_have_attribute(
            "aria-label", f"Hjälp – alla är upptagna, väntetid cirka {minutes} min")
        await expect(page.locator(PROMISE)).to_have_text(
            f"Alla är upptagna just nu. Väntetid cirka {minutes} min.")
        await expect(page.get_by_text("Svar inom 60 sek")).to_have_count(0)
        await expect(page.locator(PROMISE)).to_be_in_viewport()

        # the agent becomes free: the next look promises, as the server now says it can
        await agent.presence("available")
        assert (await status(server, store="s1", page="/"))["promise"] == "promise"
        await page.evaluate("window.Helpwire.update()")
        await mode(page, "promise")
        await expect(page.locator(HELP_BUTTON)).to_have_attribute("aria-label", "Hjälp – svar inom 60 sek")


async def test_with_every_agent_away_the_widget_offers_a_callback_in_english_too(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, skills=("payments",), presence="away"):
        body = await status(server, store="s1", page="/", language="en")
        assert (body["promise"], body["reason"], body["agents_available"]) == (
            "callback", "all_agents_away", False)
        page = await open_page(browser, server.url + "/?lang=en")
        await mode(page, "no_agent")
        await expect(page.locator(PROMISE)).to_have_text(
            "Nobody can answer right now. We can call you back.")
        await expect(page.get_by_text(re.compile("within 60 sec"))).to_have_count(0)


async def test_an_agent_without_the_skill_for_this_context_does_not_make_a_promise(
    server: LiveServer,
) -> None:
    async with signed_in_agent(server, presence="available"):
        paying = await status(server, store="s1", page="/checkout", payment_step="payment")
        assert (paying["promise"], paying["reason"]) == ("callback", "no_skilled_agent")
        browsing = await status(server, store="s1", page="/")
        assert (browsing["promise"], browsing["reason"]) == ("promise", "ok")
