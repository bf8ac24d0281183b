// One case of this agent: its tab and its panel (context | conversation and media), and the
// case's state as the console shows it. The parts are their own modules: ContextPanel,
// Conversation, MediaPanel, WrapUp, plus the notes and transfer panels.

import { h, setText } from "/static/shared/dom.js";
import { literal, queueTitle } from "./i18n.js";
import { has } from "./messages.js";
import { emit } from "./session.js";
import { state } from "./state.js";
import { ContextPanel } from "./context.js";
import { Conversation } from "./conversation.js";
import { MediaPanel } from "./media.js";
import { WrapUp } from "./wrapup.js";
// transfer, internal and wrap-up notes, earlier cases (docs/protocol.md, "Transfer and notes")
import { TransferPanel } from "./transfer.js";
import { NotesPanel } from "./notes.js";
import { selectCase } from "./cases.js";

const ENDED = ["closed", "lost", "transferred"];

export class CaseView {
  constructor(data) {
    this.id = data.case_id;
    this.data = data;
    this.state = data.state;
    this.unread = 0;
    this.connection = data.customer_connected === false ? "disconnected" : "connected";
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

    this.maxNoteChars = state.hello?.max_note_chars;
    this.transcriptRetention = Boolean(state.hello?.transcript_retention);
    this.transfer = new TransferPanel(this, emit);
    this.notes = new NotesPanel(this, emit);
    this.context = new ContextPanel();
    const context = h("section", { class: "context", "aria-labelledby": ids.context },
      h("h4", { id: ids.context, i18n: "context.title" }), this.context.list, this.context.cartTable,
      this.notes.node, this.notes.earlier.node);

    this.connectionLine = h("p", { class: "customer-connection", "data-field": "customer_connection" });
    this.chat = new Conversation(this, ids);
    this.wrapup = new WrapUp(this, ids);
    this.media = new MediaPanel(this, ids);
    this.consent = this.media.consent;
    const chat = h("section", { class: "chat", "aria-labelledby": ids.chat },
      h("div", { class: "chat-head" },
        h("h4", { id: ids.chat, i18n: "chat.title" }), this.connectionLine),
      this.media.node,
      this.chat.logBox, this.chat.typingLine, this.chat.quick, this.chat.compose, this.chat.chatClosed,
      this.wrapup.actions, this.transfer.node, this.wrapup.wrapForm, this.wrapup.closedBox);

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
    this.media.endCall();
    this.chat.destroy();
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
    this.context.render(this.data, this.queueArg);
    this.renderQuickReplies();
    this.renderLabels();
    if (typeof data.customer_connected === "boolean") {
      this.connection = data.customer_connected ? "connected" : "disconnected";
    }
    this.renderConnection();
    for (const message of data.messages ?? []) this.chat.addMessage(message);
    if (data.state) this.setState(data.state);
    this.notes.update(data);
    this.transfer.update(data);
  }

  renderQuickReplies() {
    this.chat.renderQuickReplies();
  }

  renderLabels() {
    this.wrapup.renderLabels();
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
      this.chat.scrollToEnd();
    }
  }

  /** A customer message arrived while this case was not in view. */
  markUnread() {
    this.unread += 1;
    this.renderTab();
  }

  renderTab() {
    const note = ["wrap_up", ...ENDED].includes(this.state) ? `case.tabState.${this.state}` : null;
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
    this.chat.setActive(active);
    this.wrapup.setState(next);
    // the conversation is over (or the case went back to the queue): no call outlives it
    if (!active) this.media.stop();
    this.media.renderMedia();
    this.renderTab();
    this.transfer?.render();
    this.notes?.render();
    if (hadFocus && (hadFocus.disabled || hadFocus.closest("[hidden]"))) {
      if (!this.wrapup.focusAfter(next)) this.tab.focus();
    }
    return previous;
  }

  setConnection(connection, systemKey) {
    if (this.connection === "left" && connection === "disconnected") return;
    this.connection = connection;
    this.renderConnection();
    if (systemKey) this.chat.addSystem(systemKey);
  }
}
