"""Nothing covers the panel's controls, and every text reads at 4.5:1, in every state of a case.

At a 390×844 phone and a 1280×800 desktop, in Swedish and in English, a case goes through every
state the panel has: waiting in the queue, chatting, a voice call, a video call (the agent's video
showing), the age check's consent prompt and the live age check (the customer's camera shown to
the agent). In each state End, Minimise, Send and (in a call) Hang up are hit-testable: the element
a tap at the control's centre reaches is the control itself (looked up inside the widget's shadow
root), and axe-core finds no serious violation (colour contrast among them). The agent is the
console at /agent in a second browser; media flows through Helpwire's relay on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.test_age_check_ui import SKU, accepted, customer_page, signed_in_console
from tests.support.live import LiveServer, live_server
from tests.support.widget import (
    DESKTOP,
    DIALOG,
    HELP_BUTTON,
    HIT_TESTABLE_JS,
    MOBILE,
    case_id_of,
    serious_axe_violations,
)

pytestmark = pytest.mark.timeout(180)
MEDIA_TIMEOUT_MS = 25_000

END = f"{DIALOG} [data-action=end]"
MINIMISE = f"{DIALOG} [data-action=minimise]"
SEND = f"{DIALOG} .hw-composer button[type=submit]"
HANG_UP = f"{DIALOG} [data-action=hangup]"
PROMPT = f"{DIALOG} #helpwire-consent .hwc-prompt"
STOP = f"{DIALOG} #helpwire-consent [data-action=consent-stop]"


@dataclass(frozen=True)
class Language:
    code: str
    path: str
    accept: str


SWEDISH = Language("sv", "/", "Acceptera")
ENGLISH = Language("en", "/?lang=en", "Accept")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    # the server's media peers offer 127.0.0.1 only, so calls connect with no other interface
    async with live_server(tmp_path, media_host_addresses=["127.0.0.1"]) as running:
        yield running


async def check_state(page: Page, axe_source: str, state: str, controls: list[str]) -> None:
    """Every control is visible and hit-testable; axe finds nothing serious."""
    where = f"{state} at {page.viewport_size}"
    for selector in controls:
        control = page.locator(selector)
        await expect(control, f"{selector} in {where}").to_be_visible()
        await control.scroll_into_view_if_needed()
        assert await control.evaluate(HIT_TESTABLE_JS), f"{selector} is covered in {where}"
    assert await serious_axe_violations(page, axe_source) == [], where


async def call_accepted(page: Page, panel: Locator, channel: str, language: Language) -> None:
    await panel.get_by_role("button", name="Föreslå röst" if channel == "voice" else "Föreslå video").click()
    prompt = page.locator(f"{DIALOG} .hw-media-prompt")
    await prompt.get_by_role("button", name=language.accept, exact=True).click()
    call = page.locator(f"{DIALOG} .hw-call")
    await expect(call).to_have_attribute("data-channel", channel)
    await expect(call).to_have_attribute("data-state", "connected", timeout=MEDIA_TIMEOUT_MS)


@pytest.mark.parametrize("language", [SWEDISH, ENGLISH], ids=["sv", "en"])
@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["390x844", "1280x800"])
async def test_end_minimise_send_and_hang_up_are_reachable_and_readable_in_every_state(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], axe_source: str,
    viewport: ViewportSize, language: Language,
) -> None:
    agent, _, agent_errors = await signed_in_console(server, browser, contexts)
    page, errors = await customer_page(browser, contexts, server.url + language.path, viewport)
    for sku in ("kaffe-450", SKU):
        await page.click(f"[data-add='{sku}']")
    await page.click("[data-go=cart]")
    await page.locator(HELP_BUTTON).click()
    case_id = await case_id_of(page)
    await expect(page.locator(f"{DIALOG}[data-phase=queued]")).to_be_attached()
    await check_state(page, axe_source, "waiting", [END, MINIMISE, SEND])

    await accepted(agent, page, case_id)
    panel = agent.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
    await expect(page.locator(f"{DIALOG}[data-phase=active]")).to_be_attached()
    await check_state(page, axe_source, "chat", [END, MINIMISE, SEND])

    await call_accepted(page, panel, "voice", language)
    await check_state(page, axe_source, "voice", [END, MINIMISE, SEND, HANG_UP])
    await call_accepted(page, panel, "video", language)
    await expect(page.locator(f"{DIALOG} .hw-remote-video")).to_be_visible(timeout=MEDIA_TIMEOUT_MS)
    await check_state(page, axe_source, "video", [END, MINIMISE, SEND, HANG_UP])
    await page.locator(HANG_UP).click()
    await expect(page.locator(f"{DIALOG} .hw-call")).to_be_hidden(timeout=MEDIA_TIMEOUT_MS)

    await panel.locator(f"[data-action=propose-age-check][data-sku={SKU}]").click()
    await expect(page.locator(PROMPT)).to_be_visible()
    await check_state(page, axe_source, "consent prompt", [
        END, MINIMISE, SEND,
        f"{PROMPT} [data-action=consent-approve]", f"{PROMPT} [data-action=consent-deny]"])
    await page.locator(f"{PROMPT} [data-action=consent-approve]").click()
    await expect(page.locator(STOP)).to_be_visible(timeout=MEDIA_TIMEOUT_MS)
    await check_state(page, axe_source, "age check", [END, MINIMISE, SEND, STOP])
    await page.locator(STOP).click()
    await expect(page.locator(STOP)).to_be_hidden()
    assert errors == [] and agent_errors == []
