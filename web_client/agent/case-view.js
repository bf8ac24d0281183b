// One case of this agent: its tab and its panel (context | conversation and media), and the
// case's state as the console shows it. The parts are their own modules: ContextPanel,
// Conversation, MediaPanel, WrapUp, plus the notes and transfer panels.

import { h, setText } from "/static/shared/dom.js";
import { enumArg, literal, queueTitle } from "./i18n.js";
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
const EXCERPT_WORDS = 8;
const EXCERPT_CHARS = 60;

/** The first words of a message, cut at a word and marked "…" when cut. */
function excerptOf(text) {
  const words = String(text).trim().split(/\s+/);
  let out = words.slice(0, EXCERPT_WORDS).join(" ");
  if (out.length > EXCERPT_CHARS) out = out.slice(0, EXCERPT_CHARS).replace(/\s+\S*$/, "");
  return out.length < String(text).trim().length ? `${out}…` : out;
}

const ICONS = {
  kiosk: "M4 3h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1h-7v2h3v2H8v-2h3v-2H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm1 2v9h14V5z",
  app: "M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h8V5zm4 14.2a.9.9 0 1 0 0 1.8.9.9 0 0 0 0-1.8z",
  web: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-3a15 15 0 0 0-1.3-3.9A8 8 0 0 1 18.9 8zM12 4c.8 1.1 1.5 2.5 1.9 4h-3.8c.4-1.5 1.1-2.9 1.9-4zM4.3 14a8 8 0 0 1 0-4h3.4a16 16 0 0 0 0 4zm.8 2h3a15 15 0 0 0 1.3 3.9A8 8 0 0 1 5.1 16zm3-8h-3a8 8 0 0 1 4.3-3.9A15 15 0 0 0 8.1 8zM12 20c-.8-1.1-1.5-2.5-1.9-4h3.8c-.4 1.5-1.1 2.9-1.9 4zm2.3-6H9.7a14 14 0 0 1 0-4h4.6a14 14 0 0 1 0 4zm.3 5.9a15 15 0 0 0 1.3-3.9h3a8 8 0 0 1-4.3 3.9zm1.7-5.9a16 16 0 0 0 0-4h3.4a8 8 0 0 1 0 4z",
};

/** The channel's icon (decorative: the channel's name follows it in text). */
function channelIcon(channel) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", ICONS[channel] ?? ICONS.web);
  svg.append(path);
  return h("span", { class: "tab-channel", dataset: { channel: channel ?? "web" } }, svg);
}

export class CaseView {
  constructor(data) {
    this.id = data.case_id;
    this.data = data;
    this.excerpt = null;
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
    // the tab tells customers apart: number, store · queue, live time, first words, channel
    this.tabNumber = h("span", { class: "tab-number", "data-field": "number" });
    this.tabTitle = h("span", { class: "tab-title" });
    this.tabTime = h("span", { class: "tab-time", "data-field": "time" });
    this.tabExcerpt = h("span", { class: "tab-excerpt", "data-field": "excerpt" });
    this.tabChannel = h("span", { class: "tab-channel-name", "data-field": "channel" });
    this.tabState = h("span", { class: "tab-state" });
    this.tabUnread = h("span", { class: "tab-unread", "data-field": "unread" });
    this.tab = h("button", {
      type: "button", role: "tab", id: ids.tab, class: "case-tab", "aria-controls": ids.panel,
      "aria-selected": "false", tabindex: "-1", dataset: { caseId: id },
    }, this.tabNumber, this.tabTitle, this.tabTime, this.tabExcerpt,
    h("span", { class: "tab-meta" }, channelIcon(this.data.channel), this.tabChannel, this.tabState, this.tabUnread));
    this.clock = { waited: 0, active: null, at: performance.now(), shown: null };
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
    setText(this.tabNumber, "case.number", { number: literal(this.data.number ?? "") });
    setText(this.tabTitle, "case.tabTitle", { store, queue: this.queueArg });
    setText(this.tabChannel, "value", { v: enumArg("channel", this.data.channel) });
    setText(this.title, "case.title", { store, queue: this.queueArg });
    if (typeof data.waited_seconds === "number" || data.active_seconds !== undefined) {
      this.clock = { waited: Number(data.waited_seconds ?? 0), active: data.active_seconds ?? null,
                     at: performance.now(), shown: null };
    }
    this.context.render(this.data, this.queueArg);
    this.renderQuickReplies();
    this.renderLabels();
    if (typeof data.customer_connected === "boolean") {
      this.connection = data.customer_connected ? "connected" : "disconnected";
    }
    this.renderConnection();
    for (const message of data.messages ?? []) this.chat.addMessage(message);
    this.noteExcerpt(data.messages ?? []);
    if (data.state) this.setState(data.state);
    this.tick(performance.now());
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

  /** The first words of the customer's first message: what the tab shows to tell cases apart. */
  noteExcerpt(messages) {
    if (this.excerpt !== null) return;
    const first = messages.find((m) => m.sender === "customer" && m.text);
    if (!first) {
      setText(this.tabExcerpt, "case.excerptNone");
      return;
    }
    this.excerpt = excerptOf(first.text);
    setText(this.tabExcerpt, "case.excerpt", { text: literal(this.excerpt) });
  }

  /** The tab's live time: the talk time while active, else how long the customer waited. */
  tick(now) {
    const { waited, active, at } = this.clock;
    const elapsed = (now - at) / 1000;
    const talking = this.state === "active" && active !== null;
    const seconds = Math.floor(talking ? active + elapsed : waited);
    const shown = `${talking}:${seconds}`;
    if (shown === this.clock.shown) return;
    this.clock.shown = shown;
    setText(this.tabTime, talking ? "case.tabTalking" : "case.tabWaited",
      { time: { $t: "duration", args: { seconds } } });
  }

  /** A customer message arrived while this case was not in view. */
  markUnread() {
    this.unread += 1;
    this.renderTab();
  }

  renderTab() {
    const note = ["wrap_up", ...ENDED].includes(this.state) ? `case.tabState.${this.state}` : null;
    const gone = this.state === "active" && this.connection !== "connected" && this.connection !== "ended";
    if (note) setText(this.tabState, "value", { v: { $t: note } });
    else if (gone) setText(this.tabState, `case.tabCustomer.${this.connection}`);
    else setText(this.tabState, null);
    this.tab.dataset.customer = this.connection;
    if (this.unread > 0) setText(this.tabUnread, "case.unread", { count: this.unread });
    else setText(this.tabUnread, null);
    this.tab.dataset.state = this.state;
  }

  setState(next) {
    const previous = this.state;
    this.state = next;
    this.panel.dataset.state = next;
    const active = next === "active";
    this.renderStateLine();
    const hadFocus = /** @type {HTMLButtonElement | null} */ (
      this.panel.contains(document.activeElement) ? document.activeElement : null);
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

  /** "Pågår" only while the customer is there: a customer gone says so, with wrap-up offered. */
  renderStateLine() {
    const next = this.state;
    let key = has(`case.state.${next}`) ? `case.state.${next}` : null;
    if (next === "active" && this.connection === "disconnected") key = "case.state.activeDisconnected";
    if (next === "active" && this.connection === "left") key = "case.state.activeLeft";
    setText(this.stateLine, key);
    this.panel.dataset.customer = this.connection;
    this.wrapup.offerWrapUp(next === "active" && this.connection === "left");
  }

  setConnection(connection, systemKey) {
    if (this.connection === "left" && connection === "disconnected") return;
    this.connection = connection;
    this.renderConnection();
    this.renderStateLine();
    this.renderTab();
    this.media.renderMedia();
    if (systemKey) this.chat.addSystem(systemKey);
  }
}
