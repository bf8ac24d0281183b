"""A photo from the widget reaches the agent's console with its EXIF gone and no file written.

Both sides are headless Chromium against a live server in this process: the customer on the demo
shop picks a photo (a JPEG with GPS in its EXIF, an ICC profile and a comment) in the panel; the
agent's console shows it inline. What the console shows is read back from its page and checked
for metadata; the server opened no file but its database for writing meanwhile.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, ViewportSize, expect

from tests.support.live import LiveServer
from tests.support.photos import assert_clean_jpeg, heic_header, jpeg_with_metadata
from tests.support.widget import (
    DESKTOP,
    DIALOG,
    HELP_BUTTON,
    HIT_TESTABLE_JS,
    MOBILE,
    STATUS,
    case_id_of,
    open_page,
    serious_axe_violations,
)
from tests.support.write_audit import watching_writes

PHOTO_BUTTON = f"{DIALOG} button[data-action=photo]"


async def signed_in_console(browser: Browser, server: LiveServer, errors: list[str]) -> Page:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{server.url}/agent")
    await page.get_by_label("Användarnamn").fill("lisa")
    await page.get_by_label("Lösenord").fill("password123")
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.locator("#connection")).to_have_text("Ansluten")
    await page.get_by_role("radio", name="Tillgänglig").check()
    return page


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["phone", "desktop"])
async def test_a_photo_from_the_widget_reaches_the_console_without_exif_and_no_file_is_written(
    server: LiveServer, browser: Browser, artifacts: Path, axe_source: str, viewport: ViewportSize,
) -> None:
    await server.create_agent("lisa", "Lisa")
    errors: list[str] = []
    console = await signed_in_console(browser, server, errors)
    shop = await open_page(browser, server.url + "/", viewport=viewport)
    shop.on("pageerror", lambda error: errors.append(str(error)))
    await shop.click(HELP_BUTTON)
    await expect(shop.locator(f"{DIALOG}[data-case-id]")).to_have_count(1)
    case_id = await case_id_of(shop)
    # no photo button while nobody is there to see the photo
    await expect(shop.locator(PHOTO_BUTTON)).to_be_hidden()

    offer = console.locator(f'article.offer-card[data-case-id="{case_id}"]')
    await offer.get_by_role("button", name="Acceptera").click()
    panel = console.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
    await expect(panel).to_be_visible()
    await expect(shop.locator(STATUS)).to_have_text(re.compile("Lisa"))

    # what the console is given, byte for byte, on its way in
    given: list[tuple[int, dict[str, str], bytes]] = []

    async def keep_a_copy(route: Route) -> None:
        response = await route.fetch()
        given.append((response.status, response.headers, await response.body()))
        await route.fulfill(response=response)

    await console.route(re.compile(r"/api/photos/\w+$"), keep_a_copy)
    button = shop.get_by_role("button", name="Skicka ett foto")
    await expect(button).to_be_visible()
    upload = jpeg_with_metadata(2400, 1800)
    async with watching_writes() as watch:
        async with shop.expect_file_chooser() as chooser:
            await button.click()
        await (await chooser.value).set_files(
            {"name": "kvitto.jpg", "mimeType": "image/jpeg", "buffer": upload})
        sent = shop.locator(f"{DIALOG} .hw-photo")
        await expect(sent).to_have_attribute("data-photo", "sent")
        await expect(sent.locator(".hw-photo-status")).to_have_text(
            "Fotot är skickat. Bara den som hjälper dig ser det, och det sparas inte.")
        await expect(sent.locator("img")).to_have_attribute("alt", "Ditt foto")

        shown = panel.locator(".msg-photo[data-photo=shown] img")
        await expect(shown).to_be_visible()
        await expect(shown).to_have_attribute("alt", "Foto från kunden (1600×1200)")
        await expect(panel.locator(".msg-photo-caption")).to_have_text(
            re.compile(r"^Foto · 1600×1200 · \d+ kB · sparas inte$"))
        assert await shown.evaluate("img => img.complete && img.naturalWidth") == 1600
        await server.flush()
    [(status, headers, received)] = given
    assert status == 200 and headers["cache-control"] == "no-store"
    assert_clean_jpeg(received)  # EXIF (GPS, camera), ICC profile, comment: gone
    assert received[:2] == b"\xff\xd8" and len(received) < len(upload) * 2
    assert watch.strays() == [], f"files opened for writing while the photo was sent: {watch.strays()}"
    await shop.screenshot(path=artifacts / f"widget-photo-sent-{viewport['width']}.png")
    # the panel with a photo in it: no serious accessibility violation, the button reachable
    assert await serious_axe_violations(shop, axe_source) == []
    assert await shop.locator(PHOTO_BUTTON).evaluate(HIT_TESTABLE_JS), "the photo button is covered"
    await console.screenshot(path=artifacts / f"console-photo-shown-{viewport['width']}.png")

    # a HEIC from an iPhone is refused with words that say what to do
    async with shop.expect_file_chooser() as chooser:
        await button.click()
    await (await chooser.value).set_files(
        {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": heic_header()})
    refused = shop.locator(f"{DIALOG} .hw-photo[data-photo=failed]")
    await expect(refused).to_have_attribute("data-error-code", "photo_type_refused")
    await expect(refused.locator(".hw-photo-status")).to_have_text(
        re.compile("^HEIC-bilder kan vi inte läsa"))
    await expect(panel.locator(".msg-photo")).to_have_count(1)

    # a reload on either side: the console shows the photo again, the widget says one was sent
    await console.reload()
    panel = console.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
    await expect(panel.locator(".msg-photo[data-photo=shown] img")).to_be_visible()
    await expect(panel.locator(".msg-photo")).to_have_count(1)
    await shop.reload()
    await expect(shop.locator(f"{DIALOG} .hw-photo[data-photo=sent]")).to_have_text(
        "Du: Du skickade ett foto.")
    assert errors == [], errors
