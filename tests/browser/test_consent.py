"""Kiosk screen share in two real browsers: one tap on the kiosk, the agent sees the screen, Stop ends it.

The kiosk page (/kiosk) captures Chromium's fake screen (getDisplayMedia works headless with both
fake-media flags: 1280×720); the agent console receives it through Helpwire's relay on loopback.
Every wait is on the DOM or on getStats() polled in the page with a deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.live import LiveServer, live_server
from tests.support.widget import WIDGET_ROOT_JS

TIMEOUT_MS = 20_000
SEED = "Support kan tillfälligt se kassaskärmen i 5 min. Godkänn?"

#: frames decoded on the agent's screen-share receiver alone (not the call's video)
SCREEN_FRAMES_ABOVE_JS = """async ([caseId, above]) => {
  const transceiver = window.__helpwireMedia && window.__helpwireMedia.consentedOf(caseId, "screen_share");
  if (!transceiver) return false;
  let frames = 0;
  (await transceiver.receiver.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
  });
  return frames > above ? frames : false;
}"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path, media__host_addresses=["127.0.0.1"]) as running:
        yield running


async def signed_in_console(server: LiveServer, browser: Browser,
                            contexts: list[BrowserContext]) -> Page:
    await server.create_agent("lisa", "Lisa")
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    contexts.append(context)
    page = await context.new_page()
    await page.goto(f"{server.url}/agent")
    await page.get_by_label("Användarnamn").fill("lisa")
    await page.get_by_label("Lösenord").fill("password123")
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.locator("#connection")).to_have_text("Ansluten")
    await page.get_by_role("radio", name="Tillgänglig").check()
    return page


async def kiosk_case(server: LiveServer, browser: Browser, contexts: list[BrowserContext],
                     agent: Page) -> tuple[Page, str, list[str]]:
    context = await browser.new_context(viewport={"width": 1280, "height": 1024})
    contexts.append(context)
    kiosk = await context.new_page()
    errors: list[str] = []
    kiosk.on("pageerror", lambda error: errors.append(str(error)))
    await kiosk.goto(f"{server.url}/kiosk?store=kista-1&kiosk=kiosk-7")
    for _ in range(3):
        await kiosk.click("[data-action=scan]")
    await kiosk.click(".hw-launcher .hw-button")
    offer = agent.locator("article.offer-card").first
    await offer.get_by_role("button", name="Acceptera").click()
    panel = agent.locator('[role="tabpanel"][data-case-id]').first
    await expect(panel).to_be_visible()
    case_id = await panel.get_attribute("data-case-id")
    assert case_id
    return kiosk, case_id, errors


async def test_one_tap_shares_the_kiosk_screen_with_a_countdown_and_stop_sharing_ends_it(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    agent = await signed_in_console(server, browser, contexts)
    kiosk, case_id, kiosk_errors = await kiosk_case(server, browser, contexts, agent)
    panel = agent.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')

    await panel.locator("[data-action=request-screen]").click()
    await expect(panel.locator(".consent-waiting")).to_be_visible()

    prompts = kiosk.locator("#kiosk-prompts")
    await expect(prompts).to_be_visible(timeout=TIMEOUT_MS)
    await expect(prompts.locator(".hwc-prompt")).to_have_count(1)
    await expect(prompts.locator(".hwc-question[lang=sv]")).to_have_text(SEED)
    await expect(prompts.locator(".hwc-question[lang=en]")).to_have_text(
        "Support may see the checkout screen for 5 min. Approve?")
    approve = prompts.locator("[data-action=consent-approve]")
    deny = prompts.locator("[data-action=consent-deny]")
    for button in (approve, deny):
        box = await button.bounding_box()
        assert box is not None and box["height"] >= 64, box
    await approve.click()

    # the kiosk: an indicator with a countdown and Stop sharing
    countdown = prompts.locator(".hwc-countdown")
    await expect(countdown).to_contain_text("kvar", timeout=TIMEOUT_MS)
    await expect(countdown).to_contain_text("left")
    first = int(await countdown.get_attribute("data-seconds") or 0)
    assert 290 <= first <= 300, first

    # the agent: the screen's frames are decoded, with the time left beside it
    remaining = panel.locator("[data-field=consent-remaining]")
    await expect(remaining).to_contain_text("Kassaskärmen", timeout=TIMEOUT_MS)
    handle = await agent.wait_for_function(SCREEN_FRAMES_ABOVE_JS, arg=[case_id, 0], polling=100,
                                           timeout=TIMEOUT_MS)
    frames = int(await handle.json_value())
    await agent.wait_for_function(SCREEN_FRAMES_ABOVE_JS, arg=[case_id, frames + 10], polling=100,
                                  timeout=TIMEOUT_MS)
    video = panel.locator("video.consent-video")
    await expect(video).to_be_visible()
    await video.evaluate(
        "(v) => new Promise((ok) => v.readyState >= 2 ? ok() : v.addEventListener('loadeddata', ok))")
    assert await video.evaluate("(v) => v.videoWidth") > 0
    # the countdown runs on both sides
    await kiosk.wait_for_function(
        "(first) => Number((document.querySelector('.hwc-countdown') ?? "
        f"{WIDGET_ROOT_JS}.querySelector('.hwc-countdown')).dataset.seconds) < first",
        arg=first, polling=100, timeout=5000)
    assert int(await remaining.get_attribute("data-seconds") or 0) < 300

    # Stop sharing ends it at once, on both sides
    await prompts.get_by_role("button", name="Sluta dela / Stop sharing").click()
    await expect(prompts.locator(".hwc-notice")).to_contain_text("Skärmdelningen är avslutad.")
    await expect(panel.locator(".consent-notice")).to_have_text("Kunden avslutade delningen.",
                                                                timeout=TIMEOUT_MS)
    await expect(remaining).to_have_count(0)
    await kiosk.wait_for_function("() => window.__helpwireMedia.calls.size === 0", timeout=5000)
    assert server.services.media is not None
    assert not server.services.media.consent.granted(case_id)
    await server.flush()
    events = [e["detail"]["event"] for e in await server.services.cases.events(case_id)
              if e["kind"] == "consent"]
    assert events == ["requested", "granted", "revoked_by_customer"]
    assert kiosk_errors == []
