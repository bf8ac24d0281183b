"""Video age check in two real browsers: one tap starts the camera, the agent decides over live video.

The customer is the kiosk page (/kiosk, approve) or the demo shop (/, deny) with the strong beer
(age-restricted) in the cart; the agent is the console at /agent in a second browser context.
Chromium's fake camera goes through Helpwire's relay on loopback. The POS is a small aiohttp
server on 127.0.0.1 that checks every delivery with the verification code exactly as
docs/protocol.md prints it. Every wait is on the DOM, on getStats() polled in the page, or on an
asyncio event, each with a deadline; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.support.live import LiveServer, live_server
from tests.support.pos import Pos, documented_verifier, no_image_data, pos_server
from tests.support.widget import (
    DESKTOP,
    DIALOG,
    HELP_BUTTON,
    HIT_TESTABLE_JS,
    MOBILE,
    case_id_of,
    widget_decided,
)

TIMEOUT_MS = 15_000
#: each test, set-up and tear-down included, is bounded well below its usual ~6 s
pytestmark = pytest.mark.timeout(30)
SECRET = "pos-shared-secret-for-browser-tests"
SKU = "starkol-50"
PURPOSE_SV = "Vi använder video/röst bara för att hjälpa i stunden."
PURPOSE_EN = "We use video/voice only to help you right now."

#: every camera track the page ever got from getUserMedia, kept so the test can see it stopped
KEEP_CAMERA_TRACKS = """
(() => {
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const real = devices.getUserMedia.bind(devices);
  window.__cameraTracks = [];
  devices.getUserMedia = async (constraints) => {
    const stream = await real(constraints);
    for (const track of stream.getVideoTracks()) window.__cameraTracks.push(track);
    return stream;
  };
})();
"""

#: frames decoded on the agent's age-check receiver alone (not a call's video)
CAMERA_FRAMES_ABOVE_JS = """async ([caseId, above]) => {
  const transceiver = window.__helpwireMedia && window.__helpwireMedia.consentedOf(caseId, "age_check_video");
  if (!transceiver) return false;
  let frames = 0;
  (await transceiver.receiver.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
  });
  return frames > above ? frames : false;
}"""

#: the customer's camera: captured once, and every captured track has ended
CAMERA_STOPPED_JS = """() => window.__cameraTracks.length === 1
  && window.__cameraTracks.every((t) => t.readyState === "ended")"""


@pytest.fixture
async def pos() -> AsyncIterator[Pos]:
    async with pos_server() as received:
        yield received


@pytest.fixture
async def server(tmp_path: Path, pos: Pos) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path, media__host_addresses=["127.0.0.1"],
                           consent__pos_webhook_url=pos.url, consent__pos_webhook_secret=SECRET) as running:
        yield running


@dataclass
class Check:
    customer: Page
    agent: Page
    agent_id: str
    case_id: str
    customer_errors: list[str]
    agent_errors: list[str]

    @property
    def panel(self) -> Locator:
        return self.agent.locator(f'[role="tabpanel"][data-case-id="{self.case_id}"]')


async def signed_in_console(server: LiveServer, browser: Browser,
                            contexts: list[BrowserContext]) -> tuple[Page, str, list[str]]:
    agent_id = await server.create_agent("lisa", "Lisa")
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{server.url}/agent")
    await page.get_by_label("Användarnamn").fill("lisa")
    await page.get_by_label("Lösenord").fill("password123")
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.locator("#connection")).to_have_text("Ansluten")
    await page.get_by_role("radio", name="Tillgänglig").check()
    await expect(page.locator("#presence-state")).to_have_text("Du är: Tillgänglig")
    return page, agent_id, errors


async def customer_page(browser: Browser, contexts: list[BrowserContext], url: str,
                        viewport: Any) -> tuple[Page, list[str]]:
    context = await browser.new_context(viewport=viewport, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    await context.add_init_script(KEEP_CAMERA_TRACKS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(url)
    await widget_decided(page)
    return page, errors


async def accepted(agent: Page, customer: Page, case_id: str) -> None:
    """The agent takes the offer and greets: the widget says "Lisa är här" until her first words."""
    offer = agent.locator(f'article.offer-card[data-case-id="{case_id}"]')
    await offer.get_by_role("button", name="Acceptera").click()
    panel = agent.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
    await expect(panel).to_be_visible()
    compose = panel.get_by_label("Meddelande till kunden")
    await compose.fill("Hej! Jag heter Lisa.")
    await compose.press("Enter")
    await expect(customer.locator(f"{DIALOG} .hw-msg-agent p").filter(has_text="Hej! Jag heter Lisa.")
                 ).to_be_visible()


async def kiosk_check(server: LiveServer, browser: Browser, contexts: list[BrowserContext]) -> Check:
    """A kiosk with milk, bread and the strong beer scanned; the agent has accepted its Help."""
    agent, agent_id, agent_errors = await signed_in_console(server, browser, contexts)
    kiosk, errors = await customer_page(browser, contexts, f"{server.url}/kiosk?store=kista-1&kiosk=kiosk-7",
                                        {"width": 1280, "height": 1024})
    for _ in range(3):  # the demo scanner: mjolk-1l, brod-rag, starkol-50
        await kiosk.click("[data-action=scan]")
    await expect(kiosk.locator("#scanned .scanned-item")).to_have_count(3)
    await expect(kiosk.locator("#scanned .age")).to_have_text("18+ (legitimation krävs)")
    await kiosk.click(HELP_BUTTON)
    case_id = await case_id_of(kiosk)
    await accepted(agent, kiosk, case_id)
    return Check(kiosk, agent, agent_id, case_id, errors, agent_errors)


async def shop_check(server: LiveServer, browser: Browser, contexts: list[BrowserContext]) -> Check:
    """The demo shop with coffee and the strong beer in the cart; the agent has accepted its Help."""
    agent, agent_id, agent_errors = await signed_in_console(server, browser, contexts)
    shop, errors = await customer_page(browser, contexts, f"{server.url}/", DESKTOP)
    for sku in ("kaffe-450", SKU):
        await shop.click(f"[data-add='{sku}']")
    await shop.click("[data-go=cart]")
    await expect(shop.locator("table.cart tbody tr")).to_have_count(2)
    await shop.click(HELP_BUTTON)
    case_id = await case_id_of(shop)
    await accepted(agent, shop, case_id)
    return Check(shop, agent, agent_id, case_id, errors, agent_errors)


async def camera_on_with_one_tap(check: Check) -> None:
    """The prompt says why in plain words; one tap starts the camera; the agent decodes it."""
    prompts = check.customer.locator("#kiosk-prompts, #helpwire-consent")
    prompt = prompts.locator(".hwc-prompt")
    await expect(prompt).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(prompt).to_have_attribute("data-scope", "age_check_video")
    await expect(prompt.locator(".hwc-question[lang=sv]")).to_contain_text(PURPOSE_SV)
    await expect(prompt.locator(".hwc-question[lang=en]")).to_contain_text(PURPOSE_EN)
    assert await check.customer.evaluate("() => window.__cameraTracks.length") == 0  # not before the tap
    await prompt.locator("[data-action=consent-approve]").click()

    # the customer: one camera, live, with a countdown of the allowed 3 minutes
    countdown = prompts.locator(".hwc-countdown")
    await expect(countdown).to_contain_text("Kameran visas för support", timeout=TIMEOUT_MS)
    seconds = int(await countdown.get_attribute("data-seconds") or 0)
    assert 170 <= seconds <= 180, seconds
    await check.customer.wait_for_function(
        "() => window.__cameraTracks.length === 1 && window.__cameraTracks[0].readyState === 'live'",
        timeout=TIMEOUT_MS)

    # the agent: the camera's frames are decoded, and keep coming, beside the decision buttons
    panel = check.panel
    await expect(panel.locator("[data-field=consent-remaining]")).to_contain_text(
        "Kundens kamera (ålderskontroll)", timeout=TIMEOUT_MS)
    handle = await check.agent.wait_for_function(CAMERA_FRAMES_ABOVE_JS, arg=[check.case_id, 0],
                                                 polling=100, timeout=TIMEOUT_MS)
    frames = int(await handle.json_value())
    await check.agent.wait_for_function(CAMERA_FRAMES_ABOVE_JS, arg=[check.case_id, frames + 10],
                                        polling=100, timeout=TIMEOUT_MS)
    video = panel.locator("video.consent-video")
    await expect(video).to_be_visible()
    await expect(video).to_have_attribute("data-scope", "age_check_video")
    await video.evaluate(
        "(v) => new Promise((ok) => v.readyState >= 2 ? ok() : v.addEventListener('loadeddata', ok))")
    assert await video.evaluate("(v) => v.videoWidth") > 0


async def stored_age_check(server: LiveServer, case_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    await server.flush()
    events = await server.services.cases.events(case_id)
    [check] = [e for e in events if e["kind"] == "age_check"]
    return check, events


async def test_the_customer_asks_the_agent_approves_over_live_video_and_the_item_unlocks(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], pos: Pos
) -> None:
    verify = documented_verifier()
    check = await kiosk_check(server, browser, contexts)
    kiosk, panel = check.customer, check.panel

    # the customer asks for the check of the age-restricted line (the agent could propose it too)
    await expect(panel.locator(f"[data-action=propose-age-check][data-sku={SKU}]")).to_be_visible()
    ask = kiosk.locator(f"#kiosk-prompts [data-action=age-check][data-sku={SKU}]")
    await expect(ask).to_contain_text("Ålderskontroll via video: Starköl 7,5 % 50 cl")
    await ask.click()
    await camera_on_with_one_tap(check)
    assert pos.deliveries == []

    # the agent approves: the kiosk shows the item unlocked, the camera stops
    await panel.locator("[data-action=age-approve]").click()
    # the approval names the product, not the SKU
    await expect(panel.locator(".consent-notice")).to_have_text(
        "Åldern godkänd – Starköl 7,5 % 50 cl är upplåst.", timeout=TIMEOUT_MS)
    await expect(panel.locator("video.consent-video")).to_have_count(0)
    # the till heard of it: the outbox delivered the webhook and the agent is told
    await expect(panel.locator("[data-field=webhook-status]")).to_have_text(
        "Skickat till kassan", timeout=TIMEOUT_MS)
    await expect(panel.locator("[data-field=webhook-status]")).to_have_attribute("data-attempts", "1")
    await expect(kiosk.locator(f"#scanned .age-unlocked[data-unlocked={SKU}]")).to_have_text(
        "18+ upplåst ✓", timeout=TIMEOUT_MS)
    await expect(kiosk.locator("#scanned .age:not(.age-unlocked)")).to_have_count(0)
    await expect(kiosk.locator(f"#kiosk-prompts .hwc-unlocked[data-unlocked={SKU}]")).to_contain_text(
        "Starköl 7,5 % 50 cl är upplåst")
    await expect(kiosk.locator("#kiosk-prompts [data-action=age-check]")).to_have_count(0)
    await expect(kiosk.locator("#kiosk-prompts .hwc-countdown")).to_have_count(0)
    await kiosk.wait_for_function(CAMERA_STOPPED_JS, timeout=TIMEOUT_MS)
    await kiosk.wait_for_function("() => window.__helpwireMedia.calls.size === 0", timeout=TIMEOUT_MS)

    # the POS: one signed delivery that the documented code accepts (and a replay it refuses)
    await asyncio.wait_for(pos.arrived.wait(), TIMEOUT_MS / 1000)
    [(headers, body)] = pos.deliveries
    seen: set[str] = set()
    assert verify(SECRET, headers, body, seen)
    assert not verify(SECRET, headers, body, seen)
    assert not verify("another-secret", headers, body)
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["delivery_id"] == headers["X-Helpwire-Delivery"]
    fields = ("event", "case_id", "sku", "method", "agent_id", "store", "kiosk_id")
    assert {k: payload[k] for k in fields} == {
        "event": "item_unlocked", "case_id": check.case_id, "sku": SKU, "method": "video",
        "agent_id": check.agent_id, "store": "kista-1", "kiosk_id": "kiosk-7"}

    # stored: the decision with only {sku, agent, outcome, method}; no image anywhere on the case
    stored, events = await stored_age_check(server, check.case_id)
    assert stored["detail"] == {"sku": SKU, "agent": check.agent_id, "outcome": "approved", "method": "video"}
    consent = [e["detail"]["event"] for e in events if e["kind"] == "consent"]
    assert consent == ["requested", "granted", "ended_by_agent"]
    row = await server.services.cases.get(check.case_id)
    assert row is not None and no_image_data(row) and no_image_data(events)

    # the unlock is for this purchase only: after it, the next basket's strong beer is locked again
    await kiosk.locator(DIALOG).get_by_role("button", name="Minimera").click()
    await expect(kiosk.locator(DIALOG)).to_be_hidden()
    await kiosk.click("[data-action=pay]")
    await kiosk.get_by_role("button", name="Betalningen är klar").click()
    await kiosk.get_by_role("button", name="Nytt köp").click()
    for _ in range(5):  # the demo scanner goes on from where it was: ost, äpplen, mjölk, bröd, öl
        await kiosk.click("[data-action=scan]")
    await expect(kiosk.locator("#scanned .scanned-item")).to_have_count(5)
    await expect(kiosk.locator("#scanned .age")).to_have_text("18+ (legitimation krävs)")
    await expect(kiosk.locator("#scanned .age-unlocked")).to_have_count(0)
    assert check.customer_errors == [] and check.agent_errors == []


async def test_a_denied_check_is_told_kindly_keeps_the_item_locked_and_sends_no_webhook(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], pos: Pos
) -> None:
    check = await shop_check(server, browser, contexts)
    shop, panel = check.customer, check.panel

    # the agent proposes the check from the cart line support sees
    propose = panel.locator(f"[data-action=propose-age-check][data-sku={SKU}]")
    await expect(propose).to_have_text("Föreslå ålderskontroll via video: Starköl 7,5 % 50 cl")
    await propose.click()
    await expect(panel.locator(".consent-waiting")).to_be_visible()
    await camera_on_with_one_tap(check)

    # the agent denies with a reason from the short list
    await panel.get_by_label("Skäl").select_option("no_id_shown")
    await panel.locator("[data-action=age-deny]").click()
    await expect(panel.locator(".consent-notice")).to_have_text(
        "Ålderskontrollen nekades – varan förblir låst.", timeout=TIMEOUT_MS)

    # the customer is told kindly, in both languages; the camera is off; nothing is unlocked
    bar = shop.locator("#helpwire-consent")
    notice = bar.locator(".hwc-notice")
    await expect(notice).to_contain_text(
        "Vi behöver se en giltig legitimation. Försök gärna igen med legitimationen framme.",
        timeout=TIMEOUT_MS)
    await expect(notice).to_contain_text("You are welcome to try again with your ID ready.")
    await expect(bar.locator(".hwc-countdown")).to_have_count(0)
    await shop.wait_for_function(CAMERA_STOPPED_JS, timeout=TIMEOUT_MS)
    await shop.wait_for_function("() => window.__helpwireMedia.calls.size === 0", timeout=TIMEOUT_MS)
    await expect(bar.locator(".hwc-unlocked")).to_have_count(0)
    # still locked: the line still needs a check, and the customer may ask for another one
    await expect(bar.locator(f"[data-action=age-check][data-sku={SKU}]")).to_be_visible()

    # no webhook: none queued in the outbox, none shown, and none arrives within a bounded wait
    assert server.services.outbox is not None
    assert await server.services.outbox.repository.of_case(check.case_id) == []
    await expect(panel.locator("[data-field=webhook-status]")).to_have_count(0)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(pos.arrived.wait(), 2.0)
    assert pos.deliveries == []

    stored, events = await stored_age_check(server, check.case_id)
    assert stored["detail"] == {"sku": SKU, "agent": check.agent_id, "outcome": "denied", "method": "video"}
    assert no_image_data(events)
    assert check.customer_errors == [] and check.agent_errors == []


async def test_the_agent_sees_each_retry_to_the_till_and_when_it_is_given_up(
    tmp_path: Path, browser: Browser, contexts: list[BrowserContext]
) -> None:
    # a till that never accepts: three attempts, 1 s and 2 s apart, then given up
    async with pos_server(fail_first=1_000) as refusing, live_server(
        tmp_path / "refusing", media__host_addresses=["127.0.0.1"], consent__pos_webhook_url=refusing.url,
        consent__pos_webhook_secret=SECRET, outbox__attempts=3, outbox__backoff_seconds=1.0,
    ) as server:
        check = await shop_check(server, browser, contexts)
        panel = check.panel
        await panel.locator(f"[data-action=propose-age-check][data-sku={SKU}]").click()
        await camera_on_with_one_tap(check)
        await panel.locator("[data-action=age-approve]").click()
        status = panel.locator("[data-field=webhook-status]")
        await expect(status).to_have_text("Skickas… (försök 2)", timeout=TIMEOUT_MS)
        await expect(status).to_have_text("Skickas… (försök 3)", timeout=TIMEOUT_MS)
        await expect(status).to_have_text("Inte levererat till kassan", timeout=TIMEOUT_MS)
        await expect(status).to_have_attribute("data-status", "given_up")
        assert len(refusing.deliveries) == 3
        # in English too
        await check.agent.click("#language-toggle")
        await expect(status).to_have_text("Not delivered to the till")
        assert check.customer_errors == [] and check.agent_errors == []


# --- the kiosk's own age check: locked 18+ item, "Verifiera ålder via video", payment after ---------

BEER_SV = "Starköl 7,5 % 50 cl"
BEER_EN = "Strong beer 7.5% 50 cl"


async def kiosk_with_a_locked_beer(server: LiveServer, browser: Browser, contexts: list[BrowserContext],
                                   language: str) -> tuple[Page, Page, str, list[str], list[str]]:
    """The agent's console signed in; a kiosk with milk, bread and the strong beer scanned."""
    agent, agent_id, agent_errors = await signed_in_console(server, browser, contexts)
    kiosk, errors = await customer_page(
        browser, contexts, f"{server.url}/kiosk?store=kista-1&kiosk=kiosk-7&lang={language}",
        {"width": 1280, "height": 1024})
    for _ in range(3):  # the demo scanner: mjolk-1l, brod-rag, starkol-50
        await kiosk.click("[data-action=scan]")
    await expect(kiosk.locator("#scanned .scanned-item")).to_have_count(3)
    return kiosk, agent, agent_id, errors, agent_errors


async def payment_refused_while_locked(kiosk: Page, on_hold: str) -> None:
    """"Betala" says why it waits and points at the age check; the payment never starts."""
    pay = kiosk.locator("[data-action=pay]")
    await expect(pay).to_have_attribute("aria-disabled", "true")
    # aria-disabled only tells assistive technology; a finger still taps it (Playwright would wait)
    await pay.click(force=True)
    await expect(kiosk.locator("#status")).to_have_text(on_hold)
    await expect(kiosk.locator("[data-action=verify-age]")).to_be_focused()
    await expect(kiosk.locator("#actions")).not_to_contain_text("Betalningen är klar")
    await expect(kiosk.locator("#actions")).not_to_contain_text("Payment done")
    assert await kiosk.evaluate("() => window.Kiosk.helpContext().payment_step") == "cart"


async def verified_by_video(server: LiveServer, kiosk: Page, agent: Page, agent_id: str,
                            verify_label: str, errors: list[str], agent_errors: list[str]) -> Check:
    """The kiosk's own button opens a case routed as an age check; the check is asked at once."""
    await kiosk.get_by_role("button", name=verify_label, exact=True).click()
    case_id = await case_id_of(kiosk)
    offer = agent.locator(f'article.offer-card[data-case-id="{case_id}"]')
    await expect(offer.get_by_role("heading")).to_have_text("Nytt ärende – Ålderskontroll")
    await accepted(agent, kiosk, case_id)
    check = Check(kiosk, agent, agent_id, case_id, errors, agent_errors)
    # nobody tapped "Ålderskontroll via video": the kiosk asked for the beer's check itself
    await camera_on_with_one_tap(check)
    row = await server.services.cases.get(case_id)
    assert row is not None
    assert (row["queue"], row["rule"], row["channel"]) == ("age-check", "age-check", "kiosk")
    assert row["context"]["topic"] == "age_check"
    return check


async def test_the_kiosk_locks_the_18_plus_item_verifies_age_by_video_and_then_payment_goes_through(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], pos: Pos
) -> None:
    verify = documented_verifier()
    kiosk, agent, agent_id, errors, agent_errors = await kiosk_with_a_locked_beer(
        server, browser, contexts, "sv")
    await expect(kiosk.locator("#status")).to_have_text(
        f"{BEER_SV} kräver ålderskontroll (18+) innan du kan betala.")
    await payment_refused_while_locked(
        kiosk, f"Betalningen väntar: {BEER_SV} är låst tills åldern är bekräftad. "
               "Tryck på ”Verifiera ålder via video”.")

    check = await verified_by_video(server, kiosk, agent, agent_id, "Verifiera ålder via video",
                                    errors, agent_errors)
    await check.panel.locator("[data-action=age-approve]").click()
    await expect(kiosk.locator(f"#scanned .age-unlocked[data-unlocked={SKU}]")).to_have_text(
        "18+ upplåst ✓", timeout=TIMEOUT_MS)
    await expect(kiosk.locator("#status")).to_have_text("Åldern är bekräftad – du kan betala.")
    await expect(kiosk.locator("[data-action=verify-age]")).to_have_count(0)
    await expect(kiosk.locator("[data-action=pay]")).not_to_have_attribute("aria-disabled", "true")

    # the till hears of the approval: one signed delivery through the outbox
    await asyncio.wait_for(pos.arrived.wait(), TIMEOUT_MS / 1000)
    [(headers, body)] = pos.deliveries
    assert verify(SECRET, headers, body, set())
    payload = json.loads(body)
    assert {k: payload[k] for k in ("event", "case_id", "sku", "store", "kiosk_id")} == {
        "event": "item_unlocked", "case_id": check.case_id, "sku": SKU, "store": "kista-1",
        "kiosk_id": "kiosk-7"}
    await expect(check.panel.locator("[data-field=webhook-status]")).to_have_text(
        "Skickat till kassan", timeout=TIMEOUT_MS)

    # payment continues
    await kiosk.locator(DIALOG).get_by_role("button", name="Minimera").click()
    await kiosk.click("[data-action=pay]")
    await expect(kiosk.locator("#status")).to_have_text("Följ instruktionerna på kortterminalen.")
    await kiosk.get_by_role("button", name="Betalningen är klar").click()
    await expect(kiosk.locator("#status")).to_have_text("Tack! Ditt kvitto ligger i mobilen.")
    assert errors == [] and agent_errors == []


async def test_a_denied_kiosk_age_check_removes_the_item_says_why_and_payment_goes_on_without_it(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], pos: Pos
) -> None:
    kiosk, agent, agent_id, errors, agent_errors = await kiosk_with_a_locked_beer(
        server, browser, contexts, "en")
    await expect(kiosk.locator("#status")).to_have_text(
        f"{BEER_EN} needs an age check (18+) before you can pay.")
    await payment_refused_while_locked(
        kiosk, f"Payment is on hold: {BEER_EN} is locked until your age is confirmed. "
               "Press “Verify age by video”.")

    check = await verified_by_video(server, kiosk, agent, agent_id, "Verify age by video",
                                    errors, agent_errors)
    await check.panel.get_by_label("Skäl").select_option("looks_underage")
    await check.panel.locator("[data-action=age-deny]").click()

    # the beer leaves the purchase, with the reason in both languages; nothing else is touched
    await expect(kiosk.locator("#scanned .scanned-item")).to_have_count(2, timeout=TIMEOUT_MS)
    await expect(kiosk.locator("#scanned")).not_to_contain_text(BEER_EN)
    await expect(kiosk.locator("#status")).to_have_text(
        f"{BEER_EN} has been removed from your purchase: your age could not be confirmed.")
    notice = kiosk.locator("#kiosk-prompts .hwc-notice")
    await expect(notice).to_contain_text("We could not confirm your age over video.")
    await expect(notice).to_contain_text("Vi kunde tyvärr inte bekräfta din ålder via video.")
    await expect(kiosk.locator("#kiosk-prompts [data-action=age-check]")).to_have_count(0)
    await kiosk.wait_for_function(CAMERA_STOPPED_JS, timeout=TIMEOUT_MS)
    assert [line["sku"] for line in await kiosk.evaluate("() => window.Kiosk.helpContext().cart.lines")] == [
        "mjolk-1l", "brod-rag"]

    # no webhook for a denial
    assert server.services.outbox is not None
    assert await server.services.outbox.repository.of_case(check.case_id) == []
    assert pos.deliveries == []

    # the rest is paid for at once
    await kiosk.locator(DIALOG).get_by_role("button", name="Minimise").click()
    await expect(kiosk.locator("[data-action=pay]")).to_have_text(re.compile(r"^Pay .*50[.,]40"))
    await kiosk.click("[data-action=pay]")
    await expect(kiosk.locator("#status")).to_have_text("Follow the instructions on the card terminal.")
    assert errors == [] and agent_errors == []


# --- on a shop page the age-check request is a message inside the panel, not a bar over the page ----



@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["390x844", "1280x800"])
async def test_the_age_check_request_is_a_message_in_the_panel_and_covers_neither_shop_nor_controls(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], viewport: ViewportSize,
) -> None:
    agent, _, agent_errors = await signed_in_console(server, browser, contexts)
    shop, errors = await customer_page(browser, contexts, f"{server.url}/", viewport)
    for sku in ("kaffe-450", SKU):
        await shop.click(f"[data-add='{sku}']")
    await shop.click("[data-go=cart]")
    await shop.click(HELP_BUTTON)
    case_id = await case_id_of(shop)
    await accepted(agent, shop, case_id)
    panel = agent.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
    # the customer minimised the panel; the agent proposes the check
    await shop.locator(DIALOG).get_by_role("button", name="Minimera").click()
    await expect(shop.locator(DIALOG)).to_be_hidden()
    await panel.locator(f"[data-action=propose-age-check][data-sku={SKU}]").click()

    # the panel opens itself with the question inside it, among its messages
    prompt = shop.locator(f"{DIALOG} #helpwire-consent .hwc-prompt")
    await expect(prompt).to_be_visible()
    await expect(prompt.locator(".hwc-question[lang=sv]")).to_contain_text(PURPOSE_SV)
    await expect(shop.locator(".hwc-bar")).to_have_count(0)
    for control in ("[data-action=end]", "[data-action=minimise]", "[data-action=consent-approve]",
                    "[data-action=consent-deny]"):
        await shop.locator(f"{DIALOG} {control}").scroll_into_view_if_needed()
        assert await shop.locator(f"{DIALOG} {control}").evaluate(HIT_TESTABLE_JS), \
            f"{control} is covered at {viewport}"
    # the English half of a button has the button's own colour, not grey on green
    approve = prompt.locator("[data-action=consent-approve]")
    colours = await approve.evaluate(
        "(b) => [getComputedStyle(b).color, getComputedStyle(b.querySelector('[lang=en]')).color]")
    assert colours[0] == colours[1], colours

    await prompt.locator("[data-action=consent-deny]").click()
    notice = shop.locator(f"{DIALOG} #helpwire-consent .hwc-notice")
    await expect(notice).to_contain_text("Okej, inget delas.")
    # minimised again: nothing of Helpwire lies over the shop's header
    await shop.locator(DIALOG).get_by_role("button", name="Minimera").click()
    await expect(shop.locator(DIALOG)).to_be_hidden()
    await shop.evaluate("() => window.scrollTo(0, 0)")
    header = shop.locator("header.site-header .brand")
    assert await header.evaluate(HIT_TESTABLE_JS), "the shop's header is covered"
    assert errors == [] and agent_errors == []
