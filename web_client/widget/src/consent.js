/*
 * Helpwire consented media on the customer's side (docs/protocol.md, "Consent"):
 * the kiosk's one-tap screen share and the one-tap camera of a video age check.
 *
 * A chunk the Help widget imports when a case connects (an ES module; no globals). It shows
 * ONE prompt at a time, full width: in the kiosk page's #kiosk-prompts, elsewhere in the widget's
 * panel (a bar at the top of the page only without a container). Both languages are shown side by side. While a grant lives it shows an
 * indicator with the time left and a button that ends it at once. The capture (getDisplayMedia or
 * the camera) starts inside the tap and rides on the case's one connection (HelpwireCall) as its
 * own, labelled transceiver; the server stops forwarding it at the deadline whatever happens here.
 * The widget hands it a container: the kiosk's #kiosk-prompts, or a section inside its panel (a
 * message there, never a bar over the shop's header); `reveal` opens the panel for a prompt.
 *
 *   attach({ socket, emit, caseId: () => id, iceServers: () => [],
 *            active: () => bool, cartLines: () => [{sku, name, age_restricted}],
 *            loadCall: () => Promise<HelpwireCall>, openCall: (caseId) => call | null,
 *            ageCheckSku: () => sku | null })
 *
 * ageCheckSku names an item whose check the page asked for (the kiosk's "Verifiera ålder via
 * video"): it is requested once, as soon as an agent has the case.
 */
import CSS from "./consent.css";
import { h } from "./dom.js";

const TEXT = {
  approve: { sv: "Godkänn", en: "Approve" },
  deny: { sv: "Neka", en: "Deny" },
  startCamera: { sv: "Starta kameran", en: "Start camera" },
  noThanks: { sv: "Nej tack", en: "No thanks" },
  sharing: { sv: "Support ser kassaskärmen – {time} kvar", en: "Support can see the checkout screen – {time} left" },
  camera: { sv: "Kameran visas för support – {time} kvar", en: "Your camera is shown to support – {time} left" },
  stopSharing: { sv: "Sluta dela", en: "Stop sharing" },
  stopCamera: { sv: "Stäng kameran", en: "Turn camera off" },
  ended: { sv: "Skärmdelningen är avslutad.", en: "Screen sharing has ended." },
  cameraEnded: { sv: "Kameran är avstängd.", en: "The camera is off." },
  declined: { sv: "Okej, inget delas.", en: "OK, nothing is shared." },
  failed: { sv: "Det gick inte att starta delningen.", en: "Sharing could not start." },
  askAge: { sv: "Ålderskontroll via video: {name}", en: "Age check by video: {name}" },
  unlocked: { sv: "{name} är upplåst – fortsätt gärna till betalningen.", en: "{name} is unlocked – please continue to payment." },
};
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
const clock = (seconds) => {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

// the prompts' styles: a constructed sheet adopted by the document or shadow root the prompts
// live in (no inline <style>, so a strict CSP without 'unsafe-inline' still shows them styled)
let sheet = null;
function adoptStyle(node) {
  const where = node.getRootNode();
  if (!("adoptedStyleSheets" in where)) {
    // a browser without constructed stylesheets (Safari before 16.4): a <style> beside the prompts
    if (!node.parentNode.querySelector(":scope > style[data-helpwire-consent]")) {
      node.before(h("style", { "data-helpwire-consent": "", text: CSS }));
    }
    return;
  }
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  if (!where.adoptedStyleSheets.includes(sheet)) where.adoptedStyleSheets = [...where.adoptedStyleSheets, sheet];
}

let options = null;
let container = null;
let prompt = null;      // the consent_prompt being shown
let live = null;        // {grant_id, scope, deadline (ms, performance clock), track}
let notice = null;      // {sv, en} a short line after something ended
const unlocked = new Map(); // sku → name, unlocked in the case `unlockedIn` (one case only)
let unlockedIn = null;
let timer = null;
let askedFor = null;    // "case:sku" of the age check asked for by ageCheckSku (once per case)

/** Both languages: Swedish first, English alongside. */
function both(text, values) {
  return [
    h("span", { lang: "sv", text: fill(text.sv, values || {}) }),
    " / ",
    h("span", { lang: "en", class: "hwc-en", text: fill(text.en, values || {}) }),
  ];
}

function ensureContainer() {
  if (container && container.isConnected) return container;
  container = (options.container && options.container()) || document.getElementById("kiosk-prompts");
  if (!container) {
    container = h("section", { id: "helpwire-consent", class: "hwc-bar", "aria-live": "assertive", hidden: true });
    document.body.append(container);
  }
  adoptStyle(container);
  return container;
}

function lineName(sku) {
  const line = (options.cartLines() || []).find((l) => l.sku === sku);
  return line ? line.name : sku;
}

function render() {
  const box = ensureContainer();
  // an approval belongs to its case: a later case (the next customer at a kiosk) starts locked
  if (unlocked.size && options.caseId() !== unlockedIn) unlocked.clear();
  const items = [];
  if (prompt) {
    const age = prompt.scope === "age_check_video";
    items.push(h("div", { class: "hwc-box hwc-prompt", role: "alertdialog", "aria-labelledby": "hwc-question", "data-scope": prompt.scope },
      h("p", { class: "hwc-question", id: "hwc-question", lang: "sv", text: prompt.text.sv }),
      h("p", { class: "hwc-question hwc-en", lang: "en", text: prompt.text.en }),
      h("div", { class: "hwc-buttons" },
        h("button", { type: "button", class: "hwc-primary", "data-action": "consent-approve", onclick: approve },
          ...both(age ? TEXT.startCamera : TEXT.approve)),
        h("button", { type: "button", "data-action": "consent-deny", onclick: deny },
          ...both(age ? TEXT.noThanks : TEXT.deny)))));
  }
  if (live) {
    const left = (live.deadline - performance.now()) / 1000;
    const screen = live.scope === "screen_share";
    items.push(h("div", { class: "hwc-box hwc-live", role: "status", "data-scope": live.scope },
      h("p", { class: "hwc-indicator" }, h("span", { class: "hwc-dot", "aria-hidden": "true" }),
        h("span", { class: "hwc-countdown", "data-seconds": String(Math.max(0, Math.ceil(left))) },
          ...both(screen ? TEXT.sharing : TEXT.camera, { time: clock(left) }))),
      h("div", { class: "hwc-buttons" },
        h("button", { type: "button", class: "hwc-stop", "data-action": "consent-stop", onclick: stop },
          ...both(screen ? TEXT.stopSharing : TEXT.stopCamera)))));
  }
  if (!prompt && !live && options.active()) {
    const lines = (options.cartLines() || []).filter((l) => l.age_restricted && !unlocked.has(l.sku));
    const buttons = lines.map((line) => h("button", {
      type: "button", "data-action": "age-check", "data-sku": line.sku, onclick: () => askAge(line.sku),
    }, ...both(TEXT.askAge, { name: line.name })));
    if (buttons.length) items.push(h("div", { class: "hwc-box hwc-offer" }, h("div", { class: "hwc-buttons" }, ...buttons)));
  }
  for (const [sku, name] of unlocked) {
    items.push(h("p", { class: "hwc-box hwc-unlocked", role: "status", "data-unlocked": sku }, ...both(TEXT.unlocked, { name })));
  }
  if (notice) items.push(h("p", { class: "hwc-box hwc-notice", role: "status" }, ...both(notice)));
  box.replaceChildren(...items);
  box.hidden = items.length === 0;
  box.classList.add("hwc-on");
  const ticking = Boolean(live);
  if (ticking && !timer) timer = setInterval(tick, 250);
  if (!ticking && timer) { clearInterval(timer); timer = null; }
  askWanted();
}

/** The age check the page asked for (Helpwire.verifyAge), once an agent has the case. */
function askWanted() {
  const sku = options.ageCheckSku ? options.ageCheckSku() : null;
  const key = `${options.caseId()}:${sku}`;
  if (!sku || prompt || live || !options.active() || unlocked.has(sku) || askedFor === key) return;
  askedFor = key;
  askAge(sku);
}

/** The countdown only: the buttons stay the same elements while time runs. */
function tick() {
  const node = container && container.querySelector(".hwc-countdown");
  if (!live || !node) return render();
  const left = (live.deadline - performance.now()) / 1000;
  node.dataset.seconds = String(Math.max(0, Math.ceil(left)));
  node.replaceChildren(...both(live.scope === "screen_share" ? TEXT.sharing : TEXT.camera, { time: clock(left) }));
}

async function capture(scope) {
  const devices = navigator.mediaDevices;
  if (scope === "screen_share") {
    const stream = await devices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    return stream.getVideoTracks()[0];
  }
  const stream = await devices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  return stream.getVideoTracks()[0];
}

async function approve() {
  const asked = prompt;
  if (!asked) return;
  prompt = null;
  render();
  // the capture starts inside the tap (screen capture needs the user's gesture)
  const capturing = capture(asked.scope).then((track) => ({ track }), (error) => ({ error }));
  const ack = await options.emit("consent_answer", { grant_id: asked.grant_id, approve: true });
  const { track, error } = await capturing;
  if (!ack || !ack.ok || error) {
    if (track) track.stop();
    if (ack && ack.ok) await options.emit("consent_revoke", { grant_id: asked.grant_id });
    notice = TEXT.failed;
    render();
    return;
  }
  live = {
    grant_id: asked.grant_id, scope: asked.scope, track,
    deadline: performance.now() + (ack.grant.remaining_seconds || 0) * 1000,
  };
  notice = null;
  // the browser's own "stop sharing" ends it too
  track.addEventListener("ended", () => { if (live && live.track === track) stop(); });
  render();
  const calls = await options.loadCall();
  const call = calls.create({
    caseId: options.caseId(), iceServers: options.iceServers(), emit: options.emit,
  });
  await call.addConsented(asked.scope, track);
}

async function deny() {
  const asked = prompt;
  prompt = null;
  notice = TEXT.declined;
  render();
  if (asked) await options.emit("consent_answer", { grant_id: asked.grant_id, approve: false });
}

async function stop() {
  const ending = live;
  if (!ending) return;
  live = null;
  notice = ending.scope === "screen_share" ? TEXT.ended : TEXT.cameraEnded;
  if (ending.track) ending.track.stop(); // nothing leaves this device from now on
  render();
  // the server hears of the revoke before the connection closes: closing first would look
  // like a lost link and be recorded as one
  await options.emit("consent_revoke", { grant_id: ending.grant_id });
  closeCall(ending.scope);
}

function finish(scope) {
  const ending = live;
  live = null;
  notice = scope === "screen_share" ? TEXT.ended : TEXT.cameraEnded;
  if (ending && ending.track) ending.track.stop();
  closeCall(scope);
}

function closeCall(scope) {
  const call = options.openCall(options.caseId());
  if (!call) return;
  if (call.consentOnly) call.close();
  else call.removeConsented(scope);
}

async function askAge(sku) {
  notice = null;
  const ack = await options.emit("age_check_request", { sku });
  if (!ack || !ack.ok) notice = TEXT.failed;
  render();
}

const handlers = {
  consent_prompt: (d) => {
    prompt = d;
    notice = null;
    if (options.reveal) options.reveal(); // a minimised panel opens: the answer is awaited
    render();
    const button = container.querySelector("[data-action=consent-approve]");
    if (button) button.focus();
  },
  consent_ended: (d) => {
    if (prompt && prompt.grant_id === d.grant_id) {
      prompt = null;
      notice = TEXT.declined;
    }
    if (live && live.grant_id === d.grant_id) finish(live.scope);
    render();
  },
  consent_state: (d) => {
    if (live && live.grant_id === d.grant_id && d.state === "granted") {
      live.deadline = performance.now() + d.remaining_seconds * 1000;
    }
  },
  age_check_result: (d) => {
    if (d.outcome === "denied" && d.text) notice = d.text;
    render();
    if (d.outcome === "denied") {
      // the page decides what a denial means for its basket (the kiosk removes the item)
      window.dispatchEvent(new CustomEvent("helpwire:age_check_denied",
        { detail: { sku: d.sku, case_id: d.case_id, text: d.text || null } }));
    }
  },
  item_unlocked: (d) => {
    if (unlockedIn !== (d.case_id || options.caseId())) unlocked.clear();
    unlockedIn = d.case_id || options.caseId();
    unlocked.set(d.sku, lineName(d.sku));
    notice = null;
    render();
    window.dispatchEvent(new CustomEvent("helpwire:item_unlocked", { detail: { sku: d.sku, case_id: d.case_id } }));
  },
};

function attach(given) {
  options = given;
  for (const [event, handler] of Object.entries(handlers)) {
    options.socket.on(event, (data) => {
      if (data && data.case_id && options.caseId() && data.case_id !== options.caseId()) return;
      handler(data || {});
    });
  }
  // redraw after every event: the case becoming active or ending shows or hides the age offer
  options.socket.onAny(() => setTimeout(render, 0));
  render();
}

export { attach, render };
/** The items unlocked in this case (sku → name). */
export const unlockedItems = () => new Map(unlocked);
