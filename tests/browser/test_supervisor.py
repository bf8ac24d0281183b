"""The supervisor view at /supervisor in headless Chromium against a live server: Swedish first
and English, the live case list and its filters, the drill-down timeline, the alert when a wait
passes the promise (banner, title badge, desktop notification), today's figures from the first
case, the weekly report in both languages, axe-core and screenshots at 1280×800 and 1024×768."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.integration.helpers import GENERAL_CONTEXT, agent, context, customer, ok, press_help
from tests.support.live import LiveServer, live_server
from tests.support.widget import serious_axe_violations

#: where reviewers find the screenshots (git-ignored, like all of var/)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SIZES = ((1280, 800), (1024, 768))

#: records each desktop notification the page creates (the browser shows none headless)
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: (options || {}).body || "" });
    }
  }
  window.Notification = Recorded;
})();
"""


async def open_view(browser: Browser, server: LiveServer, width: int = 1280, height: int = 800,
                    **options: object) -> tuple[BrowserContext, Page, list[str]]:
    browser_context = await browser.new_context(viewport={"width": width, "height": height},
                                                **options)  # type: ignore[arg-type]
    page = await browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{server.url}/supervisor")
    return browser_context, page, errors


async def sign_in(page: Page, username: str = "boss", *, swedish: bool = True) -> None:
    await page.get_by_label("Användarnamn" if swedish else "Username").fill(username)
    await page.get_by_label("Lösenord" if swedish else "Password").fill("password123")
    await page.get_by_role("button", name="Logga in" if swedish else "Sign in").click()


async def screenshots(browser_context: BrowserContext, page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"))
        # nothing is wider than the window
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)


async def test_swedish_case_list_filters_and_drill_down_timeline(
    browser: Browser, tmp_path: Path, axe_source: str
) -> None:
    async with live_server(tmp_path, supervisor_refresh_seconds=30) as server:
        await server.create_agent("boss", "Chefen", roles=("supervisor",))
        lisa = await agent(server, "lisa", "Lisa", available=False)
        browser_context, page, errors = await open_view(browser, server)
        await expect(page.locator("html")).to_have_attribute("lang", "sv")
        assert await serious_axe_violations(page, axe_source) == []
        await sign_in(page)
        rows = page.locator("#cases tr")
        await expect(page.locator("#cases-caption")).to_have_text("0 av 0 ärenden")

        first = await customer(server)
        general = await press_help(first, context(GENERAL_CONTEXT))
        second = await customer(server)
        english = await press_help(second, context(GENERAL_CONTEXT, language="en"))
        await expect(rows).to_have_count(2)
        await expect(page.locator(f'#cases tr[data-case="{english["case_id"]}"]')
                     ).to_contain_text("Engelska kön")
        await expect(page.locator("[data-alert=no_agent]")).to_have_count(2)

        # filters: by queue, by state, by waits past the promise
        await page.get_by_label("Kö", exact=True).select_option(label="Support")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-case", general["case_id"])
        await page.get_by_label("Kö", exact=True).select_option(label="Alla")
        await page.get_by_label("Status", exact=True).select_option(label="Pågår")
        await expect(page.locator("#cases-empty")).to_be_visible()
        await page.get_by_label("Status", exact=True).select_option(label="I kö")
        await expect(rows).to_have_count(2)
        await page.get_by_label("Bara väntan över löftet").check()
        await expect(rows).to_have_count(0)
        await page.get_by_label("Bara väntan över löftet").uncheck()
        await page.get_by_label("Status", exact=True).select_option(label="Alla")

        # the general case is answered: the list follows, the choice of filter stays
        await lisa.available()
        await lisa.client.wait_for("offer", lambda o: o["case_id"] == general["case_id"])
        ok(await lisa.call("offer_accept", {"case_id": general["case_id"]}))
        general_row = page.locator(f'#cases tr[data-case="{general["case_id"]}"]')
        await expect(general_row).to_have_attribute("data-state", "active")
        await expect(general_row).to_contain_text("Lisa")
        ok(await first.call("chat_send", {"text": "mitt kort nekas"}))
        ok(await lisa.call("chat_send", {"case_id": general["case_id"], "text": "jag kollar"}))

        # drill-down: the timeline from the stored history, never the chat text
        number = general["case_id"].replace("-", "")[:6].upper()
        await page.get_by_role("button", name=f"Visa tidslinje för ärende {number}").click()
        timeline = page.locator("#timeline ol.timeline li")
        await expect(page.locator("#timeline h3")).to_have_text(f"Ärende #{number}")
        await expect(timeline.first).to_contain_text("Öppnat i Support via")
        await expect(page.locator('#timeline li[data-type="answered"]')).to_contain_text(
            "Besvarat av Lisa")
        await expect(page.locator('#timeline li[data-type="chat_line"]')).to_have_count(2)
        await expect(page.locator("#timeline")).to_contain_text("Meddelande från kunden")
        await expect(page.locator("#timeline")).not_to_contain_text("mitt kort nekas")
        await expect(page.locator("#timeline dl")).to_have_attribute("data-outcome", "active")

        # today's figures carry real values from the first answered case
        await expect(page.locator('[data-figure="asa"]')).to_contain_text("uppfyllt")
        await expect(page.locator('[data-figure="cases"]')).to_contain_text("2")
        await expect(page.locator('[data-figure="cases"]')).to_contain_text("1 besvarade")
        await expect(page.locator('[data-figure="cases"]')).not_to_contain_text("ingen data")
        assert await serious_axe_violations(page, axe_source) == []
        await screenshots(browser_context, page, "supervisor-sv")

        # the open timeline follows the case to its outcome
        ok(await lisa.call("conversation_end", {"case_id": general["case_id"]}))
        ok(await lisa.call("case_close", {"case_id": general["case_id"],
                                          "label": "betalningsfråga", "resolved": True}))
        await expect(page.locator('#timeline li[data-type="closed"]')).to_have_text(
            re.compile(r"Avslutat: betalningsfråga, löst$"))
        await expect(page.locator("#timeline dl")).to_have_attribute("data-outcome", "closed")
        await expect(general_row).to_have_count(0)

        # the reading is in the access log, once
        await page.get_by_role("button", name="Uppdatera").click()
        viewed = page.locator('#access-log tr[data-action="case_timeline_viewed"]')
        await expect(viewed).to_have_count(1)
        await expect(viewed).to_contain_text("visade tidslinjen")
        await expect(viewed).to_contain_text(general["case_id"])
        assert errors == []
        for client in (first, second, lisa.client):
            await client.close()
        await browser_context.close()


async def test_a_wait_past_the_promise_raises_the_banner_the_badge_and_a_notification(
    browser: Browser, tmp_path: Path, axe_source: str
) -> None:
    async with live_server(tmp_path, supervisor_refresh_seconds=30, dispatch__promise_seconds=2.0) as server:
        await server.create_agent("boss", "Chefen", roles=("supervisor",))
        lisa = await agent(server, "lisa", "Lisa", available=False)
        browser_context, page, errors = await open_view(browser, server)
        await browser_context.grant_permissions(["notifications"], origin=server.url)
        await page.add_init_script(RECORD_NOTIFICATIONS)
        await page.reload()
        await sign_in(page)
        await expect(page.locator("#notify-state")).to_have_text("Skrivbordsnotiser är på.")
        await expect(page.locator("#alerts-none")).to_be_visible()

        shopper = await customer(server)
        case = await press_help(shopper)
        number = case["case_id"].replace("-", "")[:6].upper()
        over = page.locator("#alert-banner [data-alert=over_promise]")
        await expect(over).to_have_count(0)
        await expect(over).to_contain_text(f"Ärende #{number} i Support har väntat", timeout=5000)
        await expect(over).to_contain_text("längre än löftet på 2 s")
        await expect(page.locator(f'#cases tr[data-case="{case["case_id"]}"]')
                     ).to_contain_text("över löftet")
        await expect(page).to_have_title(re.compile(r"^\(2\) Helpwire – översikt$"))
        await page.get_by_label("Bara väntan över löftet").check()
        await expect(page.locator("#cases tr")).to_have_count(1)
        notes = await page.evaluate("window.__notifications")
        assert {n["title"] for n in notes} == {"Helpwire: larm"}
        assert any(number in n["body"] for n in notes), notes
        assert any("Support: 1 väntar" in n["body"] for n in notes), notes
        assert await serious_axe_violations(page, axe_source) == []
        await screenshots(browser_context, page, "supervisor-alert-sv")

        # an available agent takes it: the alerts go, the title loses its badge
        await lisa.available()
        await lisa.accept_next_offer()
        await expect(page.locator("#alerts-none")).to_be_visible()
        await expect(page).to_have_title("Helpwire – översikt")
        assert errors == []
        await shopper.close()
        await lisa.client.close()
        await browser_context.close()


async def test_english_view_timeline_and_the_weekly_report_in_both_languages(
    browser: Browser, tmp_path: Path, axe_source: str
) -> None:
    async with live_server(tmp_path, supervisor_refresh_seconds=30) as server:
        await server.create_agent("boss", "Chefen", roles=("supervisor",))
        lisa = await agent(server, "lisa", "Lisa")
        browser_context, page, errors = await open_view(browser, server)
        await page.get_by_role("button", name="Byt språk till English").click()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        assert await serious_axe_violations(page, axe_source) == []
        await sign_in(page, swedish=False)
        await expect(page.get_by_role("heading", name="Open cases")).to_be_visible()

        shopper = await customer(server)
        case = await press_help(shopper)
        await lisa.accept_next_offer()
        number = case["case_id"].replace("-", "")[:6].upper()
        await page.get_by_role("button", name=f"Show the timeline of case {number}").click()
        await expect(page.locator('#timeline li[data-type="answered"]')).to_have_text(
            re.compile(r"Answered by Lisa$"))
        await expect(page.locator('[data-figure="asa"]')).to_contain_text("met")
        assert await serious_axe_violations(page, axe_source) == []
        await screenshots(browser_context, page, "supervisor-en")

        # the weekly report opens in a new tab in the view's language
        async with browser_context.expect_page() as opened:
            await page.get_by_role("button", name=re.compile(r"^Open the weekly report 20")).click()
        report = await opened.value
        await report.wait_for_load_state()
        await expect(report.locator("html")).to_have_attribute("lang", "en")
        await expect(report.get_by_role("heading", level=1)).to_contain_text("Helpwire weekly report")
        assert "token" not in report.url and report.url.endswith("/supervisor/report")
        await report.close()

        # switching back to Swedish keeps the data and translates it
        await page.get_by_role("button", name="Switch language to Svenska").click()
        await expect(page.locator('#timeline li[data-type="answered"]')).to_have_text(
            re.compile(r"Besvarat av Lisa$"))
        await expect(page.get_by_role("heading", name="Pågående ärenden")).to_be_visible()
        # the page is self-contained under its own policy: nothing refused, nothing fetched
        report_problems: list[str] = []
        browser_context.on("console", lambda m: report_problems.append(m.text)
                           if m.page is not page else None)
        browser_context.on("request", lambda r: report_problems.append(r.url)
                           if not r.is_navigation_request() and r.frame.page is not page
                           else None)
        async with browser_context.expect_page() as opened:
            await page.get_by_role("button", name=re.compile(r"^Öppna veckorapporten 20")).click()
        report = await opened.value
        await report.wait_for_load_state()
        await expect(report.locator("html")).to_have_attribute("lang", "sv")
        await expect(report.get_by_role("heading", level=1)).to_contain_text("Helpwire veckorapport")
        assert await serious_axe_violations(report, axe_source) == []
        await expect(report.locator('[data-kpi="asa"]')).to_contain_text("mål")
        await expect(report.locator("#chart-asa")).to_contain_text("ASA per dag")
        assert report_problems == []
        await report.close()
        assert errors == []
        await shopper.close()
        await lisa.client.close()
        await browser_context.close()


async def test_an_agent_without_the_role_is_told_so_in_both_languages(
    browser: Browser, tmp_path: Path
) -> None:
    async with live_server(tmp_path) as server:
        await server.create_agent("omar", "Omar")
        page = await browser.new_page()
        await page.goto(f"{server.url}/supervisor")
        await sign_in(page, "omar")
        await expect(page.locator("#login-error")).to_contain_text("kräver rollen supervisor")
        await page.get_by_role("button", name="Byt språk till English").click()
        await sign_in(page, "omar", swedish=False)
        await expect(page.locator("#login-error")).to_contain_text("needs the supervisor role")
        await page.close()


async def test_the_swedish_and_english_catalogues_have_the_same_texts(
    browser: Browser, tmp_path: Path
) -> None:
    async with live_server(tmp_path) as server:
        page = await browser.new_page()
        await page.goto(f"{server.url}/supervisor")
        missing = await page.evaluate("""async () => {
            const { catalogue } = await import("/static/supervisor/messages.js");
            const sv = Object.keys(catalogue.sv), en = Object.keys(catalogue.en);
            return { en: sv.filter((k) => !en.includes(k)), sv: en.filter((k) => !sv.includes(k)),
                     count: sv.length };
        }""")
        assert missing["en"] == [] and missing["sv"] == [] and missing["count"] > 100
        await page.close()
