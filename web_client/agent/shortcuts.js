// Keyboard shortcuts and their help overlay (a modal <dialog>, opened with ? or the top bar's
// button). Alt+letter works anywhere, also while typing; ? only outside text fields. Keys are
// matched by their physical position (event.code), so Alt on every layout gives the same key.

import { $, h, setText } from "/static/shared/dom.js";
import { selectCase } from "./cases.js";
import { acceptOffer, declineOffer, focusOffer, oldestOffer } from "./offers.js";
import { state } from "./state.js";

/** [key shown, what it does, code matched with Alt (null: shown only)] */
const SHORTCUTS = [
  ["Alt+A", "shortcuts.accept", "KeyA"],
  ["Alt+D", "shortcuts.decline", "KeyD"],
  ["Alt+O", "shortcuts.offers", "KeyO"],
  ["Alt+N", "shortcuts.next", "KeyN"],
  ["Alt+P", "shortcuts.previous", "KeyP"],
  ["Enter", "shortcuts.send", null],
  ["Alt+E", "shortcuts.end", "KeyE"],
  ["?", "shortcuts.help", null],
];

const ACTIONS = {
  KeyA: () => {
    const caseId = oldestOffer();
    if (caseId) acceptOffer(caseId);
  },
  KeyD: () => {
    const caseId = oldestOffer();
    if (caseId) declineOffer(caseId);
  },
  KeyO: () => focusOffer(null),
  KeyN: () => stepCase(1),
  KeyP: () => stepCase(-1),
  KeyE: () => state.cases.get(state.selected)?.wrapup.endConversation(),
};

function stepCase(step) {
  const order = [...state.cases.keys()];
  if (order.length === 0) return;
  const index = order.indexOf(state.selected ?? "");
  const next = order[(index + step + order.length) % order.length];
  selectCase(next, { focus: "compose" });
}

function typingIn(target) {
  const node = /** @type {HTMLElement | null} */ (target);
  return Boolean(node?.closest?.("input, textarea, select, [contenteditable='true']"));
}

let dialog = null;

function buildDialog() {
  const rows = SHORTCUTS.map(([key, label]) => h("div", { class: "shortcut" },
    h("dt", {}, h("kbd", { text: key })), h("dd", { i18n: label })));
  const close = h("button", { type: "button", class: "secondary", i18n: "shortcuts.close",
    onclick: () => dialog.close() });
  dialog = h("dialog", { id: "shortcuts", class: "shortcuts-dialog", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title", i18n: "shortcuts.title" }),
    h("p", { class: "hint", i18n: "shortcuts.intro" }),
    h("dl", { class: "shortcut-list" }, rows),
    h("div", { class: "actions" }, close));
  document.body.append(dialog);
  return dialog;
}

export function toggleHelp() {
  const box = dialog ?? buildDialog();
  if (box.open) box.close();
  else box.showModal();
}

function onKeydown(event) {
  if ($("#console-view").hidden) return;
  if (event.altKey && !event.ctrlKey && !event.metaKey && ACTIONS[event.code]) {
    if (dialog?.open) dialog.close();
    event.preventDefault();
    ACTIONS[event.code]();
    return;
  }
  if (event.key === "?" && !event.altKey && !event.ctrlKey && !event.metaKey && !typingIn(event.target)) {
    event.preventDefault();
    toggleHelp();
  }
}

/** Listen for the shortcuts and wire the top bar's help button. */
export function installShortcuts() {
  document.addEventListener("keydown", onKeydown);
  const button = $("#shortcuts-open");
  button?.addEventListener("click", toggleHelp);
  if (button) setText(button, "shortcuts.open");
}
