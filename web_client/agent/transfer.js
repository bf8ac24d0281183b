// Transfer in the agent console (docs/protocol.md, "Transfer and notes"): hand an active case to a
// named colleague or to another queue, with an internal note that travels with it. The customer
// is told who takes over (or that they are put through), never the note. The receiver sees the
// note in the offer card and in the case. Strings are in messages.js ("transfer.*").

import { h } from "/static/shared/dom.js";
import { t } from "./messages.js";


const title = (value) => ({ $l: value });

/** The part of an offer card (or of a case) that says who handed the case on, with the note. */
export function transferSummary(transfer) {
  if (!transfer) return null;
  const box = h("div", { class: "transfer-summary note", "data-field": "transfer" });
  box.append(h("p", { class: "transfer-from",
    text: t("transfer.from", { name: transfer.from_agent_name ?? "–" }) }));
  if (transfer.note) {
    box.append(h("p", { class: "transfer-note", "data-field": "transfer_note",
      text: t("transfer.noteShown", { note: transfer.note }) }));
  }
  return box;
}

export class TransferPanel {
  /** view: the CaseView (id, state); emit: the console's acknowledged emit. */
  constructor(view, emit) {
    this.view = view;
    this.emit = emit;
    this.open = false;
    this.targets = null;
    this.error = "";
    this.done = null; // {name} or {queue} once handed on
    const id = view.id;
    this.ids = { title: `transfer-title-${id}`, target: `transfer-target-${id}`, note: `transfer-note-${id}` };
    this.toggle = h("button", { type: "button", class: "secondary", "data-action": "transfer-open",
      onclick: () => this.show() });
    this.body = h("div", { class: "transfer-body" });
    this.node = h("section", { class: "transfer", "data-field": "transfer_panel", "aria-labelledby": this.ids.title },
      h("h4", { id: this.ids.title, class: "transfer-title" }), this.toggle, this.body);
    this.received = h("div", { class: "transfer-received" });
  }

  /** The case's view arrived (accept, reconnect): show whom it came from, with the note. */
  update(data) {
    if (data.transfer !== undefined) this.transfer = data.transfer;
    this.render();
  }

  async show() {
    this.open = true;
    this.error = "";
    const ack = await this.emit("transfer_targets", { case_id: this.view.id });
    if (!ack?.ok) this.error = t("transfer.failed", { message: ack?.error?.message ?? "" });
    else this.targets = ack;
    this.render();
    this.body.querySelector("select")?.focus();
  }

  hide() {
    this.open = false;
    this.render();
    this.toggle.focus();
  }

  async submit(form) {
    const choice = form.querySelector("select").value;
    const note = form.querySelector("textarea").value.trim();
    if (!choice) {
      this.error = t("transfer.needTarget");
      this.render();
      this.body.querySelector("select")?.focus();
      return;
    }
    const [kind, value] = choice.split(":", 2);
    const payload = { case_id: this.view.id, [kind === "agent" ? "to_agent_id" : "to_queue"]: value };
    if (note) payload.note = note;
    const ack = await this.emit("case_transfer", payload);
    if (!ack?.ok) {
      this.error = t("transfer.failed", { message: ack?.error?.message ?? "" });
      this.render();
      return;
    }
    this.open = false;
    this.error = "";
  }

  render() {
    this.node.querySelector(".transfer-title").textContent = t("transfer.title");
    this.toggle.textContent = t("transfer.open");
    const active = this.view.state === "active";
    this.node.hidden = !active && !this.transfer;
    this.toggle.hidden = !active || this.open;
    this.received.replaceChildren();
    const summary = transferSummary(this.transfer);
    if (summary) this.received.append(summary);
    this.body.replaceChildren(this.received);
    if (!active || !this.open) {
      if (this.error) this.body.append(h("p", { class: "form-error", role: "alert", text: this.error }));
      return;
    }
    const select = h("select", { id: this.ids.target, name: "target" },
      h("option", { value: "", text: t("transfer.choose") }));
    const agents = this.targets?.agents ?? [];
    const colleagues = h("optgroup", { label: t("transfer.toAgent") });
    for (const agent of agents) {
      const presence = t(`presence.${agent.presence}`);
      colleagues.append(h("option", {
        value: `agent:${agent.id}`, disabled: !agent.available,
        text: agent.available ? agent.display_name
          : t("transfer.unavailable", { name: agent.display_name, presence }),
      }));
    }
    if (agents.length === 0) colleagues.append(h("option", { disabled: true, text: t("transfer.noColleagues") }));
    const queues = h("optgroup", { label: t("transfer.toQueue") });
    for (const queue of this.targets?.queues ?? []) {
      queues.append(h("option", { value: `queue:${queue.name}`, disabled: queue.agents_serving === 0,
        text: t("transfer.queueOption", { queue: title(queue.title), count: queue.agents_serving }) }));
    }
    select.append(colleagues, queues);
    const note = h("textarea", { id: this.ids.note, name: "note", rows: "2",
      maxlength: String(this.view.maxNoteChars ?? 1000) });
    const form = h("form", { class: "transfer-form", novalidate: true },
      h("label", { for: this.ids.target, text: t("transfer.target") }), select,
      h("label", { for: this.ids.note, text: t("transfer.note") }), note,
      h("p", { class: "hint", text: t("transfer.noteHint") }),
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary", "data-action": "transfer-submit", text: t("transfer.submit") }),
        h("button", { type: "button", class: "secondary", text: t("transfer.cancel"), onclick: () => this.hide() })),
      this.error ? h("p", { class: "form-error", role: "alert", text: this.error }) : null);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(form);
    });
    this.body.append(form);
  }
}
