// Ending a conversation and wrapping the case up: the end button, then a label, resolved yes/no
// and a wrap-up note (case_close); the customer's rating shows when it comes.

import { h, setText } from "/static/shared/dom.js";
import { errorArg, literal } from "./i18n.js";
import { has } from "./messages.js";
import { emit } from "./session.js";
import { state } from "./state.js";
import { closeTab } from "./cases.js";

const ENDED = ["closed", "lost", "transferred"];

export class WrapUp {
  /** view: the CaseView (id, state, chat, notes, setState); ids: the case's element ids. */
  constructor(view, ids) {
    this.view = view;
    this.rating = null;
    const id = view.id;
    this.endButton = h("button", { type: "button", class: "secondary end", i18n: "case.end", dataset: { action: "end" } });
    this.endButton.addEventListener("click", () => this.endConversation());
    this.endError = h("p", { class: "form-error", role: "alert" });
    this.actions = h("div", { class: "case-actions" }, this.endButton, this.endError);
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
      view.notes.wrapField,
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
  }

  get id() {
    return this.view.id;
  }

  renderLabels() {
    /** The label's name as /admin set it (label_names), else the catalogue's, else its id. */
    const labelText = (/** @type {string} */ label) => {
      const named = (state.hello?.label_names ?? []).find((/** @type {{id: string}} */ n) => n.id === label);
      if (named) return ["value", { v: { $l: { sv: named.sv, en: named.en } } }];
      return has(`label.${label}`) ? `label.${label}` : ["value", { v: literal(label) }];
    };
    const labels = state.hello?.labels ?? [];
    const chosen = this.labelSelect.value;
    this.labelSelect.replaceChildren(
      h("option", { value: "", i18n: "wrapup.chooseLabel" }),
      ...labels.map((label) => h("option", { value: label, i18n: labelText(label) })));
    if (labels.includes(chosen)) this.labelSelect.value = chosen;
  }

  /** The case's state changed: show the end button, the wrap-up form or the closed box. */
  setState(next) {
    this.endButton.hidden = next !== "active";
    this.wrapForm.hidden = next !== "wrap_up";
    this.closedBox.hidden = !ENDED.includes(next);
    setText(this.closedNote, next === "closed" ? "case.closedNote" : `case.state.${next}`);
  }

  /** The customer has left: ending the conversation is the next step, so it says so and stands out. */
  offerWrapUp(offer) {
    setText(this.endButton, offer ? "case.wrapUpNow" : "case.end");
    this.endButton.classList.toggle("primary", offer);
    this.endButton.classList.toggle("secondary", !offer);
  }

  /** Where focus goes when the focused control disappeared with a state change. */
  focusAfter(next) {
    if (next === "wrap_up") this.labelSelect.focus();
    else if (ENDED.includes(next)) this.closeTabButton.focus();
    else return false;
    return true;
  }

  async endConversation() {
    setText(this.endError, null);
    if (this.ending || this.view.state !== "active") return;
    this.ending = true;
    const ack = await emit("conversation_end", { case_id: this.id });
    this.ending = false;
    if (!ack?.ok) {
      setText(this.endError, "case.endFailed", { message: errorArg(ack?.error) });
      return;
    }
    this.view.chat.addSystem("system.agentEnded");
    this.view.setState("wrap_up");
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
    const note = this.view.notes.wrapNote();
    if (note) payload.note = note;
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
    if (this.view.state === "closed") return;
    this.view.chat.addSystem("system.closed");
    this.view.setState("closed");
  }

  setRating(rating) {
    this.rating = rating;
    setText(this.ratingLine, "rating.value", { rating });
    this.view.chat.addSystem("system.feedback", { rating });
  }
}
