// The web clients' one DOM helper module (agent console, supervisor, kiosk and shop demo pages).
// Plain ES module, no build step, served at /static/shared/dom.js. The widget bundles its own.
//
// h() builds elements; setText()/setAttr() put a translated text on a node and remember its key,
// so translateAll() can redo every text after a language switch. The page hands its catalogue's
// t() to useCatalogue() once, before it builds anything translated.

/** @typedef {(key: string, args?: object) => string} Translate */

/** @type {Translate | null} */
let translate = null;

/**
 * The page's translation function (its messages.js t()): used by setText, setAttr and h's i18n.
 * @param {Translate} t
 */
export function useCatalogue(t) {
  translate = t;
}

/** @param {string} key @param {object} [args] @returns {string} */
function tr(key, args) {
  if (!translate) throw new Error("dom.js: useCatalogue(t) was not called");
  return translate(key, args);
}

/**
 * The first element matching a selector.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * A tiny element builder: h("p", {class: "x", text: "…", i18n: ["key", args]}, child, …).
 * Props: class, text, i18n (a key or [key, args]), dataset, on<event> (a listener), true for a
 * bare attribute; null, undefined and false are left out, as are such children.
 * @param {string} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {any}
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "i18n") {
      const [key, args] = Array.isArray(value) ? value : [value];
      setText(node, key, args);
    } else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/**
 * Set a translated text on an element and remember the key so a language switch can redo it;
 * no key clears it.
 * @template {HTMLElement} N
 * @param {N} node
 * @param {string | null | undefined} key
 * @param {object} [args]
 * @returns {N}
 */
export function setText(node, key, args) {
  if (!key) {
    delete node.dataset.i18n;
    delete node.dataset.i18nArgs;
    node.textContent = "";
    return node;
  }
  node.dataset.i18n = key;
  if (args) node.dataset.i18nArgs = JSON.stringify(args);
  else delete node.dataset.i18nArgs;
  node.textContent = tr(key, args);
  return node;
}

/**
 * Set a translated attribute (aria-label, …) and remember it for a language switch.
 * @template {HTMLElement} N
 * @param {N} node
 * @param {string} attribute
 * @param {string} key
 * @param {object} [args]
 * @returns {N}
 */
export function setAttr(node, attribute, key, args) {
  const map = node.dataset.i18nAttrs ? JSON.parse(node.dataset.i18nAttrs) : {};
  map[attribute] = [key, args ?? null];
  node.dataset.i18nAttrs = JSON.stringify(map);
  node.setAttribute(attribute, tr(key, args ?? undefined));
  return node;
}

/**
 * Redo every remembered text and attribute under root (after a language switch).
 * @param {ParentNode} [root]
 */
export function translateAll(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const element = /** @type {HTMLElement} */ (node);
    const args = element.dataset.i18nArgs ? JSON.parse(element.dataset.i18nArgs) : undefined;
    element.textContent = tr(element.dataset.i18n ?? "", args);
  }
  for (const node of root.querySelectorAll("[data-i18n-attrs]")) {
    const element = /** @type {HTMLElement} */ (node);
    for (const [attribute, [key, args]] of Object.entries(JSON.parse(element.dataset.i18nAttrs ?? "{}"))) {
      element.setAttribute(attribute, tr(key, args ?? undefined));
    }
  }
}
