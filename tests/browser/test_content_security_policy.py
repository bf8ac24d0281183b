"""Every page loads and works under its Content-Security-Policy: no violation is reported, the
widget draws its button and opens a case, the console signs in and connects its socket."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.support.live import LiveServer
from tests.support.widget import HELP_BUTTON, signed_in_agent, widget_decided

#: installed before any page script: records every CSP violation the page reports
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber}));
"""


async def watched_page(browser: Browser) -> tuple[Page, list[str]]:
    context = await browser.new_context(reduced_motion="reduce")
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" or "Content Security Policy" in message.text else None)
    return page, problems


async def violations(page: Page) -> list[Any]:
    result: list[Any] = await page.evaluate("() => window.__cspViolations")
    return result


async def test_the_shop_and_the_widget_run_under_the_policy(
    server: LiveServer, browser: Browser
) -> None:
    async with signed_in_agent(server):
        page, problems = await watched_page(browser)
        response = await page.goto(server.url + "/")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        await widget_decided(page)
        await page.click(HELP_BUTTON)
        await expect(page.get_by_role("dialog", name="Hjälp")).to_be_visible()
        await expect(page.locator("#helpwire-dialog .hw-status-sub")).to_have_text(
            "Du är nummer 1 i kön")
        assert await violations(page) == []
        assert problems == []
        await page.context.close()


async def test_the_kiosk_page_runs_under_the_policy(server: LiveServer, browser: Browser) -> None:
    async with signed_in_agent(server):
        page, problems = await watched_page(browser)
        await page.goto(server.url + "/kiosk?store=kista-1&kiosk=kiosk-7")
        await widget_decided(page)
        await expect(page.locator("#kiosk-id")).to_have_text("Kassa kiosk-7")
        await expect(page.locator(HELP_BUTTON)).to_be_visible()
        assert await violations(page) == []
        assert problems == []
        await page.context.close()


async def test_the_console_signs_in_and_connects_under_the_policy(
    server: LiveServer, browser: Browser
) -> None:
    await server.create_agent("lisa", "Lisa")
    page, problems = await watched_page(browser)
    response = await page.goto(server.url + "/agent")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    await page.get_by_label("Användarnamn").fill("lisa")
    await page.get_by_label("Lösenord").fill("password123")
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.locator("#connection")).to_have_text("Ansluten")
    assert await violations(page) == []
    assert problems == []
    await page.context.close()


async def test_the_supervisor_view_loads_under_the_policy(
    server: LiveServer, browser: Browser
) -> None:
    await server.create_agent("boss", "Boss", roles=("supervisor",))
    page, problems = await watched_page(browser)
    response = await page.goto(server.url + "/supervisor")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    await page.get_by_label("Användarnamn").fill("boss")
    await page.get_by_label("Lösenord").fill("password123")
    await page.get_by_role("button", name="Logga in").click()
    await expect(page.locator('[data-figure="waiting"]')).to_have_text("0")
    assert await violations(page) == []
    assert problems == []
    await page.context.close()


async def test_an_inline_script_is_refused_so_the_policy_is_really_enforced(
    server: LiveServer, browser: Browser
) -> None:
    """The check above could pass with no policy at all: here an injected inline script must be
    blocked and reported."""
    page, problems = await watched_page(browser)
    await page.goto(server.url + "/agent")
    await page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.__ran = true"; document.head.appendChild(s); }""")
    assert await page.evaluate("() => window.__ran === true") is False
    await page.wait_for_function("() => window.__cspViolations.length > 0")
    assert (await violations(page))[0]["directive"].startswith("script-src")
    await page.context.close()
