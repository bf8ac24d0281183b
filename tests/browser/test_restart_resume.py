"""A customer mid-chat in the widget and an agent in the console live through a server restart.

Both pages show a calm notice when the server says `server_restarting`, reconnect by themselves
with backoff from its `retry_after_ms`, and pick up where they were: the widget resumes its case
(sending again what was typed while the line was down), the console says hello and sets the
presence the agent had chosen. The server is restarted in-process on the same port and the same
SQLite file, or drops the sockets while it stays up.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, Page, expect

from server.app import announce_restart, create_app
from server.settings import load_settings
from server.signalling.rooms import AGENT_NS, CUSTOMER_NS
from tests.support.live import LiveServer
from tests.support.widget import DIALOG, HELP_BUTTON, case_id_of, fill_seed_cart, open_page

NOTICE_SV = "Servern startar om – vi återansluter dig…"
RETRY_AFTER_MS = 2500  # long enough to type while the line is down, on a loaded machine
WAIT_MS = 30_000  # reconnecting waits retry_after_ms plus jitter: bounded, never a sleep


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def server_on(data_dir: Path, port: int) -> AsyncIterator[LiveServer]:
    """A server on a fixed loopback port and data folder, so a second one can take its place."""
    settings = load_settings(
        storage__data_dir=data_dir, security__secret_key="test-secret-key-not-for-production",
        network__port=port, log__json_lines=True, dispatch__tick_seconds=0.05,
        network__restart_retry_after_ms=RETRY_AFTER_MS,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    running = LiveServer(f"http://127.0.0.1:{port}", app, settings, runner)
    try:
        yield running
    finally:
        await running.stop()


@dataclass
class Conversation:
    """A widget page whose case an agent in the console has taken, with one line each way."""

    widget: Page
    console: Page
    case_id: str

    def agent_panel(self) -> Any:
        return self.console.locator(f'[role="tabpanel"][data-case-id="{self.case_id}"]')

    async def customer_says(self, text: str) -> None:
        compose = self.widget.get_by_label("Ditt meddelande")
        await compose.fill(text)
        await compose.press("Enter")

    async def agent_says(self, text: str) -> None:
        compose = self.agent_panel().get_by_label("Meddelande till kunden")
        await compose.fill(text)
        await compose.press("Enter")

    async def both_ways(self, tag: str) -> None:
        """A line from each side reaches the other."""
        await self.customer_says(f"kund {tag}")
        await expect(self.agent_panel().locator(".msg-customer").filter(has_text=f"kund {tag}")
                     ).to_be_visible(timeout=WAIT_MS)
        await self.agent_says(f"agent {tag}")
        await expect(self.widget.locator(f"{DIALOG} .hw-msg-agent p").filter(
            has_text=f"agent {tag}")).to_be_visible(timeout=WAIT_MS)


async def start_conversation(browser: Browser, server: LiveServer) -> Conversation:
    await server.create_agent("lisa", "Lisa", skills=("payments",))
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    console = await context.new_page()
    await console.goto(f"{server.url}/agent")
    await console.get_by_label("Användarnamn").fill("lisa")
    await console.get_by_label("Lösenord").fill("password123")
    await console.get_by_role("button", name="Logga in").click()
    await expect(console.locator("#connection")).to_have_text("Ansluten")
    await console.get_by_role("radio", name="Tillgänglig").check()
    await expect(console.locator("#presence-state")).to_have_text("Du är: Tillgänglig")

    widget = await open_page(browser, server.url + "/")
    await fill_seed_cart(widget)
    await widget.locator(HELP_BUTTON).click()
    await expect(widget.get_by_role("dialog", name="Hjälp")).to_be_visible()
    case_id = await case_id_of(widget)
    offer = console.locator(f'article.offer-card[data-case-id="{case_id}"]')
    await offer.get_by_role("button", name="Acceptera").click()
    conversation = Conversation(widget, console, case_id)
    await expect(conversation.agent_panel()).to_be_visible()
    await conversation.both_ways("före")
    return conversation


async def both_show_the_notice(conversation: Conversation) -> None:
    await expect(conversation.widget.locator(f"{DIALOG} .hw-alert")).to_have_text(NOTICE_SV)
    await expect(conversation.console.locator("#connection")).to_have_text(NOTICE_SV)


async def both_reconnected(conversation: Conversation) -> None:
    """The console is connected with the presence the agent chose; the widget's notice is gone."""
    console = conversation.console
    await expect(console.locator("#connection")).to_have_text("Ansluten", timeout=WAIT_MS)
    await expect(console.locator("#presence-state")).to_have_text("Du är: Tillgänglig",
                                                                  timeout=WAIT_MS)
    await expect(conversation.widget.locator(f"{DIALOG} .hw-alert")).to_be_hidden(timeout=WAIT_MS)


async def the_conversation_goes_on(conversation: Conversation, typed_while_down: str) -> None:
    """The widget shows the conversation again, what was typed offline arrives, chat works."""
    widget = conversation.widget
    await expect(widget.locator(f"{DIALOG} .hw-msg-agent p").filter(has_text="agent före")
                 ).to_be_visible(timeout=WAIT_MS)
    await expect(conversation.agent_panel().locator(".msg-customer").filter(
        has_text=typed_while_down)).to_be_visible(timeout=WAIT_MS)
    mine = widget.locator(f"{DIALOG} .hw-msg-customer").filter(has_text=typed_while_down)
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".hw-tick")).not_to_have_attribute("data-status", "sending",
                                                                 timeout=WAIT_MS)
    await conversation.both_ways("efter")


async def type_while_down(conversation: Conversation, text: str) -> None:
    """The customer writes while the line is down: the message waits as "sending"."""
    await conversation.customer_says(text)
    mine = conversation.widget.locator(f"{DIALOG} .hw-msg-customer").filter(has_text=text)
    await expect(mine.locator(".hw-tick")).to_have_attribute("data-status", "sending")


async def test_dropped_sockets_reconnect_resume_and_resend_what_was_typed_meanwhile(
    browser: Browser, tmp_path: Path
) -> None:
    async with server_on(tmp_path, free_port()) as server:
        conversation = await start_conversation(browser, server)
        sio = server.services.sio
        # what a graceful shutdown says, then the sockets are dropped while the server stays up
        await announce_restart(sio, RETRY_AFTER_MS, 1.0)
        for namespace in (CUSTOMER_NS, AGENT_NS):
            for sid, _ in list(sio.manager.get_participants(namespace, None)):
                await sio.disconnect(sid, namespace=namespace)
        await both_show_the_notice(conversation)
        await type_while_down(conversation, "skrivet under avbrottet")

        await both_reconnected(conversation)
        await the_conversation_goes_on(conversation, "skrivet under avbrottet")


async def restart(server: LiveServer) -> None:
    """Stop the server as SIGTERM would (server_restarting first); the same port is then free."""
    await server.stop()


async def test_after_a_restart_both_pages_show_the_notice_and_reconnect(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    async with server_on(tmp_path, port) as first:
        conversation = await start_conversation(browser, first)
        await restart(first)
        await both_show_the_notice(conversation)
    async with server_on(tmp_path, port):
        await both_reconnected(conversation)


async def test_after_a_restart_the_widget_shows_the_conversation_and_chat_works_both_ways(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    async with server_on(tmp_path, port) as first:
        conversation = await start_conversation(browser, first)
        await restart(first)
        await both_show_the_notice(conversation)
        await type_while_down(conversation, "skrivet under omstarten")
    async with server_on(tmp_path, port):
        await both_reconnected(conversation)
        await the_conversation_goes_on(conversation, "skrivet under omstarten")


async def test_a_case_the_restarted_server_does_not_know_ends_in_the_widget_instead_of_hanging(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    async with server_on(tmp_path / "before", port) as first:
        conversation = await start_conversation(browser, first)
        await restart(first)
        await both_show_the_notice(conversation)
    # the same secret, a database without the case: resume answers case_not_found
    async with server_on(tmp_path / "after", port):
        widget = conversation.widget
        await expect(widget.locator(f"{DIALOG} .hw-status-main")).to_have_text(
            "Ärendet är avslutat.", timeout=WAIT_MS)
        await expect(widget.locator(f"{DIALOG} .hw-alert")).to_be_hidden()
        await widget.get_by_role("button", name="Stäng").click()
        # the Help button works again: a new case can start
        await expect(widget.locator(HELP_BUTTON)).to_be_visible()
