"""Transfer, internal notes and earlier cases in the agent console, in headless Chromium.

Two agents' consoles and the customer's real Help widget on the demo shop: the receiver sees the
note in the offer and in the case, the customer sees who takes over and never a note.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.test_agent_console import (
    AgentConsole,
    Customers,
    OpenConsole,
    customers,
    open_console,
    serious_axe_violations,
)
from tests.support.live import LiveServer
from tests.support.widget import DIALOG, HELP_BUTTON, STATUS, case_id_of, open_page

__all__ = ["customers", "open_console"]  # fixtures used here

INTERNAL = "Kunden verkar stressad"
TRANSFER_NOTE = "Kvitto finns i påsen, vill byta storlek"
ALERT = f"{DIALOG} .hw-alert"


async def ready(console: AgentConsole, username: str, presence: str | None = "Tillgänglig") -> None:
    await console.sign_in(username)
    if presence:
        await console.set_presence(presence)


async def press_help(browser: Browser, server: LiveServer) -> tuple[Page, str]:
    """The customer presses Help on the demo shop (a general question)."""
    page = await open_page(browser, server.url + "/")
    await page.locator(HELP_BUTTON).click()
    await expect(page.get_by_role("dialog", name="Hjälp")).to_be_visible()
    return page, await case_id_of(page)


async def customer_never_saw(page: Page, *texts: str) -> None:
    shown = await page.content()
    for text in texts:
        assert text not in shown, f"the customer's page shows {text!r}"


async def test_a_transfer_to_a_colleague_shows_the_note_to_them_and_the_customer_who_takes_over(
    server: LiveServer, browser: Browser, open_console: OpenConsole, artifacts: Path,
) -> None:
    await server.create_agent("lisa", "Lisa")
    await server.create_agent("omar", "Omar")
    lisa = await open_console(server)
    await ready(lisa, "lisa")
    omar = await open_console(server)
    await ready(omar, "omar", presence="Upptagen")

    shop, case_id = await press_help(browser, server)
    panel = await lisa.accept(case_id)
    await expect(shop.locator(STATUS)).to_have_text("Lisa är här")
    await omar.set_presence("Tillgänglig")

    # an internal note, for agents only
    await panel.get_by_label("Ny intern anteckning").fill(INTERNAL)
    await panel.get_by_role("button", name="Spara anteckning").click()
    await expect(panel.locator('[data-field="notes"]')).to_contain_text(INTERNAL)

    # hand it to Omar, with a note that travels with it
    await panel.get_by_role("button", name="Överlämna ärendet…").click()
    await panel.get_by_label("Till", exact=True).select_option(label="Omar")
    await panel.get_by_label("Intern anteckning till mottagaren").fill(TRANSFER_NOTE)
    await lisa.page.screenshot(path=artifacts / "console-transfer-form.png")
    await panel.get_by_role("button", name="Överlämna", exact=True).click()
    await expect(panel.locator('[data-field="state"]')).to_have_text("Överlämnat")

    # the customer hears who takes over, at once
    await expect(shop.locator(ALERT)).to_have_text("Omar tar över")

    # Omar's offer says who handed it on and carries the note
    offer = omar.offer(case_id)
    await expect(offer.locator('[data-field="transfer"]')).to_contain_text("Överlämnat från Lisa")
    await expect(offer.locator('[data-field="transfer_note"]')).to_have_text(
        f"Anteckning: {TRANSFER_NOTE}")
    await omar.page.screenshot(path=artifacts / "console-transfer-offer.png")
    received = await omar.accept(case_id)
    notes = received.locator('[data-field="notes"]')
    await expect(notes).to_contain_text(INTERNAL)
    await expect(notes).to_contain_text(TRANSFER_NOTE)
    await expect(shop.locator(STATUS)).to_have_text("Omar är här")
    await omar.send(case_id, "Hej, Omar här")
    await expect(shop.locator(f"{DIALOG} .hw-msg-agent p").last).to_have_text("Hej, Omar här")
    await shop.screenshot(path=artifacts / "widget-after-transfer.png")
    await customer_never_saw(shop, INTERNAL, TRANSFER_NOTE)


async def test_a_transfer_to_a_queue_is_neutral_for_the_customer_and_the_note_reaches_the_queue(
    server: LiveServer, browser: Browser, open_console: OpenConsole,
) -> None:
    await server.create_agent("lisa", "Lisa")
    await server.create_agent("nils", "Nils", skills=("oncall",))
    lisa = await open_console(server)
    await ready(lisa, "lisa")
    nils = await open_console(server)
    await ready(nils, "nils", presence="Upptagen")

    shop, case_id = await press_help(browser, server)
    panel = await lisa.accept(case_id)
    await panel.get_by_role("button", name="Överlämna ärendet…").click()
    await panel.get_by_label("Till", exact=True).select_option(label="Beredskap 24/7 – 1 kan svara")
    await panel.get_by_label("Intern anteckning till mottagaren").fill(TRANSFER_NOTE)
    await panel.get_by_role("button", name="Överlämna", exact=True).click()
    await expect(panel.locator('[data-field="state"]')).to_have_text("Överlämnat")
    await expect(shop.locator(ALERT)).to_have_text(
        "Du kopplas vidare till Beredskap 24/7. Du är först i kön.")

    await nils.set_presence("Tillgänglig")
    offer = nils.offer(case_id)
    await expect(offer.locator('[data-field="transfer_note"]')).to_have_text(
        f"Anteckning: {TRANSFER_NOTE}")
    await nils.accept(case_id)
    await expect(shop.locator(STATUS)).to_have_text("Nils är här")
    await customer_never_saw(shop, TRANSFER_NOTE)


async def test_the_earlier_cases_panel_shows_label_outcome_and_rating_but_no_chat_text(
    server: LiveServer, open_console: OpenConsole, customers: Customers, axe_source: str,
    artifacts: Path,
) -> None:
    await server.create_agent("lisa", "Lisa")
    lisa = await open_console(server)
    await ready(lisa, "lisa")
    context = {"store": "s1", "language": "sv", "session_id": "sess-earlier-1"}

    first = await customers(server)
    first_id = await first.ask_for_help(context)
    await first.say("Var hittar jag kvittot?")
    panel = await lisa.accept(first_id)
    await panel.get_by_role("button", name="Avsluta samtal").click()
    await panel.get_by_label("Etikett").select_option("produkt saknas")
    await panel.get_by_text("Ja", exact=True).click()
    await panel.get_by_label("Avslutsanteckning (valfri, syns inte för kunden)").fill("Skickat kvitto")
    await panel.get_by_role("button", name="Stäng ärende").click()
    await expect(panel.locator('[data-field="state"]')).to_have_text("Stängt")
    ok = await first.client.call("feedback", {"rating": 4})
    assert ok["ok"], ok
    await first.client.close()

    second = await customers(server)
    second_id = await second.ask_for_help(context)
    panel = await lisa.accept(second_id)
    await panel.get_by_role("button", name="Visa tidigare ärenden").click()
    earlier = panel.locator('[data-field="earlier_cases"]')
    item = earlier.locator(f'[data-case-id="{first_id}"]')
    await expect(item).to_contain_text("produkt saknas – löst")
    await expect(item).to_contain_text("Betyg 4/5")
    await expect(item).to_contain_text("samma session")
    await expect(earlier).to_contain_text("Chatttext sparas inte")
    await expect(earlier).not_to_contain_text("kvittot")
    await expect(earlier).not_to_contain_text("Skickat kvitto")
    await lisa.page.screenshot(path=artifacts / "console-earlier-cases.png")
    assert await serious_axe_violations(lisa.page, axe_source) == []
