"""Helpers for the Help widget's browser tests: an agent on a python-socketio client, page probes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.support.live import Client, LiveServer, connect

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 390, "height": 844}

#: the widget's own elements (it renders no test ids: these are its real class names). They live
#: in the widget's open shadow root: Playwright's CSS selectors pierce it; page scripts use the
#: JS helpers below
ROOT = "[data-helpwire]"
HOST = "[data-helpwire-host]"
#: (JS) the root the widget's elements are queried in: its shadow root, else the document
WIDGET_ROOT_JS = "(document.querySelector('[data-helpwire-host]')?.shadowRoot ?? document)"
#: (JS) the focused element, inside the widget's shadow root when focus is there
DEEP_ACTIVE_JS = """(() => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) {
    active = active.shadowRoot.activeElement;
  }
  return active;
})()"""
#: an element handle's node is what a tap at its centre reaches (nothing lies over it), looked up
#: in its own tree (document or the widget's shadow root: the page itself only sees the host)
HIT_TESTABLE_JS = """(node) => {
  const box = node.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  const hit = node.getRootNode().elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return hit !== null && (hit === node || node.contains(hit));
}"""
DIALOG = "#helpwire-dialog"
STATUS = "#helpwire-dialog .hw-status-main"
POSITION = "#helpwire-dialog .hw-status-sub"
PROMISE = ".hw-launcher .hw-promise"
HELP_BUTTON = ".hw-launcher .hw-button"

SV_BUTTON = "Hjälp – svar inom 60 sek"
SV_PROMISE = "Behöver du hjälp? Svar inom 60 sek."
#: the demo shop's products whose total is the seed's 142,50 kr
SEED_CART = ("kaffe-450", "bananer-1kg", "starkol-50", "starkol-50")


@dataclass
class Agent:
    """A signed-in agent on the /agent namespace, as the agent console would be."""

    client: Client
    id: str

    async def call(self, event: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.client.call(event, payload or {})
        assert ack["ok"], ack
        return ack

    async def presence(self, presence: str) -> None:
        await self.call("presence_set", {"presence": presence})

    async def accept_offer(self, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the next offer not yet accepted, and take it."""
        accepted = {c["case_id"] for c in self.client.received.get("case_assigned", [])}
        offer: dict[str, Any] = await self.client.wait_for(
            "offer", lambda o: o["case_id"] not in accepted, timeout=timeout
        )
        await self.call("offer_accept", {"case_id": offer["case_id"]})
        return offer

    async def say(self, case_id: str, text: str | None = None,
                  quick_reply: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"case_id": case_id}
        if text is not None:
            payload["text"] = text
        if quick_reply is not None:
            payload["quick_reply"] = quick_reply
        ack = await self.call("chat_send", payload)
        message: dict[str, Any] = ack["message"]
        return message


@asynccontextmanager
async def signed_in_agent(
    server: LiveServer,
    username: str = "lisa",
    display_name: str = "Lisa",
    skills: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    presence: str = "busy",
) -> AsyncIterator[Agent]:
    """An online agent. "busy" serves the queue's ETA without taking offers until set available."""
    agent_id = await server.create_agent(username, display_name, skills=skills, languages=languages)
    token = await server.login(username)
    client = await connect(server.url, "/agent", {"token": token})
    agent = Agent(client, agent_id)
    try:
        await agent.call("agent_hello")
        await agent.presence(presence)
        yield agent
    finally:
        await client.close()


async def open_page(browser: Browser, url: str, viewport: ViewportSize | None = None) -> Page:
    """A fresh browser context (own sessionStorage) on `url`, once the widget has decided."""
    context = await browser.new_context(viewport=viewport or DESKTOP, reduced_motion="reduce")
    page = await context.new_page()
    await page.goto(url)
    await widget_decided(page)
    return page


async def widget_decided(page: Page) -> None:
    """The widget has asked the server's display rules and drawn (or hidden) its button."""
    await page.wait_for_selector(f"{ROOT}:not([data-mode=loading])", state="attached")


async def fill_seed_cart(page: Page, to_payment: bool = True) -> None:
    for sku in SEED_CART:
        await page.click(f"[data-add='{sku}']")
    await page.click("[data-go=cart]")
    if to_payment:
        await page.click("[data-go=payment]")
        await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Betalning|Payment"))


async def tab_to(page: Page, selector: str, presses: int = 80) -> None:
    """Move keyboard focus with Tab only until the element matching `selector` has it."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(s) => {DEEP_ACTIVE_JS}?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{presses} presses of Tab never reached {selector}")


async def countdown(page: Page) -> int:
    text = await page.locator(STATUS).inner_text()
    match = re.search(r"(\d+) s (kvar|left)", text)
    assert match, f"no countdown in {text!r}"
    return int(match.group(1))


async def countdown_below(page: Page, seconds: int) -> None:
    """Wait until the live countdown shows fewer seconds than `seconds`."""
    await page.wait_for_function(
        """([selector, seconds]) => {
             const root = """ + WIDGET_ROOT_JS + """;
             const match = root.querySelector(selector)?.textContent.match(/(\\d+) s (kvar|left)/);
             return match !== null && match !== undefined && Number(match[1]) < seconds;
           }""",
        arg=[STATUS, seconds],
    )


async def case_id_of(page: Page) -> str:
    """The case the widget shows (the dialog carries its id once the server has answered)."""
    await page.wait_for_selector(f"{DIALOG}[data-case-id]", state="attached")
    value = await page.get_attribute(DIALOG, "data-case-id")
    assert value
    return value


def plain(text: str) -> str:
    """Intl and Babel write amounts with a no-break space: compare as ordinary spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


#: WCAG 2 contrast of an element's text colour on its own (opaque) background colour
CONTRAST_JS = """(el) => {
  const rgb = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p[3] ?? 1};
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const style = getComputedStyle(el);
  const fg = rgb(style.color), bg = rgb(style.backgroundColor);
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  return {ratio: (hi + 0.05) / (lo + 0.05), color: style.color, background: style.backgroundColor,
          backgroundAlpha: bg.a};
}"""

#: the focus indicator as the browser draws it now
FOCUS_RING_JS = """(el) => {
  const style = getComputedStyle(el);
  return {focused: el.getRootNode().activeElement === el, focusVisible: el.matches(':focus-visible'),
          outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
          outlineColor: style.outlineColor, boxShadow: style.boxShadow};
}"""


async def serious_axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Run axe-core in the page; return the violations of impact serious or critical."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated over the DevTools protocol: an inline <script> would break the page's CSP
        await page.evaluate(axe_source)
    result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
