"""The Help-button A/B test in the widget: variant A (small, no promise) vs B (with the promise).

Visitor ids are chosen with the server's own pure assignment function, so the test knows which
variant each visitor must see; the exposure is logged once per session, with the variant, and
reaching the payment step logs progress once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from playwright.async_api import Browser, Page, Request, expect

from server.core.abtest import assign
from tests.support.live import LiveServer
from tests.support.widget import (
    CONTRAST_JS,
    DESKTOP,
    HELP_BUTTON,
    PROMISE,
    SV_BUTTON,
    SV_PROMISE,
    fill_seed_cart,
    signed_in_agent,
    widget_decided,
)

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]
SV_PLAIN_BUTTON = "Hjälp – kontakta kundsupporten"


def visitor_for(server: LiveServer, variant: str) -> str:
    """A visitor id in the widget's own format (32 hex digits) that the server assigns `variant`."""
    ab = server.settings.ab_test
    return next(vid for vid in (f"{i:032x}" for i in range(1, 1000))
                if assign(vid, ab.salt, ab.split_b) == variant)


class Calls:
    """The widget's A/B requests seen by the browser."""

    def __init__(self) -> None:
        self.assignment = 0
        self.exposure = 0
        self.progress = 0

    def on_request(self, request: Request) -> None:
        if "/api/ab/assignment" in request.url:
            self.assignment += 1
        elif request.method == "POST" and request.url.endswith("/api/sessions/exposure"):
            self.exposure += 1
        elif request.method == "POST" and request.url.endswith("/api/sessions/progress"):
            self.progress += 1


async def visitor_page(browser: Browser, url: str, visitor: str) -> tuple[Page, Calls]:
    """A fresh browser profile whose localStorage already holds `visitor` as the widget's id."""
    context = await browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    await context.add_init_script(
        "if (!localStorage.getItem('helpwire:visitor'))"
        f" localStorage.setItem('helpwire:visitor', '{visitor}');"
    )
    page = await context.new_page()
    calls = Calls()
    page.on("request", calls.on_request)
    await page.goto(url)
    await widget_decided(page)
    return page, calls


async def session_of(page: Page) -> str:
    session = await page.evaluate("sessionStorage.getItem('helpwire:session')")
    assert isinstance(session, str) and session
    return session


async def settled(page: Page) -> None:
    """Every request the widget started has finished (no socket: no case was opened)."""
    await page.wait_for_load_state("networkidle")


async def test_each_variant_sees_its_button_and_the_exposure_is_logged_once_per_session(
    server_factory: Factory, browser: Browser, artifacts: Path
) -> None:
    # an agent available: the widget may promise an answer, so B shows its promise line
    async with (server_factory(ab_test={"enabled": True}) as server,
                signed_in_agent(server, presence="available")):
        analytics = server.services.analytics

        # --- variant A: the small button, icon and text, no promise anywhere
        page_a, calls_a = await visitor_page(browser, server.url + "/", visitor_for(server, "A"))
        button = page_a.locator(HELP_BUTTON)
        await expect(button).to_be_visible()
        await expect(page_a.locator("[data-helpwire]")).to_have_attribute("data-variant", "A")
        await expect(button).to_have_text("Hjälp")
        await expect(button).to_have_attribute("aria-label", SV_PLAIN_BUTTON)
        await expect(page_a.locator(PROMISE)).to_be_hidden()
        assert "60" not in (await page_a.locator("[data-helpwire]").inner_text())
        box_a = await button.bounding_box()
        assert box_a is not None and box_a["width"] >= 44 and box_a["height"] >= 44, box_a
        contrast = await button.evaluate(CONTRAST_JS)
        assert contrast["ratio"] >= 4.5, contrast
        await page_a.screenshot(path=artifacts / "widget-ab-variant-a.png")

        # --- variant B: the visible button with the promise
        page_b, calls_b = await visitor_page(browser, server.url + "/", visitor_for(server, "B"))
        await expect(page_b.locator("[data-helpwire]")).to_have_attribute("data-variant", "B")
        await expect(page_b.locator(HELP_BUTTON)).to_have_attribute("aria-label", SV_BUTTON)
        await expect(page_b.locator(PROMISE)).to_have_text(SV_PROMISE)
        await expect(page_b.locator(PROMISE)).to_be_visible()
        box_b = await page_b.locator(HELP_BUTTON).bounding_box()
        assert box_b is not None and box_b["width"] * box_b["height"] > box_a["width"] * box_a["height"]
        await page_b.screenshot(path=artifacts / "widget-ab-variant-b.png")

        # --- one exposure per session, with the variant seen
        for page, calls, variant in ((page_a, calls_a, "A"), (page_b, calls_b, "B")):
            await settled(page)
            session = await session_of(page)
            stored = await analytics.exposure(session)
            assert stored is not None and stored["variant"] == variant
            assert stored["store"] == "kvartersbutiken-sthlm"
            assert calls.exposure == 1 and calls.assignment == 1

        # a reload is the same session: neither the assignment nor the exposure is asked again
        session_a = await session_of(page_a)
        await page_a.reload()
        await widget_decided(page_a)
        await expect(page_a.locator("[data-helpwire]")).to_have_attribute("data-variant", "A")
        await settled(page_a)
        assert await session_of(page_a) == session_a
        assert (calls_a.assignment, calls_a.exposure) == (1, 1)

        # reaching the payment step logs progress once, even when the customer goes there twice
        assert calls_a.progress == 0
        await fill_seed_cart(page_a)
        await settled(page_a)
        await page_a.click("text=Tillbaka till korgen")
        await page_a.click("[data-go=payment]")
        await settled(page_a)
        assert calls_a.progress == 1
        progress = await analytics.progress(session_a, "payment")
        assert progress is not None and progress["store"] == "kvartersbutiken-sthlm"
        assert calls_b.progress == 0 and await analytics.progress(await session_of(page_b), "payment") is None

        for page in (page_a, page_b):
            await page.context.close()


async def test_with_the_test_off_every_visitor_sees_the_promise(
    server: LiveServer, browser: Browser
) -> None:
    assert server.settings.ab_test.enabled is False
    async with signed_in_agent(server, presence="available"):
        page, calls = await visitor_page(browser, server.url + "/", visitor_for(server, "A"))
        await expect(page.locator("[data-helpwire]")).to_have_attribute("data-variant", "B")
        await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
        await expect(page.locator(HELP_BUTTON)).to_have_attribute("aria-label", SV_BUTTON)
        await settled(page)
        stored = await server.services.analytics.exposure(await session_of(page))
        assert stored is not None and stored["variant"] == "B"
        assert calls.exposure == 1
        await page.context.close()
