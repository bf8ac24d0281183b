"""The widget embedded on a shop of another origin: the shop page (docs/widget.md's complete
example) on one loopback port, Helpwire on another. A listed origin chats with an agent; an
unlisted one is told honestly that support cannot be reached, and its owner reads which setting
to change in the browser console.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from aiohttp import web
from playwright.async_api import Browser, ConsoleMessage, Page, Request, expect

from tests.support.live import LiveServer
from tests.support.widget import (
    DIALOG,
    HELP_BUTTON,
    PROMISE,
    ROOT,
    STATUS,
    SV_PROMISE,
    case_id_of,
    open_page,
    signed_in_agent,
)

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]
DOC = Path(__file__).resolve().parents[2] / "docs" / "widget.md"
DOC_SERVER = "https://help.example.se"


def documented_shop_page(server_url: str) -> str:
    """The complete shop page of docs/widget.md, pointing at the server under test."""
    section = DOC.read_text().split("A complete shop page:", 1)[1]
    match = re.search(r"```html\n(.*?)```", section, re.S)
    assert match, "docs/widget.md lost its complete shop page"
    page = match.group(1)
    assert DOC_SERVER in page
    return page.replace(DOC_SERVER, server_url)


@asynccontextmanager
async def shop_site(html: Callable[[], str],
                    headers: Callable[[], dict[str, str]] = dict) -> AsyncIterator[str]:
    """A tiny static web server for the shop's own page; yields its origin."""
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=html(), content_type="text/html", headers=headers())

    async def no_icon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_icon)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class PageWatch:
    """What the shop page logged to its console and asked of the network."""

    def __init__(self, page: Page) -> None:
        self.console: list[ConsoleMessage] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.sockets: list[str] = []
        page.on("console", lambda message: self.console.append(message))
        page.on("websocket", lambda socket: self.sockets.append(socket.url))
        page.on("request", lambda request: self.requests.append(_url(request)))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def console_errors(self) -> list[str]:
        return [m.text for m in self.console if m.type == "error"]


def _url(request: Request) -> str:
    return request.url


async def shop_page(browser: Browser, url: str) -> tuple[Page, PageWatch]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = await context.new_page()
    watch = PageWatch(page)
    await page.goto(url)
    await page.wait_for_selector(f"{ROOT}:not([data-mode=loading])", state="attached")
    return page, watch


async def test_a_shop_on_a_listed_origin_embeds_the_widget_and_chats_with_an_agent(
    browser: Browser, server_factory: Factory,
) -> None:
    server_url: list[str] = []
    async with shop_site(lambda: documented_shop_page(server_url[0])) as shop, \
            server_factory(network__cors_allowed_origins=[shop]) as server:
        server_url.append(server.url)
        assert shop != server.url  # another port: another origin
        async with signed_in_agent(server, presence="available") as agent:
            page, watch = await shop_page(browser, shop + "/")
            try:
                await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
                await page.click(HELP_BUTTON)
                case_id = await case_id_of(page)
                offer = await agent.accept_offer()
                assert offer["case_id"] == case_id
                await agent.say(case_id, "Hej! Hur kan jag hjälpa?")
                agent_line = page.locator(f"{DIALOG} .hw-msg-agent p")
                await expect(agent_line).to_have_text("Hej! Hur kan jag hjälpa?")
                await expect(page.locator(STATUS)).to_have_text("Du chattar med Lisa")
                box = page.get_by_role("textbox", name="Ditt meddelande")
                await box.fill("Finns kaffet i större förpackning?")
                await box.press("Enter")
                said = await agent.client.wait_for(
                    "chat_message", lambda d: d["sender"] == "customer" and d["case_id"] == case_id)
                assert said["text"] == "Finns kaffet i större förpackning?"
                # the socket went straight to the server's origin, from the shop's
                ws_origin = server.url.replace("http://", "ws://", 1)
                assert any(url.startswith(f"{ws_origin}/socket.io/") for url in watch.sockets), watch.sockets
                assert watch.errors == []
                assert watch.console_errors() == []
            finally:
                await page.context.close()


async def test_a_shop_on_an_unlisted_origin_is_told_it_cannot_connect_and_its_owner_which_setting(
    browser: Browser, server_factory: Factory,
) -> None:
    server_url: list[str] = []
    async with shop_site(lambda: documented_shop_page(server_url[0])) as shop, \
            server_factory(network__cors_allowed_origins=["https://shop.example.se"]) as server:
        server_url.append(server.url)
        # an agent is available: on an allowed page the button would promise 60 s
        async with signed_in_agent(server, presence="available"):
            page, watch = await shop_page(browser, shop + "/")
            try:
                await expect(page.locator(ROOT)).to_have_attribute("data-mode", "refused")
                promise = page.locator(PROMISE)
                await expect(promise).to_have_text("Supporten kan inte nås från den här sidan just nu.")
                label = await page.get_attribute(HELP_BUTTON, "aria-label")
                assert label == "Hjälp – supporten kan inte nås från den här sidan just nu"
                hint = [text for text in watch.console_errors() if text.startswith("Helpwire:")]
                assert len(hint) == 1, watch.console_errors()
                assert shop in hint[0]
                assert "cors_allowed_origins" in hint[0]
                assert "origin_not_allowed" in hint[0]

                await page.click(HELP_BUTTON)
                dialog = page.get_by_role("dialog", name="Hjälp")
                await expect(dialog).to_be_visible()
                await expect(page.locator(f"{DIALOG} .hw-alert")).to_have_text(
                    "Vi kan inte koppla dig till supporten från den här sidan just nu. "
                    "Kontakta butiken på annat sätt.")
                text = await page.locator(ROOT).inner_text()
                assert "60 sek" not in text and "lovat" not in text
                # no socket is tried that the server would refuse
                assert watch.sockets == []
                assert not any("/socket.io/" in url for url in watch.requests)
                assert watch.errors == []
                await page.get_by_role("button", name="Stäng").click()
                await expect(dialog).to_be_hidden()
                await expect(page.locator(PROMISE)).to_have_text(
                    "Supporten kan inte nås från den här sidan just nu.")
                # the status was asked again at the press: the hint is still printed once
                assert len([t for t in watch.console_errors() if t.startswith("Helpwire:")]) == 1
            finally:
                await page.context.close()


async def test_the_servers_own_shop_page_still_works_with_a_shop_origin_listed(
    browser: Browser, server_factory: Factory,
) -> None:
    async with server_factory(network__cors_allowed_origins=["https://shop.example.se"]) as server, \
            signed_in_agent(server, presence="available"):
        page = await open_page(browser, server.url + "/")
        try:
            await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
            await page.click(HELP_BUTTON)
            assert await case_id_of(page)
        finally:
            await page.context.close()


def hostile_shop_page(server_url: str) -> str:
    """A shop page that fights the widget: CSS that unsets and hides everything, and a
    `window.io` of its own (another "version", which throws if anyone calls it)."""
    return f"""<!doctype html>
<html lang="sv">
<head>
  <meta charset="utf-8">
  <title>Fientliga butiken</title>
  <style>
    * {{ all: unset !important; }}
    button {{ display: none !important; }}
    div, p, aside, section, textarea, form, ol, li {{ display: none; }}
    body * {{ font-size: 4px; color: #fff; background: #fff; }}
  </style>
  <script>
    window.io = function () {{ throw new Error("the shop's own io was called"); }};
    window.io.version = "2.3.0";
    window.HelpwireConfig = {{ store: "fientliga", channel: "web" }};
    window.__globalsBefore = Object.keys(window);
  </script>
  <script src="{server_url}/static/widget/helpwire.js" defer></script>
</head>
<body><h1>Fientliga butiken</h1><button type="button">Shop's own button</button></body>
</html>"""


def strict_shop_csp(server_url: str) -> dict[str, str]:
    """The shop allows Helpwire for scripts and connections only: nothing for Helpwire's styles."""
    ws = server_url.replace("http://", "ws://", 1)
    return {"Content-Security-Policy":
            f"default-src 'none'; script-src 'unsafe-inline' {server_url}; style-src 'unsafe-inline'; "
            f"connect-src {server_url} {ws}; img-src data: blob:"}


async def test_a_hostile_shop_page_with_its_own_io_and_css_that_unsets_everything_still_chats(
    browser: Browser, server_factory: Factory,
) -> None:
    server_url: list[str] = []
    async with shop_site(lambda: hostile_shop_page(server_url[0]),
                         lambda: strict_shop_csp(server_url[0])) as shop, \
            server_factory(cors_allowed_origins=[shop]) as server:
        server_url.append(server.url)
        async with signed_in_agent(server, presence="available") as agent:
            page, watch = await shop_page(browser, shop + "/")
            try:
                button = page.locator(HELP_BUTTON)
                await expect(button).to_be_visible()
                # the widget's own styles hold: a large button, readable text, fixed on screen
                style = await button.evaluate(
                    "(b) => { const s = getComputedStyle(b); return [s.display, s.position, "
                    "parseFloat(s.fontSize), b.getBoundingClientRect().height]; }")
                assert style[0] != "none" and style[2] >= 16 and style[3] >= 44, style
                await expect(page.locator(PROMISE)).to_have_text(SV_PROMISE)
                await button.click()
                case_id = await case_id_of(page)
                await agent.accept_offer()
                await agent.say(case_id, "Hej! Hur kan jag hjälpa?")
                agent_line = page.locator(f"{DIALOG} .hw-msg-agent p")
                await expect(agent_line).to_have_text("Hej! Hur kan jag hjälpa?")
                box = page.get_by_role("textbox", name="Ditt meddelande")
                await box.fill("Syns knapparna?")
                await page.get_by_role("button", name="Skicka", exact=True).click()
                said = await agent.client.wait_for(
                    "chat_message", lambda d: d["sender"] == "customer" and d["case_id"] == case_id)
                assert said["text"] == "Syns knapparna?"
                # the page's io is untouched and never called; the widget added one global
                assert await page.evaluate("window.io.version") == "2.3.0"
                added = await page.evaluate(
                    "Object.keys(window).filter("
                    "(k) => !window.__globalsBefore.includes(k) && k !== '__globalsBefore')")
                assert added == ["Helpwire"], added
                assert watch.errors == []
                assert watch.console_errors() == []
            finally:
                await page.context.close()


#: a browser without constructed stylesheets (Safari before 16.4)
NO_CONSTRUCTED_SHEETS = """
delete ShadowRoot.prototype.adoptedStyleSheets;
delete Document.prototype.adoptedStyleSheets;
"""


async def test_a_browser_without_constructed_stylesheets_gets_the_widget_styled_all_the_same(
    browser: Browser, server_factory: Factory,
) -> None:
    server_url: list[str] = []
    async with shop_site(lambda: documented_shop_page(server_url[0])) as shop, \
            server_factory(cors_allowed_origins=[shop]) as server:
        server_url.append(server.url)
        async with signed_in_agent(server, presence="available"):
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            try:
                await context.add_init_script(NO_CONSTRUCTED_SHEETS)
                page = await context.new_page()
                await page.goto(shop + "/")
                button = page.locator(HELP_BUTTON)
                await expect(button).to_be_visible()
                assert not await page.evaluate("'adoptedStyleSheets' in document")
                style = await button.evaluate(
                    "(b) => [getComputedStyle(b).backgroundColor, b.getBoundingClientRect().height]")
                assert style[0] == "rgb(11, 79, 156)" and style[1] >= 44, style
            finally:
                await context.close()
