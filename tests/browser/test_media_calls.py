"""Chat → voice → video → chat in one case, with the customer and the agent in two real browsers.

The customer is the shop page's Help widget in one browser context; the agent is the console at
/agent in a second one. Both use Chromium's fake microphone (a tone) and camera; the agent's
camera is replaced by a solid red canvas so the customer's screen can tell the agent's video from
their own. Media flows through Helpwire's aiortc relay on loopback. Every wait is on a DOM state
or on getStats() polled in the page with a deadline; nothing sleeps.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.support.live import LiveServer, live_server
from tests.support.widget import DESKTOP, DIALOG, HELP_BUTTON, case_id_of, open_page, widget_decided

MEDIA_TIMEOUT_MS = 25_000

#: the agent's camera: a solid red canvas, so "the agent's video" is recognisable on the
#: customer's screen (Chromium's fake camera is the same pattern in both contexts)
RED_CAMERA = """
(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const wantVideo = Boolean(constraints && constraints.video);
    const stream = constraints && constraints.audio
      ? await real({ audio: constraints.audio }) : new MediaStream();
    if (wantVideo) {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 240;
      const context = canvas.getContext("2d");
      let n = 0;
      const paint = () => {
        context.fillStyle = "#ff0000";
        context.fillRect(0, 0, 320, 240);
        context.fillStyle = n++ % 2 ? "#fe0000" : "#ff0101"; // a change every frame keeps frames coming
        context.fillRect(0, 0, 2, 2);
      };
      paint();
      setInterval(paint, 50);
      for (const track of canvas.captureStream(20).getVideoTracks()) stream.addTrack(track);
    }
    return stream;
  };
})();
"""

#: inbound-rtp totals of one kind on a case's RTCPeerConnection (the clients' test hook)
INBOUND_JS = """async ([caseId, kind]) => {
  const hook = window.__helpwireMedia;
  const pc = hook ? hook.pcOf(caseId) : null;
  if (!pc) return null;
  const totals = { packetsReceived: 0, totalSamplesReceived: 0, framesDecoded: 0 };
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === kind) {
      for (const key of Object.keys(totals)) totals[key] += report[key] || 0;
    }
  });
  return totals;
}"""

#: the same, as a wait_for_function predicate: true once `field` is above `above`
INBOUND_ABOVE_JS = """async ([caseId, kind, field, above]) => {
  const read = """ + INBOUND_JS + """;
  const totals = await read([caseId, kind]);
  return totals !== null && totals[field] > above ? totals[field] : false;
}"""

#: the mean colour of what a <video> element shows
MEAN_COLOUR_JS = """(video) => {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 48;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0, 64, 48);
  const data = context.getImageData(0, 0, 64, 48).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) {
    sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2];
  }
  const n = data.length / 4;
  return { r: sum[0] / n, g: sum[1] / n, b: sum[2] / n, width: video.videoWidth, height: video.videoHeight };
}"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path, media__host_addresses=["127.0.0.1"]) as running:
        yield running


@dataclass
class Side:
    """One participant's page, with the uncaught errors it raised."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def watch(self) -> Side:
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        return self

    async def inbound(self, case_id: str, kind: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = await self.page.evaluate(INBOUND_JS, [case_id, kind])
        return result

    async def inbound_above(self, case_id: str, kind: str, name: str, above: float) -> float:
        handle = await self.page.wait_for_function(
            INBOUND_ABOVE_JS, arg=[case_id, kind, name, above], polling=100, timeout=MEDIA_TIMEOUT_MS)
        return float(await handle.json_value())

    async def media_flows(self, case_id: str, kind: str, name: str) -> None:
        """`name` of inbound `kind` is above zero, and then grows again: media keeps arriving."""
        first = await self.inbound_above(case_id, kind, name, 0)
        await self.inbound_above(case_id, kind, name, first)


@dataclass
class Call:
    server: LiveServer
    customer: Side
    agent: Side
    case_id: str

    @property
    def panel(self) -> Locator:
        return self.agent.page.locator(f'[role="tabpanel"][data-case-id="{self.case_id}"]')

    @property
    def dialog(self) -> Locator:
        return self.customer.page.locator(DIALOG)

    async def agent_says(self, text: str) -> None:
        compose = self.panel.get_by_label("Meddelande till kunden")
        await compose.fill(text)
        await compose.press("Enter")
        await expect(self.dialog.locator(".hw-msg-agent p").filter(has_text=text)).to_be_visible()

    async def customer_says(self, text: str) -> None:
        box = self.customer.page.get_by_role("textbox", name="Ditt meddelande")
        await box.fill(text)
        await box.press("Enter")
        await expect(self.panel.locator(".msg-customer").filter(has_text=text)).to_be_visible()

    async def both_connected(self, channel: str) -> None:
        await expect(self.panel).to_have_attribute("data-media-state", "connected", timeout=MEDIA_TIMEOUT_MS)
        await expect(self.panel).to_have_attribute("data-media-channel", channel)
        call = self.dialog.locator(".hw-call")
        await expect(call).to_have_attribute("data-state", "connected", timeout=MEDIA_TIMEOUT_MS)
        await expect(call).to_have_attribute("data-channel", channel)


async def open_call(server: LiveServer, browser: Browser, contexts: list[BrowserContext],
                    skills: tuple[str, ...] = (), customer_script: str | None = None) -> Call:
    """An agent signed in at /agent and a customer whose Help press the agent accepted."""
    await server.create_agent("lisa", "Lisa", skills=skills)
    agent_context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    contexts.append(agent_context)
    await agent_context.add_init_script(RED_CAMERA)
    agent = Side(await agent_context.new_page()).watch()
    await agent.page.goto(f"{server.url}/agent")
    await agent.page.get_by_label("Användarnamn").fill("lisa")
    await agent.page.get_by_label("Lösenord").fill("password123")
    await agent.page.get_by_role("button", name="Logga in").click()
    await expect(agent.page.locator("#connection")).to_have_text("Ansluten")
    await agent.page.get_by_role("radio", name="Tillgänglig").check()
    await expect(agent.page.locator("#presence-state")).to_have_text("Du är: Tillgänglig")

    if customer_script is None:
        page = await open_page(browser, server.url + "/")
    else:
        context = await browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
        await context.add_init_script(customer_script)
        page = await context.new_page()
        await page.goto(server.url + "/")
        await widget_decided(page)
    contexts.append(page.context)
    customer = Side(page).watch()
    await page.click(HELP_BUTTON)
    case_id = await case_id_of(page)

    offer = agent.page.locator(f'article.offer-card[data-case-id="{case_id}"]')
    await offer.get_by_role("button", name="Acceptera").click()
    call = Call(server, customer, agent, case_id)
    await expect(call.panel).to_be_visible()
    return call


async def channel_history(server: LiveServer, case_id: str) -> list[tuple[str, str, str, float]]:
    await server.flush()
    events = await server.services.cases.events(case_id)
    return [(e["detail"]["from_channel"], e["detail"]["to_channel"], e["detail"]["by"], e["at"])
            for e in events if e["kind"] == "channel"]


async def mean_colour(video: Locator) -> dict[str, float]:
    await expect(video).to_be_visible(timeout=MEDIA_TIMEOUT_MS)
    await video.evaluate(
        "(v) => new Promise((ok) => v.readyState >= 2 ? ok() : v.addEventListener('loadeddata', ok))")
    colour: dict[str, float] = await video.evaluate(MEAN_COLOUR_JS)
    return colour


# ---------------------------------------------------------------------------- the escalation


async def test_chat_goes_to_voice_then_video_and_back_to_chat_in_one_case(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    call = await open_call(server, browser, contexts)
    customer, agent, case_id = call.customer.page, call.agent.page, call.case_id
    dialog, panel = call.dialog, call.panel

    # chat first
    await call.agent_says("Hej! Hur kan jag hjälpa?")
    await call.customer_says("Kortläsaren blinkar rött")
    await expect(panel.locator('[data-field="media_state"]')).to_have_text("Kanal: chatt")
    # the customer may ask for voice; the agent proposes here, so it is only offered
    await expect(dialog.get_by_role("button", name="Ring mig hellre")).to_be_visible()

    # chat → voice: the agent proposes, the customer accepts with one tap
    await panel.get_by_role("button", name="Föreslå röst").click()
    await expect(panel.locator('[data-field="media_state"]')).to_have_text(
        "Du har föreslagit röst – väntar på kunden…")
    prompt = dialog.locator(".hw-media-prompt")
    await expect(prompt).to_contain_text("Lisa föreslår att ni pratar i ett röstsamtal")
    await expect(prompt).to_contain_text("Vi använder video/röst bara för att hjälpa i stunden.")
    await prompt.get_by_role("button", name="Acceptera").click()
    await call.both_connected("voice")
    await expect(dialog.locator(".hw-call-state")).to_have_text(
        "Samtalet är igång. Chatten finns kvar nedanför.", timeout=MEDIA_TIMEOUT_MS)
    await expect(panel.locator('[data-field="media_state"]')).to_have_text("Röstsamtal – anslutet")
    for side in (call.customer, call.agent):
        await side.media_flows(case_id, "audio", "packetsReceived")
        await side.media_flows(case_id, "audio", "totalSamplesReceived")
    assert (await call.customer.inbound(case_id, "video")) == {
        "packetsReceived": 0, "totalSamplesReceived": 0, "framesDecoded": 0}
    # voice only: no video elements showing, and the controls say what they do
    await expect(dialog.locator(".hw-remote-video")).to_be_hidden()
    mute = dialog.get_by_role("button", name="Mikrofon av")
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await expect(dialog.get_by_role("button", name="Kamera av")).to_be_hidden()
    # the chat stays usable beside the call
    await call.customer_says("Jag hör dig")
    first_pcs = (
        await customer.evaluate(f"window.__keptPc = window.__helpwireMedia.pcOf('{case_id}'); 1"),
        await agent.evaluate(f"window.__keptPc = window.__helpwireMedia.pcOf('{case_id}'); 1"),
    )
    assert first_pcs == (1, 1)

    # mute is local and told to the other side
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await expect(panel.locator('[data-field="media_notice"]')).to_have_text(
        "Kunden har stängt av mikrofonen.")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "false")

    # voice → video: renegotiated on the same connections
    await panel.get_by_role("button", name="Föreslå video").click()
    await expect(prompt).to_contain_text("Lisa föreslår ett videosamtal")
    await prompt.get_by_role("button", name="Acceptera").click()
    await call.both_connected("video")
    for side in (call.customer, call.agent):
        await side.media_flows(case_id, "video", "framesDecoded")
        await side.media_flows(case_id, "audio", "totalSamplesReceived")
        assert await side.page.evaluate(
            f"window.__keptPc === window.__helpwireMedia.pcOf('{case_id}')"), "a new connection was made"

    # the customer sees the agent's (red) camera and a self-view of their own; never their own back
    theirs = await mean_colour(dialog.locator(".hw-remote-video"))
    assert theirs["r"] > 150 and theirs["g"] < 90 and theirs["b"] < 90, theirs
    await expect(dialog.locator(".hw-self-video")).to_be_visible()
    own = await mean_colour(dialog.locator(".hw-self-video"))
    assert not (own["r"] > 150 and own["g"] < 90), own
    # and the agent sees the customer's camera, not their own red one
    seen = await mean_colour(panel.locator(".remote-video"))
    assert not (seen["r"] > 150 and seen["g"] < 90 and seen["b"] < 90), seen
    assert seen["width"] == 640 and seen["height"] == 480, seen
    ids = await customer.evaluate(f"""() => {{
        const pc = window.__helpwireMedia.pcOf('{case_id}');
        return {{local: pc.getSenders().filter((s) => s.track).map((s) => s.track.id),
                 remote: pc.getReceivers().map((r) => r.track.id)}};
    }}""")
    assert ids["local"] and ids["remote"] and not set(ids["local"]) & set(ids["remote"]), ids
    camera = dialog.get_by_role("button", name="Kamera av")
    await expect(camera).to_have_attribute("aria-pressed", "false")

    # the customer hangs up: back to chat, every track stopped, the connection closed
    await dialog.get_by_role("button", name="Lägg på").click()
    await expect(dialog.locator(".hw-call")).to_be_hidden()
    await expect(dialog.locator(".hw-media-notice")).to_have_text(
        "Samtalet är avslutat – ni fortsätter i chatten.")
    await expect(panel).to_have_attribute("data-media-state", "ended")
    await expect(panel.locator('[data-field="media_state"]')).to_have_text("Kanal: chatt")
    await expect(panel.locator('[data-field="media_notice"]')).to_have_text(
        "Kunden lade på – ni fortsätter i chatten.")
    for page in (customer, agent):
        closed = await page.evaluate(f"""() => ({{
            state: window.__keptPc.connectionState,
            open: window.__helpwireMedia.pcOf('{case_id}') !== null,
            live: window.__keptPc.getSenders().concat(window.__keptPc.getReceivers())
                .filter((x) => x.track && x.track.readyState === 'live').length,
        }})""")
        assert closed == {"state": "closed", "open": False, "live": 0}, closed
    assert case_id not in server.services.media.cases  # type: ignore[union-attr]

    # the case goes on in chat
    await call.customer_says("Tack, nu fungerar det!")
    await call.agent_says("Toppen!")

    history = await channel_history(server, case_id)
    assert [(f, t, by) for f, t, by, _ in history] == [
        ("chat", "voice", "customer"), ("voice", "video", "customer"), ("video", "chat", "customer")]
    times = [at for *_, at in history]
    assert times == sorted(times) and len(set(times)) == 3, times
    assert call.customer.errors == [] and call.agent.errors == []


async def test_a_declined_video_proposal_keeps_the_chat_and_tells_the_agent(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    call = await open_call(server, browser, contexts)
    dialog, panel = call.dialog, call.panel
    await call.agent_says("Hej! Kan jag få se kortläsaren?")

    # the agent marks the case; the console suggests video
    await panel.get_by_role("button", name="Visuellt fel").click()
    await expect(panel.locator('[data-field="media_hint"]')).to_have_text(
        "Tips: ärendet är markerat ”visuellt fel” – föreslå video för att se problemet.")
    await expect(panel.get_by_role("button", name="Visuellt fel")).to_have_attribute("aria-pressed", "true")

    await panel.get_by_role("button", name="Föreslå video").click()
    prompt = dialog.locator(".hw-media-prompt")
    await expect(prompt).to_contain_text("Lisa föreslår ett videosamtal")
    await prompt.get_by_role("button", name="Fortsätt chatta").click()

    await expect(dialog.locator(".hw-media-notice")).to_have_text("Okej, ni fortsätter i chatten.")
    await expect(prompt.get_by_role("button", name="Acceptera")).to_have_count(0)
    await expect(dialog.locator(".hw-call")).to_be_hidden()
    await expect(panel.locator('[data-field="media_notice"]')).to_have_text(
        "Kunden tackade nej till video – ni fortsätter i chatten.")
    declined_line = panel.locator(".msg-system").filter(has_text="Kunden tackade nej till video")
    await expect(declined_line).to_be_visible()
    await expect(panel.locator('[data-field="media_state"]')).to_have_text("Kanal: chatt")
    await expect(panel.get_by_role("button", name="Föreslå video")).to_be_enabled()
    # no camera or microphone was ever opened on the customer's side
    assert await call.customer.page.evaluate(
        "!window.__helpwireMedia || window.__helpwireMedia.pc === null")

    await call.customer_says("Jag skriver hellre")
    history = await channel_history(call.server, call.case_id)
    assert history == []
    events = await call.server.services.cases.events(call.case_id)
    declined = [e["detail"] for e in events if e["kind"] == "media_declined"]
    assert declined == [{"channel": "video", "by": "customer"}]
    assert [e["detail"]["mark"] for e in events if e["kind"] == "mark"] == ["visual_fault"]
    assert call.customer.errors == [] and call.agent.errors == []


#: counts the customer's getUserMedia calls (window.__captures), which then go on as usual
COUNT_CAPTURES = """
(() => {
  window.__captures = 0;
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => {
    window.__captures += 1;
    return real(constraints);
  };
})();
"""

#: true once the case's connection exists with its own offer set and not yet answered
PREPARED_JS = """(caseId) => {
  const pc = window.__helpwireMedia ? window.__helpwireMedia.pcOf(caseId) : null;
  return Boolean(pc) && pc.signalingState === "have-local-offer";
}"""


async def test_the_customer_asks_for_voice_the_agent_accepts_and_hangs_up(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    call = await open_call(server, browser, contexts)
    dialog, panel = call.dialog, call.panel
    await call.agent_says("Hej!")

    await dialog.get_by_role("button", name="Ring mig hellre").click()
    await expect(dialog.locator(".hw-media-prompt")).to_have_text(
        re.compile("Vi frågar Lisa om ni kan prata i ett röstsamtal"))
    request = panel.locator(".media-request")
    await expect(request).to_contain_text("Kunden vill hellre prata i ett röstsamtal.")
    await request.get_by_role("button", name="Acceptera röst").click()
    await call.both_connected("voice")
    for side in (call.customer, call.agent):
        await side.media_flows(call.case_id, "audio", "packetsReceived")

    await panel.get_by_role("button", name="Lägg på").click()
    await expect(dialog.locator(".hw-call")).to_be_hidden()
    await expect(dialog.locator(".hw-media-notice")).to_have_text(
        "Samtalet är avslutat – ni fortsätter i chatten.")
    await expect(panel.locator(".call-view")).to_be_hidden()
    await call.customer_says("Tack!")

    history = await channel_history(call.server, call.case_id)
    assert [(f, t, by) for f, t, by, _ in history] == [("chat", "voice", "agent"), ("voice", "chat", "agent")]
    assert call.customer.errors == [] and call.agent.errors == []


async def test_a_voice_first_case_starts_in_voice_as_soon_as_the_agent_accepts(
    server: LiveServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    # offline mode (the browser says it is offline) routes to the 24/7 on-call queue, voice first
    offline = "Object.defineProperty(Navigator.prototype, 'onLine', { get: () => false });"
    call = await open_call(server, browser, contexts, skills=("oncall",), customer_script=offline)
    dialog = call.dialog
    # no proposal and no tap: only the browser's microphone permission (granted by the flags)
    await call.both_connected("voice")
    await expect(dialog.locator(".hw-media-prompt button[data-action=media-accept]")).to_have_count(0)
    for side in (call.customer, call.agent):
        await side.media_flows(call.case_id, "audio", "totalSamplesReceived")
    # chat stays open beside the call
    await call.agent_says("Hej, jag hör dig. Du kan skriva också.")
    await call.customer_says("Bra!")

    history = await channel_history(call.server, call.case_id)
    assert [(f, t, by) for f, t, by, _ in history] == [("chat", "voice", "rule")]
    assert call.customer.errors == [] and call.agent.errors == []


async def test_the_console_suggests_voice_when_the_chat_runs_long(
    tmp_path: Path, browser: Browser, contexts: list[BrowserContext]
) -> None:
    async with live_server(tmp_path, media__host_addresses=["127.0.0.1"],
                           media__voice_hint_after_seconds=1) as server:
        call = await open_call(server, browser, contexts)
        await call.agent_says("Hej!")
        hint = call.panel.locator('[data-field="media_hint"]')
        await expect(hint).to_have_text(
            "Tips: chatten har pågått i över 1 s utan lösning – föreslå röst?", timeout=10_000)
        await call.panel.get_by_role("button", name="Föreslå röst").click()
        await expect(hint).to_be_hidden()
        await call.dialog.locator(".hw-media-prompt").get_by_role("button", name="Fortsätt chatta").click()
        await expect(call.panel.locator('[data-field="media_notice"]')).to_have_text(
            "Kunden tackade nej till röst – ni fortsätter i chatten.")
        assert call.customer.errors == [] and call.agent.errors == []
