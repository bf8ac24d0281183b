// The live queues: how many wait, the longest wait (ticking), and who is waiting.

import { $, h, setAttr, setText } from "/static/shared/dom.js";
import { enumArg, queueTitle } from "./i18n.js";
import { formatMoney } from "./messages.js";
import { state } from "./state.js";

export function setQueues(overview) {
  if (!overview?.queues) return;
  if (state.queues && Number(overview.at) < Number(state.queues.at)) return;
  state.queues = overview;
  state.queuesReceivedAt = performance.now();
  renderQueues();
  // offers that arrived before the first overview named their queue only by its id
  for (const offer of state.offers.values()) {
    setText(offer.title, "offer.title", { queue: queueTitle(offer.payload.queue) });
  }
}

export function renderQueues() {
  const container = $("#queues");
  const overview = state.queues;
  if (!overview) {
    container.replaceChildren();
    return;
  }
  const cards = overview.queues.map((queue) => {
    const title = queueTitle(queue.name, queue.title);
    const titleId = `queue-title-${queue.name}`;
    const longest = h("dd", { "data-field": "longest", dataset: { tickBase: String(queue.longest_wait_seconds), ticking: queue.waiting > 0 ? "1" : "0" } });
    setText(longest, "duration", { seconds: Math.floor(queue.longest_wait_seconds) });
    const list = queue.cases.length
      ? h("ul", { class: "waiting-list" }, queue.cases.map((c) => waitingItem(c)))
      : h("p", { class: "empty small", i18n: "queue.nobody" });
    if (queue.cases.length) setAttr(list, "aria-label", "queue.listLabel", { queue: title });
    return h("article", { class: "queue-card", "aria-labelledby": titleId, dataset: { queue: queue.name } },
      h("h3", { id: titleId, i18n: ["value", { v: title }] }),
      h("dl", { class: "stats" },
        h("div", { class: "stat" }, h("dt", { i18n: "queue.waiting" }), h("dd", { "data-field": "waiting", text: String(queue.waiting) })),
        h("div", { class: "stat" }, h("dt", { i18n: "queue.longest" }), longest),
        h("div", { class: "stat" }, h("dt", { i18n: "queue.serving" }), h("dd", { "data-field": "serving", text: String(queue.agents_serving) }))),
      list);
  });
  container.replaceChildren(...cards);
}

function waitingItem(entry) {
  const waited = h("span", { class: "waited", dataset: { tickBase: String(entry.waited_seconds), ticking: "1", tickKey: "queue.waited" } });
  setText(waited, "queue.waited", { time: { $t: "duration", args: { seconds: Math.floor(entry.waited_seconds) } } });
  const parts = [
    h("span", { class: "store", text: entry.store }),
    h("span", { i18n: ["value", { v: enumArg("lang", entry.language) }] }),
    entry.payment_step ? h("span", { i18n: ["value", { v: enumArg("payment_step", entry.payment_step) }] }) : null,
    entry.position ? h("span", { i18n: ["value", { v: enumArg("position", entry.position) }] }) : null,
    h("span", { i18n: ["value", { v: enumArg("channel", entry.channel) }] }),
    h("span", { class: "amount", text: formatMoney(entry.cart_total, entry.currency) }),
    waited,
    entry.state === "offered" ? h("span", { class: "badge", i18n: "state.offered" }) : null,
  ].filter(Boolean);
  const item = h("li", { dataset: { caseId: entry.case_id } });
  parts.forEach((part, index) => {
    if (index) item.append(h("span", { class: "sep", "aria-hidden": "true", text: " · " }));
    item.append(part);
  });
  return item;
}

export function tickQueues(now) {
  if (!state.queues) return;
  const elapsed = (now - state.queuesReceivedAt) / 1000;
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#queues [data-tick-base]"))) {
    if (node.dataset.ticking !== "1") continue;
    const seconds = Math.floor(Number(node.dataset.tickBase) + elapsed);
    if (String(seconds) === node.dataset.shown) continue;
    node.dataset.shown = String(seconds);
    if (node.dataset.tickKey) setText(node, node.dataset.tickKey, { time: { $t: "duration", args: { seconds } } });
    else setText(node, "duration", { seconds });
  }
}
