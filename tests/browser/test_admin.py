"""The admin page at /admin in headless Chromium against a live server: every change takes
effect without a restart and is in the audit log. An agent created in /admin signs in to /agent;
a capacity raised in /admin brings the next offer at once; a quick reply added in /admin is in the
console after it reloads; a store's opening hours set in /admin change the widget's promise.
Swedish first and English, axe-core (no serious or critical violations) and screenshots at
1280×800 and 1024×768."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.test_agent_console import AgentConsole
from tests.integration.helpers import active_case, agent, context, customer, press_help
from tests.support.live import LiveServer
from tests.support.widget import PROMISE, SV_PROMISE, open_page, serious_axe_violations

SIZES = ((1280, 800), (1024, 768))
SHOP_STORE = "kvartersbutiken-sthlm"  # web_client/shop/helpwire-config.js


async def open_admin(browser: Browser, contexts: list[BrowserContext],
                     locale: str = "sv-SE") -> tuple[Page, list[str]]:
    browser_context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                                locale=locale)
    contexts.append(browser_context)
    page = await browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


async def sign_in(page: Page, server: LiveServer, username: str = "ada", *,
                  swedish: bool = True) -> None:
    await page.goto(f"{server.url}/admin")
    login = page.locator("#login")
    await login.get_by_label("Användarnamn" if swedish else "Username").fill(username)
    await login.get_by_label("Lösenord" if swedish else "Password").fill("password123")
    await login.get_by_role("button", name="Logga in" if swedish else "Sign in").click()
    await expect(page.locator("#board")).to_be_visible()


async def screenshots(page: Page, artifacts: Path, name: str) -> None:
    for width, height in SIZES:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(artifacts / f"{name}-{width}x{height}.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    await page.set_viewport_size({"width": 1280, "height": 800})


def audit_row(page: Page, action: str) -> object:
    return page.locator(f'#audit tr[data-action="{action}"]')


async def test_an_agent_created_in_swedish_signs_in_to_the_console_at_once_and_is_in_the_log(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer, axe_source: str,
    artifacts: Path,
) -> None:
    await server.create_agent("ada", "Ada", roles=("admin",))
    page, errors = await open_admin(browser, contexts)
    await page.goto(f"{server.url}/admin")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert await serious_axe_violations(page, axe_source) == []
    await sign_in(page, server)
    await expect(page.locator("#status")).to_have_text("Inloggad som Ada")

    create = page.locator("#agent-create")
    await create.get_by_label("Användarnamn").fill("omar")
    await create.get_by_label("Namn", exact=True).fill("Omar")
    await create.get_by_label("Lösenord (minst 8 tecken)").fill("omar-password")
    await create.get_by_label("Kompetenser (kommaseparerade)").fill("payments, oncall")
    await create.get_by_label("Svenska").check()
    await create.get_by_label("Ärenden samtidigt").fill("2")
    await create.get_by_role("button", name="Skapa agent").click()
    await expect(page.locator("#saved")).to_have_text("Sparat: ny agent omar. Gäller direkt.")
    row = page.locator('#agents tr[data-agent="omar"]')
    await expect(row).to_contain_text("oncall, payments")
    created = audit_row(page, "agent_created")
    await expect(created).to_contain_text("Agent skapad")
    await expect(created).to_contain_text("ada")
    await expect(created).to_contain_text('password: "set"')

    # a value the settings file would refuse: 422 with the field, shown beside the form
    await create.get_by_label("Användarnamn").fill("kim")
    await create.get_by_label("Namn", exact=True).fill("Kim")
    await create.get_by_label("Lösenord (minst 8 tecken)").fill("kim-password")
    await create.get_by_label("Ärenden samtidigt").fill("21")
    await create.get_by_role("button", name="Skapa agent").click()
    await expect(page.locator("#create-error")).to_contain_text("max_concurrent: at most 20")

    assert await serious_axe_violations(page, axe_source) == []
    await screenshots(page, artifacts, "admin-sv")

    console_context = await browser.new_context(viewport={"width": 1366, "height": 900})
    contexts.append(console_context)
    console = AgentConsole(await console_context.new_page(), server)
    await console.sign_in("omar", "omar-password")
    assert errors == []


async def test_in_english_a_capacity_raised_in_admin_brings_the_next_offer_at_once(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer, axe_source: str,
    artifacts: Path,
) -> None:
    await server.create_agent("ada", "Ada", roles=("admin",))
    omar = await agent(server, "omar", "Omar", max_concurrent=1)
    await active_case(server, omar)
    waiting = await press_help(await customer(server), context())
    page, errors = await open_admin(browser, contexts, locale="en-GB")
    await page.goto(f"{server.url}/admin")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await sign_in(page, server, swedish=False)
    await page.get_by_role("button", name="Edit omar").click()
    edit = page.locator("#agent-edit")
    await expect(edit.get_by_role("heading", name="Edit omar")).to_be_focused()
    await edit.get_by_label("Cases at once").fill("2")
    await edit.get_by_role("button", name="Save agent").click()
    await expect(page.locator("#saved")).to_have_text("Saved: agent omar. In effect now.")
    offer = await omar.client.wait_for("offer", lambda o: o["case_id"] == waiting["case_id"])
    assert offer["case_id"] == waiting["case_id"]
    changed = audit_row(page, "agent_changed")
    await expect(changed).to_contain_text("Agent changed")
    await expect(changed).to_contain_text("max_concurrent: 1 → 2")
    await expect(page.locator('#agents tr[data-agent="omar"] td').nth(5)).to_have_text("2")
    assert await serious_axe_violations(page, axe_source) == []
    await screenshots(page, artifacts, "admin-en")
    # the switch back to Swedish
    await page.get_by_role("button", name="Change language to Svenska").click()
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    await expect(changed).to_contain_text("Agent ändrad")
    assert await serious_axe_violations(page, axe_source) == []
    assert errors == []


async def test_a_quick_reply_added_in_admin_is_in_the_console_after_it_reloads(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer,
) -> None:
    await server.create_agent("ada", "Ada", roles=("admin",))
    await server.create_agent("omar", "Omar")
    console_context = await browser.new_context(viewport={"width": 1366, "height": 900})
    contexts.append(console_context)
    console = AgentConsole(await console_context.new_page(), server)
    await console.sign_in("omar")

    page, errors = await open_admin(browser, contexts)
    await sign_in(page, server)
    await page.get_by_role("button", name="Lägg till snabbsvar").click()
    replies = page.locator("#replies .item")
    number = await replies.count()
    await expect(page.get_by_label(f"Id för snabbsvar {number}")).to_be_focused()
    await page.get_by_label(f"Id för snabbsvar {number}").fill("hours")
    await page.get_by_label(f"Snabbsvar {number} på svenska").fill("Vi har öppet till 22 i kväll.")
    await page.get_by_label(f"Snabbsvar {number} på engelska").fill("We are open until 10 pm.")
    await page.get_by_role("button", name="Spara snabbsvar").click()
    await expect(page.locator("#saved")).to_have_text("Sparat: snabbsvaren. Gäller direkt.")
    await expect(audit_row(page, "quick_replies_changed")).to_contain_text(
        f"{number - 1} → {number} st")

    await console.page.reload()  # the console reloads its list (agent_hello)
    await expect(console.page.locator("#connection")).to_have_text("Ansluten")
    await console.set_presence("Tillgänglig")
    ack = await press_help(await customer(server), context())
    panel = await console.accept(ack["case_id"])
    await expect(panel.get_by_role("button", name="Vi har öppet till 22 i kväll.")).to_be_visible()
    assert errors == []


async def test_opening_hours_set_in_admin_change_the_widgets_promise_without_a_restart(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer,
) -> None:
    await server.create_agent("ada", "Ada", roles=("admin",))
    await agent(server, "omar", "Omar")  # available: the widget may promise
    shop = await open_page(browser, server.url + "/")
    contexts.append(shop.context)
    await expect(shop.locator(PROMISE)).to_have_text(SV_PROMISE)

    page, errors = await open_admin(browser, contexts)
    await sign_in(page, server)
    await page.get_by_label("Butik (samma id som widgeten skickar)").fill(SHOP_STORE)
    for day in ("Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag"):
        await page.get_by_label(day, exact=True).fill("closed")
    await page.get_by_role("button", name="Spara öppettider").click()
    await expect(page.locator("#saved")).to_have_text(
        f"Sparat: öppettider för {SHOP_STORE}. Gäller direkt.")
    await expect(audit_row(page, "opening_hours_changed")).to_contain_text(SHOP_STORE)

    await shop.reload()
    await expect(shop.locator(PROMISE)).to_contain_text("Just nu är supporten stängd.")
    await expect(shop.get_by_text("Svar inom 60 sek")).to_have_count(0)

    await page.get_by_role("button", name="Använd standardtiderna").click()
    await expect(page.locator("#saved")).to_have_text(
        f"Sparat: {SHOP_STORE} följer standardtiderna. Gäller direkt.")
    await shop.reload()
    await expect(shop.locator(PROMISE)).to_have_text(SV_PROMISE)
    assert errors == []


async def test_a_label_and_a_queues_fallback_changed_in_admin_are_live_and_logged(
    browser: Browser, contexts: list[BrowserContext], server: LiveServer,
) -> None:
    await server.create_agent("ada", "Ada", roles=("admin",))
    page, errors = await open_admin(browser, contexts, locale="en-GB")
    await sign_in(page, server, swedish=False)
    await page.get_by_role("button", name="Add label").click()
    count = await page.locator("#labels .item").count()
    await page.get_by_label(f"Id of label {count}").fill("ålderskontroll")
    await page.get_by_label(f"Label {count} in Swedish").fill("ålderskontroll")
    await page.get_by_label(f"Label {count} in English").fill("age check")
    await page.get_by_role("button", name="Save labels").click()
    await expect(page.locator("#saved")).to_have_text("Saved: the labels. In effect now.")
    assert "ålderskontroll" in server.services.engine.config.labels

    queue = page.locator('form.queue[data-queue="general"]')
    await queue.get_by_label("Fallback queue").select_option("english")
    await queue.get_by_role("button", name="Save queue general").click()
    await expect(page.locator("#saved")).to_have_text("Saved: queue general. In effect now.")
    assert server.services.engine.rules.fallback_chain("general")[0] == "english"
    changed = audit_row(page, "queue_changed")
    await expect(changed).to_contain_text('fallback: "oncall" → "english"')
    await expect(audit_row(page, "labels_changed")).to_contain_text("3 → 4 items")

    # a queue name the rules file would refuse is refused with its field
    await page.get_by_label("New queue (name: a–z, 0–9, - and _)").fill("Not A Name")
    await page.get_by_role("button", name="Add queue").click()
    await expect(page.locator("#queue-new-error")).to_contain_text("queue:")
    assert errors == []
