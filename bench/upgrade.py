"""Upgrade latency in real browsers: how long the moments that matter take, end to end.

A real Helpwire process on loopback, headless Chromium on both sides (the demo shop's widget in a
fresh context per case, the agent console signed in once), N fresh cases (default 20), directly
and relayed through Debian's coturn (both browsers forced to `iceTransportPolicy: "relay"`, the
server's ICE settings pointing at it). Per case:

- **help → joined / → first agent line**: from the customer's Help click to the widget showing the
  agent is here (`data-phase` joining/active) and to the agent's first line in the panel, with an
  agent answering at once (a robot in the console page clicks Accept when the offer card appears
  and sends a line when the compose box opens: no round trip to this script in the path);
- **accept voice → first audio** at the customer and at the agent: from the customer's tap on
  Accept to inbound-rtp audio with `totalAudioEnergy > 0` in that side's RTCPeerConnection
  (`getStats()` polled every 5 ms in the page). Energy, not packets: it counts audio decoded for
  playout that is not silence. Both microphones are a continuous 440 Hz WebAudio tone, since the
  fake device's beeps would add up to their interval. First packet (`packetsReceived > 0`) is
  recorded too;
- **accept video → first frame** at each side: from the tap on the video proposal's Accept
  (the call is in voice) to inbound-rtp video `framesDecoded > 0` (getStats rather than
  requestVideoFrameCallback, so the probe needs no access to the clients' video elements).

Every time is read in the pages (`performance.timeOrigin + performance.now()`, one machine clock):
the click is taken by a capture listener on `window`, each mark by a MutationObserver that also
watches open shadow roots. Elements are found by id and data-* attributes only, which Playwright's
CSS selectors and the probe find through an open shadow root as well.

    python -m bench.upgrade [--cases 20] [--modes direct,turn] [--out var/bench]

Writes var/bench/upgrade-<time>.json (every sample, p50 and p95 per moment, the load average) and
prints a table. `make bench-upgrade` runs it under /tmp/helpwire-bench.lock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from . import coturn
from .relay_servers import HelpwireServer

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HELPWIRE_CHROMIUM", "/usr/bin/chromium")
#: as tests/browser/conftest.py launches it (docs in /work/shared/notes: fake devices, loopback ICE)
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
]
TICKS = os.sysconf("SC_CLK_TCK")
#: the longest a single moment may take before the case counts as failed
MOMENT_TIMEOUT_MS = 20_000
GOALS = {"voice_audio_both": 0.3, "video_frame_both": 0.5}

#: the probe both pages get before any of their own scripts run (RELAY is replaced per mode)
PROBE = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = { marks: {}, clicks: [], pcs: [], watches: [], robot: null, relay: RELAY };
  // every peer connection, when it was made; relay-only when the mode says so
  const Native = window.RTCPeerConnection;
  // and when each step of its set-up happened (the stages of a case's figures)
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) {
      super(bench.relay ? { ...(config || {}), iceTransportPolicy: "relay" } : config, ...rest);
      const entry = { pc: this, at: now(), steps: {} };
      this.__steps = entry.steps;
      bench.pcs.push(entry);
      const step = (name) => { if (!(name in entry.steps)) entry.steps[name] = now(); };
      this.addEventListener("iceconnectionstatechange", () => step(`ice_${this.iceConnectionState}`));
      this.addEventListener("connectionstatechange", () => step(`pc_${this.connectionState}`));
      this.addEventListener("icecandidate", (e) => step(e.candidate ? "first_candidate" : "gathered"));
    }
    async setLocalDescription(...args) {
      const s = this.__steps;
      if (!("offer_set" in s)) s.offer_started = now();
      const result = await super.setLocalDescription(...args);
      if (!("offer_set" in s)) s.offer_set = now();
      return result;
    }
    async setRemoteDescription(...args) {
      const s = this.__steps;
      if (!("answer_set" in s)) s.answer_came = now();
      const result = await super.setRemoteDescription(...args);
      if (!("answer_set" in s)) s.answer_set = now();
      return result;
    }
  };
  // a continuous tone as the microphone (the fake device beeps); the fake camera stays
  const realMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const c = constraints || {};
    if (!("gum_asked" in bench.marks)) bench.mark("gum_asked");
    const stream = c.video ? await realMedia({ video: c.video }) : new MediaStream();
    if (c.audio) {
      const context = new AudioContext();
      const tone = context.createOscillator();
      const out = context.createMediaStreamDestination();
      tone.frequency.value = 440;
      tone.connect(out);
      tone.start();
      context.resume();
      stream.addTrack(out.stream.getAudioTracks()[0]);
    }
    bench.mark("gum_done");
    return stream;
  };
  // the document and every shadow root, open or closed, are searched and observed
  const roots = [document];
  const observer = new MutationObserver(() => check());
  const observe = (root) => observer.observe(root, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.push(root);
    observe(root);
    return root;
  };
  const deep = (selector) => {
    for (const root of roots) {
      const found = root.querySelector(selector);
      if (found) return found;
    }
    return null;
  };
  bench.mark = (name) => { if (!(name in bench.marks)) bench.marks[name] = now(); };
  const check = () => {
    for (const w of bench.watches) if (!(w.name in bench.marks) && deep(w.selector)) bench.mark(w.name);
    if (bench.robot) bench.robot(deep);
  };
  observe(document);
  bench.watch = (name, selector) => { bench.watches.push({ name, selector }); check(); };
  bench.reset = () => { bench.marks = {}; bench.watches = []; bench.clicks = []; };
  window.addEventListener("click", (event) => {
    for (const el of event.composedPath()) {
      if (!(el instanceof Element)) continue;
      const action = el.getAttribute("data-action") || (el.classList.contains("hw-button") ? "help" : null);
      if (action) { bench.clicks.push([action, now()]); return; }
    }
  }, true);
  // inbound-rtp totals of the peer connections made since `since`, ONE getStats poll per page
  // (every 5 ms) for all the fields: "kind:field" is marked when that total is first > 0
  bench.watchMedia = (kind, fields, since) => {
    const poll = async () => {
      const missing = fields.filter((f) => !(`${kind}:${f}` in bench.marks));
      if (!missing.length || bench.stopped) return;
      const totals = Object.fromEntries(missing.map((f) => [f, 0]));
      for (const { pc, at } of bench.pcs) {
        if (at < since || pc.connectionState === "closed") continue;
        (await pc.getStats()).forEach((r) => {
          if (r.type === "inbound-rtp" && r.kind === kind) for (const f of missing) totals[f] += r[f] || 0;
        });
      }
      for (const f of missing) if (totals[f] > 0) bench.mark(`${kind}:${f}`);
      setTimeout(poll, 5);
    };
    poll();
  };
  // the end of a case: no poll goes on and no connection of the page stays open
  bench.stop = () => {
    bench.stopped = true;
    bench.robot = null;
    for (const { pc } of bench.pcs) if (pc.connectionState !== "closed") pc.close();
  };
  // the set-up steps of the first peer connection made since `since` (ms, the machine clock)
  bench.steps = (since) => {
    const entry = bench.pcs.find((e) => e.at >= since);
    return entry ? { created: entry.at, ...entry.steps } : {};
  };
  // how the open calls' media go: the local candidate type of each selected pair (host, relay…)
  bench.paths = async () => {
    const types = [];
    for (const { pc } of bench.pcs) {
      if (pc.connectionState !== "connected") continue;
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type !== "transport" || !r.selectedCandidatePairId) return;
        const pair = stats.get(r.selectedCandidatePairId);
        const local = pair && stats.get(pair.localCandidateId);
        if (local) types.push(local.candidateType);
      });
    }
    return types;
  };
})();
"""

#: the agent answering at once: Accept when an offer card shows, a line when the compose box opens
ROBOT = r"""() => {
  const greeted = new Set();
  window.__bench.robot = (deep) => {
    const accept = deep("article.offer-card button.accept:not([disabled])");
    if (accept) accept.click();
    for (const panel of document.querySelectorAll('[role="tabpanel"][data-case-id]')) {
      const id = panel.dataset.caseId;
      const form = panel.querySelector("form.compose");
      const input = form && form.querySelector("textarea, input");
      if (greeted.has(id) || !form || form.hidden || !input) continue;
      greeted.add(id);
      input.value = "Hej! Hur kan jag hjälpa?";
      form.requestSubmit();
    }
  };
}"""

#: the voice call's set-up in one page: its connection's steps (the first one made since the case
#: started: the voice call's) and the first microphone request
STEPS = """(since) => {
  const b = window.__bench;
  const out = b.steps(since);
  for (const name of ["gum_asked", "gum_done"]) if (name in b.marks) out[name] = b.marks[name];
  return out;
}"""

WIDGET_WATCHES = {
    "joined": '#helpwire-dialog[data-phase="joining"], #helpwire-dialog[data-phase="active"]',
    "first_message": "#helpwire-dialog .hw-msg-agent",
}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), interpolated between the nearest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class TurnHelpwire(HelpwireServer):
    """Helpwire whose clients and own peers get TURN credentials for this coturn."""

    def __init__(self, workdir: Path, relay: coturn.Coturn | None, log_level: str = "WARNING") -> None:
        super().__init__(workdir, agents=1)
        self.relay = relay
        self.log_level = log_level

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config.read_text()
        self.config.write_text(text.replace('log_level = "WARNING"', f'log_level = "{self.log_level}"'))
        with self.config.open("a") as config:
            if self.relay is not None:
                config.write(f'[media]\nice_turn_urls = ["{self.relay.url}"]\n'
                             f'ice_turn_secret = "{self.relay.secret}"\n')
            # every browser comes from 127.0.0.1: the per-address limits meant for the internet
            # would refuse the benchmark's own Help presses and sign-ins after a dozen cases
            config.write("[security]\n" + "".join(
                f"{name} = {{burst = 1000000, per_seconds = 1}}\n"
                for name in ("help_per_address", "login_per_address"))
                + "max_sockets_per_address = 1000000\n")


class CaseFailed(RuntimeError):
    """A moment did not happen within MOMENT_TIMEOUT_MS (or took the wrong path)."""


async def marks_of(page: Page, names: Sequence[str]) -> dict[str, float]:
    """Wait until every mark is taken in the page, then return them (ms, the machine's clock)."""
    try:
        await page.wait_for_function(
            "(names) => names.every((n) => n in window.__bench.marks)", arg=list(names),
            polling=20, timeout=MOMENT_TIMEOUT_MS)
    except PlaywrightTimeout:
        taken = await page.evaluate("() => Object.keys(window.__bench.marks)")
        raise CaseFailed(f"{page.url}: waited for {list(names)}, only {taken} happened") from None
    marks: dict[str, float] = await page.evaluate("() => window.__bench.marks")
    return marks


async def last_click(page: Page, action: str) -> float:
    clicks: list[list[Any]] = await page.evaluate("() => window.__bench.clicks")
    return float(next(at for name, at in reversed(clicks) if name == action))


async def sign_in(browser: Browser, server: HelpwireServer, probe: str) -> Page:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    context.set_default_timeout(MOMENT_TIMEOUT_MS)
    await context.add_init_script(probe)
    page = await context.new_page()
    await page.goto(f"{server.url}/agent")
    await page.fill("#username", server.agents[0])
    await page.fill("#password", server.password)
    await page.click("#login-submit")
    await page.wait_for_selector("#login-view", state="hidden")
    # presence is set once the console's hello is answered (earlier: refused, not_ready), and is
    # the server's word (#presence-state), not the radio's own click
    await page.wait_for_selector('#connection[data-state="connected"]')
    await page.click('input[name="presence"][value="available"]')
    await page.wait_for_selector('#presence-state[data-presence="available"]')
    await page.evaluate(ROBOT)
    return page


async def check_path(shop: Page, agent: Page, relayed: bool) -> None:
    """The call's media took the path the mode says: through coturn, or not."""
    for side, page in (("customer", shop), ("agent", agent)):
        types: list[str] = await page.evaluate("() => window.__bench.paths()")
        if not types or any((t == "relay") != relayed for t in types):
            raise CaseFailed(f"the {side}'s call is not {'relayed' if relayed else 'direct'}: {types}")


async def one_case(browser: Browser, server: HelpwireServer, probe: str,
                   relayed: bool) -> dict[str, float]:
    """One fresh case from the Help press to video, with a freshly signed-in console (so no
    earlier case's tab or call is in it); the figures in seconds."""
    try:
        agent = await sign_in(browser, server, probe)
    except PlaywrightError as error:  # a timeout too
        raise CaseFailed(f"signing in: {str(error).splitlines()[0]}") from None
    context: BrowserContext = await browser.new_context(viewport={"width": 1280, "height": 800},
                                                        reduced_motion="reduce")
    context.set_default_timeout(MOMENT_TIMEOUT_MS)
    try:
        await context.add_init_script(probe)
        shop = await context.new_page()
        await shop.goto(server.url + "/")
        await shop.wait_for_selector(".hw-launcher .hw-button")
        for name, selector in WIDGET_WATCHES.items():
            await shop.evaluate("([n, s]) => window.__bench.watch(n, s)", [name, selector])

        await shop.click(".hw-launcher .hw-button")
        pressed = await last_click(shop, "help")
        got = await marks_of(shop, list(WIDGET_WATCHES))
        case_id = await shop.get_attribute("#helpwire-dialog", "data-case-id")
        panel = f'[role="tabpanel"][data-case-id="{case_id}"]'
        out = {"help_joined": got["joined"] - pressed, "help_first_message": got["first_message"] - pressed}

        for channel, kind, fields in (("voice", "audio", ("totalAudioEnergy", "packetsReceived")),
                                      ("video", "video", ("framesDecoded",))):
            await agent.click(f"{panel} [data-action=propose-{channel}]")
            accept = shop.locator("#helpwire-dialog [data-action=media-accept]")
            await accept.wait_for()
            for page in (shop, agent):
                await page.evaluate("([k, f, since]) => window.__bench.watchMedia(k, f, since)",
                                    [kind, list(fields), pressed - 1])
            await accept.click()
            tapped = await last_click(shop, "media-accept")
            names = [f"{kind}:{field}" for field in fields]
            at_customer, at_agent = await asyncio.gather(marks_of(shop, names), marks_of(agent, names))
            first = fields[0]
            label = "voice_audio" if kind == "audio" else "video_frame"
            out[f"{label}_customer"] = at_customer[f"{kind}:{first}"] - tapped
            out[f"{label}_agent"] = at_agent[f"{kind}:{first}"] - tapped
            out[f"{label}_both"] = max(out[f"{label}_customer"], out[f"{label}_agent"])
            if kind == "audio":
                for side, page, at in (("customer", shop, at_customer), ("agent", agent, at_agent)):
                    # the call's connection may be older than the tap (prepared while the
                    # proposal waited), never older than the case
                    steps: dict[str, float] = await page.evaluate(STEPS, pressed)
                    steps["first_packet"] = at["audio:packetsReceived"]
                    steps["first_audio"] = at["audio:totalAudioEnergy"]
                    out.update({f"stage_{side}_{name}": at - tapped for name, at in steps.items()})
                out["stage_tapped_at"] = tapped  # the machine's clock (ms), to line up with logs
                await check_path(shop, agent, relayed)
                out["voice_packet_both"] = max(at_customer["audio:packetsReceived"],
                                               at_agent["audio:packetsReceived"]) - tapped
        return {name: round(ms / 1000, 4 if name != "stage_tapped_at" else 3) for name, ms in out.items()}
    except PlaywrightTimeout as error:
        raise CaseFailed(str(error).splitlines()[0]) from None
    finally:
        # the case ends completely before the next one: polls stopped, connections closed, both
        # contexts gone (their renderer processes too), the server's sockets closed with them
        for page in [*context.pages, *agent.context.pages]:
            with contextlib.suppress(Exception):
                await page.evaluate("() => window.__bench.stop()")
        await context.close()
        await agent.context.close()


def tree(root: int | None = None) -> tuple[int, int, float]:
    """(processes, threads, CPU seconds so far) of this benchmark's process tree: the server,
    coturn, Playwright's driver, Chromium and its renderers — the load the benchmark itself makes."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    processes = threads = 0
    ticks = 0
    stack = [root or os.getpid()]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        stat = stats.get(pid)
        if stat is None:
            continue
        processes += 1
        threads += int(stat[17])
        ticks += sum(int(v) for v in stat[11:15])
    return processes, threads, ticks / TICKS


async def settle(processes: int, seconds: float = 5.0) -> int:
    """Until the benchmark's process tree is back to `processes` (the renderers of the case just
    closed have exited), at most `seconds`; returns the count. /proc has no event for it: polled."""
    deadline = time.monotonic() + seconds
    count = tree()[0]
    while count > processes and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        count = tree()[0]
    return count


async def run_mode(browser: Browser, mode: str, cases: int, workdir: Path,
                   logs: Path | None = None) -> dict[str, Any]:
    relay = coturn.start(workdir / "coturn") if mode == "turn" else None
    server = TurnHelpwire(workdir / mode, relay, log_level="INFO" if logs else "WARNING")
    try:
        server.start()
        relayed = relay is not None
        probe = PROBE.replace("RELAY", "true" if relayed else "false")
        try:
            await one_case(browser, server, probe, relayed)  # warm-up: imports, codecs, caches
        except CaseFailed as error:
            print(f"{mode} warm-up case failed: {error}", flush=True)  # warm enough; not a sample
        samples: list[dict[str, float]] = []
        stages: list[dict[str, float]] = []
        per_case: list[dict[str, float]] = []
        failures: list[str] = []
        baseline = await settle(tree()[0])  # the tree between cases: server, browser, no pages
        while len(samples) < cases:
            processes = await settle(baseline)
            _, threads, cpu = tree()
            started = time.monotonic()
            load = os.getloadavg()[0]
            try:
                figures = await one_case(browser, server, probe, relayed)
                _, _, cpu_after = tree()
                per_case.append({"load_1min": round(load, 2), "processes_before": processes,
                                 "threads_before": threads,
                                 "cpu_seconds": round(cpu_after - cpu, 2),
                                 "seconds": round(time.monotonic() - started, 2)})
                samples.append({k: v for k, v in figures.items() if not k.startswith("stage_")})
                stages.append({k[len("stage_"):]: v for k, v in figures.items() if k.startswith("stage_")})
            except CaseFailed as error:
                failures.append(str(error))  # counted and reported, never hidden
                print(f"{mode} case failed: {error}", flush=True)
                if len(failures) > max(2, cases // 5):
                    raise
                continue
            print(f"{mode} case {len(samples)}/{cases} (load {load:.2f}, {processes} processes,"
                  f" {per_case[-1]['cpu_seconds']:.1f} s CPU): "
                  + " ".join(f"{k}={v:.3f}" for k, v in samples[-1].items()), flush=True)
    finally:
        server.stop()
        if relay is not None:
            relay.stop()
        if logs is not None:
            keep_log(server, logs, mode)
    moments = {name: [s[name] for s in samples] for name in samples[0]}
    names = {n for s in stages for n in s} - {"tapped_at"}
    steps = {name: [s[name] for s in stages if name in s]
             for name in sorted(names, key=lambda n: _stage_order(n, stages))}
    return {
        "cases": cases,
        "failed_cases": failures,
        "samples": samples,
        "summary": summary(moments),
        "stages": stages,
        "per_case": per_case,
        "stage_summary": summary(steps),
    }


def keep_log(server: HelpwireServer, logs: Path, mode: str) -> None:
    """The server's structured log (INFO) of a mode, kept for reading after the run."""
    logs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(server.workdir / f"{server.name}.log", logs / f"helpwire-{mode}.log")


def summary(values: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {name: {"p50": round(percentile(v, 50), 4), "p95": round(percentile(v, 95), 4),
                   "max": max(v), "n": len(v)} for name, v in values.items() if v}


def _stage_order(name: str, stages: list[dict[str, float]]) -> tuple[str, float]:
    """Stages by side, then by their median time after the tap."""
    side = name.split("_", 1)[0]
    return side, percentile([s[name] for s in stages if name in s], 50)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.time()
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="helpwire-upgrade-") as tmp:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                for mode in args.modes:
                    results[mode] = await run_mode(browser, mode, args.cases, Path(tmp), args.logs)
            finally:
                await browser.close()
    return {
        "benchmark": "upgrade",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "method": {"audio": "getStats inbound-rtp totalAudioEnergy > 0 (440 Hz tone microphones)",
                   "video": "getStats inbound-rtp framesDecoded > 0",
                   "agent": "answers at once (in-page robot: Accept on the offer card, one line)"},
        "goals_p95_seconds": GOALS,
        "modes": results,
    }


def table(report: dict[str, Any]) -> str:
    heads = "".join(f"{m + ' p50':>12}{m + ' p95':>12}" for m in report["modes"])
    lines = [f"{'moment (s)':<25}{heads}"]
    first = next(iter(report["modes"].values()))
    for name in first["summary"]:
        row = f"{name:<25}"
        for mode in report["modes"].values():
            figures = mode["summary"][name]
            row += f"{figures['p50']:>12.3f}{figures['p95']:>12.3f}"
        lines.append(row)
    lines.append(f"{'voice set-up stage (s)':<25}")
    for name in first.get("stage_summary", {}):
        row = f"{name:<25}"
        for mode in report["modes"].values():
            figures = mode.get("stage_summary", {}).get(name)
            row += f"{figures['p50']:>12.3f}{figures['p95']:>12.3f}" if figures else f"{'':>24}"
        lines.append(row)
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.upgrade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20, help="fresh cases per mode (default 20)")
    parser.add_argument("--modes", default="direct,turn", type=lambda s: s.split(","),
                        help="direct, turn or both (default direct,turn)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="results folder")
    parser.add_argument("--logs", type=Path, default=None,
                        help="keep the server's log (level INFO) per mode in this folder")
    args = parser.parse_args(argv)
    if args.cases < 1 or not set(args.modes) <= {"direct", "turn"}:
        parser.error("--cases ≥ 1 and --modes of direct,turn")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium is missing at {CHROMIUM}: `apt-get update && apt-get install -y"
                         " chromium`, or point HELPWIRE_CHROMIUM at one")
    if "turn" in args.modes and not coturn.TURNSERVER.exists():
        raise SystemExit(f"{coturn.TURNSERVER} is missing: {coturn.INSTALL_HINT}")
    report = asyncio.run(run(args))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"upgrade-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"load average before {report['machine']['load_average_before']}, after"
          f" {report['machine']['load_average_after']}")
    print(f"results {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
