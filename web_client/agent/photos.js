// Photos from the customer, inline in the conversation (docs/photos.md, docs/protocol.md
// "Photos"). The server announces each one (photo_shared) to this case's agent only; the cleaned
// JPEG (scaled down, no EXIF/GPS or other metadata) is fetched with the agent token and shown
// from an object URL: nothing is cached (Cache-Control: no-store) and it is released when the
// case closes. After the case the server no longer has it either.

import { formatClock, getLanguage } from "./messages.js";

const TEXT = {
  sv: {
    from: "Kunden",
    alt: "Foto från kunden ({width}×{height})",
    caption: "Foto · {width}×{height} · {kb} kB · sparas inte",
    loading: "Hämtar fotot…",
    gone: "Fotot finns inte längre (ärendet är avslutat eller servern har startats om).",
    failed: "Fotot kunde inte hämtas.",
    open: "Öppna i full storlek",
  },
  en: {
    from: "Customer",
    alt: "Photo from the customer ({width}×{height})",
    caption: "Photo · {width}×{height} · {kb} kB · not saved",
    loading: "Fetching the photo…",
    gone: "The photo is no longer there (the case is over or the server restarted).",
    failed: "The photo could not be fetched.",
    open: "Open full size",
  },
};

function text(key, values = {}) {
  const table = TEXT[getLanguage()] ?? TEXT.sv;
  return table[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

/** Object URLs of each case's photos, released when the case is closed. */
const urls = new Map();

/**
 * Show one announced photo in the case view's conversation (once, however often announced).
 * `token()` is the console's current agent token (it is refreshed while the console runs).
 */
export async function showPhoto(view, photo, token) {
  if (view.log.querySelector(`[data-photo-id="${CSS.escape(photo.photo_id)}"]`)) return;
  const sizes = { width: photo.width, height: photo.height, kb: Math.max(1, Math.round(photo.bytes / 1024)) };
  const status = el("p", { class: "msg-photo-status", text: text("loading") });
  const frame = el("figure", { class: "msg-photo-frame" }, status,
    el("figcaption", { class: "msg-photo-caption", text: text("caption", sizes) }));
  const at = Number(photo.at) || Date.now() / 1000;
  const li = el("li", { class: "msg msg-customer msg-photo", "data-photo-id": photo.photo_id },
    el("p", { class: "msg-meta" }, el("span", { class: "msg-sender", text: text("from") }), " ",
      el("time", { datetime: new Date(at * 1000).toISOString(), text: formatClock(at) })),
    frame);
  // in time order among the messages (a reconnect lists the photos after the messages)
  const later = Array.from(view.log.children).find((item) => {
    const time = item.querySelector("time[datetime]");
    return time && Date.parse(time.getAttribute("datetime")) > at * 1000;
  });
  view.log.insertBefore(li, later ?? null);
  view.scrollToEnd?.();
  let response;
  try {
    response = await fetch(photo.url, {
      headers: { Authorization: `Bearer ${token()}` }, cache: "no-store", credentials: "omit",
    });
  } catch (error) {
    status.textContent = text("failed");
    li.dataset.photo = "failed";
    return;
  }
  if (!response.ok) {
    status.textContent = text(response.status === 404 ? "gone" : "failed");
    li.dataset.photo = "failed";
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  if (!urls.has(view.id)) urls.set(view.id, []);
  urls.get(view.id).push(url);
  const image = el("img", { class: "msg-photo-img", src: url, alt: text("alt", sizes),
    width: photo.width, height: photo.height });
  const open = el("a", { href: url, target: "_blank", rel: "noopener", class: "msg-photo-open" }, image);
  open.title = text("open");
  status.replaceWith(open);
  li.dataset.photo = "shown";
  view.scrollToEnd?.();
}

/** The photos a case view lists (AgentCaseView.photos, after a reconnect or a reload). */
export function showPhotos(view, photos, token) {
  for (const photo of photos ?? []) showPhoto(view, { ...photo, case_id: view.id }, token);
}

/** The case is closed: its photos' object URLs go (the server dropped the photos already). */
export function releasePhotos(caseId) {
  for (const url of urls.get(caseId) ?? []) URL.revokeObjectURL(url);
  urls.delete(caseId);
}
