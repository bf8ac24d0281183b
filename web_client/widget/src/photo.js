/*
 * Helpwire widget: sending a photo to the agent (docs/photos.md, docs/protocol.md "Photos").
 *
 * Loaded by helpwire.js on the first photo. The photo is previewed in the conversation at once,
 * uploaded with the case token (XMLHttpRequest, for its progress events) and cleaned on the
 * server (scaled down, EXIF/GPS and every other metadata dropped); only the case's agent sees
 * it, and nothing keeps it after the case. A refusal is shown in the customer's language by its
 * stable code. A chunk the widget imports on the first photo (an ES module; no globals).
 */
const HEIC = /\.(heic|heif)$/i;

function errorText(t, code, file) {
  const texts = t("photoErrors");
  const heic = /^image\/hei[cf]$/.test(file.type) || HEIC.test(file.name || "");
  if (code === "photo_type_refused" && heic) return texts.photo_heic;
  return texts[code] || texts.failed;
}

/** Preview, upload with progress, then "sent" or the reason it was refused. */
function send({ file, url, token, log, h, t, announce, shown }) {
  const preview = URL.createObjectURL(file);
  const image = h("img", { class: "hw-photo-img", alt: t("photoPreviewAlt"), src: preview });
  image.onerror = () => image.remove(); // a format this browser cannot show (HEIC): text only
  const progress = h("progress", { class: "hw-photo-progress", max: "100", value: "0" });
  const status = h("span", { class: "hw-meta hw-photo-status", "aria-live": "polite",
    text: t("photoSending", { percent: 0 }) });
  const item = h("li", { class: "hw-msg hw-msg-customer hw-photo", "data-photo": "sending" },
    h("span", { class: "hw-sr", text: `${t("you")}: ` }), image, progress, status);
  log.appendChild(item);
  shown();
  item.scrollIntoView({ block: "end" });

  const finish = (state, text) => {
    item.dataset.photo = state;
    progress.remove();
    status.textContent = text;
    announce(text);
  };
  const xhr = new XMLHttpRequest();
  xhr.open("POST", url);
  xhr.setRequestHeader("Authorization", `Bearer ${token}`);
  xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
  xhr.upload.onprogress = (event) => {
    if (!event.lengthComputable) return;
    const percent = Math.round((event.loaded / event.total) * 100);
    progress.value = percent;
    status.textContent = t("photoSending", { percent });
  };
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (error) { body = null; }
    if (xhr.status === 201 && body && body.photo) {
      item.dataset.photoId = body.photo.photo_id;
      finish("sent", t("photoSent"));
      return;
    }
    const code = body && body.error ? body.error.code : "failed";
    item.dataset.errorCode = code;
    finish("failed", errorText(t, code, file));
  };
  xhr.onerror = () => finish("failed", t("photoErrors").failed);
  xhr.send(file);
  return item;
}

export { send };
