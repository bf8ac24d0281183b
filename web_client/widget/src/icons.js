/*
 * The widget's icons and rating faces as inline SVG (bundled): they render the same on every
 * device, with or without an emoji font (a kiosk without one showed empty boxes). Each is drawn
 * in currentColor, so it follows the control's text colour in light and dark mode, and is hidden
 * from screen readers (the control carries the name).
 */

const SVG = "http://www.w3.org/2000/svg";

/** The icons' paths, in a 24×24 box: filled shapes. */
const FILLED = {
  chat: "M5 3h14a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8.6L6 21.6V18H5a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z",
  camera: "M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z",
};

/** The mouths of ratings 1..5, from a deep frown to a wide smile (stroked). */
const MOUTHS = [
  "M7.5 17.5c2.6-3.2 6.4-3.2 9 0",
  "M8 16.6c2.2-1.8 5.8-1.8 8 0",
  "M8 15.6h8",
  "M8 14.6c2.2 2 5.8 2 8 0",
  "M7 13.8c2.6 4.4 7.4 4.4 10 0",
];

function svg(size, ...children) {
  const node = document.createElementNS(SVG, "svg");
  for (const [name, value] of Object.entries({
    viewBox: "0 0 24 24", width: String(size), height: String(size), "aria-hidden": "true", focusable: "false",
    class: "hw-svg",
  })) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function shape(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

/** A named icon ("chat", "camera"), `size` CSS px square. */
export function icon(name, size = 22) {
  return svg(size, shape("path", { d: FILLED[name], fill: "currentColor" }));
}

/** The face of rating 1..5: a circle, two eyes and a mouth that smiles more with the rating. */
export function ratingFace(rating, size = 32) {
  const stroke = { fill: "none", stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round" };
  return svg(size,
    shape("circle", { cx: "12", cy: "12", r: "10", ...stroke }),
    shape("circle", { cx: "8.6", cy: "9.4", r: "1.4", fill: "currentColor" }),
    shape("circle", { cx: "15.4", cy: "9.4", r: "1.4", fill: "currentColor" }),
    shape("path", { d: MOUTHS[rating - 1], ...stroke }));
}
