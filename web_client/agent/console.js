// Helpwire agent console: sign in, presence, offers, live queues and cases in tabs.
// Plain ES module, no build step. The wire protocol is docs/protocol.md ("Agent namespace").

import { io } from "/vendor/socket.io.esm.min.js";
import { formatClock, formatMoney, getLanguage, has, setLanguage, t } from "./messages.js";
// voice and video: the same call code as the Help widget (a classic script; defines HelpwireCall)
import "/static/widget/helpwire-call.js";
// screen share and video age check (docs/protocol.md, "Consent")
import { ConsentPanel } from "./consent.js";
// transfer, internal and wrap-up notes, earlier cases (docs/protocol.md, "Transfer and notes")
import { TransferPanel, transferSummary } from "./transfer.js";
import { NotesPanel } from "./notes.js";
import { releasePhotos, showPhoto, showPhotos } from "./photos.js";

const SESSION_KEY = "helpwire.agent.session";
const LANGUAGE_KEY = "helpwire.agent.language";
const ACK_TIMEOUT_MS = 10000;
const TYPING_IDLE_MS = 3000;
const REMOTE_TYPING_MS = 8000;
const MAX_NOTES = 5;

const $ = (selector, root = document) => root.querySelector(selector);

// ------------------------------------------------------------------ DOM and i18n helpers

/** Set a translated text on an element and remember the key so a language switch can redo it. */
function setText(node, key, args) {
  if (!key) {
    delete node.dataset.i18n;
    delete node.dataset.i18nArgs;
    node.textContent = "";
    return node;
  }
  node.dataset.i18n = key;
  if (args) node.dataset.i18nArgs = JSON.stringify(args);
  else delete node.dataset.i18nArgs;
  node.textContent = t(key, args);
  return node;
}

/** Set a translated attribute (aria-label, …) and remember it for a language switch. */
function setAttr(node, attribute, key, args) {
  const map = node.dataset.i18nAttrs ? JSON.parse(node.dataset.i18nAttrs) : {};
  map[attribute] = [key, args ?? null];
  node.dataset.i18nAttrs = JSON.stringify(map);
  node.setAttribute(attribute, t(key, args ?? undefined));
  return node;
}

function translateAll(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const args = node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : undefined;
    node.textContent = t(node.dataset.i18n, args);
  }
  for (const node of root.querySelectorAll("[data-i18n-attrs]")) {
    for (const [attribute, [key, args]] of Object.entries(JSON.parse(node.dataset.i18nAttrs))) {
      node.setAttribute(attribute, t(key, args ?? undefined));
    }
  }
}

/** A tiny element builder: h("p", {class: "x", i18n: ["key", args]}, child, …). */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "i18n") {
      const [key, args] = Array.isArray(value) ? value : [value];
      setText(node, key, args);
    } else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** A translatable enumeration value: {$t: "device.mobile"}, or "–" for null. */
function enumArg(kind, value) {
  if (value === null || value === undefined || value === "") return { $t: "value.none" };
  const key = `${kind}.${value}`;
  return has(key) ? { $t: key } : { $l: { sv: String(value), en: String(value) } };
}

function yesNo(value) {
  return { $t: value ? "value.yes" : "value.no" };
}

function literal(text) {
  return { $l: { sv: String(text ?? ""), en: String(text ?? "") } };
}

function queueTitle(name, title) {
  if (title && typeof title === "object") return { $l: { sv: title.sv ?? name, en: title.en ?? name } };
  const known = state.queues?.queues?.find((q) => q.name === name);
  if (known) return { $l: { sv: known.title.sv, en: known.title.en } };
  return literal(name);
}

/** A definition list row whose value is a translatable text: dt + dd[data-field]. */
function field(name, labelKey, valueKey, valueArgs, { wide = false } = {}) {
  return h("div", { class: wide ? "field field-wide" : "field" },
    h("dt", { i18n: labelKey }),
    h("dd", { "data-field": name, i18n: [valueKey, valueArgs] }));
}

function announce(key, args, { assertive = false } = {}) {
  const region = $(assertive ? "#announce-assertive" : "#announce-polite");
  // clear first so the same sentence twice is announced twice
  region.textContent = "";
  window.setTimeout(() => setText(region, key, args), 50);
}

function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function errorArg(error) {
  const code = error?.code;
  if (code && has(`error.${code}`)) return { $t: `error.${code}` };
  return literal(error?.message ?? code ?? "?");
}

// ------------------------------------------------------------------ sound

let audioContext = null;

function audio() {
  if (audioContext) return audioContext;
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  try {
    audioContext = new Context();
  } catch {
    audioContext = null;
  }
  return audioContext;
}

/** Called on a user gesture so that later offers may sound (browsers block audio before one). */
function unlockAudio() {
  try {
    const context = audio();
    if (context && context.state === "suspended") context.resume().catch(() => {});
  } catch {
    // no audio: the card and the live region still announce offers
  }
}

/** A short two-tone chime for a new offer, generated with WebAudio (no files). Never throws. */
function chime() {
  try {
    const context = audio();
    if (!context) return;
    if (context.state === "suspended") context.resume().catch(() => {});
    const start = context.currentTime + 0.01;
    [[660, 0], [880, 0.18]].forEach(([frequency, offset]) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.17);
    });
  } catch {
    // audio blocked or unavailable: stay silent
  }
}

// ------------------------------------------------------------------ state

const state = {
  session: null,
  socket: null,
  hello: null,
  presence: null,
  presenceReason: null,
  offers: new Map(),
  cases: new Map(),
  selected: null,
  queues: null,
  queuesReceivedAt: 0,
  assignedThisConnection: new Set(),
  offeredThisConnection: new Set(),
  // what the agent chose (or the server set with a reason): said again after a reconnect,
  // since a restarted server, or one that forgot an agent without cases, starts them as away
  chosenPresence: null,
  // client_id → {caseId, body}: the agent's messages whose acknowledgement never came
  outbox: new Map(),
  // server_restarting's retry_after_ms: where the reconnection backoff starts
  retryAfterMs: 1000,
};

// a message whose acknowledgement did not come, or came back with one of these, is sent again
// after the next agent_hello, with the same client_id (the server keeps one per client_id)
const RETRY_CODES = ["timeout", "offline", "storage_unavailable", "agent_not_found"];

/** retry_after_ms plus 0–100 % jitter, so every console does not come back at once. */
const restartDelay = () => state.retryAfterMs * (1 + Math.random());

function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    if (!session?.token) return { session: null };
    if (session.expiresAt && session.expiresAt <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return { session: null, message: "login.expired" };
    }
    return { session };
  } catch {
    return { session: null };
  }
}

function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/**
 * token_expiring: the server closes this socket when the token runs out. Fetch a new token
 * with the current one (POST /api/agent/refresh), keep it for reconnects and hand it to the
 * socket (token_renew), which moves the deadline. If that fails, token_expired follows.
 */
async function refreshToken(socket) {
  if (state.socket !== socket || !state.session) return;
  let body = null;
  try {
    const response = await fetch("/api/agent/refresh", {
      method: "POST",
      headers: { Authorization: `Bearer ${state.session.token}`, Accept: "application/json" },
    });
    body = response.ok ? await response.json() : null;
  } catch {
    body = null;
  }
  if (!body?.token || state.socket !== socket) return;
  state.session = { ...state.session, token: body.token,
                    expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000 };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  socket.auth = { token: body.token };
  await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("token_renew", { token: body.token }).catch(() => null);
}

/** token_expired: the session is over (expired, signed out elsewhere, password changed). */
function onTokenExpired(socket, payload) {
  if (state.socket !== socket) return;
  clearSession();
  disconnect();
  showLogin(payload?.code === "token_expired" ? "login.expired" : "login.invalidToken");
}

async function emit(event, payload) {
  const socket = state.socket;
  if (!socket?.connected) return { ok: false, error: { code: "offline" } };
  try {
    return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  } catch {
    return { ok: false, error: { code: "timeout" } };
  }
}

/** Fire-and-forget events (typing, read receipts): the acknowledgement is not needed. */
function send(event, payload) {
  if (state.socket?.connected) state.socket.emit(event, payload);
}

// ------------------------------------------------------------------ language

function applyLanguage(language) {
  setLanguage(language);
  document.documentElement.lang = getLanguage();
  document.title = t("document.title");
  // visible: the other language's name in that language; heard: "Byt språk till English"
  const other = getLanguage() === "sv" ? "en" : "sv";
  $("#language-toggle").replaceChildren(
    h("span", { class: "visually-hidden", text: `${t("language.toggleLabel")} ` }),
    h("span", { lang: other, text: t("language.toggle") }));
  translateAll();
  for (const view of state.cases.values()) {
    view.renderQuickReplies();
    view.consent?.render();
    view.transfer?.render();
    view.notes?.render();
  }
}

// ------------------------------------------------------------------ login

function showLogin(messageKey) {
  disconnect();
  resetConsole();
  $("#console-view").hidden = true;
  $("#logout").hidden = true;
  $("#signed-in-as").hidden = true;
  $("#connection").hidden = true;
  $("#login-view").hidden = false;
  setText($("#login-error"), messageKey ?? null);
  $("#username").focus();
}

function showLoginError(key, args) {
  setText($("#login-error"), key, args);
}

async function onLoginSubmit(event) {
  event.preventDefault();
  unlockAudio();
  const form = event.currentTarget;
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    showLoginError("login.missing");
    (username ? form.password : form.username).focus();
    return;
  }
  const submit = $("#login-submit");
  submit.disabled = true;
  setText(submit, "login.busy");
  let response;
  let body = null;
  try {
    response = await fetch("/api/agent/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password }),
    });
    body = await response.json().catch(() => null);
  } catch {
    showLoginError("login.network");
    return;
  } finally {
    submit.disabled = false;
    setText(submit, "login.submit");
  }
  if (response.status === 401) {
    showLoginError("login.invalid");
    form.password.value = "";
    form.password.focus();
    return;
  }
  if (!response.ok || !body?.token) {
    showLoginError("login.failed", { message: literal(body?.error?.message ?? `HTTP ${response.status}`) });
    return;
  }
  const session = {
    token: body.token,
    expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000,
    agent: body.agent,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  form.reset();
  setText($("#login-error"), null);
  startConsole(session);
}

function onLogout() {
  // revoke the token on the server too (every session of this agent), not only forget it here
  const token = state.session?.token;
  if (token) {
    fetch("/api/agent/logout", { method: "POST", keepalive: true,
                                 headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
  }
  clearSession();
  Object.assign(state, { hello: null, chosenPresence: null, outbox: new Map() });
  showLogin("login.loggedOut");
}

// ------------------------------------------------------------------ console lifecycle

function startConsole(session) {
  state.session = session;
  $("#login-view").hidden = true;
  $("#console-view").hidden = false;
  $("#logout").hidden = false;
  const signedIn = $("#signed-in-as");
  signedIn.hidden = false;
  setText(signedIn, "header.signedInAs", { name: literal(session.agent?.display_name ?? "") });
  setConnection("connection.connecting");
  renderPresence();
  renderOffersEmpty();
  renderCasesEmpty();
  connect();
  $("#presence-title").focus();
}

function resetConsole() {
  for (const offer of state.offers.values()) offer.card.remove();
  state.offers.clear();
  for (const view of state.cases.values()) view.destroy();
  state.cases.clear();
  state.selected = null;
  state.hello = null;
  state.presence = null;
  state.presenceReason = null;
  state.queues = null;
  state.session = null;
  $("#queues").replaceChildren();
  $("#offer-notes").replaceChildren();
  $("#offer-notes").hidden = true;
  $("#offer-notes-title").hidden = true;
}

function setConnection(key, args) {
  const node = $("#connection");
  node.hidden = false;
  node.dataset.state = key.split(".")[1];
  setText(node, key, args);
}

function disconnect() {
  const socket = state.socket;
  state.socket = null;
  if (socket) {
    socket.removeAllListeners();
    socket.disconnect();
  }
}

function connect() {
  disconnect();
  const socket = io("/agent", {
    transports: ["websocket"],
    auth: { token: state.session.token },
    reconnectionDelayMax: 5000,
  });
  state.socket = socket;
  socket.on("connect", () => hello(socket));
  socket.on("connect_error", (error) => onConnectError(socket, error));
  socket.on("token_expiring", () => refreshToken(socket));
  socket.on("token_expired", (payload) => onTokenExpired(socket, payload));
  socket.on("server_restarting", (payload) => {
    if (state.socket !== socket) return;
    // the server is going away on purpose: reconnect with backoff + jitter from retry_after_ms
    if (typeof payload?.retry_after_ms === "number") {
      state.retryAfterMs = Math.max(100, payload.retry_after_ms);
      // the Manager waits delay × 2^attempt ± randomization: this gives retry_after_ms … 2 × it
      socket.io.reconnectionDelay(state.retryAfterMs * 1.5);
      socket.io.randomizationFactor(1 / 3);
      socket.io.reconnectionDelayMax(Math.max(5000, state.retryAfterMs * 4));
    }
    setConnection("connection.restarting");
  });
  socket.on("disconnect", (reason) => {
    if (state.socket !== socket) return;
    if ($("#connection").dataset.state !== "restarting") setConnection("connection.reconnecting");
    // the client retries by itself after transport trouble, not after a server-side disconnect
    if (reason === "io server disconnect") {
      window.setTimeout(() => state.socket === socket && socket.connect(), restartDelay());
    }
  });
  for (const [event, handler] of Object.entries(handlers)) {
    socket.on(event, (payload) => {
      if (state.socket === socket) handler(payload ?? {});
    });
  }
}

function onConnectError(socket, error) {
  if (state.socket !== socket) return;
  const code = error?.data?.code;
  if (code === "invalid_token" || code === "token_expired" || code === "token_revoked") {
    clearSession();
    showLogin(code === "token_expired" ? "login.expired" : "login.invalidToken");
    return;
  }
  setConnection("connection.offline");
  // a refused namespace connection is not retried by the client; a transport error is
  if (!socket.active) window.setTimeout(() => state.socket === socket && socket.connect(), 3000);
}

async function hello(socket) {
  state.assignedThisConnection = new Set();
  state.offeredThisConnection = new Set();
  let ack;
  try {
    ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("agent_hello", {});
  } catch {
    ack = { ok: false, error: { code: "timeout" } };
  }
  if (state.socket !== socket) return;
  if (!ack?.ok) {
    setConnection("connection.error", { message: errorArg(ack?.error) });
    return;
  }
  const reconnected = state.hello !== null;
  state.hello = ack;
  setConnection("connection.connected");
  setText($("#signed-in-as"), "header.signedInAs", { name: literal(ack.agent.display_name) });
  applyPresence(ack.presence, ack.presence === state.presence ? state.presenceReason : null);
  setQueues(ack.queues);
  // The server re-sends case_assigned and offer before this acknowledgement: whatever did not
  // come again is no longer ours (an offer withdrawn, a case re-queued while we were away).
  for (const [caseId, offer] of [...state.offers]) {
    if (!state.offeredThisConnection.has(caseId)) removeOffer(caseId, offer);
  }
  for (const view of state.cases.values()) {
    if (!state.assignedThisConnection.has(view.id) && view.state !== "closed") view.setState("lost");
    view.renderQuickReplies();
    view.renderLabels();
  }
  if (reconnected) await resumeAfterReconnect(socket, ack);
}

/** After a reconnect: the presence the agent had chosen, then the messages still unacknowledged. */
async function resumeAfterReconnect(socket, ack) {
  const wanted = state.chosenPresence;
  if (wanted && ack.presence !== wanted) {
    const answer = await emit("presence_set", { presence: wanted });
    if (state.socket !== socket) return;
    if (answer?.ok) applyPresence(answer.presence, null);
  }
  for (const [clientId, pending] of [...state.outbox]) {
    const view = state.cases.get(pending.caseId);
    if (!view || view.state !== "active") {
      state.outbox.delete(clientId);
      const item = view?.byClientId.get(clientId);
      if (item) view.setReceipt(item, "failed");
      continue;
    }
    await view.deliver(clientId, pending.body);
    if (state.socket !== socket) return;
  }
}

// ------------------------------------------------------------------ presence

function applyPresence(presence, reason) {
  state.presence = presence;
  state.presenceReason = reason ?? null;
  renderPresence();
}

function renderPresence() {
  const presence = state.presence;
  for (const input of document.querySelectorAll('input[name="presence"]')) {
    input.checked = input.value === presence;
    input.closest(".presence-option").classList.toggle("is-current", input.value === presence);
  }
  const current = $("#presence-state");
  current.dataset.presence = presence ?? "unknown";
  setText(current, "presence.current", { presence: { $t: `presence.${presence ?? "unknown"}` } });
  setText($("#presence-hint"), presence ? `presence.hint.${presence}` : null);
  setText($("#presence-note"), state.presenceReason === "missed_offer" ? "presence.reason.missed_offer" : null);
}

async function onPresenceChange(event) {
  const wanted = event.target.value;
  unlockAudio();
  const ack = await emit("presence_set", { presence: wanted });
  if (!ack?.ok) {
    renderPresence();
    setText($("#presence-note"), "presence.failed", { message: errorArg(ack?.error) });
    return;
  }
  state.chosenPresence = ack.presence;
  applyPresence(ack.presence, null);
}

// ------------------------------------------------------------------ offers

function renderOffersEmpty() {
  $("#offers-empty").hidden = state.offers.size > 0;
}

function onOffer(payload) {
  const caseId = payload.case_id;
  state.offeredThisConnection.add(caseId);
  const now = performance.now();
  const existing = state.offers.get(caseId);
  if (existing) {
    existing.payload = payload;
    existing.deadline = now + payload.expires_in * 1000;
    existing.receivedAt = now;
    return;
  }
  const summary = payload.summary ?? {};
  const offer = {
    payload,
    receivedAt: now,
    deadline: now + Number(payload.expires_in) * 1000,
    total: Math.max(1, Number(payload.expires_in)),
    shownSeconds: null,
    shownWaited: null,
  };
  const titleId = `offer-title-${caseId}`;
  const store = literal(summary.store);
  const totalText = formatMoney(summary.cart_total, summary.currency);
  offer.countdown = h("p", { class: "countdown", "data-field": "countdown" });
  offer.bar = h("div", { class: "countdown-fill" });
  offer.waited = h("dd", { "data-field": "waited" });
  offer.error = h("p", { class: "form-error", role: "alert" });
  offer.accept = h("button", { type: "button", class: "primary accept", i18n: "offer.accept" });
  setAttr(offer.accept, "aria-label", "offer.acceptLabel", { store });
  offer.decline = h("button", { type: "button", class: "secondary decline", i18n: "offer.decline" });
  setAttr(offer.decline, "aria-label", "offer.declineLabel", { store });
  offer.accept.addEventListener("click", () => acceptOffer(caseId));
  offer.decline.addEventListener("click", () => declineOffer(caseId));
  offer.title = h("h3", { id: titleId, i18n: ["offer.title", { queue: queueTitle(payload.queue) }] });
  offer.card = h("article", { class: "offer-card", "aria-labelledby": titleId, dataset: { caseId } },
    offer.title,
    offer.countdown,
    h("div", { class: "countdown-bar", "aria-hidden": "true" }, offer.bar),
    h("dl", { class: "glance" },
      field("store", "field.store", "value", { v: store }),
      field("language", "field.language", "value", { v: enumArg("lang", summary.language) }),
      field("payment_step", "field.payment_step", "value", { v: enumArg("payment_step", summary.payment_step) }),
      field("cart_total", "field.cart_total", "value", { v: literal(totalText) }),
      h("div", { class: "field" }, h("dt", { i18n: "field.waited" }), offer.waited),
      field("channel", "field.channel", "value", { v: enumArg("channel", summary.channel) }),
      field("position", "field.position", "value", { v: enumArg("position", summary.position) }),
      field("first_channel", "field.first_channel", "value", { v: enumArg("first_channel", summary.first_channel) })),
    transferSummary(payload.transfer),
    h("div", { class: "actions" }, offer.accept, offer.decline),
    offer.error);
  state.offers.set(caseId, offer);
  $("#offers").append(offer.card);
  renderOffersEmpty();
  updateOffer(offer, now);
  chime();
  announce("offer.announce", {
    queue: queueTitle(payload.queue), store, total: literal(totalText),
    seconds: Math.ceil(Number(payload.expires_in)),
  }, { assertive: true });
}

function updateOffer(offer, now) {
  const remainingMs = Math.max(0, offer.deadline - now);
  const seconds = Math.ceil(remainingMs / 1000);
  if (seconds !== offer.shownSeconds) {
    offer.shownSeconds = seconds;
    if (seconds > 0) setText(offer.countdown, "offer.expiresIn", { seconds });
    else setText(offer.countdown, "offer.expiring");
    offer.card.classList.toggle("is-urgent", seconds <= 5);
  }
  offer.bar.style.width = `${Math.min(100, (remainingMs / (offer.total * 1000)) * 100)}%`;
  const waited = Math.floor(Number(offer.payload.waited_seconds) + (now - offer.receivedAt) / 1000);
  if (waited !== offer.shownWaited) {
    offer.shownWaited = waited;
    setText(offer.waited, "duration", { seconds: waited });
  }
}

function removeOffer(caseId, offer = state.offers.get(caseId)) {
  if (!offer) return;
  const hadFocus = offer.card.contains(document.activeElement);
  offer.card.remove();
  state.offers.delete(caseId);
  renderOffersEmpty();
  if (hadFocus) $("#offers-title").focus();
}

async function acceptOffer(caseId) {
  const offer = state.offers.get(caseId);
  if (!offer) return;
  unlockAudio();
  offer.accept.disabled = true;
  offer.decline.disabled = true;
  const ack = await emit("offer_accept", { case_id: caseId });
  if (!ack?.ok) {
    if (!state.offers.has(caseId)) return;
    offer.accept.disabled = false;
    offer.decline.disabled = false;
    setText(offer.error, "offer.failed", { message: errorArg(ack?.error) });
    if (ack?.error?.code === "offer_not_found") {
      addNote("offer.failed", { message: errorArg(ack.error) });
      removeOffer(caseId);
    }
    return;
  }
  removeOffer(caseId);
  upsertCase(ack.case);
  selectCase(caseId, { focus: "compose" });
}

async function declineOffer(caseId) {
  const offer = state.offers.get(caseId);
  if (!offer) return;
  offer.accept.disabled = true;
  offer.decline.disabled = true;
  const ack = await emit("offer_decline", { case_id: caseId });
  if (!ack?.ok && state.offers.has(caseId)) {
    setText(offer.error, "offer.failed", { message: errorArg(ack?.error) });
  }
  removeOffer(caseId);
}

function onOfferWithdrawn({ case_id: caseId, reason }) {
  const offer = state.offers.get(caseId);
  const store = literal(offer?.payload?.summary?.store ?? "");
  removeOffer(caseId);
  const args = { store, reason: enumArg("withdrawn", reason ?? "unknown") };
  addNote("offer.withdrawn", args);
  announce("offer.withdrawn", args);
}

function addNote(key, args) {
  const list = $("#offer-notes");
  const time = formatClock(Date.now() / 1000);
  list.prepend(h("li", { class: "note-item" },
    h("time", { datetime: new Date().toISOString(), text: time }), " ",
    h("span", { i18n: [key, args] })));
  while (list.children.length > MAX_NOTES) list.lastElementChild.remove();
  list.hidden = false;
  $("#offer-notes-title").hidden = false;
}

// ------------------------------------------------------------------ queues

function setQueues(overview) {
  if (!overview?.queues) return;
  if (state.queues && Number(overview.at) < Number(state.queues.at)) return;
  state.queues = overview;
  state.queuesReceivedAt = performance.now();
  renderQueues();
  // offers that arrived before the first overview named their queue only by its id
  for (const [caseId, offer] of state.offers) {
    setText(offer.title, "offer.title", { queue: queueTitle(offer.payload.queue) });
  }
}

function renderQueues() {
  const container = $("#queues");
  const overview = state.queues;
  if (!overview) {
    container.replaceChildren();
    return;
  }
  const cards = overview.queues.map((queue) => {
    const title = queueTitle(queue.name, queue.title);
    const titleId = `queue-title-${queue.name}`;
    const longest = h("dd", { "data-field": "longest", dataset: { tickBase: String(queue.longest_wait_seconds), ticking: queue.waiting > 0 ? "1" : "0" } });
    setText(longest, "duration", { seconds: Math.floor(queue.longest_wait_seconds) });
    const list = queue.cases.length
      ? h("ul", { class: "waiting-list" }, queue.cases.map((c) => waitingItem(c)))
      : h("p", { class: "empty small", i18n: "queue.nobody" });
    if (queue.cases.length) setAttr(list, "aria-label", "queue.listLabel", { queue: title });
    return h("article", { class: "queue-card", "aria-labelledby": titleId, dataset: { queue: queue.name } },
      h("h3", { id: titleId, i18n: ["value", { v: title }] }),
      h("dl", { class: "stats" },
        h("div", { class: "stat" }, h("dt", { i18n: "queue.waiting" }), h("dd", { "data-field": "waiting", text: String(queue.waiting) })),
        h("div", { class: "stat" }, h("dt", { i18n: "queue.longest" }), longest),
        h("div", { class: "stat" }, h("dt", { i18n: "queue.serving" }), h("dd", { "data-field": "serving", text: String(queue.agents_serving) }))),
      list);
  });
  container.replaceChildren(...cards);
}

function waitingItem(entry) {
  const waited = h("span", { class: "waited", dataset: { tickBase: String(entry.waited_seconds), ticking: "1", tickKey: "queue.waited" } });
  setText(waited, "queue.waited", { time: { $t: "duration", args: { seconds: Math.floor(entry.waited_seconds) } } });
  const parts = [
    h("span", { class: "store", text: entry.store }),
    h("span", { i18n: ["value", { v: enumArg("lang", entry.language) }] }),
    entry.payment_step ? h("span", { i18n: ["value", { v: enumArg("payment_step", entry.payment_step) }] }) : null,
    entry.position ? h("span", { i18n: ["value", { v: enumArg("position", entry.position) }] }) : null,
    h("span", { i18n: ["value", { v: enumArg("channel", entry.channel) }] }),
    h("span", { class: "amount", text: formatMoney(entry.cart_total, entry.currency) }),
    waited,
    entry.state === "offered" ? h("span", { class: "badge", i18n: "state.offered" }) : null,
  ].filter(Boolean);
  const item = h("li", { dataset: { caseId: entry.case_id } });
  parts.forEach((part, index) => {
    if (index) item.append(h("span", { class: "sep", "aria-hidden": "true", text: " · " }));
    item.append(part);
  });
  return item;
}

function tickQueues(now) {
  if (!state.queues) return;
  const elapsed = (now - state.queuesReceivedAt) / 1000;
  for (const node of document.querySelectorAll("#queues [data-tick-base]")) {
    if (node.dataset.ticking !== "1") continue;
    const seconds = Math.floor(Number(node.dataset.tickBase) + elapsed);
    if (String(seconds) === node.dataset.shown) continue;
    node.dataset.shown = String(seconds);
    if (node.dataset.tickKey) setText(node, node.dataset.tickKey, { time: { $t: "duration", args: { seconds } } });
    else setText(node, "duration", { seconds });
  }
}

// ------------------------------------------------------------------ cases

function renderCasesEmpty() {
  const empty = state.cases.size === 0;
  $("#cases-empty").hidden = !empty;
  $("#case-tabs").hidden = empty;
}

function upsertCase(data) {
  if (!data?.case_id) return null;
  state.assignedThisConnection.add(data.case_id);
  let view = state.cases.get(data.case_id);
  const token = () => state.session?.token;
  if (view) {
    view.update(data);
    showPhotos(view, data.photos, token);
    return view;
  }
  view = new CaseView(data);
  showPhotos(view, data.photos, token);
  state.cases.set(view.id, view);
  $("#case-tabs").append(view.tab);
  $("#case-panels").append(view.panel);
  renderCasesEmpty();
  if (!state.selected) selectCase(view.id);
  else announce("case.assigned", { store: literal(data.store) });
  return view;
}

function selectCase(caseId, { focus } = {}) {
  if (!state.cases.has(caseId)) return;
  state.selected = caseId;
  for (const view of state.cases.values()) view.setSelected(view.id === caseId);
  const view = state.cases.get(caseId);
  if (focus === "tab") view.tab.focus();
  if (focus === "compose") {
    if (!view.input.disabled) view.input.focus();
    else view.tab.focus();
  }
}

function closeTab(caseId) {
  const view = state.cases.get(caseId);
  if (!view) return;
  const order = [...state.cases.keys()];
  const index = order.indexOf(caseId);
  view.destroy();
  state.cases.delete(caseId);
  renderCasesEmpty();
  if (state.selected === caseId) {
    state.selected = null;
    const next = order[index + 1] ?? order[index - 1];
    if (next && state.cases.has(next)) selectCase(next, { focus: "tab" });
    else $("#cases-title").focus();
  }
}

function onTabKeydown(event) {
  const order = [...state.cases.keys()];
  const current = event.target.closest('[role="tab"]')?.dataset.caseId;
  const index = order.indexOf(current);
  if (index < 0) return;
  let next = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") next = order[(index + 1) % order.length];
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = order[(index - 1 + order.length) % order.length];
  else if (event.key === "Home") next = order[0];
  else if (event.key === "End") next = order[order.length - 1];
  if (next === null) return;
  event.preventDefault();
  selectCase(next, { focus: "tab" });
}

class CaseView {
  constructor(data) {
    this.id = data.case_id;
    this.data = data;
    this.state = data.state;
    this.unread = 0;
    this.rating = null;
    this.connection = data.customer_connected === false ? "disconnected" : "connected";
    this.byId = new Map();
    this.byClientId = new Map();
    this.typingActive = false;
    this.typingTimer = null;
    this.remoteTypingTimer = null;
    this.build();
    this.update(data);
  }

  build() {
    const id = this.id;
    const ids = {
      tab: `tab-${id}`, panel: `panel-${id}`, title: `case-title-${id}`, context: `context-title-${id}`,
      chat: `chat-title-${id}`, quick: `quick-title-${id}`, input: `compose-${id}`, wrap: `wrap-title-${id}`,
      label: `wrap-label-${id}`, media: `media-title-${id}`, marks: `media-marks-${id}`,
      audioOnly: `media-audio-only-${id}`,
    };
    this.tabTitle = h("span", { class: "tab-title" });
    this.tabState = h("span", { class: "tab-state" });
    this.tabUnread = h("span", { class: "tab-unread" });
    this.tab = h("button", {
      type: "button", role: "tab", id: ids.tab, class: "case-tab", "aria-controls": ids.panel,
      "aria-selected": "false", tabindex: "-1", dataset: { caseId: id },
    }, this.tabTitle, this.tabState, this.tabUnread);
    this.tab.addEventListener("click", () => selectCase(id, { focus: "tab" }));

    // context panel
    this.contextList = h("dl", { class: "context-list" });
    this.cartTable = h("table", { class: "cart" });
    this.maxNoteChars = state.hello?.max_note_chars;
    this.transcriptRetention = Boolean(state.hello?.transcript_retention);
    this.transfer = new TransferPanel(this, emit);
    this.notes = new NotesPanel(this, emit);
    const context = h("section", { class: "context", "aria-labelledby": ids.context },
      h("h4", { id: ids.context, i18n: "context.title" }), this.contextList, this.cartTable,
      this.notes.node, this.notes.earlier.node);

    // chat
    this.connectionLine = h("p", { class: "customer-connection", "data-field": "customer_connection" });
    // the log region scrolls; the messages inside stay a list
    this.log = h("ol", { class: "messages" });
    this.logBox = h("div", { class: "message-log", role: "log", "aria-live": "polite", tabindex: "0" }, this.log);
    setAttr(this.logBox, "aria-label", "chat.logLabel");
    this.typingLine = h("p", { class: "typing", "aria-live": "polite", "data-field": "typing" });
    this.quickTitle = h("h5", { id: ids.quick, class: "quick-title" });
    this.quickList = h("div", { class: "quick-buttons" });
    this.quick = h("div", { class: "quick-replies", role: "group", "aria-labelledby": ids.quick },
      this.quickTitle, this.quickList);
    this.input = h("textarea", { id: ids.input, name: "message", rows: "2", maxlength: "2000", autocomplete: "off" });
    this.sendButton = h("button", { type: "submit", class: "primary", i18n: "chat.send" });
    this.chatError = h("p", { class: "form-error", role: "alert" });
    this.chatClosed = h("p", { class: "hint", hidden: true, i18n: "chat.disabled" });
    this.compose = h("form", { class: "compose" },
      h("label", { for: ids.input, i18n: "chat.inputLabel" }),
      h("div", { class: "compose-row" }, this.input, this.sendButton),
      this.chatError);
    this.compose.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      }
    });
    this.input.addEventListener("input", () => this.onInput());

    // ending and wrap-up
    this.endButton = h("button", { type: "button", class: "secondary end", i18n: "case.end" });
    this.endButton.addEventListener("click", () => this.endConversation());
    this.endError = h("p", { class: "form-error", role: "alert" });
    this.labelSelect = h("select", { id: ids.label, name: "label", required: true });
    this.ratingLine = h("p", { class: "rating", "data-field": "rating", i18n: "rating.none" });
    this.wrapError = h("p", { class: "form-error", role: "alert" });
    const resolvedName = `resolved-${id}`;
    this.wrapForm = h("form", { class: "wrapup", "aria-labelledby": ids.wrap, hidden: true, novalidate: true },
      h("h4", { id: ids.wrap, i18n: "wrapup.title" }),
      this.ratingLine,
      h("div", { class: "wrap-field" },
        h("label", { for: ids.label, i18n: "wrapup.label" }), this.labelSelect),
      h("fieldset", { class: "resolved" },
        h("legend", { i18n: "wrapup.resolved" }),
        h("label", {}, h("input", { type: "radio", name: resolvedName, value: "yes" }), " ", h("span", { i18n: "wrapup.yes" })),
        h("label", {}, h("input", { type: "radio", name: resolvedName, value: "no" }), " ", h("span", { i18n: "wrapup.no" }))),
      this.notes.wrapField,
      h("button", { type: "submit", class: "primary", i18n: "wrapup.submit" }),
      this.wrapError);
    this.wrapForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.closeCase();
    });
    this.closedNote = h("p", { class: "closed-note" });
    this.closeTabButton = h("button", { type: "button", class: "secondary", i18n: "case.closeTab" });
    this.closeTabButton.addEventListener("click", () => closeTab(id));
    this.closedBox = h("div", { class: "closed-box", hidden: true }, this.closedNote, this.closeTabButton);

    const media = this.buildMedia(ids);
    const chat = h("section", { class: "chat", "aria-labelledby": ids.chat },
      h("div", { class: "chat-head" },
        h("h4", { id: ids.chat, i18n: "chat.title" }), this.connectionLine),
      media,
      this.logBox, this.typingLine, this.quick, this.compose, this.chatClosed,
      h("div", { class: "case-actions" }, this.endButton, this.endError),
      this.transfer.node, this.wrapForm, this.closedBox);

    this.title = h("h3", { id: ids.title });
    this.stateLine = h("p", { class: "case-state", "data-field": "state" });
    this.panel = h("div", {
      role: "tabpanel", id: ids.panel, class: "case-panel", "aria-labelledby": ids.tab, hidden: true,
      dataset: { caseId: id },
    },
    h("div", { class: "case-head" }, this.title, this.stateLine),
    h("div", { class: "case-grid" }, context, chat));
  }

  destroy() {
    this.endCall();
    window.clearTimeout(this.typingTimer);
    window.clearTimeout(this.remoteTypingTimer);
    this.tab.remove();
    this.panel.remove();
  }

  get queueArg() {
    return queueTitle(this.data.queue, this.data.queue_title);
  }

  update(data) {
    this.data = { ...this.data, ...data };
    const store = literal(this.data.store);
    setText(this.tabTitle, "case.tabTitle", { store, queue: this.queueArg });
    setText(this.title, "case.title", { store, queue: this.queueArg });
    this.renderContext();
    this.renderQuickReplies();
    this.renderLabels();
    if (typeof data.customer_connected === "boolean") {
      this.connection = data.customer_connected ? "connected" : "disconnected";
    }
    this.renderConnection();
    for (const message of data.messages ?? []) this.addMessage(message);
    if (data.state) this.setState(data.state);
    this.notes.update(data);
    this.transfer.update(data);
  }

  renderContext() {
    const data = this.data;
    const ctx = data.context ?? {};
    const rows = [
      ["store", "field.store", { v: literal(data.store) }],
      ["position", "field.position", { v: enumArg("position", ctx.position) }],
      ["channel", "field.channel", { v: enumArg("channel", data.channel ?? ctx.channel) }],
      ["kiosk_id", "field.kiosk_id", { v: data.kiosk_id ? literal(data.kiosk_id) : { $t: "value.none" } }],
      ["payment_step", "field.payment_step", { v: enumArg("payment_step", ctx.payment_step) }],
      ["device", "field.device", { v: enumArg("device", ctx.device) }],
      ["network", "field.network", { v: enumArg("network", ctx.network) }],
      ["battery", "field.battery", {
        v: ctx.battery === null || ctx.battery === undefined
          ? { $t: "value.unknownBattery" } : { $t: "value.battery", args: { percent: ctx.battery } },
      }],
      ["offline_mode", "field.offline_mode", { v: yesNo(ctx.offline_mode) }],
      ["language", "field.language", { v: enumArg("lang", data.language ?? ctx.language) }],
      ["rule", "field.rule", {
        v: data.rule
          ? { $t: "value.rule", args: { rule: literal(data.rule), queue: this.queueArg } }
          : { $t: "value.noRule", args: { queue: this.queueArg } },
      }],
      ["first_channel", "field.first_channel", { v: enumArg("first_channel", data.first_channel) }],
      ["logged_in", "field.logged_in", { v: yesNo(ctx.logged_in) }],
    ];
    if (ctx.page) rows.push(["page", "field.page", { v: literal(ctx.page) }]);
    const wide = new Set(["rule", "page"]);
    this.contextList.replaceChildren(...rows.map(([name, label, args]) => (
      field(name, label, "value", args, { wide: wide.has(name) }))));

    const cart = ctx.cart ?? { lines: [] };
    const currency = cart.currency ?? "SEK";
    const lines = cart.lines ?? [];
    const total = data.cart_total ?? lines.reduce((sum, l) => sum + l.unit_price * l.quantity, 0);
    const head = h("thead", {}, h("tr", {},
      h("th", { scope: "col", i18n: "cart.item" }),
      h("th", { scope: "col", class: "num", i18n: "cart.quantity" }),
      h("th", { scope: "col", class: "num", i18n: "cart.unitPrice" }),
      h("th", { scope: "col", class: "num", i18n: "cart.lineTotal" })));
    const body = h("tbody", {}, lines.length
      ? lines.map((line) => h("tr", { dataset: { sku: line.sku } },
        h("td", {}, h("span", { text: line.name }),
          line.age_restricted ? h("span", { class: "badge badge-block", i18n: "cart.ageRestricted" }) : null),
        h("td", { class: "num", "data-field": "quantity", text: String(line.quantity) }),
        h("td", { class: "num", text: formatMoney(line.unit_price, currency) }),
        h("td", { class: "num", text: formatMoney(line.unit_price * line.quantity, currency) })))
      : h("tr", {}, h("td", { colspan: "4", i18n: "cart.empty" })));
    const foot = h("tfoot", {}, h("tr", {},
      h("th", { scope: "row", colspan: "3", i18n: "cart.total" }),
      h("td", { class: "num", "data-field": "cart_total", text: formatMoney(total, currency) })));
    this.cartTable.replaceChildren(h("caption", { i18n: "cart.caption" }), head, body, foot);
  }

  renderQuickReplies() {
    const replies = state.hello?.quick_replies ?? [];
    const language = this.data.language === "en" ? "en" : "sv";
    setText(this.quickTitle, "quick.title");
    this.quickTitle.append(" ", h("span", { class: "hint", i18n: ["quick.languageNote", { language: { $t: `lang.${language}` } }] }));
    const cart = (this.data.context?.cart ?? {});
    const amount = formatMoney(this.data.cart_total ?? 0, cart.currency ?? "SEK");
    const disabled = this.state !== "active";
    this.quickList.replaceChildren(...replies.map((reply) => {
      const text = String(reply[language] ?? reply.sv).replace("{cart}", amount);
      const button = h("button", {
        type: "button", class: "quick", lang: language, dataset: { quickReply: reply.id }, text,
      });
      button.disabled = disabled;
      button.addEventListener("click", () => this.sendQuickReply(reply.id, text));
      return button;
    }));
    this.quick.hidden = replies.length === 0 || disabled;
  }

  renderLabels() {
    const labels = state.hello?.labels ?? [];
    const chosen = this.labelSelect.value;
    this.labelSelect.replaceChildren(
      h("option", { value: "", i18n: "wrapup.chooseLabel" }),
      ...labels.map((label) => h("option", {
        value: label, i18n: has(`label.${label}`) ? `label.${label}` : ["value", { v: literal(label) }],
      })));
    if (labels.includes(chosen)) this.labelSelect.value = chosen;
  }

  renderConnection() {
    const key = {
      connected: "customer.connected", disconnected: "customer.disconnected",
      left: "customer.left", ended: "customer.ended",
    }[this.connection];
    this.connectionLine.dataset.connection = this.connection;
    this.connectionLine.replaceChildren(
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("span", { i18n: "field.customer" }), ": ",
      h("span", { i18n: key }));
  }

  setSelected(selected) {
    this.tab.setAttribute("aria-selected", String(selected));
    this.tab.tabIndex = selected ? 0 : -1;
    this.panel.hidden = !selected;
    if (selected) {
      this.unread = 0;
      this.renderTab();
      this.scrollToEnd();
    }
  }

  renderTab() {
    const note = ["wrap_up", "closed", "lost", "transferred"].includes(this.state) ? `case.tabState.${this.state}` : null;
    if (note) setText(this.tabState, "value", { v: { $t: note } });
    else setText(this.tabState, null);
    if (this.unread > 0) setText(this.tabUnread, "case.unread", { count: this.unread });
    else setText(this.tabUnread, null);
    this.tab.dataset.state = this.state;
  }

  setState(next) {
    const previous = this.state;
    this.state = next;
    this.panel.dataset.state = next;
    const active = next === "active";
    const stateKey = has(`case.state.${next}`) ? `case.state.${next}` : null;
    setText(this.stateLine, stateKey);
    const hadFocus = this.panel.contains(document.activeElement) ? document.activeElement : null;
    this.input.disabled = !active;
    this.sendButton.disabled = !active;
    for (const button of this.quickList.querySelectorAll("button")) button.disabled = !active;
    this.compose.hidden = !active;
    this.quick.hidden = !active || (state.hello?.quick_replies ?? []).length === 0;
    this.chatClosed.hidden = active;
    this.endButton.hidden = !active;
    this.wrapForm.hidden = next !== "wrap_up";
    const ended = ["closed", "lost", "transferred"].includes(next);
    this.closedBox.hidden = !ended;
    setText(this.closedNote, next === "closed" ? "case.closedNote" : `case.state.${next}`);
    if (!active) {
      this.stopTyping();
      // the conversation is over (or the case went back to the queue): no call outlives it
      this.endCall();
      this.media.proposal = null;
      if (this.callLive) Object.assign(this.media, { channel: "chat", state: "ended" });
    }
    this.renderMedia();
    this.renderTab();
    this.transfer?.render();
    this.notes?.render();
    if (hadFocus && (hadFocus.disabled || hadFocus.closest("[hidden]"))) {
      if (next === "wrap_up") this.labelSelect.focus();
      else if (ended) this.closeTabButton.focus();
      else this.tab.focus();
    }
    return previous;
  }

  // --- messages

  addMessage(message, { pending = false } = {}) {
    if (message.id && this.byId.has(message.id)) return this.byId.get(message.id);
    if (message.client_id && this.byClientId.has(message.client_id)) {
      const known = this.byClientId.get(message.client_id);
      if (message.id) this.identify(known, message);
      return known;
    }
    const mine = message.sender === "agent";
    const text = h("p", { class: "msg-text", text: message.text });
    if (!mine || message.quick_reply) text.lang = this.data.language === "en" ? "en" : "sv";
    const at = Number(message.at) || Date.now() / 1000;
    const item = {
      message,
      receipt: mine ? h("span", { class: "receipt" }) : null,
      li: h("li", {
        class: `msg msg-${mine ? "agent" : "customer"}`,
        dataset: { messageId: message.id ?? "", clientId: message.client_id ?? "" },
      },
      h("p", { class: "msg-meta" },
        h("span", { class: "msg-sender", i18n: mine ? "chat.you" : "chat.customer" }), " ",
        h("time", { datetime: new Date(at * 1000).toISOString(), text: formatClock(at) })),
      text),
    };
    if (item.receipt) {
      item.li.append(item.receipt);
      // a case brought back (reload, restart) keeps each line's ✓✓
      this.setReceipt(item, pending ? "pending" : (message.delivery === "delivered" ? "delivered" : "sent"));
    }
    if (message.id) this.byId.set(message.id, item);
    if (message.client_id) this.byClientId.set(message.client_id, item);
    this.log.append(item.li);
    this.scrollToEnd();
    if (!mine) {
      this.setRemoteTyping(false);
      if (message.id && message.delivery !== "delivered") {
        send("chat_received", { case_id: this.id, message_id: message.id });
      }
    }
    return item;
  }

  identify(item, message) {
    item.message = { ...item.message, ...message };
    item.li.dataset.messageId = message.id;
    this.byId.set(message.id, item);
    const text = item.li.querySelector(".msg-text");
    if (message.text && text.textContent !== message.text) text.textContent = message.text;
  }

  setReceipt(item, receipt) {
    if (!item?.receipt) return;
    if (item.receiptState === "delivered" && receipt !== "delivered") return;
    item.receiptState = receipt;
    item.li.dataset.receipt = receipt;
    const mark = { pending: "…", sent: "✓", delivered: "✓✓", failed: "!" }[receipt];
    item.receipt.replaceChildren(
      h("span", { class: "tick", "aria-hidden": "true", text: mark }), " ",
      h("span", { i18n: `receipt.${receipt}` }));
  }

  addSystem(key, args) {
    this.log.append(h("li", { class: "msg msg-system" }, h("p", { i18n: [key, args] })));
    this.scrollToEnd();
  }

  onCustomerMessage(message) {
    const before = this.byId.size;
    this.addMessage(message);
    if (this.byId.size === before) return;
    const visible = state.selected === this.id && !document.hidden;
    if (!visible) {
      this.unread += 1;
      this.renderTab();
      announce("case.newMessage", { store: literal(this.data.store), text: literal(message.text) });
    }
  }

  onDelivered({ message_id: messageId, client_id: clientId }) {
    const item = this.byId.get(messageId) ?? (clientId ? this.byClientId.get(clientId) : null);
    this.setReceipt(item, "delivered");
  }

  scrollToEnd() {
    this.logBox.scrollTop = this.logBox.scrollHeight;
  }

  async sendText() {
    const text = this.input.value.trim();
    if (!text || this.state !== "active") return;
    this.input.value = "";
    await this.sendMessage({ text }, text);
    this.input.focus();
  }

  async sendQuickReply(id, preview) {
    if (this.state !== "active") return;
    await this.sendMessage({ quick_reply: id }, preview);
  }

  async sendMessage(body, preview) {
    this.stopTyping();
    setText(this.chatError, null);
    const clientId = newClientId();
    const item = this.addMessage({
      id: null, case_id: this.id, sender: "agent", text: preview, at: Date.now() / 1000,
      client_id: clientId, quick_reply: body.quick_reply ?? null,
    }, { pending: true });
    state.outbox.set(clientId, { caseId: this.id, body });
    // while the line is down the message waits (shown as pending); the next agent_hello sends it
    if (state.socket?.connected) await this.deliver(clientId, body);
  }

  /** Send (or send again, with the same client_id) one of the agent's messages. */
  async deliver(clientId, body) {
    const ack = await emit("chat_send", { case_id: this.id, client_id: clientId, ...body });
    if (!state.outbox.has(clientId)) return; // acknowledged meanwhile by a resend
    const item = this.byClientId.get(clientId);
    if (!ack?.ok) {
      if (RETRY_CODES.includes(ack?.error?.code)) return; // still pending: resent after reconnecting
      state.outbox.delete(clientId);
      this.setReceipt(item, "failed");
      setText(this.chatError, "chat.failed", { message: errorArg(ack?.error) });
      return;
    }
    state.outbox.delete(clientId);
    this.identify(item, ack.message);
    if (item.receiptState !== "delivered") this.setReceipt(item, "sent");
  }

  onInput() {
    if (this.state !== "active") return;
    if (!this.typingActive && this.input.value.trim()) {
      this.typingActive = true;
      send("typing", { case_id: this.id, active: true });
    }
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    window.clearTimeout(this.typingTimer);
    if (this.typingActive) {
      this.typingActive = false;
      send("typing", { case_id: this.id, active: false });
    }
  }

  setRemoteTyping(active) {
    window.clearTimeout(this.remoteTypingTimer);
    setText(this.typingLine, active ? "chat.customerTyping" : null);
    if (active) this.remoteTypingTimer = window.setTimeout(() => this.setRemoteTyping(false), REMOTE_TYPING_MS);
  }

  setConnection(connection, systemKey) {
    if (this.connection === "left" && connection === "disconnected") return;
    this.connection = connection;
    this.renderConnection();
    if (systemKey) this.addSystem(systemKey);
  }

  // --- voice and video (docs/media.md): the console proposes, the customer taps to accept

  buildMedia(ids) {
    this.media = { channel: "chat", state: "idle", proposal: null, hint: null, remoteMuted: false };
    this.call = null;
    this.audioOnly = false;
    this.iceServers = state.hello?.ice_servers ?? [];
    const button = (key, onClick, extra = {}) => {
      const node = h("button", { type: "button", class: "secondary", i18n: key, ...extra });
      node.addEventListener("click", onClick);
      return node;
    };
    this.mediaStatus = h("p", { class: "media-status", role: "status", "data-field": "media_state" });
    this.mediaHint = h("p", { class: "media-hint note", role: "status", "data-field": "media_hint", hidden: true });
    this.mediaNotice = h("p", { class: "media-notice hint", "data-field": "media_notice" });
    this.mediaError = h("p", { class: "form-error", role: "alert" });
    this.requestText = h("p", { class: "media-request-text", i18n: "media.request" });
    this.requestAccept = button("media.requestAccept", () => this.answerRequest(true), { class: "primary", dataset: { action: "media-accept" } });
    this.requestDecline = button("media.requestDecline", () => this.answerRequest(false), { dataset: { action: "media-decline" } });
    this.requestBox = h("div", { class: "media-request note", hidden: true },
      this.requestText, h("div", { class: "actions" }, this.requestAccept, this.requestDecline));
    this.proposeVoice = button("media.proposeVoice", () => this.propose("voice"), { dataset: { action: "propose-voice" } });
    this.proposeVideo = button("media.proposeVideo", () => this.propose("video"), { dataset: { action: "propose-video" } });
    this.downgrade = button("media.downgrade", () => this.propose("voice"), { dataset: { action: "downgrade" }, hidden: true });
    this.markButtons = ["needs_verification", "visual_fault"].map((mark) => button(
      `media.markButton.${mark}`, () => this.mark(mark), { dataset: { mark }, "aria-pressed": "false" }));
    this.audioOnlyBox = h("input", { type: "checkbox", id: ids.audioOnly, name: "audio_only" });
    this.audioOnlyBox.addEventListener("change", () => this.setAudioOnly(this.audioOnlyBox.checked));

    this.remoteVideo = h("video", { class: "remote-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    this.remoteVideo.muted = true; // the customer's voice plays through the audio element
    setAttr(this.remoteVideo, "aria-label", "media.remoteVideo");
    this.selfVideo = h("video", { class: "self-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    this.selfVideo.muted = true;
    setAttr(this.selfVideo, "aria-label", "media.selfView");
    this.remoteAudio = h("audio", { class: "remote-audio", autoplay: true });
    this.muteButton = button("media.mute", () => this.toggleMute(), { dataset: { action: "mute" }, "aria-pressed": "false" });
    this.cameraButton = button("media.camera", () => this.toggleCamera(), { dataset: { action: "camera" }, "aria-pressed": "false" });
    this.hangupButton = button("media.hangup", () => this.hangUp(), { class: "danger", dataset: { action: "hangup" } });
    this.callView = h("div", { class: "call-view", hidden: true },
      h("div", { class: "stage" }, this.remoteVideo, this.selfVideo),
      this.remoteAudio,
      h("div", { class: "actions call-controls" }, this.muteButton, this.cameraButton, this.hangupButton));

    this.consent = new ConsentPanel(this);
    return h("section", { class: "media", "aria-labelledby": ids.media, "data-field": "media" },
      h("h4", { id: ids.media, i18n: "media.title" }),
      this.mediaStatus, this.mediaHint, this.requestBox, this.callView, this.consent.node,
      h("div", { class: "actions media-actions" }, this.proposeVoice, this.proposeVideo, this.downgrade),
      h("div", { class: "actions media-marks", role: "group", "aria-labelledby": ids.marks },
        h("span", { id: ids.marks, class: "hint", i18n: "media.marks" }), ...this.markButtons),
      h("p", { class: "media-option" }, this.audioOnlyBox, " ", h("label", { for: ids.audioOnly, i18n: "media.audioOnly" })),
      this.mediaNotice, this.mediaError);
  }

  mediaEmit(event, payload = {}) {
    return emit(event, { case_id: this.id, ...payload });
  }

  get callLive() {
    return ["negotiating", "connected"].includes(this.media.state) && this.media.channel !== "chat";
  }

  renderMedia() {
    if (!this.mediaStatus) return;
    const { channel, state: mediaState, proposal } = this.media;
    const active = this.state === "active";
    const live = this.callLive;
    if (live) {
      const connected = mediaState === "connected" && this.call?.connectionState === "connected";
      const trouble = this.call?.connectionState === "failed";
      setText(this.mediaStatus, `media.status.${channel}.${trouble ? "trouble" : connected ? "connected" : "negotiating"}`);
    } else if (proposal?.by === "agent") {
      setText(this.mediaStatus, "media.status.proposed", { channel: { $t: `media.channelName.${proposal.channel}` } });
    } else {
      setText(this.mediaStatus, "media.status.chat");
    }
    this.panel.dataset.mediaChannel = channel;
    this.panel.dataset.mediaState = mediaState;
    // the hint banner: only while it still makes sense
    const hint = this.media.hint;
    const hintStill = active && hint && !proposal && (hint.suggest === "voice" ? channel === "chat" : channel !== "video");
    this.mediaHint.hidden = !hintStill;
    if (hintStill) {
      if (hint.suggest === "voice") setText(this.mediaHint, "media.hint.voice", { seconds: hint.after_seconds ?? 60 });
      else setText(this.mediaHint, "media.hint.video", { mark: { $t: has(`media.mark.${hint.reason}`) ? `media.mark.${hint.reason}` : "media.mark.other" } });
    }
    this.requestBox.hidden = !(active && proposal?.by === "customer");
    const waiting = Boolean(proposal);
    this.proposeVoice.hidden = !active || channel !== "chat";
    this.proposeVoice.disabled = waiting;
    this.proposeVideo.hidden = !active || channel === "video";
    this.proposeVideo.disabled = waiting;
    this.downgrade.hidden = !active || channel !== "video";
    for (const node of this.markButtons) node.disabled = !active;
    this.markButtons[0].parentElement.hidden = !active;
    this.audioOnlyBox.closest(".media-option").hidden = !active;
    this.consent?.render();
    this.renderCall();
  }

  renderCall() {
    const call = this.call;
    const showing = Boolean(call) && this.callLive;
    this.callView.hidden = !showing;
    const Call = window.HelpwireCall;
    if (!showing) {
      for (const node of [this.remoteAudio, this.remoteVideo, this.selfVideo]) Call?.detach(node);
      return;
    }
    const video = this.media.channel === "video";
    Call.attach(this.remoteAudio, call.remoteAudio);
    const remote = video && call.remoteVideoLive;
    this.remoteVideo.hidden = !remote;
    if (remote) Call.attach(this.remoteVideo, call.remoteVideo);
    const self = video && Boolean(call.videoTrack);
    this.selfVideo.hidden = !self;
    if (self) Call.attach(this.selfVideo, call.localStream);
    this.muteButton.setAttribute("aria-pressed", String(call.muted));
    this.cameraButton.setAttribute("aria-pressed", String(call.cameraOff || this.audioOnly));
    this.cameraButton.hidden = !video;
    this.cameraButton.disabled = this.audioOnly;
  }

  mediaFailure(key, error) {
    setText(this.mediaError, key, { message: errorArg(error) });
  }

  async propose(channel) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit("media_propose", { channel });
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    if (ack.media) this.applyView(ack.media);
    setText(this.mediaNotice, null);
    this.renderMedia();
  }

  async answerRequest(accept) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit(accept ? "media_accept" : "media_decline");
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    if (ack.media) this.applyView(ack.media);
    if (!accept) setText(this.mediaNotice, "media.youDeclined");
    this.renderMedia();
    (accept ? this.muteButton : this.proposeVoice).focus();
  }

  async mark(mark) {
    setText(this.mediaError, null);
    const ack = await this.mediaEmit("media_mark", { mark });
    if (!ack?.ok) {
      this.mediaFailure("media.error", ack?.error);
      return;
    }
    this.markButtons.find((node) => node.dataset.mark === mark)?.setAttribute("aria-pressed", "true");
    this.addSystem("media.marked", { mark: { $t: `media.mark.${mark}` } });
  }

  applyView(view) {
    this.media.channel = view.channel ?? this.media.channel;
    this.media.state = view.state ?? this.media.state;
    this.media.proposal = view.proposal ?? null;
  }

  onMediaProposed(payload) {
    if (payload.by !== "customer") return;
    if (Array.isArray(payload.ice_servers)) this.iceServers = payload.ice_servers;
    this.media.proposal = { channel: payload.channel, by: "customer" };
    setText(this.mediaNotice, null);
    this.renderMedia();
    announce("media.requestAnnounce", { store: literal(this.data.store) }, { assertive: true });
  }

  onMediaDeclined(payload) {
    this.media.proposal = null;
    const args = { channel: { $t: `media.channelName.${payload.channel}` } };
    setText(this.mediaNotice, "media.declined", args);
    this.addSystem("media.declined", args);
    this.renderMedia();
  }

  onMediaHint(payload) {
    this.media.hint = payload;
    this.renderMedia();
    if (!this.mediaHint.hidden) announce(this.mediaHint.dataset.i18n, JSON.parse(this.mediaHint.dataset.i18nArgs ?? "null"));
  }

  onMediaMuted(payload) {
    if (typeof payload.audio === "boolean") {
      this.media.remoteMuted = payload.audio;
      setText(this.mediaNotice, payload.audio ? "media.customerMuted" : null);
    }
  }

  onMediaState(payload) {
    if (Array.isArray(payload.ice_servers)) this.iceServers = payload.ice_servers;
    const wasLive = this.callLive;
    this.media.channel = payload.channel;
    this.media.state = payload.state;
    this.media.proposal = null;
    setText(this.mediaError, null);
    if (this.callLive) {
      if (!wasLive) {
        setText(this.mediaNotice, null);
        this.addSystem(`media.started.${payload.channel}`);
      } else if (payload.reason === "accepted" || payload.reason === "downgrade") {
        this.addSystem(`media.switched.${payload.channel}`);
      }
      this.startCall(payload.channel);
    } else if (payload.state === "ended" || payload.state === "failed") {
      this.endCall();
      let key = "media.ended";
      const args = {};
      if (payload.state === "failed") {
        key = "media.failed";
        args.reason = { $t: has(`media.reason.${payload.reason}`) ? `media.reason.${payload.reason}` : "media.reason.other" };
      } else if (payload.by === "customer") key = "media.endedByCustomer";
      setText(this.mediaNotice, key, args);
      this.addSystem(key, args);
      announce(key, args);
    }
    this.renderMedia();
  }

  async startCall(channel) {
    if (!this.call) {
      this.call = window.HelpwireCall.create({
        caseId: this.id,
        iceServers: this.iceServers,
        emit: (event, payload) => this.mediaEmit(event, payload),
        sendVideo: () => !this.audioOnly,
        onChange: () => this.renderMedia(),
        onError: (call, error) => this.onCallError(call, error),
      });
    }
    await this.call.setChannel(channel);
    this.renderMedia();
  }

  async onCallError(call, error) {
    if (call !== this.call) return;
    this.mediaFailure("media.noDevice", { message: `${error?.name ?? ""} ${error?.message ?? ""}`.trim() });
    Object.assign(this.media, { channel: "chat", state: "ended" });
    this.renderMedia();
    await this.mediaEmit("media_hangup");
    this.endCall();
  }

  endCall() {
    const call = this.call;
    this.call = null;
    call?.close();
    this.renderCall();
  }

  async hangUp() {
    // tell the server first: a connection that closes before the hang-up arrives is a failure
    this.media.state = "ended";
    this.media.channel = "chat";
    this.renderMedia();
    this.input.focus();
    const ack = await this.mediaEmit("media_hangup");
    this.endCall();
    if (!ack?.ok && ack?.error?.code !== "invalid_media_transition") this.mediaFailure("media.error", ack?.error);
  }

  toggleMute() {
    if (!this.call) return;
    this.call.setMuted(!this.call.muted);
    send("media_mute", { case_id: this.id, audio: this.call.muted });
    this.renderCall();
  }

  toggleCamera() {
    if (!this.call) return;
    this.call.setCameraOff(!this.call.cameraOff);
    send("media_mute", { case_id: this.id, video: this.call.cameraOff });
    this.renderCall();
  }

  setAudioOnly(audioOnly) {
    this.audioOnly = audioOnly;
    if (this.call && this.media.channel === "video") this.call.refresh();
    this.renderCall();
  }

  // --- ending

  async endConversation() {
    setText(this.endError, null);
    if (this.ending) return;
    this.ending = true;
    const ack = await emit("conversation_end", { case_id: this.id });
    this.ending = false;
    if (!ack?.ok) {
      setText(this.endError, "case.endFailed", { message: errorArg(ack?.error) });
      return;
    }
    this.addSystem("system.agentEnded");
    this.setState("wrap_up");
    this.labelSelect.focus();
  }

  async closeCase() {
    setText(this.wrapError, null);
    const label = this.labelSelect.value;
    const resolved = this.wrapForm.querySelector('input[type="radio"]:checked')?.value;
    if (!label) {
      setText(this.wrapError, "wrapup.needLabel");
      this.labelSelect.focus();
      return;
    }
    if (!resolved) {
      setText(this.wrapError, "wrapup.needResolved");
      this.wrapForm.querySelector('input[type="radio"]').focus();
      return;
    }
    // not `disabled` while waiting: disabling the focused button would drop focus to <body>
    if (this.closing) return;
    this.closing = true;
    const payload = { case_id: this.id, label, resolved: resolved === "yes" };
    if (this.notes.wrapNote()) payload.note = this.notes.wrapNote();
    const ack = await emit("case_close", payload);
    this.closing = false;
    if (!ack?.ok) {
      setText(this.wrapError, "wrapup.failed", { message: errorArg(ack?.error) });
      return;
    }
    this.markClosed();
    this.closeTabButton.focus();
  }

  markClosed() {
    if (this.state === "closed") return;
    this.addSystem("system.closed");
    this.setState("closed");
  }

  setRating(rating) {
    this.rating = rating;
    setText(this.ratingLine, "rating.value", { rating });
    this.addSystem("system.feedback", { rating });
  }
}

// ------------------------------------------------------------------ server events

function caseOf(payload) {
  return state.cases.get(payload?.case_id);
}

const handlers = {
  presence: ({ presence, reason }) => {
    if (reason) state.chosenPresence = presence; // the server decided (e.g. a missed offer)
    applyPresence(presence, reason);
  },
  offer: onOffer,
  offer_withdrawn: onOfferWithdrawn,
  queues: setQueues,
  case_assigned: upsertCase,
  chat_message: (message) => {
    const view = caseOf(message);
    if (!view) return;
    if (message.sender === "agent") view.addMessage(message);
    else view.onCustomerMessage(message);
  },
  typing: (payload) => {
    if (payload.sender === "customer") caseOf(payload)?.setRemoteTyping(Boolean(payload.active));
  },
  chat_delivered: (payload) => caseOf(payload)?.onDelivered(payload),
  customer_connection: (payload) => caseOf(payload)?.setConnection(
    payload.connected ? "connected" : "disconnected",
    payload.connected ? "system.customerReconnected" : "system.customerDisconnected"),
  customer_left: (payload) => caseOf(payload)?.setConnection("left", "system.customerLeft"),
  customer_ended: (payload) => {
    const view = caseOf(payload);
    if (!view) return;
    view.setConnection("ended", "system.customerEnded");
    if (view.state === "active") view.setState("wrap_up");
  },
  feedback: (payload) => caseOf(payload)?.setRating(payload.rating),
  case_closed: (payload) => {
    caseOf(payload)?.markClosed();
    releasePhotos(payload?.case_id);
  },
  photo_shared: (payload) => {
    const view = caseOf(payload);
    if (view) showPhoto(view, payload, () => state.session?.token);
  },
  media_proposed: (payload) => caseOf(payload)?.onMediaProposed(payload),
  media_declined: (payload) => caseOf(payload)?.onMediaDeclined(payload),
  media_state: (payload) => caseOf(payload)?.onMediaState(payload),
  media_hint: (payload) => caseOf(payload)?.onMediaHint(payload),
  media_muted: (payload) => caseOf(payload)?.onMediaMuted(payload),
  consent_state: (payload) => caseOf(payload)?.consent?.on("consent_state", payload),
  consent_ended: (payload) => caseOf(payload)?.consent?.on("consent_ended", payload),
  age_check_result: (payload) => caseOf(payload)?.consent?.on("age_check_result", payload),
  webhook_status: (payload) => caseOf(payload)?.consent?.on("webhook_status", payload),
  note: (payload) => caseOf(payload)?.notes.add(payload),
  case_transferred: (payload) => {
    const view = caseOf(payload);
    if (!view) return;
    view.addSystem(payload.to_agent_name ? "transfer.doneAgent" : "transfer.doneQueue",
      { name: literal(payload.to_agent_name ?? "") });
    view.setState("transferred");
  },
  transfer_failed: (payload) => {
    const args = { reason: enumArg("transferReason", payload.reason ?? "unknown") };
    addNote("transfer.declined", args);
    announce("transfer.declined", args);
  },
  error: () => {
    // every refused event is also answered in its acknowledgement, where it is shown
  },
};

// ------------------------------------------------------------------ clock

function tick() {
  const now = performance.now();
  for (const offer of state.offers.values()) updateOffer(offer, now);
  tickQueues(now);
}

// ------------------------------------------------------------------ start

function boot() {
  applyLanguage(localStorage.getItem(LANGUAGE_KEY) ?? "sv");
  $("#language-toggle").addEventListener("click", () => {
    const next = getLanguage() === "sv" ? "en" : "sv";
    localStorage.setItem(LANGUAGE_KEY, next);
    applyLanguage(next);
  });
  $("#login-form").addEventListener("submit", onLoginSubmit);
  $("#logout").addEventListener("click", onLogout);
  for (const input of document.querySelectorAll('input[name="presence"]')) {
    input.addEventListener("change", onPresenceChange);
  }
  $("#case-tabs").addEventListener("keydown", onTabKeydown);
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("visibilitychange", () => {
    const view = state.cases.get(state.selected);
    if (!document.hidden && view) {
      view.unread = 0;
      view.renderTab();
    }
  });
  window.setInterval(tick, 250);
  const { session, message } = loadSession();
  if (session) startConsole(session);
  else showLogin(message);
}

boot();
