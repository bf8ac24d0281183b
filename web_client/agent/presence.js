// The agent's presence (available, busy, away): chosen here, or set by the server with a reason
// (a missed offer). docs/protocol.md, "presence_set" and "presence".

import { $, setText } from "/static/shared/dom.js";
import { unlockAudio } from "./alerts.js";
import { errorArg } from "./i18n.js";
import { emit } from "./session.js";
import { state } from "./state.js";

export function applyPresence(presence, reason) {
  state.presence = presence;
  state.presenceReason = reason ?? null;
  renderPresence();
}

export function renderPresence() {
  const presence = state.presence;
  for (const input of document.querySelectorAll(/** @type {'input'} */ ('input[name="presence"]'))) {
    input.checked = input.value === presence;
    input.closest(".presence-option").classList.toggle("is-current", input.value === presence);
  }
  const current = $("#presence-state");
  current.dataset.presence = presence ?? "unknown";
  setText(current, "presence.current", { presence: { $t: `presence.${presence ?? "unknown"}` } });
  setText($("#presence-hint"), presence ? `presence.hint.${presence}` : null);
  setText($("#presence-note"), state.presenceReason === "missed_offer" ? "presence.reason.missed_offer" : null);
}

export async function onPresenceChange(event) {
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
