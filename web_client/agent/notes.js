// Internal notes and earlier cases in the agent console (docs/protocol.md, "Transfer and notes").
// An internal note is for the case's agents (and supervisors) only, never the customer. Earlier
// cases of the same kiosk or shop session show label, outcome, rating and times; chat text and
// wrap-up notes only when the server keeps transcripts. Strings: messages.js ("notes.*",
// "earlier.*").

import { h } from "/static/shared/dom.js";
import { formatClock, t } from "./messages.js";


const dateTime = (epoch) => {
  if (!epoch) return "–";
  const date = new Date(epoch * 1000);
  return `${date.toISOString().slice(0, 10)} ${formatClock(epoch)}`;
};

export class NotesPanel {
  constructor(view, emit) {
    this.view = view;
    this.emit = emit;
    this.notes = new Map();
    this.error = "";
    const id = view.id;
    this.ids = { title: `notes-title-${id}`, input: `note-input-${id}` };
    this.list = h("ul", { class: "note-list", "data-field": "notes" });
    this.input = h("textarea", { id: this.ids.input, name: "note", rows: "2" });
    this.form = h("form", { class: "note-form", novalidate: true },
      h("label", { for: this.ids.input, class: "note-label" }), this.input,
      h("button", { type: "submit", class: "secondary", "data-action": "note-add" }),
      h("p", { class: "form-error", role: "alert" }));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addNote();
    });
    this.node = h("section", { class: "notes-panel", "data-field": "notes_panel", "aria-labelledby": this.ids.title },
      h("h4", { id: this.ids.title, class: "notes-title" }),
      h("p", { class: "hint notes-hint" }), this.list, this.form);
    this.earlier = new EarlierCases(view, emit);
    this.wrapInput = h("textarea", { id: `wrap-note-${id}`, name: "wrap_note", rows: "2" });
    this.wrapHint = h("p", { class: "hint" });
    this.wrapField = h("div", { class: "wrap-field wrap-note" },
      h("label", { for: `wrap-note-${id}`, class: "wrap-note-label" }), this.wrapInput, this.wrapHint);
  }

  update(data) {
    for (const note of data.notes ?? []) this.notes.set(note.id, note);
    this.render();
  }

  add(note) {
    this.notes.set(note.id, note);
    this.render();
  }

  /** The wrap-up note to send with case_close (or undefined when empty). */
  wrapNote() {
    const text = this.wrapInput.value.trim();
    return text || undefined;
  }

  async addNote() {
    const text = this.input.value.trim();
    if (!text) return;
    const ack = await this.emit("note_add", { case_id: this.view.id, text });
    if (!ack?.ok) {
      this.error = t("notes.failed", { message: ack?.error?.message ?? "" });
    } else {
      this.error = "";
      this.input.value = "";
      this.add(ack.note);
    }
    this.render();
  }

  render() {
    const max = String(this.view.maxNoteChars ?? 1000);
    this.input.maxLength = Number(max);
    this.wrapInput.maxLength = Number(max);
    this.node.querySelector(".notes-title").textContent = t("notes.title");
    this.node.querySelector(".notes-hint").textContent = t("notes.hint");
    this.form.querySelector(".note-label").textContent = t("notes.label");
    this.form.querySelector("button").textContent = t("notes.add");
    this.form.querySelector(".form-error").textContent = this.error;
    this.form.hidden = !["active", "wrap_up"].includes(this.view.state);
    this.list.replaceChildren(...[...this.notes.values()].map((note) => h("li", {
      class: "note-entry", "data-kind": note.kind },
    h("span", { class: "note-meta", text: t("notes.by", {
      kind: t(`notes.kind.${note.kind}`), name: note.agent_name ?? "–", time: formatClock(note.at) }) }),
    h("span", { class: "note-text", text: note.text }))));
    if (this.notes.size === 0) this.list.append(h("li", { class: "empty", text: t("notes.empty") }));
    this.wrapField.querySelector(".wrap-note-label").textContent = t("wrapup.note");
    this.wrapHint.textContent = t(this.view.transcriptRetention ? "wrapup.noteKept" : "wrapup.noteNotKept");
    this.earlier.render();
  }
}

export class EarlierCases {
  constructor(view, emit) {
    this.view = view;
    this.emit = emit;
    this.loaded = null;
    this.error = "";
    const id = view.id;
    this.titleId = `earlier-title-${id}`;
    this.button = h("button", { type: "button", class: "secondary", "data-action": "earlier-show",
      onclick: () => this.load() });
    this.list = h("ol", { class: "earlier-list", "data-field": "earlier_cases" });
    this.node = h("section", { class: "earlier", "aria-labelledby": this.titleId },
      h("h4", { id: this.titleId, class: "earlier-title" }), this.button, this.list,
      h("p", { class: "form-error", role: "alert" }));
  }

  async load() {
    const ack = await this.emit("earlier_cases", { case_id: this.view.id });
    if (!ack?.ok) this.error = t("earlier.failed", { message: ack?.error?.message ?? "" });
    else {
      this.error = "";
      this.loaded = ack;
    }
    this.render();
  }

  render() {
    this.node.querySelector(".earlier-title").textContent = t("earlier.title");
    this.button.textContent = t(this.loaded ? "earlier.refresh" : "earlier.show");
    this.node.querySelector(".form-error").textContent = this.error;
    this.button.hidden = this.view.state !== "active" && this.view.state !== "wrap_up";
    if (!this.loaded) {
      this.list.replaceChildren();
      return;
    }
    const items = this.loaded.cases.map((item) => {
      const outcome = item.resolved === true ? "earlier.resolved"
        : item.resolved === false ? "earlier.unresolved" : "earlier.open";
      const entry = h("li", { class: "earlier-item", "data-case-id": item.case_id },
        h("p", { class: "earlier-head", text: t("earlier.item", {
          date: dateTime(item.created_at), label: item.label ?? t("earlier.noLabel"),
          outcome: t(outcome) }) }),
        h("p", { class: "earlier-meta", text: [
          item.rating ? t("earlier.rating", { rating: item.rating }) : t("earlier.noRating"),
          t(`earlier.same.${item.same}`),
          item.agent_name ? t("earlier.agent", { name: item.agent_name }) : null,
          item.closed_at ? t("earlier.closedAt", { time: dateTime(item.closed_at) }) : null,
        ].filter(Boolean).join(" · ") }));
      if (item.transcript) {
        const lines = h("ul", { class: "earlier-transcript" });
        for (const line of item.transcript) {
          lines.append(h("li", { text: `${t(`earlier.sender.${line.sender}`)}: ${line.text}` }));
        }
        for (const note of item.notes ?? []) lines.append(h("li", { text: t("earlier.wrapNote", { note: note.text }) }));
        entry.append(lines);
      }
      return entry;
    });
    if (items.length === 0) items.push(h("li", { class: "empty", text: t("earlier.empty") }));
    this.list.replaceChildren(...items);
    if (!this.loaded.transcript_retention) {
      this.list.append(h("li", { class: "hint", text: t("earlier.noText") }));
    }
  }
}
