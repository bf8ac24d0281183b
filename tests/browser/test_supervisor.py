"""The supervisor view at /supervisor in headless Chromium: live queue, agents, today's KPIs and
the access log."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.integration.helpers import agent, customer, press_help
from tests.support.live import live_server
from tests.support.widget import serious_axe_violations


async def test_supervisor_view_updates_live_when_a_case_is_queued_and_answered(
    browser: Browser, tmp_path: Path, artifacts: Path, axe_source: str
) -> None:
    async with live_server(tmp_path, supervisor_refresh_seconds=30) as server:
        await server.create_agent("boss", "Boss", roles=("supervisor",))
        context = await browser.new_context(viewport={"width": 1100, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await page.goto(f"{server.url}/supervisor")
        assert await serious_axe_violations(page, axe_source) == []
        await page.get_by_label("Username").fill("boss")
        await page.get_by_label("Password").fill("password123")
        await page.get_by_role("button", name="Sign in").click()
        waiting = page.locator('[data-figure="waiting"]')
        await expect(waiting).to_have_text("0")

        lisa = await agent(server, "lisa", "Lisa", available=False)
        await expect(page.locator('[data-presence="away"]')).to_contain_text("Lisa")
        shopper = await customer(server)
        await press_help(shopper)
        await expect(waiting).to_have_text("1")
        await expect(page.locator('[data-figure="cases"]')).to_contain_text("1 (0 answered)")

        await lisa.available()
        await lisa.accept_next_offer()
        await expect(waiting).to_have_text("0")
        await expect(page.locator('[data-figure="cases"]')).to_contain_text("1 (1 answered)")
        await expect(page.locator('[data-figure="asa"]')).to_contain_text("met")
        await expect(page.locator('[data-presence="available"]')).to_contain_text("Lisa")
        await page.get_by_role("button", name="Refresh").click()
        opened = page.locator('#access-log tr[data-action="case_opened"]')
        await expect(opened).to_contain_text(f"agent {lisa.id}")
        await expect(opened).to_contain_text("offer_accepted")
        await expect(page.locator('#access-log tr[data-action="supervisor_view_opened"]')
                     ).to_have_count(1)
        assert await serious_axe_violations(page, axe_source) == []
        await page.screenshot(path=str(artifacts / "supervisor.png"), full_page=True)
        assert errors == []
        await shopper.close()
        await lisa.client.close()
        await context.close()


async def test_an_agent_without_the_role_is_told_so(browser: Browser, tmp_path: Path) -> None:
    async with live_server(tmp_path) as server:
        await server.create_agent("omar", "Omar")
        page = await browser.new_page()
        await page.goto(f"{server.url}/supervisor")
        await page.get_by_label("Username").fill("omar")
        await page.get_by_label("Password").fill("password123")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#login-error")).to_contain_text("supervisor role")
        await page.close()
