// The case's context: where the customer is (store, position, channel, device, payment step,
// the rule that routed them) and their cart, with 18+ items marked.

import { h } from "/static/shared/dom.js";
import { enumArg, field, literal, yesNo } from "./i18n.js";
import { formatMoney } from "./messages.js";

export class ContextPanel {
  constructor() {
    this.list = h("dl", { class: "context-list" });
    this.cartTable = h("table", { class: "cart" });
  }

  /** data: the case's view (case_assigned); queueArg: its queue's translatable title. */
  render(data, queueArg) {
    const ctx = data.context ?? {};
    /** @type {Array<[string, string, object]>} */
    const rows = [
      ["store", "field.store", { v: literal(data.store) }],
      ["position", "field.position", { v: enumArg("position", ctx.position) }],
      ["channel", "field.channel", { v: enumArg("channel", data.channel ?? ctx.channel) }],
      ["kiosk_id", "field.kiosk_id", { v: data.kiosk_id ? literal(data.kiosk_id) : { $t: "value.none" } }],
      ["payment_step", "field.payment_step", { v: enumArg("payment_step", ctx.payment_step) }],
      ["device", "field.device", { v: enumArg("device", ctx.device) }],
      ["network", "field.network", { v: enumArg("network", ctx.network) }],
      ["battery", "field.battery", {
        v: ctx.battery === null || ctx.battery === undefined
          ? { $t: "value.unknownBattery" } : { $t: "value.battery", args: { percent: ctx.battery } },
      }],
      ["offline_mode", "field.offline_mode", { v: yesNo(ctx.offline_mode) }],
      ["language", "field.language", { v: enumArg("lang", data.language ?? ctx.language) }],
      ["rule", "field.rule", {
        v: data.rule
          ? { $t: "value.rule", args: { rule: literal(data.rule), queue: queueArg } }
          : { $t: "value.noRule", args: { queue: queueArg } },
      }],
      ["first_channel", "field.first_channel", { v: enumArg("first_channel", data.first_channel) }],
      ["logged_in", "field.logged_in", { v: yesNo(ctx.logged_in) }],
    ];
    if (ctx.page) rows.push(["page", "field.page", { v: literal(ctx.page) }]);
    const wide = new Set(["rule", "page"]);
    this.list.replaceChildren(...rows.map(([name, label, args]) => (
      field(name, label, "value", args, { wide: wide.has(name) }))));

    const cart = ctx.cart ?? { lines: [] };
    const currency = cart.currency ?? "SEK";
    const lines = cart.lines ?? [];
    const total = data.cart_total ?? lines.reduce((sum, l) => sum + l.unit_price * l.quantity, 0);
    const head = h("thead", {}, h("tr", {},
      h("th", { scope: "col", i18n: "cart.item" }),
      h("th", { scope: "col", class: "num", i18n: "cart.quantity" }),
      h("th", { scope: "col", class: "num", i18n: "cart.unitPrice" }),
      h("th", { scope: "col", class: "num", i18n: "cart.lineTotal" })));
    const body = h("tbody", {}, lines.length
      ? lines.map((line) => h("tr", { dataset: { sku: line.sku } },
        h("td", {}, h("span", { text: line.name }),
          line.age_restricted ? h("span", { class: "badge badge-block", i18n: "cart.ageRestricted" }) : null),
        h("td", { class: "num", "data-field": "quantity", text: String(line.quantity) }),
        h("td", { class: "num", text: formatMoney(line.unit_price, currency) }),
        h("td", { class: "num", text: formatMoney(line.unit_price * line.quantity, currency) })))
      : h("tr", {}, h("td", { colspan: "4", i18n: "cart.empty" })));
    const foot = h("tfoot", {}, h("tr", {},
      h("th", { scope: "row", colspan: "3", i18n: "cart.total" }),
      h("td", { class: "num", "data-field": "cart_total", text: formatMoney(total, currency) })));
    this.cartTable.replaceChildren(h("caption", { i18n: "cart.caption" }), head, body, foot);
  }
}
