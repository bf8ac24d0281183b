"""The agent console at /agent, driven in headless Chromium against a live server.

Customers (and a second agent, where one is needed) are python-socketio clients, so each test
shows one console doing its job end to end: sign-in, presence, offers, cases in tabs, wrap-up.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.support.live import Client, LiveServer, connect

PAYMENT_CONTEXT: dict[str, Any] = {
    "store": "s1",
    "payment_step": "payment",
    "cart": {"lines": [{"sku": "a", "name": "Kaffe", "quantity": 2, "unit_price": 71.25}]},
    "device": "mobile",
    "network": "4g",
    "battery": 42,
    "language": "sv",
}
GREETING = "Hej! Jag ser din korg (142,50 kr). Hur kan jag hjälpa?"
SESSION_KEY = "helpwire.agent.session"


def general_context(store: str) -> dict[str, Any]:
    return {"store": store, "language": "sv", "device": "desktop", "network": "wifi"}


def plain(text: str) -> str:
    """Text as a person reads it: no-break and narrow no-break spaces count as spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


async def text_of(locator: Locator) -> str:
    await expect(locator).to_be_visible()
    return plain(await locator.inner_text())


# ---------------------------------------------------------------------------- helpers


@dataclass
class AgentConsole:
    """One browser page showing the console, with the steps an agent takes."""

    page: Page
    server: LiveServer
    errors: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    async def open(self) -> None:
        await self.page.goto(f"{self.server.url}/agent")
        await expect(self.page.get_by_role("heading", name="Logga in som agent")).to_be_visible()

    async def sign_in(self, username: str, password: str = "password123") -> None:
        await self.open()
        await self.page.get_by_label("Användarnamn").fill(username)
        await self.page.get_by_label("Lösenord").fill(password)
        await self.page.get_by_role("button", name="Logga in").click()
        await expect(self.page.locator("#connection")).to_have_text("Ansluten")
        await expect(self.presence_state).to_have_text("Du är: Borta")

    @property
    def presence_state(self) -> Locator:
        return self.page.locator("#presence-state")

    async def set_presence(self, label: str) -> None:
        await self.page.get_by_role("radio", name=label).check()
        await expect(self.presence_state).to_have_text(f"Du är: {label}")

    def offer(self, case_id: str) -> Locator:
        return self.page.locator(f'article.offer-card[data-case-id="{case_id}"]')

    def tab(self, case_id: str) -> Locator:
        return self.page.locator(f'[role="tab"][data-case-id="{case_id}"]')

    def panel(self, case_id: str) -> Locator:
        return self.page.locator(f'[role="tabpanel"][data-case-id="{case_id}"]')

    async def accept(self, case_id: str) -> Locator:
        offer = self.offer(case_id)
        await offer.get_by_role("button", name="Acceptera").click()
        await expect(offer).to_have_count(0)
        await expect(self.tab(case_id)).to_have_attribute("aria-selected", "true")
        return self.panel(case_id)

    async def send(self, case_id: str, text: str) -> None:
        compose = self.panel(case_id).get_by_label("Meddelande till kunden")
        await compose.fill(text)
        await compose.press("Enter")
        await expect(self.message(case_id, text)).to_be_visible()

    def message(self, case_id: str, text: str) -> Locator:
        return self.panel(case_id).locator(".msg").filter(has_text=text)


OpenConsole = Callable[[LiveServer], Awaitable[AgentConsole]]


@pytest.fixture
async def open_console(browser: Browser) -> AsyncIterator[OpenConsole]:
    """Opens the console in a fresh browser context; fails the test on any uncaught page error."""
    contexts: list[BrowserContext] = []
    consoles: list[AgentConsole] = []

    async def make(server: LiveServer) -> AgentConsole:
        context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
        contexts.append(context)
        page = await context.new_page()
        console = AgentConsole(page, server)
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        page.on("websocket", lambda socket: console.websockets.append(socket.url))
        consoles.append(console)
        return console

    yield make
    for context in contexts:
        await context.close()
    for console in consoles:
        assert console.errors == [], f"uncaught errors in the console page: {console.errors}"


@dataclass
class Customer:
    client: Client
    case_id: str = ""

    async def ask_for_help(self, context: dict[str, Any]) -> str:
        ack = await self.client.call("help_request", {"context": context})
        assert ack["ok"], ack
        self.case_id = str(ack["case_id"])
        return self.case_id

    async def say(self, text: str) -> dict[str, Any]:
        ack = await self.client.call("chat_send", {"text": text})
        assert ack["ok"], ack
        return dict(ack["message"])

    async def reads_agent_message(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Waits for an agent's message, shows it, and sends the read receipt like the widget does."""
        message: dict[str, Any] = await self.client.wait_for(
            "chat_message", lambda m: m["sender"] == "agent" and predicate(m)
        )
        await self.client.call("chat_received", {"message_id": message["id"]})
        return message


Customers = Callable[[LiveServer], Awaitable[Customer]]


@pytest.fixture
async def customers() -> AsyncIterator[Customers]:
    clients: list[Client] = []

    async def make(server: LiveServer) -> Customer:
        client = await connect(server.url, "/customer")
        clients.append(client)
        return Customer(client)

    yield make
    for client in clients:
        await client.close()


async def serious_axe_violations(page: Page, axe_source: str) -> list[str]:
    await page.evaluate(axe_source)  # an inline <script> would break the page's CSP
    results = await page.evaluate("axe.run()")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def expired_agent_token(server: LiveServer, agent_id: str) -> str:
    """A correctly signed agent token issued long before the configured lifetime allows."""

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - server.settings.security.agent_token_ttl_seconds - 3600

    serializer = URLSafeTimedSerializer(
        server.settings.security.secret_key, salt="helpwire.agent", signer=LongAgo
    )
    return str(serializer.dumps({"a": agent_id}))


# ---------------------------------------------------------------------------- the main flow


async def test_an_agent_signs_in_accepts_an_offer_chats_and_closes_the_case_with_a_label(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    await server.create_agent("lisa", "Lisa", skills=("payments",))
    console = await open_console(server)
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")

    customer = await customers(server)
    case_id = await customer.ask_for_help(PAYMENT_CONTEXT)
    waiting_question = await customer.say("Kortet nekas i kassan")

    # the offer: prominent, counting down, with the context at a glance
    offer = console.offer(case_id)
    await expect(offer).to_be_visible()
    await expect(offer.get_by_role("heading")).to_have_text("Nytt ärende – Betalexperter")
    countdown = offer.locator('[data-field="countdown"]')
    await expect(countdown).to_have_text(re.compile(r"^Svara inom \d+ s$"))
    shown = await countdown.inner_text()
    await expect(countdown).not_to_have_text(shown, timeout=3000)
    assert await text_of(offer.locator('[data-field="cart_total"]')) == "142,50 kr"
    await expect(offer.locator('[data-field="store"]')).to_have_text("s1")
    await expect(offer.locator('[data-field="language"]')).to_have_text("Svenska")
    await expect(offer.locator('[data-field="payment_step"]')).to_have_text("Betalning")
    await expect(offer.locator('[data-field="waited"]')).to_have_text(re.compile(r"^\d+ s$"))

    panel = await console.accept(case_id)
    joined = await customer.client.wait_for("agent_joined")
    assert joined["agent_name"] == "Lisa"

    # the case tab: the customer's situation beside the chat
    await expect(panel.locator('[data-field="payment_step"]')).to_have_text("Betalning")
    await expect(panel.locator('[data-field="device"]')).to_have_text("Mobil")
    await expect(panel.locator('[data-field="network"]')).to_have_text("4G")
    await expect(panel.locator('[data-field="battery"]')).to_have_text("42 %")
    await expect(panel.locator('[data-field="store"]')).to_have_text("s1")
    await expect(panel.locator('[data-field="rule"]')).to_have_text("payment-step → Betalexperter")
    cart_line = panel.locator('tr[data-sku="a"]')
    await expect(cart_line).to_contain_text("Kaffe")
    await expect(cart_line.locator('[data-field="quantity"]')).to_have_text("2")
    assert "71,25 kr" in await text_of(cart_line)
    assert await text_of(panel.locator('tfoot [data-field="cart_total"]')) == "142,50 kr"
    await expect(console.message(case_id, "Kortet nekas i kassan")).to_be_visible()
    delivered = await customer.client.wait_for("chat_delivered")
    assert delivered["message_id"] == waiting_question["id"]

    # a quick reply, in the case's language, with the cart amount
    quick = panel.locator('button[data-quick-reply="greeting_cart"]')
    assert await text_of(quick) == GREETING
    await quick.click()
    greeting = await customer.reads_agent_message(lambda m: m["quick_reply"] == "greeting_cart")
    assert plain(greeting["text"]) == GREETING
    greeting_bubble = panel.locator(f'.msg[data-message-id="{greeting["id"]}"]')
    await expect(greeting_bubble.locator(".receipt")).to_contain_text("Levererat")

    # typing both ways, then chat both ways with delivery marks
    await customer.client.call("typing", {"active": True})
    await expect(panel.locator('[data-field="typing"]')).to_have_text("Kunden skriver…")
    await panel.get_by_label("Meddelande till kunden").fill("Prova")
    typing = await customer.client.wait_for("typing", lambda d: d["active"])
    assert typing["sender"] == "agent"
    await panel.get_by_label("Meddelande till kunden").fill("")
    await console.send(case_id, "Prova att sätta i kortet igen")
    answer = await customer.reads_agent_message(lambda m: m["text"] == "Prova att sätta i kortet igen")
    await expect(
        panel.locator(f'.msg[data-message-id="{answer["id"]}"] .receipt')
    ).to_contain_text("Levererat")
    thanks = await customer.say("Nu gick det, tack!")
    await expect(console.message(case_id, "Nu gick det, tack!")).to_be_visible()
    await expect(panel.locator('[data-field="typing"]')).to_have_text("")
    await customer.client.wait_for("chat_delivered", lambda d: d["message_id"] == thanks["id"])

    # end the conversation; the customer rates; wrap up with a label
    await panel.get_by_role("button", name="Avsluta samtal").click()
    await customer.client.wait_for("wrap_up")
    await expect(panel.get_by_label("Etikett")).to_be_focused()
    await customer.client.call("feedback", {"rating": 5})
    await expect(panel.locator('[data-field="rating"]')).to_have_text("Kundens betyg: 5 av 5")
    await panel.get_by_label("Etikett").select_option("betalningsfråga")
    await panel.get_by_role("radio", name="Ja").check()
    await panel.get_by_role("button", name="Stäng ärende").click()
    closed = await customer.client.wait_for("case_closed")
    assert closed["resolved"] is True
    await expect(console.tab(case_id)).to_contain_text("stängt")
    await expect(panel.get_by_text("Ärendet är stängt.").first).to_be_visible()
    await expect(panel.get_by_role("button", name="Stäng fliken")).to_be_focused()

    await server.flush()
    row = await server.services.cases.get(case_id)
    assert row is not None
    assert row["state"] == "closed"
    assert row["label"] == "betalningsfråga"
    assert row["resolved"] is True
    assert row["agent_name"] == "Lisa"
    assert row["rating"] == 5

    await panel.get_by_role("button", name="Stäng fliken").click()
    await expect(console.page.get_by_role("tab")).to_have_count(0)
    await expect(console.page.get_by_text("Inga öppna ärenden.")).to_be_visible()


async def test_two_cases_at_once_live_in_separate_tabs_with_separate_chats(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    await server.create_agent("lisa", "Lisa", max_concurrent=2)
    console = await open_console(server)
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")

    anna = await customers(server)
    case_a = await anna.ask_for_help(general_context("s1"))
    panel_a = await console.accept(case_a)
    bertil = await customers(server)
    case_b = await bertil.ask_for_help(general_context("s2"))
    panel_b = await console.accept(case_b)

    await expect(console.page.get_by_role("tab")).to_have_count(2)
    await expect(console.tab(case_a).locator(".tab-title")).to_have_text("s1 · Support")
    await expect(console.tab(case_b).locator(".tab-title")).to_have_text("s2 · Support")
    await expect(panel_b).to_be_visible()
    await expect(panel_a).to_be_hidden()

    await anna.say("Jag hittar inte mjölken")
    await bertil.say("Kassan har frusit")
    await expect(console.message(case_b, "Kassan har frusit")).to_be_visible()
    await expect(console.tab(case_a)).to_contain_text("1 nya")  # unread in the background tab
    await expect(panel_b.locator(".msg")).not_to_contain_text(["Jag hittar inte mjölken"])

    await console.tab(case_a).click()
    await expect(panel_a).to_be_visible()
    await expect(panel_b).to_be_hidden()
    await expect(console.tab(case_a)).not_to_contain_text("nya")
    await expect(console.message(case_a, "Jag hittar inte mjölken")).to_be_visible()
    assert await panel_a.locator(".msg").filter(has_text="Kassan har frusit").count() == 0

    await console.send(case_a, "Mjölken står i kyl 3")
    await anna.reads_agent_message(lambda m: m["text"] == "Mjölken står i kyl 3")
    await panel_a.get_by_label("Meddelande till kunden").fill("utkast till Anna")

    # arrow keys move between tabs (ARIA tabs pattern); each tab keeps its own draft and chat
    await console.tab(case_a).focus()
    await console.page.keyboard.press("ArrowRight")
    await expect(console.tab(case_b)).to_be_focused()
    await expect(console.tab(case_b)).to_have_attribute("aria-selected", "true")
    await expect(panel_b).to_be_visible()
    await expect(panel_b.get_by_label("Meddelande till kunden")).to_have_value("")
    await console.send(case_b, "Starta om kassan")
    await bertil.reads_agent_message(lambda m: m["text"] == "Starta om kassan")
    await console.tab(case_b).focus()
    await console.page.keyboard.press("Home")
    await expect(panel_a).to_be_visible()
    await expect(panel_a.get_by_label("Meddelande till kunden")).to_have_value("utkast till Anna")

    assert [m["text"] for m in bertil.client.received["chat_message"]] == ["Starta om kassan"]
    assert [m["text"] for m in anna.client.received["chat_message"]] == ["Mjölken står i kyl 3"]


# ---------------------------------------------------------------------------- offers and queues


async def test_an_offer_that_is_not_answered_disappears_with_a_note_and_sets_the_agent_away(
    server_factory: Callable[..., Any], open_console: OpenConsole, customers: Customers
) -> None:
    async with server_factory(dispatch__offer_timeout_seconds=2) as server:
        await server.create_agent("lisa", "Lisa", skills=("payments",))
        console = await open_console(server)
        await console.sign_in("lisa")
        await console.set_presence("Tillgänglig")
        customer = await customers(server)
        case_id = await customer.ask_for_help(PAYMENT_CONTEXT)

        offer = console.offer(case_id)
        await expect(offer).to_be_visible()
        await expect(offer.locator('[data-field="countdown"]')).to_have_text(
            re.compile(r"^Svara inom [12] s$")
        )
        await expect(offer).to_have_count(0, timeout=8000)
        await expect(console.page.locator("#offer-notes")).to_contain_text(
            "Erbjudandet från s1 drogs tillbaka: tiden gick ut."
        )
        await expect(console.presence_state).to_have_text("Du är: Borta")
        await expect(console.page.get_by_role("radio", name="Borta")).to_be_checked()
        await expect(console.page.locator("#presence-note")).to_contain_text(
            "ett erbjudande gick ut obesvarat"
        )


async def test_the_queue_view_shows_waiting_customers_with_their_context_and_a_ticking_wait(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    await server.create_agent("lisa", "Lisa", skills=("payments",))
    console = await open_console(server)
    await console.sign_in("lisa")  # away: nothing is offered, the customer waits

    customer = await customers(server)
    case_id = await customer.ask_for_help(PAYMENT_CONTEXT)

    queue = console.page.locator('.queue-card[data-queue="payment-experts"]')
    await expect(queue.get_by_role("heading")).to_have_text("Betalexperter")
    await expect(queue.locator('[data-field="waiting"]')).to_have_text("1")
    await expect(queue.locator('[data-field="serving"]')).to_have_text("0")
    waiting = queue.locator(f'li[data-case-id="{case_id}"]')
    line = await text_of(waiting)
    for part in ("s1", "Svenska", "Betalning", "142,50 kr", "väntat"):
        assert part in line, line
    longest = queue.locator('[data-field="longest"]')
    before = await longest.inner_text()
    await expect(longest).not_to_have_text(before, timeout=3000)  # counts up locally

    await console.set_presence("Upptagen")  # serving, but takes no new cases
    await expect(queue.locator('[data-field="serving"]')).to_have_text("1")
    await expect(console.offer(case_id)).to_have_count(0)

    await customer.client.call("cancel")
    await expect(queue.locator('[data-field="waiting"]')).to_have_text("0")
    await expect(queue.get_by_text("Ingen väntar.")).to_be_visible()


# ---------------------------------------------------------------------------- resilience


async def test_a_reload_mid_case_resumes_the_case_tab_with_its_messages(
    server: LiveServer, open_console: OpenConsole, customers: Customers
) -> None:
    await server.create_agent("lisa", "Lisa")
    console = await open_console(server)
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")
    customer = await customers(server)
    case_id = await customer.ask_for_help(general_context("s7"))
    await console.accept(case_id)
    await customer.say("Var finns kassorna?")
    await expect(console.message(case_id, "Var finns kassorna?")).to_be_visible()
    await console.send(case_id, "Längst bak i butiken.")
    await customer.reads_agent_message(lambda m: m["text"] == "Längst bak i butiken.")
    answer = console.message(case_id, "Längst bak i butiken.")
    await expect(answer).to_have_attribute("data-receipt", "delivered")

    await console.page.reload()

    await expect(console.page.locator("#login-view")).to_be_hidden()
    await expect(console.page.locator("#connection")).to_have_text("Ansluten")
    await expect(console.tab(case_id)).to_have_attribute("aria-selected", "true")
    await expect(console.message(case_id, "Var finns kassorna?")).to_be_visible()
    await expect(console.message(case_id, "Längst bak i butiken.")).to_be_visible()
    # the ✓✓ the customer's receipt gave stays after the reload
    await expect(answer).to_have_attribute("data-receipt", "delivered")
    await expect(answer).to_contain_text("✓✓")
    await expect(console.presence_state).to_have_text("Du är: Tillgänglig")
    await expect(console.panel(case_id).locator('[data-field="store"]')).to_have_text("s7")
    # the resumed tab is live: new messages arrive in it
    await customer.say("Tack!")
    await expect(console.message(case_id, "Tack!")).to_be_visible()
    assert server.services.engine.case(case_id).state.value == "active"


async def test_closing_the_console_mid_case_puts_the_case_back_in_the_queue_for_another_agent(
    server_factory: Callable[..., Any], open_console: OpenConsole, customers: Customers
) -> None:
    async with server_factory(dispatch__agent_grace_seconds=0.5) as server:
        await server.create_agent("lisa", "Lisa")
        await server.create_agent("erik", "Erik")
        console = await open_console(server)
        await console.sign_in("lisa")
        await console.set_presence("Tillgänglig")
        customer = await customers(server)
        case_id = await customer.ask_for_help(general_context("s1"))
        await console.accept(case_id)
        await customer.client.wait_for("agent_joined")
        # a colleague is signed in (away), so someone can take over: the case is re-queued
        # rather than turned into a callback
        erik = await connect(server.url, "/agent", auth={"token": await server.login("erik")})
        assert (await erik.call("agent_hello"))["ok"]

        await console.page.close()

        lost = await customer.client.wait_for("agent_lost", timeout=5)
        assert lost["case_id"] == case_id
        assert server.services.engine.case(case_id).state.value == "queued"
        assert (await erik.call("presence_set", {"presence": "available"}))["ok"]
        offer = await erik.wait_for("offer", lambda o: o["case_id"] == case_id)
        assert offer["summary"]["store"] == "s1"
    await erik.close()  # the server's shutdown has disconnected it; closing is tidy-up only


async def test_the_case_tab_follows_the_customers_connection_until_they_end_the_conversation(
    server_factory: Callable[..., Any], open_console: OpenConsole, customers: Customers
) -> None:
    async with server_factory(dispatch__customer_grace_seconds=2) as server:
        await server.create_agent("lisa", "Lisa")
        console = await open_console(server)
        await console.sign_in("lisa")
        await console.set_presence("Tillgänglig")
        customer = await customers(server)
        ack = await customer.client.call("help_request", {"context": general_context("s3")})
        case_id, case_token = ack["case_id"], ack["case_token"]
        panel = await console.accept(case_id)
        connection = panel.locator('[data-field="customer_connection"]')
        await expect(connection).to_have_text("Kunden: Ansluten")

        await customer.client.close()
        await expect(connection).to_have_text(
            "Kunden: Tappade anslutningen – väntar på att kunden kommer tillbaka"
        )
        back = await customers(server)
        assert (await back.client.call("resume", {"case_token": case_token}))["ok"]
        await expect(connection).to_have_text("Kunden: Ansluten")
        await expect(console.message(case_id, "Kunden är tillbaka.")).to_be_visible()

        await back.client.close()
        await expect(connection).to_have_text("Kunden: Har lämnat", timeout=8000)
        await expect(console.message(case_id, "Kunden har lämnat")).to_be_visible()

        last = await customers(server)
        assert (await last.client.call("resume", {"case_token": case_token}))["ok"]
        assert (await last.client.call("cancel"))["ok"]
        await expect(connection).to_have_text("Kunden: Avslutade samtalet")
        await expect(panel.locator('[data-field="state"]')).to_have_text(
            "Samtalet är avslutat – sätt etikett och stäng ärendet."
        )
        await expect(panel.get_by_label("Etikett")).to_be_visible()
        await expect(panel.get_by_label("Meddelande till kunden")).to_be_hidden()


# ---------------------------------------------------------------------------- sign-in


async def test_a_wrong_password_shows_an_error_and_opens_no_socket(
    server: LiveServer, open_console: OpenConsole
) -> None:
    agent_id = await server.create_agent("lisa", "Lisa")
    console = await open_console(server)
    await console.open()
    await console.page.get_by_label("Användarnamn").fill("lisa")
    await console.page.get_by_label("Lösenord").fill("not-the-password")
    async with console.page.expect_response("**/api/agent/login") as answer:
        await console.page.get_by_role("button", name="Logga in").click()
    response = await answer.value
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "invalid_credentials"

    await expect(console.page.locator("#login-error")).to_have_text("Fel användarnamn eller lösenord.")
    await expect(console.page.get_by_label("Lösenord")).to_be_focused()
    await expect(console.page.get_by_label("Lösenord")).to_have_value("")
    await expect(console.page.locator("#console-view")).to_be_hidden()
    assert await console.page.evaluate("sessionStorage.length") == 0
    assert console.websockets == []
    assert server.services.engine.state.agent(agent_id) is None


@pytest.mark.parametrize(
    ("token_kind", "message"),
    [
        ("forged", "Din inloggning är inte längre giltig. Logga in igen."),
        ("expired", "Din inloggning har gått ut. Logga in igen."),
    ],
)
async def test_a_refused_stored_token_returns_to_the_login_with_the_reason(
    server: LiveServer, open_console: OpenConsole, token_kind: str, message: str
) -> None:
    agent_id = await server.create_agent("lisa", "Lisa")
    token = "forged.token.value" if token_kind == "forged" else expired_agent_token(server, agent_id)
    console = await open_console(server)
    await console.open()
    session = {
        "token": token,
        "expiresAt": int(time.time() * 1000) + 3_600_000,
        "agent": {"id": agent_id, "display_name": "Lisa"},
    }
    await console.page.evaluate(
        "([key, value]) => sessionStorage.setItem(key, value)", [SESSION_KEY, json.dumps(session)]
    )
    await console.page.reload()
    await expect(console.page.locator("#login-error")).to_have_text(message)
    await expect(console.page.locator("#login-view")).to_be_visible()
    await expect(console.page.locator("#console-view")).to_be_hidden()
    assert await console.page.evaluate("sessionStorage.length") == 0


async def test_the_language_toggle_switches_between_swedish_and_english_and_is_remembered(
    server: LiveServer, open_console: OpenConsole
) -> None:
    await server.create_agent("lisa", "Lisa")
    console = await open_console(server)
    await console.open()
    page = console.page
    await page.get_by_role("button", name="Byt språk till English").click()
    await expect(page.get_by_role("heading", name="Sign in as an agent")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in as an agent")).to_be_visible()
    await page.get_by_label("Username").fill("lisa")
    await page.get_by_label("Password").fill("password123")
    await page.get_by_role("button", name="Sign in").click()
    await expect(console.presence_state).to_have_text("You are: Away")
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    await page.get_by_role("button", name="Switch language to Svenska").click()
    await expect(console.presence_state).to_have_text("Du är: Borta")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")


# ---------------------------------------------------------------------------- accessibility


async def test_the_login_screen_has_no_serious_accessibility_violations(
    server: LiveServer, open_console: OpenConsole, axe_source: str, artifacts: Path
) -> None:
    console = await open_console(server)
    await console.open()
    await console.page.locator("#login-error").evaluate("node => node.textContent = ''")
    violations = await serious_axe_violations(console.page, axe_source)
    assert violations == [], "\n".join(violations)
    await console.page.screenshot(path=artifacts / "agent-login.png", full_page=True)


async def test_the_console_with_an_open_case_and_an_offer_has_no_serious_accessibility_violations(
    server: LiveServer, open_console: OpenConsole, customers: Customers, axe_source: str,
    artifacts: Path,
) -> None:
    await server.create_agent("lisa", "Lisa", skills=("payments",))
    console = await open_console(server)
    await console.sign_in("lisa")
    await console.set_presence("Tillgänglig")
    customer = await customers(server)
    case_id = await customer.ask_for_help(PAYMENT_CONTEXT)
    await customer.say("Kortet nekas i kassan")
    panel = await console.accept(case_id)
    await panel.locator('button[data-quick-reply="greeting_cart"]').click()
    greeting = await customer.reads_agent_message(lambda m: m["quick_reply"] == "greeting_cart")
    await expect(panel.locator(f'.msg[data-message-id="{greeting["id"]}"]')).to_contain_text("Levererat")
    await customer.client.call("typing", {"active": True})
    await expect(panel.locator('[data-field="typing"]')).to_have_text("Kunden skriver…")
    second = await customers(server)
    waiting_id = await second.ask_for_help({**PAYMENT_CONTEXT, "store": "s2", "battery": None})
    await expect(console.offer(waiting_id)).to_be_visible()

    violations = await serious_axe_violations(console.page, axe_source)
    assert violations == [], "\n".join(violations)
    await console.page.screenshot(path=artifacts / "agent-console.png", full_page=True)
