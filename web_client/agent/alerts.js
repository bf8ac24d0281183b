// Alerts that make an offer hard to miss: the chime (WebAudio, no files), a desktop notification
// while the tab is in the background, and the number of waiting offers and unread messages in the
// tab's title.

import { $, h } from "/static/shared/dom.js";
import { t } from "./messages.js";
import { state } from "./state.js";

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
export function unlockAudio() {
  try {
    const context = audio();
    if (context && context.state === "suspended") context.resume().catch(() => {});
  } catch {
    // no audio: the card and the live region still announce offers
  }
}

/** A short two-tone chime for a new offer, generated with WebAudio (no files). Never throws. */
export function chime() {
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

// ------------------------------------------------------------------ desktop notifications

/**
 * The permission is asked once, from the button (browsers refuse a request without a gesture);
 * what the browser answered is then shown instead of the button. A notification is shown only
 * while the tab is hidden; clicking it brings the tab forward and focuses the offer.
 */
export function renderNotificationControl() {
  const box = $("#alerts");
  if (!box) return;
  const supported = typeof window.Notification === "function";
  const permission = supported ? window.Notification.permission : "unsupported";
  const titleId = "alerts-title";
  const children = [h("h3", { id: titleId, class: "alerts-title", i18n: "notify.title" })];
  if (permission === "default") {
    children.push(
      h("p", { class: "hint", id: "notify-explain", i18n: "notify.explain" }),
      h("button", { type: "button", class: "secondary", id: "notify-enable", "aria-describedby": "notify-explain",
        i18n: "notify.enable", onclick: requestNotifications }));
  } else {
    const key = { granted: "notify.on", denied: "notify.denied" }[permission] ?? "notify.unsupported";
    children.push(h("p", { class: "hint", "data-field": "notify-state", tabindex: "-1", dataset: { permission }, i18n: key }));
  }
  box.setAttribute("aria-labelledby", titleId);
  box.setAttribute("role", "group");
  box.replaceChildren(...children);
}

async function requestNotifications() {
  unlockAudio();
  try {
    await window.Notification.requestPermission();
  } catch {
    // an old browser without the promise form, or a refusal: the state line says what is left
  }
  renderNotificationControl();
  $("#alerts [data-field=notify-state]")?.focus();
}

/**
 * Show a desktop notification for an offer if the tab is hidden and permission was given.
 * onClick runs after the tab came forward. Returns the notification, or null.
 */
export function notifyOffer(tag, title, body, onClick) {
  if (!document.hidden || typeof window.Notification !== "function") return null;
  if (window.Notification.permission !== "granted") return null;
  try {
    const notification = new window.Notification(title, { body, tag, requireInteraction: true });
    notification.onclick = () => {
      window.focus();
      notification.close();
      onClick();
    };
    return notification;
  } catch {
    return null; // e.g. a browser that only allows notifications from a service worker
  }
}

// ------------------------------------------------------------------ title badge

/** "(3) Helpwire – agentkonsol": the waiting offers plus the unread messages, or no badge. */
export function renderTitleBadge() {
  let count = state.offers.size;
  for (const view of state.cases.values()) count += view.unread;
  const title = t("document.title");
  const wanted = count > 0 ? t("document.badge", { count, title }) : title;
  if (document.title !== wanted) document.title = wanted;
}
