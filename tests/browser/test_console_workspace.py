"""The agent console as a workplace, in headless Chromium against a live server: three fixed panes
with no page scroll at 1280×800 and 1024×768, offers that cannot be missed (in view, focusable,
a desktop notification while the tab is hidden, a title badge), case tabs that tell customers
apart, and a case that says truthfully when the customer has gone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.test_agent_console import (
    AgentConsole,
    Customer,
    Customers,
    OpenConsole,
    customers,
    general_context,
    open_console,
    serious_axe_violations,
)
from tests.browser.test_consent import kiosk_case, signed_in_console
from tests.support.live import LiveServer, live_server

__all__ = ["customers", "open_console"]  # fixtures used here

SIZES = [(1280, 800), (1024, 768)]
TITLE = "Helpwire – agentkonsol"

#: records every Notification the page constructs, and lets the test put the tab in the
#: background (the console reads document.hidden, as a real hidden tab reports it)
NOTIFICATION_SPY = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      const record = { title, body: options?.body ?? "", tag: options?.tag ?? "" };
      window.__notifications.push(record);
      super(title, options);
      record.instance = this;
    }
  }
  window.Notification = Recorded;
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
})();
"""

PAGE_FITS_JS = """() => {
  const page = document.scrollingElement;
  return { scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth,
           height: window.innerHeight, width: window.innerWidth };
}"""


async def assert_page_fits(page: Page) -> None:
    """No page scroll: the document is exactly the viewport (each pane scrolls on its own)."""
    size = await page.evaluate(PAGE_FITS_JS)
    assert size["scrollHeight"] == size["height"], size
    assert size["scrollWidth"] <= size["width"], size


async def assert_in_viewport(page: Page, selector: str) -> None:
    box = await page.locator(selector).bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)


async def available_agent(server: LiveServer, open_console: OpenConsole,
                          max_concurrent: int = 1) -> AgentConsole:
    """Lisa, signed in and Available, in a console of her own."""
    await server.create_agent("lisa", "Lisa", max_concurrent=max_concurrent)
    console = await open_console(server)
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")
    return console


async def busy_case(console: AgentConsole, customer: Customer, store: str, first: str) -> str:
    """A case accepted and with a long conversation, so its panel has more than fits."""
    case_id = await customer.ask_for_help(general_context(store))
    await console.accept(case_id)
    await customer.say(first)
    await expect(console.message(case_id, first)).to_be_visible()
    for n in range(12):
        await console.send(case_id, f"Svar nummer {n} till kunden, lite längre så att raden bryts.")
    return case_id


# ---------------------------------------------------------------------------- layout


async def test_at_both_sizes_the_page_never_scrolls_and_an_offer_during_a_case_is_in_view_and_focusable(
    server: LiveServer, open_console: OpenConsole, customers: Customers, artifacts: Path
) -> None:
    console = await available_agent(server, open_console, max_concurrent=2)
    page = console.page
    await page.set_viewport_size({"width": 1280, "height": 800})
    await assert_page_fits(page)

    anna = await customers(server)
    case_a = await busy_case(console, anna, "s1", "Jag hittar inte mjölken")
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s2"))
    offer = console.offer(case_b)
    await expect(offer).to_be_visible()
    # the open case keeps its focus in the message box: the offer still arrived in view
    await expect(console.panel(case_a).get_by_label("Meddelande till kunden")).to_be_focused()

    for width, height in SIZES:
        await page.set_viewport_size({"width": width, "height": height})
        await assert_page_fits(page)
        await assert_in_viewport(page, f'article.offer-card[data-case-id="{case_b}"]')
        await page.screenshot(path=str(artifacts / f"console-offer-during-case-{width}x{height}.png"))
        # reachable by keyboard: Alt+O goes to the oldest offer's accept button
        await console.panel(case_a).get_by_label("Meddelande till kunden").focus()
        await page.keyboard.press("Alt+o")
        await expect(offer.get_by_role("button", name="Acceptera")).to_be_focused()
        await assert_in_viewport(page, f'article.offer-card[data-case-id="{case_b}"] button.accept')

    # Alt+A accepts it; the new case opens beside the first, still without page scroll
    await page.keyboard.press("Alt+a")
    await expect(offer).to_have_count(0)
    await expect(console.tab(case_b)).to_have_attribute("aria-selected", "true")
    await assert_page_fits(page)
    assert console.errors == []


async def test_a_kiosk_screen_share_fits_its_pane_with_a_full_screen_button(
    tmp_path: Path, browser: Browser, contexts: list[BrowserContext], artifacts: Path
) -> None:
    async with live_server(tmp_path, media_host_addresses=["127.0.0.1"]) as server:
        agent = await signed_in_console(server, browser, contexts)
        await agent.set_viewport_size({"width": 1280, "height": 800})
        kiosk, case_id, kiosk_errors = await kiosk_case(server, browser, contexts, agent)
        panel = agent.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')
        await panel.locator("[data-action=request-screen]").click()
        await kiosk.locator("#kiosk-prompts [data-action=consent-approve]").click(timeout=20_000)
        video = panel.locator("video.consent-video")
        await expect(video).to_be_visible(timeout=20_000)
        await video.evaluate(
            "(v) => new Promise((ok) => v.readyState >= 2 ? ok() : v.addEventListener('loadeddata', ok))")
        assert await video.evaluate("(v) => v.videoWidth") > 0

        for width, height in SIZES:
            await agent.set_viewport_size({"width": width, "height": height})
            await assert_page_fits(agent)
            box = await video.bounding_box()
            pane = await agent.locator("#case-panels").bounding_box()
            assert box is not None and pane is not None
            assert box["x"] + box["width"] <= pane["x"] + pane["width"] + 1, (box, pane)
            assert await video.evaluate("(v) => getComputedStyle(v).objectFit") == "contain"
            await agent.screenshot(path=str(artifacts / f"console-screen-share-{width}x{height}.png"))
        await expect(panel.locator("[data-action=consent-fullscreen]")).to_be_visible()
        assert kiosk_errors == []


# ---------------------------------------------------------------------------- never miss an offer


async def test_an_offer_in_a_hidden_tab_raises_a_notification_whose_click_focuses_the_offer(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext], customers: Customers
) -> None:
    await server.create_agent("lisa", "Lisa", max_concurrent=2)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE",
                                        permissions=["notifications"])
    contexts.append(context)
    await context.add_init_script(NOTIFICATION_SPY)
    page = await context.new_page()
    console = AgentConsole(page, server)
    page.on("pageerror", lambda error: console.errors.append(str(error)))
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")
    assert await page.evaluate("Notification.permission") == "granted"
    await expect(page.locator("[data-field=notify-state]")).to_have_text(
        "Aviseringar är på: du får en avisering när en kund väntar och fliken inte syns.")
    await expect(page).to_have_title(TITLE)

    # in view, an offer chimes and shows its card, but no notification
    anna = await customers(server)
    case_a = await anna.ask_for_help(general_context("s1"))
    await expect(console.offer(case_a)).to_be_visible()
    await expect(page).to_have_title(f"(1) {TITLE}")
    assert await page.evaluate("window.__notifications.length") == 0
    await console.accept(case_a)
    await expect(page).to_have_title(TITLE)

    # in the background: a notification for the next offer, and the badge counts it
    await page.evaluate("window.__setHidden(true)")
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s2"))
    await page.wait_for_function("window.__notifications.length === 1")
    (shown,) = await page.evaluate("window.__notifications.map(({title, body, tag}) => ({title, body, tag}))")
    assert shown["title"] == "Kund väntar – Support"
    assert re.fullmatch(r"s2: svara inom \d+ s", shown["body"]), shown
    assert shown["tag"] == f"offer-{case_b}"
    await expect(page).to_have_title(f"(1) {TITLE}")
    # …and a customer message in the open case while hidden counts as unread
    await anna.say("Hallå?")
    await expect(page).to_have_title(f"(2) {TITLE}")

    # clicking the notification brings the tab forward with the offer focused
    await page.evaluate("window.__setHidden(false)")
    await page.evaluate("window.__notifications[0].instance.onclick()")
    await expect(console.offer(case_b).get_by_role("button", name="Acceptera")).to_be_focused()
    await expect(page).to_have_title(f"(1) {TITLE}")  # the message is read now it is in view
    assert console.errors == []


async def test_the_permission_is_asked_from_a_button_that_explains_why(
    server: LiveServer, open_console: OpenConsole
) -> None:
    await server.create_agent("lisa", "Lisa")
    console = await open_console(server)
    await console.sign_in("lisa")
    alerts = console.page.locator("#alerts")
    if await console.page.evaluate("Notification.permission") == "default":
        await expect(alerts.locator("#notify-explain")).to_contain_text(
            "Få en skrivbordsavisering när en kund väntar på dig")
        button = alerts.get_by_role("button", name="Slå på aviseringar")
        await button.click()
    # whatever the browser answered is said instead of the button, never asked again
    await expect(alerts.get_by_role("button", name="Slå på aviseringar")).to_have_count(0)
    await expect(alerts.locator("[data-field=notify-state]")).to_be_visible()


async def test_the_shortcuts_are_listed_in_a_help_overlay_opened_with_the_question_mark(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    console = await available_agent(server, open_console, max_concurrent=3)
    page = console.page
    await page.locator("#presence-title").focus()
    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Kortkommandon")
    await expect(dialog).to_be_visible()
    for text in ("Acceptera det äldsta erbjudandet", "Avböj det äldsta erbjudandet", "Nästa ärende",
                 "Skicka meddelandet", "Avsluta samtalet i det öppna ärendet"):
        await expect(dialog).to_contain_text(text)
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # Alt+A accepts, Alt+N moves to the next case, Alt+E ends the open conversation
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s2"))
    await expect(console.offer(case_b)).to_be_visible()
    await page.keyboard.press("Alt+a")
    await expect(console.tab(case_b)).to_have_attribute("aria-selected", "true")
    cecilia = await customers(server)
    case_c = await cecilia.ask_for_help(general_context("s3"))
    await console.accept(case_c)
    await page.keyboard.press("Alt+n")
    await expect(console.tab(case_b)).to_have_attribute("aria-selected", "true")
    await expect(console.panel(case_b).get_by_label("Meddelande till kunden")).to_be_focused()
    await page.keyboard.press("Alt+e")
    await expect(console.panel(case_b).get_by_label("Etikett")).to_be_visible()
    # typing "?" in the message box is text, not the overlay
    await console.tab(case_c).click()
    await console.panel(case_c).get_by_label("Meddelande till kunden").type("Va?")
    await expect(dialog).to_be_hidden()
    # Alt+D declines the oldest offer
    anna = await customers(server)
    case_a = await anna.ask_for_help(general_context("s1"))
    await expect(console.offer(case_a)).to_be_visible()
    await page.keyboard.press("Alt+d")
    await expect(console.offer(case_a)).to_have_count(0)


# ---------------------------------------------------------------------------- tell customers apart


async def test_two_cases_from_the_same_store_and_queue_are_told_apart_in_their_tabs(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    console = await available_agent(server, open_console, max_concurrent=2)
    anna = await customers(server)
    case_a = await anna.ask_for_help(general_context("s1"))
    await console.accept(case_a)
    await anna.say("Jag hittar inte mjölken någonstans i hela butiken, var står den egentligen?")
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s1"))
    await console.accept(case_b)
    await bertil.say("Kassan har frusit")

    tab_a, tab_b = console.tab(case_a), console.tab(case_b)
    await expect(tab_a.locator(".tab-title")).to_have_text("s1 · Support")
    await expect(tab_b.locator(".tab-title")).to_have_text("s1 · Support")
    # the short number, as the supervisor board shows it
    number_a = case_a.replace("-", "")[:6].upper()
    number_b = case_b.replace("-", "")[:6].upper()
    await expect(tab_a.locator("[data-field=number]")).to_have_text(f"#{number_a}")
    await expect(tab_b.locator("[data-field=number]")).to_have_text(f"#{number_b}")
    # the first words of the customer's first message
    await expect(tab_a.locator("[data-field=excerpt]")).to_have_text(
        "”Jag hittar inte mjölken någonstans i hela butiken,…”")
    await expect(tab_b.locator("[data-field=excerpt]")).to_have_text("”Kassan har frusit”")
    # the channel, with its icon, and the live talk time
    await expect(tab_a.locator("[data-field=channel]")).to_have_text("Webb")
    await expect(tab_a.locator(".tab-channel svg")).to_have_count(1)
    await expect(tab_a.locator("[data-field=time]")).to_have_text(
        re.compile(r"^pågår \d+ s$|^pågår \d+:\d\d$"))
    first = await tab_a.locator("[data-field=time]").inner_text()
    await expect(tab_a.locator("[data-field=time]")).not_to_have_text(first, timeout=3000)
    # an unread count on the tab not in view
    await anna.say("Hallå?")
    await expect(tab_a.locator("[data-field=unread]")).to_have_text("1 nya")
    assert await tab_a.inner_text() != await tab_b.inner_text()


# ---------------------------------------------------------------------------- truthful state


async def test_a_customer_who_leaves_is_shown_at_once_and_wrap_up_is_offered(
    tmp_path: Path, open_console: OpenConsole, customers: Customers
) -> None:
    async with live_server(tmp_path, customer_grace_seconds=1, voice_hint_after_seconds=1) as server:
        console = await available_agent(server, open_console)
        customer = await customers(server)
        case_id = await customer.ask_for_help(general_context("s1"))
        panel = await console.accept(case_id)
        state = panel.locator('[data-field="state"]')
        await expect(state).to_have_text("Pågår")
        hint = panel.locator('[data-field="media_hint"]')
        await expect(hint).to_contain_text("föreslå röst?", timeout=10_000)

        await customer.client.close()
        # the socket closing is seen at once: 2 s leaves room for a loaded machine, not a poll
        await expect(state).to_have_text(
            "Pågår – kunden tappade anslutningen och kan komma tillbaka.", timeout=2000)
        await expect(hint).to_be_hidden()  # the suggestion no longer applies
        await expect(panel.get_by_role("button", name="Föreslå röst")).to_be_hidden()
        await expect(console.tab(case_id)).to_contain_text("kunden frånkopplad")

        # past the grace period: gone for good, and ending is the next step
        await expect(state).to_have_text(
            "Kunden har lämnat. Avsluta samtalet och gör efterarbetet.", timeout=8000)
        await expect(console.tab(case_id)).to_contain_text("kunden har gått")
        wrap = panel.get_by_role("button", name="Avsluta och gör efterarbete")
        await expect(wrap).to_have_class(re.compile(r"\bprimary\b"))
        await wrap.click()
        await expect(panel.get_by_label("Etikett")).to_be_visible()
        await expect(state).to_have_text("Samtalet är avslutat – sätt etikett och stäng ärendet.")


# ---------------------------------------------------------------------------- accessibility


async def test_the_workspace_has_no_serious_accessibility_violations_in_both_languages_at_both_sizes(
    server: LiveServer, open_console: OpenConsole, customers: Customers, axe_source: str,
    artifacts: Path
) -> None:
    console = await available_agent(server, open_console, max_concurrent=2)
    page = console.page
    anna = await customers(server)
    case_a = await anna.ask_for_help({**general_context("s1"), "cart": {"lines": [
        {"sku": "kaffe-450", "name": "Kaffe 450 g", "quantity": 1, "unit_price": 59.9}]}})
    await console.accept(case_a)
    await anna.say("Jag hittar inte mjölken")
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s2"))
    await expect(console.offer(case_b)).to_be_visible()

    checked: dict[str, Any] = {}
    for language in ("sv", "en"):
        if language == "en":
            await page.get_by_role("button", name=re.compile("English")).click()
            await expect(page.locator("html")).to_have_attribute("lang", "en")
        for width, height in SIZES:
            await page.set_viewport_size({"width": width, "height": height})
            await assert_page_fits(page)
            await page.screenshot(path=str(artifacts / f"console-{language}-{width}x{height}.png"))
            checked[f"{language}-{width}x{height}"] = await serious_axe_violations(page, axe_source)
        await page.locator("#shortcuts-open").click()
        await expect(page.get_by_role("dialog")).to_be_visible()
        checked[f"{language}-help"] = await serious_axe_violations(page, axe_source)
        await page.keyboard.press("Escape")
        await expect(page.get_by_role("dialog")).to_be_hidden()
    assert all(v == [] for v in checked.values()), checked
