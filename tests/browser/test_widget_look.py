"""The widget's look follows the customer: a language switch in the panel, the page's dark or light
colour scheme, reduced motion, and SVG icons and faces that need no emoji font."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    CONTRAST_JS,
    DIALOG,
    HELP_BUTTON,
    MOBILE,
    case_id_of,
    open_page,
    serious_axe_violations,
    signed_in_agent,
)

#: emoji and other pictographs: none of the widget's controls may depend on an emoji font
EMOJI_JS = "(el) => /\\p{Extended_Pictographic}/u.test(el.textContent)"


async def luminance_of_panel(page: Page) -> float:
    colour = await page.locator(DIALOG).evaluate("(el) => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(part) for part in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


async def test_the_panel_switches_between_swedish_and_english_and_keeps_the_choice(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server):
        page = await open_page(browser, server.url + "/", MOBILE)
        try:
            await page.locator(HELP_BUTTON).click()
            await case_id_of(page)
            dialog = page.locator(DIALOG)
            await expect(dialog.locator(".hw-title")).to_have_text("Hjälp")
            switch = dialog.locator("[data-action=language]")
            await expect(switch).to_have_text("In English")
            await expect(switch).to_have_attribute("lang", "en")
            await switch.click()
            await expect(dialog.locator(".hw-title")).to_have_text("Help")
            await expect(dialog.locator("[data-action=end]")).to_have_text("End")
            await expect(dialog.locator("[data-action=minimise]")).to_have_text("Minimise")
            await expect(dialog.locator(".hw-composer button[type=submit]")).to_have_text("Send")
            await expect(switch).to_have_text("På svenska")
            await expect(switch).to_have_attribute("lang", "sv")
            await expect(page.locator("[data-helpwire]")).to_have_attribute("lang", "en")
            assert await switch.evaluate("(b) => b.getRootNode().activeElement === b"), "focus stays on it"
            # the choice outlives a reload of the tab
            await page.reload()
            await expect(dialog.locator(".hw-title")).to_have_text("Help")
            await switch.click()
            await expect(dialog.locator(".hw-title")).to_have_text("Hjälp")
        finally:
            await page.context.close()


async def test_a_dark_colour_scheme_gets_a_dark_panel_whose_texts_all_read_at_4_5_to_1(
    server: LiveServer, browser: Browser, axe_source: str
) -> None:
    async with signed_in_agent(server) as agent:
        page = await open_page(browser, server.url + "/")
        try:
            await page.locator(HELP_BUTTON).click()
            case_id = await case_id_of(page)
            assert await luminance_of_panel(page) > 0.95  # light by default: white
            await page.emulate_media(color_scheme="dark")
            assert await luminance_of_panel(page) < 0.15
            text = await page.locator(f"{DIALOG} .hw-status-main").evaluate(CONTRAST_JS)
            assert text["ratio"] >= 4.5 or text["backgroundAlpha"] == 0, text
            assert await serious_axe_violations(page, axe_source) == []
            await agent.presence("available")
            await agent.accept_offer()
            await agent.say(case_id, "Hej!")
            await expect(page.locator(f"{DIALOG} .hw-msg-agent p")).to_have_text("Hej!")
            assert await serious_axe_violations(page, axe_source) == []
            await agent.call("case_close", {"case_id": case_id, "label": "betalningsfråga", "resolved": True})
            await expect(page.get_by_role("button", name="Betyg 1 av 5: Mycket dåligt")).to_be_visible()
            assert await serious_axe_violations(page, axe_source) == []
            await page.emulate_media(color_scheme="light")
            assert await serious_axe_violations(page, axe_source) == []
        finally:
            await page.context.close()


async def test_the_panel_moves_only_for_customers_who_have_not_asked_for_reduced_motion(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server):
        page = await open_page(browser, server.url + "/")  # a context with reduced motion
        try:
            dialog = page.locator(DIALOG)
            await page.locator(HELP_BUTTON).click()
            await case_id_of(page)
            assert await dialog.evaluate("(el) => getComputedStyle(el).animationName") == "none"
            await page.emulate_media(reduced_motion="no-preference")
            assert await dialog.evaluate("(el) => getComputedStyle(el).animationName") == "hw-rise"
        finally:
            await page.context.close()


async def test_the_icons_and_the_five_rating_faces_are_svg_not_emoji(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server, presence="available") as agent:
        page = await open_page(browser, server.url + "/")
        try:
            button = page.locator(HELP_BUTTON)
            await expect(button.locator("svg")).to_have_count(1)
            assert not await button.evaluate(EMOJI_JS)
            await button.click()
            case_id = await case_id_of(page)
            await agent.accept_offer()
            await agent.say(case_id, "Hej!")
            photo = page.locator(f"{DIALOG} [data-action=photo]")
            await expect(photo.locator("svg")).to_have_count(1)
            await agent.call("case_close", {"case_id": case_id, "label": "betalningsfråga", "resolved": True})
            faces = page.locator(f"{DIALOG} .hw-rating")
            await expect(faces).to_have_count(5)
            for index in range(5):
                face = faces.nth(index)
                await expect(face.locator("svg")).to_have_count(1)
                assert not await face.evaluate(EMOJI_JS)
            # the face smiles more with the rating: each mouth is its own shape
            mouths = await faces.evaluate_all(
                "(all) => all.map((f) => f.querySelector('svg path').getAttribute('d'))")
            assert len(set(mouths)) == 5
            assert not await page.locator("[data-helpwire]").evaluate(EMOJI_JS)
        finally:
            await page.context.close()
