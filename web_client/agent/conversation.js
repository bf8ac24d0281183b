// The conversation of one case: the message log with read receipts, the customer's typing,
// quick replies in the customer's language, and the compose box. The agent's messages wait in
// the outbox until acknowledged, and go again (same client_id) after a reconnect.

import { h, setAttr, setText } from "/static/shared/dom.js";
import { announce, errorArg, literal } from "./i18n.js";
import { formatClock, formatMoney } from "./messages.js";
import { emit, send } from "./session.js";
import { state } from "./state.js";

const TYPING_IDLE_MS = 3000;
const REMOTE_TYPING_MS = 8000;
// a message whose acknowledgement did not come, or came back with one of these, is sent again
// after the next agent_hello, with the same client_id (the server keeps one per client_id)
// case_moving: the case's node stopped and this one is taking it over (case_assigned follows)
const RETRY_CODES = ["timeout", "offline", "storage_unavailable", "agent_not_found", "case_moving"];

function newClientId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export class Conversation {
  /** view: the CaseView (id, state, data); ids: the case's element ids. */
  constructor(view, ids) {
    this.view = view;
    this.byId = new Map();
    this.byClientId = new Map();
    this.typingActive = false;
    this.typingTimer = null;
    this.remoteTypingTimer = null;
    // the log region scrolls; the messages inside stay a list
    this.log = h("ol", { class: "messages" });
    this.logBox = h("div", { class: "message-log", role: "log", "aria-live": "polite", tabindex: "0" }, this.log);
    setAttr(this.logBox, "aria-label", "chat.logLabel");
    this.typingLine = h("p", { class: "typing", "aria-live": "polite", "data-field": "typing" });
    this.quickTitle = h("h5", { id: ids.quick, class: "quick-title" });
    this.quickList = h("div", { class: "quick-buttons" });
    this.quick = h("div", { class: "quick-replies", role: "group", "aria-labelledby": ids.quick },
      this.quickTitle, this.quickList);
    this.input = h("textarea", { id: ids.input, name: "message", rows: "2", maxlength: "2000", autocomplete: "off" });
    this.sendButton = h("button", { type: "submit", class: "primary", i18n: "chat.send" });
    this.chatError = h("p", { class: "form-error", role: "alert" });
    this.chatClosed = h("p", { class: "hint", hidden: true, i18n: "chat.disabled" });
    this.compose = h("form", { class: "compose" },
      h("label", { for: ids.input, i18n: "chat.inputLabel" }),
      h("div", { class: "compose-row" }, this.input, this.sendButton),
      this.chatError);
    this.compose.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      }
    });
    this.input.addEventListener("input", () => this.onInput());
  }

  get id() {
    return this.view.id;
  }

  get active() {
    return this.view.state === "active";
  }

  destroy() {
    window.clearTimeout(this.typingTimer);
    window.clearTimeout(this.remoteTypingTimer);
  }

  /** The case became (or stopped being) active: the compose box and quick replies follow. */
  setActive(active) {
    this.input.disabled = !active;
    this.sendButton.disabled = !active;
    for (const button of this.quickList.querySelectorAll("button")) button.disabled = !active;
    this.compose.hidden = !active;
    this.quick.hidden = !active || (state.hello?.quick_replies ?? []).length === 0;
    this.chatClosed.hidden = active;
    if (!active) this.stopTyping();
  }

  renderQuickReplies() {
    const replies = state.hello?.quick_replies ?? [];
    const data = this.view.data;
    const language = data.language === "en" ? "en" : "sv";
    setText(this.quickTitle, "quick.title");
    this.quickTitle.append(" ", h("span", { class: "hint", i18n: ["quick.languageNote", { language: { $t: `lang.${language}` } }] }));
    const cart = (data.context?.cart ?? {});
    const amount = formatMoney(data.cart_total ?? 0, cart.currency ?? "SEK");
    const disabled = !this.active;
    this.quickList.replaceChildren(...replies.map((reply) => {
      const text = String(reply[language] ?? reply.sv).replace("{cart}", amount);
      const button = h("button", {
        type: "button", class: "quick", lang: language, dataset: { quickReply: reply.id }, text,
      });
      button.disabled = disabled;
      button.addEventListener("click", () => this.sendQuickReply(reply.id, text));
      return button;
    }));
    this.quick.hidden = replies.length === 0 || disabled;
  }

  // --- messages

  addMessage(message, { pending = false } = {}) {
    if (message.id && this.byId.has(message.id)) return this.byId.get(message.id);
    if (message.client_id && this.byClientId.has(message.client_id)) {
      const known = this.byClientId.get(message.client_id);
      if (message.id) this.identify(known, message);
      return known;
    }
    const mine = message.sender === "agent";
    const text = h("p", { class: "msg-text", text: message.text });
    if (!mine || message.quick_reply) text.lang = this.view.data.language === "en" ? "en" : "sv";
    const at = Number(message.at) || Date.now() / 1000;
    const item = {
      message,
      receipt: mine ? h("span", { class: "receipt" }) : null,
      li: h("li", {
        class: `msg msg-${mine ? "agent" : "customer"}`,
        dataset: { messageId: message.id ?? "", clientId: message.client_id ?? "" },
      },
      h("p", { class: "msg-meta" },
        h("span", { class: "msg-sender", i18n: mine ? "chat.you" : "chat.customer" }), " ",
        h("time", { datetime: new Date(at * 1000).toISOString(), text: formatClock(at) })),
      text),
    };
    if (item.receipt) {
      item.li.append(item.receipt);
      // a case brought back (reload, restart) keeps each line's ✓✓
      this.setReceipt(item, pending ? "pending" : (message.delivery === "delivered" ? "delivered" : "sent"));
    }
    if (message.id) this.byId.set(message.id, item);
    if (message.client_id) this.byClientId.set(message.client_id, item);
    this.log.append(item.li);
    this.scrollToEnd();
    if (!mine) {
      this.setRemoteTyping(false);
      if (message.id && message.delivery !== "delivered") {
        send("chat_received", { case_id: this.id, message_id: message.id });
      }
    }
    return item;
  }

  identify(item, message) {
    item.message = { ...item.message, ...message };
    item.li.dataset.messageId = message.id;
    this.byId.set(message.id, item);
    const text = item.li.querySelector(".msg-text");
    if (message.text && text.textContent !== message.text) text.textContent = message.text;
  }

  setReceipt(item, receipt) {
    if (!item?.receipt) return;
    if (item.receiptState === "delivered" && receipt !== "delivered") return;
    item.receiptState = receipt;
    item.li.dataset.receipt = receipt;
    const mark = { pending: "…", sent: "✓", delivered: "✓✓", failed: "!" }[receipt];
    item.receipt.replaceChildren(
      h("span", { class: "tick", "aria-hidden": "true", text: mark }), " ",
      h("span", { i18n: `receipt.${receipt}` }));
  }

  addSystem(key, args) {
    this.log.append(h("li", { class: "msg msg-system" }, h("p", { i18n: [key, args] })));
    this.scrollToEnd();
  }

  onCustomerMessage(message) {
    const before = this.byId.size;
    this.addMessage(message);
    if (this.byId.size === before) return;
    this.view.noteExcerpt([message]);
    const visible = state.selected === this.id && !document.hidden;
    if (!visible) {
      this.view.markUnread();
      announce("case.newMessage", { store: literal(this.view.data.store), text: literal(message.text) });
    }
  }

  onDelivered({ message_id: messageId, client_id: clientId }) {
    const item = this.byId.get(messageId) ?? (clientId ? this.byClientId.get(clientId) : null);
    this.setReceipt(item, "delivered");
  }

  scrollToEnd() {
    this.logBox.scrollTop = this.logBox.scrollHeight;
  }

  async sendText() {
    const text = this.input.value.trim();
    if (!text || !this.active) return;
    this.input.value = "";
    await this.sendMessage({ text }, text);
    this.input.focus();
  }

  async sendQuickReply(id, preview) {
    if (!this.active) return;
    await this.sendMessage({ quick_reply: id }, preview);
  }

  async sendMessage(body, preview) {
    this.stopTyping();
    setText(this.chatError, null);
    const clientId = newClientId();
    this.addMessage({
      id: null, case_id: this.id, sender: "agent", text: preview, at: Date.now() / 1000,
      client_id: clientId, quick_reply: body.quick_reply ?? null,
    }, { pending: true });
    state.outbox.set(clientId, { caseId: this.id, body });
    // while the line is down the message waits (shown as pending); the next agent_hello sends it
    if (state.socket?.connected) await this.deliver(clientId, body);
  }

  /** Send (or send again, with the same client_id) one of the agent's messages. */
  async deliver(clientId, body) {
    const ack = await emit("chat_send", { case_id: this.id, client_id: clientId, ...body });
    if (!state.outbox.has(clientId)) return; // acknowledged meanwhile by a resend
    const item = this.byClientId.get(clientId);
    if (!ack?.ok) {
      if (RETRY_CODES.includes(ack?.error?.code)) return; // still pending: resent after reconnecting
      state.outbox.delete(clientId);
      this.setReceipt(item, "failed");
      setText(this.chatError, "chat.failed", { message: errorArg(ack?.error) });
      return;
    }
    state.outbox.delete(clientId);
    this.identify(item, ack.message);
    if (item.receiptState !== "delivered") this.setReceipt(item, "sent");
  }

  onInput() {
    if (!this.active) return;
    if (!this.typingActive && this.input.value.trim()) {
      this.typingActive = true;
      send("typing", { case_id: this.id, active: true });
    }
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    window.clearTimeout(this.typingTimer);
    if (this.typingActive) {
      this.typingActive = false;
      send("typing", { case_id: this.id, active: false });
    }
  }

  setRemoteTyping(active) {
    window.clearTimeout(this.remoteTypingTimer);
    setText(this.typingLine, active ? "chat.customerTyping" : null);
    if (active) this.remoteTypingTimer = window.setTimeout(() => this.setRemoteTyping(false), REMOTE_TYPING_MS);
  }
}
