// The console's translatable values and spoken announcements, on top of shared/dom.js and the
// console's catalogue (messages.js). Arguments such as {$t: key} or {$l: {sv, en}} are
// translated when shown, so a language switch redoes them.

import { $, setText, useCatalogue, h } from "/static/shared/dom.js";
import { has, t } from "./messages.js";
import { state } from "./state.js";

useCatalogue(t);

/** A translatable enumeration value: {$t: "device.mobile"}, or "–" for null. */
export function enumArg(kind, value) {
  if (value === null || value === undefined || value === "") return { $t: "value.none" };
  const key = `${kind}.${value}`;
  return has(key) ? { $t: key } : { $l: { sv: String(value), en: String(value) } };
}

export function yesNo(value) {
  return { $t: value ? "value.yes" : "value.no" };
}

export function literal(text) {
  return { $l: { sv: String(text ?? ""), en: String(text ?? "") } };
}

export function queueTitle(name, title) {
  if (title && typeof title === "object") return { $l: { sv: title.sv ?? name, en: title.en ?? name } };
  const known = state.queues?.queues?.find((q) => q.name === name);
  if (known) return { $l: { sv: known.title.sv, en: known.title.en } };
  return literal(name);
}

/**
 * A definition list row whose value is a translatable text: dt + dd[data-field].
 * @param {string} name
 * @param {string} labelKey
 * @param {string} valueKey
 * @param {object} [valueArgs]
 * @param {{wide?: boolean}} [options]
 */
export function field(name, labelKey, valueKey, valueArgs, { wide = false } = {}) {
  return h("div", { class: wide ? "field field-wide" : "field" },
    h("dt", { i18n: labelKey }),
    h("dd", { "data-field": name, i18n: [valueKey, valueArgs] }));
}

export function announce(key, args, { assertive = false } = {}) {
  const region = $(assertive ? "#announce-assertive" : "#announce-polite");
  // clear first so the same sentence twice is announced twice
  region.textContent = "";
  window.setTimeout(() => setText(region, key, args), 50);
}

export function errorArg(error) {
  const code = error?.code;
  if (code && has(`error.${code}`)) return { $t: `error.${code}` };
  return literal(error?.message ?? code ?? "?");
}
