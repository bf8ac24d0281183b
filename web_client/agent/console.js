// Helpwire agent console: sign in, then the workspace (presence and queues | offers and cases |
// the open case). Plain ES modules, no build step; this one wires them together and routes the
// server's events. The wire protocol is docs/protocol.md ("Agent namespace").

import { $, h, setText, translateAll } from "/static/shared/dom.js";
import { getLanguage, setLanguage, t } from "./messages.js";
// voice and video: the same call code as the Help widget (a classic script; defines HelpwireCall)
import "/static/widget/helpwire-call.js";
import { renderNotificationControl, renderTitleBadge, unlockAudio } from "./alerts.js";
import { onTabKeydown, renderCasesEmpty, upsertCase } from "./cases.js";
import { announce, enumArg, errorArg, literal } from "./i18n.js";
import { addNote, onOffer, onOfferWithdrawn, removeOffer, renderOffersEmpty, updateOffer } from "./offers.js";
import { releasePhotos, showPhoto } from "./photos.js";
import { applyPresence, onPresenceChange, renderPresence } from "./presence.js";
import { setQueues, tickQueues } from "./queues.js";
import { clearSession, connect, disconnect, emit, loadSession, setConnection, storeSession } from "./session.js";
import { installShortcuts } from "./shortcuts.js";
import { ACK_TIMEOUT_MS, LANGUAGE_KEY, state } from "./state.js";

// ------------------------------------------------------------------ language

function applyLanguage(language) {
  setLanguage(language);
  document.documentElement.lang = getLanguage();
  renderTitleBadge();
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
  document.body.classList.remove("in-console");
  $("#shortcuts-open").hidden = true;
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
  let body;
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
  storeSession(session);
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
  document.body.classList.add("in-console");
  $("#shortcuts-open").hidden = false;
  $("#logout").hidden = false;
  renderNotificationControl();
  const signedIn = $("#signed-in-as");
  signedIn.hidden = false;
  setText(signedIn, "header.signedInAs", { name: literal(session.agent?.display_name ?? "") });
  setConnection("connection.connecting");
  renderPresence();
  renderOffersEmpty();
  renderCasesEmpty();
  connect({ handlers, onHello: hello, onSignedOut: showLogin });
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
      const item = view?.chat.byClientId.get(clientId);
      if (item) view.chat.setReceipt(item, "failed");
      continue;
    }
    await view.chat.deliver(clientId, pending.body);
    if (state.socket !== socket) return;
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
  case_assigned: (data) => {
    const view = upsertCase(data);
    // a case adopted from a stopped node arrives after agent_hello: what waited for it goes now
    if (view && view.state === "active") {
      for (const [clientId, pending] of [...state.outbox]) {
        if (pending.caseId === view.id) view.chat.deliver(clientId, pending.body);
      }
    }
  },
  chat_message: (message) => {
    const view = caseOf(message);
    if (!view) return;
    if (message.sender === "agent") view.chat.addMessage(message);
    else view.chat.onCustomerMessage(message);
  },
  typing: (payload) => {
    if (payload.sender === "customer") caseOf(payload)?.chat.setRemoteTyping(Boolean(payload.active));
  },
  chat_delivered: (payload) => caseOf(payload)?.chat.onDelivered(payload),
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
  feedback: (payload) => caseOf(payload)?.wrapup.setRating(payload.rating),
  case_closed: (payload) => {
    caseOf(payload)?.wrapup.markClosed();
    releasePhotos(payload?.case_id);
  },
  photo_shared: (payload) => {
    const view = caseOf(payload);
    if (view) showPhoto(view.chat, payload, () => state.session?.token);
  },
  media_proposed: (payload) => caseOf(payload)?.media.onMediaProposed(payload),
  media_declined: (payload) => caseOf(payload)?.media.onMediaDeclined(payload),
  media_state: (payload) => caseOf(payload)?.media.onMediaState(payload),
  media_hint: (payload) => caseOf(payload)?.media.onMediaHint(payload),
  media_muted: (payload) => caseOf(payload)?.media.onMediaMuted(payload),
  consent_state: (payload) => caseOf(payload)?.consent?.on("consent_state", payload),
  consent_ended: (payload) => caseOf(payload)?.consent?.on("consent_ended", payload),
  age_check_result: (payload) => caseOf(payload)?.consent?.on("age_check_result", payload),
  webhook_status: (payload) => caseOf(payload)?.consent?.on("webhook_status", payload),
  note: (payload) => caseOf(payload)?.notes.add(payload),
  case_transferred: (payload) => {
    const view = caseOf(payload);
    if (!view) return;
    view.chat.addSystem(payload.to_agent_name ? "transfer.doneAgent" : "transfer.doneQueue",
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
  for (const view of state.cases.values()) view.tick(now);
  tickQueues(now);
  renderTitleBadge();
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
  installShortcuts();
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
