/*
 * The widget's one DOM helper: h("button", {class, text, onclick, ...}, ...children). Shared by
 * the first load and its chunks (each build carries its own copy; the source is one).
 */

/** An element with attributes (null/undefined/false left out; on* are listeners) and children. */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}
