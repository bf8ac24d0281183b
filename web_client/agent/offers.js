// Incoming offers: a card each with the customer at a glance, a countdown, accept and decline.
// Offers live above the case list and stay there while a case is open (docs/protocol.md, "offer").

import { $, h, setAttr, setText } from "/static/shared/dom.js";
import { chime, notifyOffer, renderTitleBadge, unlockAudio } from "./alerts.js";
import { announce, enumArg, errorArg, field, literal, queueTitle } from "./i18n.js";
import { formatClock, formatMoney, t } from "./messages.js";
import { emit } from "./session.js";
import { state } from "./state.js";
import { transferSummary } from "./transfer.js";
import { selectCase, upsertCase } from "./cases.js";

const MAX_NOTES = 5;

export function renderOffersEmpty() {
  $("#offers-empty").hidden = state.offers.size > 0;
}

export function onOffer(payload) {
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
  renderTitleBadge();
  notifyOffer(`offer-${caseId}`, t("notify.offerTitle", { queue: queueTitle(payload.queue) }),
    t("notify.offerBody", { store, seconds: Math.ceil(Number(payload.expires_in)) }),
    () => focusOffer(caseId));
  announce("offer.announce", {
    queue: queueTitle(payload.queue), store, total: literal(totalText),
    seconds: Math.ceil(Number(payload.expires_in)),
  }, { assertive: true });
}

export function updateOffer(offer, now) {
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

/** Bring an offer into view and put focus on its accept button (a notification's click, Alt+O). */
export function focusOffer(caseId) {
  const offer = caseId ? state.offers.get(caseId) : state.offers.values().next().value;
  if (!offer) {
    $("#offers-title").focus();
    return false;
  }
  offer.card.scrollIntoView({ block: "nearest" });
  offer.accept.focus();
  return true;
}

/** The oldest waiting offer (the one the shortcuts act on). */
export function oldestOffer() {
  return [...state.offers.keys()][0] ?? null;
}

export function removeOffer(caseId, offer = state.offers.get(caseId)) {
  if (!offer) return;
  const hadFocus = offer.card.contains(document.activeElement);
  offer.card.remove();
  state.offers.delete(caseId);
  renderOffersEmpty();
  renderTitleBadge();
  if (hadFocus) $("#offers-title").focus();
}

export async function acceptOffer(caseId) {
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

export async function declineOffer(caseId) {
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

export function onOfferWithdrawn({ case_id: caseId, reason }) {
  const offer = state.offers.get(caseId);
  const store = literal(offer?.payload?.summary?.store ?? "");
  removeOffer(caseId);
  const args = { store, reason: enumArg("withdrawn", reason ?? "unknown") };
  addNote("offer.withdrawn", args);
  announce("offer.withdrawn", args);
}

export function addNote(key, args) {
  const list = $("#offer-notes");
  const time = formatClock(Date.now() / 1000);
  list.prepend(h("li", { class: "note-item" },
    h("time", { datetime: new Date().toISOString(), text: time }), " ",
    h("span", { i18n: [key, args] })));
  while (list.children.length > MAX_NOTES) list.lastElementChild.remove();
  list.hidden = false;
  $("#offer-notes-title").hidden = false;
}
