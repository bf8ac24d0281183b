/*
 * Helpwire Help widget: a visible "Hjälp" button, answered by a person within 60 s.
 *
 * Embed with one script tag (docs/widget.md):
 *
 *   <script>
 *     window.HelpwireConfig = {
 *       store: "kista-1",            // required: the store the case belongs to
 *       channel: "web",              // "web" | "app" | "kiosk" (kiosk also needs kioskId)
 *       language: "sv",              // or a function; default: <html lang>
 *       page: () => "/checkout",     // for the operator's page rules; default: location.pathname
 *       loggedIn: () => false,       // for the "logged-in customers only" rule
 *       context: () => ({ cart: {lines: [...], currency: "SEK"}, payment_step: "payment" }),
 *     };
 *   </script>
 *   <script src="https://help.example.se/static/widget/helpwire.js" defer></script>
 *
 * Any value may be a function; it is read again whenever it is needed. The widget adds what a
 * browser can tell by itself: network type, battery, offline mode, device, a session id.
 * window.Helpwire.update() re-checks the display rules (call it when the page or login changes).
 *
 * The source of the one bundle web_client/widget/build.mjs writes (esbuild): a classic script,
 * so it works on any shop domain as one tag. Its CSS and texts are inside; it draws itself in a
 * shadow root of its own host element, and its one global is Helpwire. Its own socket.io
 * client, calls, consent prompts and photos are ES module chunks beside it, imported on demand.
 */
import { h } from "./dom.js";
import CSS from "./helpwire.css";
import { icon, ratingFace } from "./icons.js";
import M from "./messages.js";

(function () {

  if (window.Helpwire) return; // included twice: the first one stays in charge

  const SCRIPT_URL = new URL(
    document.currentScript ? document.currentScript.src : "/static/widget/helpwire.js",
    location.href,
  );
  const config = window.HelpwireConfig || {};
  const SERVER = String(read(config.server) || SCRIPT_URL.origin).replace(/\/+$/, "");

  // the server's enumerations (server/core/context.py); anything else is not sent
  const CHANNELS = ["web", "app", "kiosk"];
  const POSITIONS = ["entry", "checkout", "shelf"];
  const STEPS = ["browsing", "cart", "payment", "after_payment"];
  const DEVICES = ["mobile", "tablet", "desktop", "kiosk", "unknown"];
  const NETWORKS = ["wifi", "4g", "5g", "ethernet", "offline", "unknown"];
  const TOPICS = ["help", "age_check"];
  const WAITING = ["created", "queued", "offered"];
  const VARIANTS = ["A", "B"]; // the Help-button A/B test (server/core/abtest.py)
  const ASSIGNMENT_TTL_MS = 24 * 3600 * 1000;
  const ACK_TIMEOUT_MS = 10000;
  const TYPING_IDLE_MS = 2500;

  let t = null; // translator for the current language

  // ------------------------------------------------------------------ configuration

  function read(value) {
    try {
      return typeof value === "function" ? value() : value;
    } catch (error) {
      console.warn("Helpwire: a HelpwireConfig function failed", error);
      return undefined;
    }
  }
  const oneOf = (value, allowed) => (allowed.includes(value) ? value : null);
  const channel = () => oneOf(read(config.channel), CHANNELS) || "web";
  const store = () => String(read(config.store) || "default").slice(0, 64);
  // the customer's own choice in the panel wins over the page's language (kept for the tab's life)
  const LANGUAGE_KEY = "helpwire:language";
  const language = () => M.language(storage.get(LANGUAGE_KEY)
    || read(config.language) || document.documentElement.lang || navigator.language);
  const page = () => String(read(config.page) || location.pathname).slice(0, 200);
  const loggedIn = () => Boolean(read(config.loggedIn));
  const hostContext = () => read(config.context) || {};
  const KEY = () => `helpwire:${store()}:${channel()}`;

  // sessionStorage may be unavailable (privacy modes): the widget then simply forgets on reload
  const storage = {
    get(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { sessionStorage.setItem(key, value); } catch (e) { /* ignore */ } },
    remove(key) { try { sessionStorage.removeItem(key); } catch (e) { /* ignore */ } },
  };

  function randomId() {
    // crypto.randomUUID needs a secure context; getRandomValues works on plain http too
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The shop session id: kept for the tab's life, later joined with orders for conversion KPIs. */
  function sessionId() {
    let id = storage.get("helpwire:session");
    if (!id) {
      id = randomId();
      storage.set("helpwire:session", id);
    }
    return id;
  }

  // ------------------------------------------------------------------ the A/B test of the button

  // localStorage outlives the tab: a visitor keeps one id, and so one variant, across sessions
  const lasting = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* ignore */ } },
  };

  /** A random visitor id kept in localStorage (the session id when localStorage is unavailable). */
  function visitorId() {
    let id = lasting.get("helpwire:visitor");
    if (!id || !/^[0-9a-f]{32}$/.test(id)) {
      id = randomId();
      lasting.set("helpwire:visitor", id);
      if (lasting.get("helpwire:visitor") !== id) return sessionId();
    }
    return id;
  }

  function cachedAssignment(visitor) {
    try {
      const cached = JSON.parse(lasting.get("helpwire:ab") || "null");
      const fresh = cached && cached.visitor === visitor && VARIANTS.includes(cached.variant)
        && Date.now() - cached.at < ASSIGNMENT_TTL_MS;
      return fresh ? cached : null;
    } catch (e) {
      return null;
    }
  }

  /**
   * The variant of this session's button: A = small, no promise; B = visible, with the promise.
   * Asked once per visitor (cached a day), then fixed for the session. Kiosks are not visitors:
   * they always show B and are not part of the test. Without an answer the widget shows B and
   * logs no exposure.
   */
  async function resolveVariant() {
    if (channel() === "kiosk") return;
    const fixed = storage.get("helpwire:variant");
    if (VARIANTS.includes(fixed)) {
      S.variant = fixed;
      S.variantKnown = true;
      return;
    }
    const visitor = visitorId();
    let answer = cachedAssignment(visitor);
    if (!answer) {
      try {
        const query = new URLSearchParams({ visitor });
        const response = await fetch(`${SERVER}/api/ab/assignment?${query}`, { cache: "no-store", credentials: "omit" });
        if (!response.ok) throw new Error(`status ${response.status}`);
        const body = await response.json();
        if (!VARIANTS.includes(body.variant)) throw new Error("no variant in the answer");
        answer = { visitor, variant: body.variant, enabled: Boolean(body.enabled), at: Date.now() };
        lasting.set("helpwire:ab", JSON.stringify(answer));
      } catch (error) {
        console.warn("Helpwire: no A/B assignment; showing the button with the promise", error);
        return;
      }
    }
    S.variant = answer.variant;
    S.variantKnown = true;
    storage.set("helpwire:variant", answer.variant);
  }

  function postJson(path, body) {
    return fetch(`${SERVER}${path}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit", keepalive: true,
    }).then((response) => response.ok).catch(() => false);
  }

  // each is logged once per session: the sessionStorage mark holds the session id it was sent for
  const logging = {};
  function logOnce(mark, path, body) {
    const session = body.session_id;
    if (logging[mark] || storage.get(mark) === session) return;
    logging[mark] = true;
    postJson(path, body)
      .then((ok) => { if (ok) storage.set(mark, session); })
      .finally(() => { logging[mark] = false; });
  }

  /** The session saw the button: its exposure, with the variant it saw (docs/protocol.md). */
  function logExposure() {
    if (!S.variantKnown || el.launcher.hidden) return;
    logOnce("helpwire:exposed", "/api/sessions/exposure",
      { session_id: sessionId(), store: store(), variant: S.variant });
  }

  /** The host says the customer is at the payment step: for payment-step abandonment per variant. */
  function logProgress() {
    if (channel() === "kiosk" || oneOf(hostContext().payment_step, STEPS) !== "payment") return;
    logOnce("helpwire:progress:payment", "/api/sessions/progress",
      { session_id: sessionId(), store: store(), step: "payment" });
  }

  // ------------------------------------------------------------------ signals the browser knows

  function guessDevice() {
    if (channel() === "kiosk") return "kiosk";
    const ua = navigator.userAgent;
    if (/iPad|Tablet/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua))) return "tablet";
    if (/Mobi|iPhone|Android/i.test(ua)) return "mobile";
    const width = window.innerWidth;
    if (width < 600) return "mobile";
    if (width < 1024 && navigator.maxTouchPoints > 0) return "tablet";
    return "desktop";
  }

  function networkType() {
    if (!navigator.onLine) return "offline";
    const connection = navigator.connection;
    // only report the radio when the browser knows it: effectiveType alone is a speed class
    if (!connection || !connection.type) return "unknown";
    if (connection.type === "wifi" || connection.type === "ethernet") return connection.type;
    if (connection.type === "cellular" && connection.effectiveType === "4g") return "4g";
    return "unknown";
  }

  let batteryManager = null;
  async function batteryLevel() {
    if (!navigator.getBattery) return null;
    try {
      // never let a slow battery API hold up a Help press
      batteryManager = batteryManager || await Promise.race([
        navigator.getBattery(),
        new Promise((resolve) => setTimeout(() => resolve(null), 300)),
      ]);
      return batteryManager ? Math.round(batteryManager.level * 100) : null;
    } catch (e) {
      return null;
    }
  }

  function cleanCart(cart) {
    if (!cart || !Array.isArray(cart.lines)) return { lines: [], currency: "SEK" };
    return {
      currency: /^[A-Z]{3}$/.test(cart.currency || "") ? cart.currency : "SEK",
      lines: cart.lines.map((line) => ({
        sku: String(line.sku).slice(0, 64),
        name: String(line.name || line.sku).slice(0, 200),
        quantity: Math.max(1, Math.round(Number(line.quantity) || 1)),
        unit_price: Math.max(0, Number(line.unit_price) || 0),
        age_restricted: Boolean(line.age_restricted),
      })),
    };
  }

  /** The context of a Help press: the host's signals plus what the browser tells us. */
  async function buildContext() {
    const host = hostContext();
    logProgress();
    return {
      store: store(),
      channel: channel(),
      position: oneOf(host.position ?? read(config.position), POSITIONS),
      page: page(),
      cart: cleanCart(host.cart),
      payment_step: oneOf(host.payment_step, STEPS),
      device: oneOf(host.device ?? read(config.device), DEVICES) || guessDevice(),
      network: oneOf(host.network, NETWORKS) || networkType(),
      battery: await batteryLevel(),
      offline_mode: typeof host.offline_mode === "boolean" ? host.offline_mode : !navigator.onLine,
      language: language(),
      logged_in: loggedIn(),
      session_id: sessionId(),
      // a press of the kiosk's "Verifiera ålder via video" is routed as an age check
      topic: S.ageCheckSku ? "age_check" : oneOf(host.topic, TOPICS),
    };
  }

  // ------------------------------------------------------------------ state

  const S = {
    mode: "loading",   // launcher: loading | hidden | promise | queue | closed | no_agent | refused
    variant: "B",      // the A/B test's button: A small without a promise, B with the promise
    variantKnown: false, // the server assigned it (only then is the exposure logged)
    status: null,      // the last /api/widget/status answer
    open: false,       // the dialog is showing
    // idle | intro (callback offer, no case yet) | connecting | queued | joining | active |
    // wrap_up | done (thanked) | callback | error | ended
    phase: "idle",
    caseId: null,
    token: null,
    intent: "help",    // "callback" when the customer asked to be called back
    ageCheckSku: null, // the locked item of verifyAge(): its check is asked as soon as an agent has the case
    position: null,
    etaDeadline: null, // ms timestamp the countdown runs to; null = nobody is serving (no promise)
    promiseSeconds: 60,
    agentName: null,
    agentLost: false,
    transfer: null,    // {name, queue}: the agent handed the case on; who takes over (no note, ever)
    callbackOffered: false,
    promised: true,    // the button promised at the press (false after a queue estimate)
    callbackDismissed: false,
    technical: false,
    cartHoldSeconds: 300,
    errorText: null,
    notice: null,      // e.g. "Återansluter…"
    rating: null,
    feedbackSeconds: 10,
    unread: 0,
    pendingReceipts: [], // agent messages shown while minimised: confirmed when opened
    outbox: new Map(),   // client_id → text: sent by the customer, not yet acknowledged
    lastContext: null,
    iceServers: [],    // for RTCPeerConnection: from help_request/resume, media_proposed, media_state
    media: freshMedia(),
  };

  /** Voice and video beside the chat (docs/media.md): what the server said last. */
  function freshMedia() {
    return {
      channel: "chat",   // chat | voice | video
      state: "idle",     // idle | negotiating | connected | ended | failed
      proposal: null,    // the channel the agent proposes, waiting for the customer's one tap
      requested: false,  // the customer asked for voice; waiting for the agent
      notice: null,      // a line about the call (declined, ended, failed…)
      remoteMuted: false,
    };
  }

  // a case is open (or being resumed: the token is known before the case id)
  const inCase = () => (S.caseId !== null || S.token !== null)
    && !["ended", "error", "intro", "idle"].includes(S.phase);
  const chatting = () => ["queued", "joining", "active", "connecting"].includes(S.phase);

  function saveCase(caseId, token) {
    S.caseId = caseId;
    S.token = token;
    storage.set(`${KEY()}:case`, token);
  }

  function forgetCase() {
    storage.remove(`${KEY()}:case`);
    storage.remove(`${KEY()}:open`);
    Object.assign(S, {
      caseId: null, token: null, phase: "idle", intent: "help", position: null,
      etaDeadline: null, agentName: null, agentLost: false, transfer: null, callbackOffered: false,
      callbackDismissed: false, technical: false, errorText: null, notice: null, rating: null,
      unread: 0, pendingReceipts: [], outbox: new Map(), media: freshMedia(), ageCheckSku: null,
    });
    endCall();
    if (el.log) el.log.replaceChildren();
    setTyping(false);
  }

  // ------------------------------------------------------------------ loading

  /**
   * A lazy part of the widget (call, consent, photo): an ES module chunk beside this script,
   * fetched the first time it is needed. A failed load may be retried later.
   */
  const chunks = {};
  function loadChunk(name) {
    chunks[name] = chunks[name] || import(new URL(`chunks/${name}.js`, SCRIPT_URL).href)
      .catch((error) => { chunks[name] = null; throw error; });
    return chunks[name];
  }

  // ------------------------------------------------------------------ photos

  // a photo for the agent (a receipt, a broken item, a screen): cleaned on the server, shown only
  // to the agent, never saved (docs/photos.md). The sending code loads on the first photo.
  function buildPhoto() {
    // a kiosk or phone opens its camera; a desktop browser offers its files
    el.photoInput = h("input", {
      type: "file", class: "hw-sr", tabindex: "-1", "aria-hidden": "true",
      accept: "image/jpeg,image/png,image/webp,image/heic,image/heif",
      capture: channel() === "kiosk" ? "environment" : null, onchange: onPhotoChosen,
    });
    el.photoButton = h("button", {
      type: "button", class: "hw-btn hw-btn-secondary hw-photo-button", "data-action": "photo",
      hidden: true, onclick: () => el.photoInput.click(),
    }, icon("camera"));
  }

  async function onPhotoChosen() {
    const file = el.photoInput.files && el.photoInput.files[0];
    el.photoInput.value = ""; // the same photo may be chosen again
    if (!file || !S.token) return;
    let photo;
    try {
      photo = await loadChunk("photo");
    } catch (error) {
      S.notice = t("photoErrors").failed;
      render();
      return;
    }
    photo.send({
      file, url: `${SERVER}/api/photos`, token: S.token, log: el.log, h, t,
      announce, shown: () => { el.logRegion.hidden = false; },
    });
  }

  /** A photo sent before a reload: the line says so (the photo itself is the agent's to see). */
  function addSentPhoto(photo) {
    if (!/^\w+$/.test(photo.photo_id) || el.log.querySelector(`[data-photo-id="${photo.photo_id}"]`)) return;
    el.log.appendChild(h("li", {
      class: "hw-msg hw-msg-customer hw-photo", "data-photo": "sent", "data-photo-id": photo.photo_id,
    }, h("span", { class: "hw-sr", text: `${t("you")}: ` }), h("p", { text: t("photoSentEarlier") })));
  }

  // ------------------------------------------------------------------ the DOM

  const el = {};

  function build() {
    el.root = h("aside", { class: "hw-root", "data-helpwire": "", "data-mode": "loading" });
    if (read(config.size) === "large" || channel() === "kiosk") el.root.classList.add("hw-large");

    el.button = h("button", {
      type: "button", class: "hw-button", "aria-haspopup": "dialog", onclick: onLauncherPress,
      // reaching for the button fetches the connection's code, so the press itself waits less
      onpointerenter: prefetchSocket, onpointerdown: prefetchSocket, onfocus: prefetchSocket,
    }, h("span", { class: "hw-icon", "aria-hidden": "true" }, icon("chat")),
    el.buttonText = h("span", { class: "hw-button-text" }));
    el.promise = h("p", { class: "hw-promise", id: "helpwire-promise", "aria-live": "polite" });
    el.launcher = h("div", { class: "hw-launcher", hidden: true }, el.button, el.promise);

    // focus lands on the title when the dialog opens: read first, no typing keyboard popping up
    el.title = h("h2", { class: "hw-title", id: "helpwire-title", tabindex: "-1" });
    el.endButton = h("button", { type: "button", class: "hw-btn", "data-action": "end", onclick: endCase });
    el.minimiseButton = h("button", {
      type: "button", class: "hw-btn", "data-action": "minimise", onclick: minimise,
    });
    el.alert = h("p", { class: "hw-alert", role: "alert", hidden: true });
    el.main = h("p", { class: "hw-status-main", id: "helpwire-status" });
    el.sub = h("p", { class: "hw-status-sub" });
    el.note = h("p", { class: "hw-note" });
    el.status = h("div", { class: "hw-status" }, el.alert, el.main, el.sub, el.note);
    el.actions = h("div", { class: "hw-actions" });
    // consent prompts and the age check live in the panel, never over the shop's page
    el.consent = h("section", { id: "helpwire-consent", class: "hw-consent", "aria-live": "assertive", hidden: true });
    buildMedia();
    el.feedback = h("div", { class: "hw-feedback-slot" });
    el.log = h("ol", { class: "hw-log" });
    // role=log announces new messages politely; the list keeps its list semantics inside it
    el.logRegion = h("div", { role: "log", class: "hw-log-wrap" }, el.log);
    el.typing = h("p", { class: "hw-typing" });
    el.input = h("textarea", {
      id: "helpwire-input", rows: "1", maxlength: "2000", autocomplete: "off",
      onkeydown: onInputKey, oninput: onInputTyping,
    });
    el.inputLabel = h("label", { class: "hw-sr", for: "helpwire-input" });
    el.send = h("button", { type: "submit", class: "hw-btn hw-btn-primary" });
    buildPhoto();
    el.composer = h("form", { class: "hw-composer", onsubmit: onSubmit },
      el.photoButton, el.photoInput, el.inputLabel, el.input, el.send);
    el.privacy = h("p", { class: "hw-privacy" });
    el.languageButton = h("button", {
      type: "button", class: "hw-btn hw-btn-secondary hw-language", "data-action": "language", onclick: switchLanguage,
    });
    // polite announcements for screen readers (the countdown itself would be read every second)
    el.announcer = h("div", { class: "hw-sr", role: "status", "aria-live": "polite" });

    el.dialog = h("div", {
      class: "hw-dialog", id: "helpwire-dialog", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "helpwire-title", "aria-describedby": "helpwire-status", tabindex: "-1",
      onkeydown: onDialogKey,
    },
    h("div", { class: "hw-head" }, el.title, el.endButton, el.minimiseButton),
    h("div", { class: "hw-body" }, el.status, el.consent, el.actions, el.media, el.feedback, el.logRegion, el.typing),
    el.composer, h("div", { class: "hw-foot" }, el.privacy, el.languageButton), el.announcer);
    el.backdrop = h("div", {
      class: "hw-backdrop", hidden: true,
      // a click beside the panel minimises, like Escape; the case keeps running
      onclick: (event) => { if (event.target === el.backdrop) minimise(); },
    }, el.dialog);

    el.root.append(el.launcher, el.backdrop);
    // the widget lives in its own shadow root: the shop's CSS cannot reach in, ours cannot leak
    el.host = h("helpwire-widget", { "data-helpwire-host": "" });
    el.shadow = el.host.attachShadow({ mode: "open" });
    adoptStyle(el.shadow);
    el.shadow.append(el.root);
    document.body.appendChild(el.host);
  }

  /**
   * The widget's CSS as a constructed stylesheet: no <style> element and no inline style, so a
   * strict Content-Security-Policy (style-src without 'unsafe-inline') shows it styled. A browser
   * without constructed stylesheets (Safari before 16.4) gets a <style> inside the shadow root.
   */
  function adoptStyle(root) {
    if (!("adoptedStyleSheets" in root)) {
      root.append(h("style", { text: CSS }));
      return;
    }
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  }

  function prefetchSocket() {
    loadChunk("socket").catch(() => { /* the press will try again and say so */ });
  }

  /** The focused element, looking inside the widget's shadow root (the page sees only the host). */
  function deepActive() {
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    return active;
  }

  function announce(text) {
    // clear first so the same text is announced again
    el.announcer.textContent = "";
    requestAnimationFrame(() => { el.announcer.textContent = text; });
  }

  // ------------------------------------------------------------------ rendering

  function renderTexts() {
    const lang = language();
    t = M.translator(lang);
    el.root.lang = lang;
    el.root.setAttribute("aria-label", t("regionLabel"));
    el.buttonText.textContent = t("buttonText");
    el.title.textContent = t("dialogTitle");
    el.endButton.textContent = t("end");
    el.minimiseButton.textContent = t("minimise");
    el.inputLabel.textContent = t("inputLabel");
    el.input.placeholder = t("inputPlaceholder");
    el.send.textContent = t("send");
    el.photoButton.setAttribute("aria-label", t("photoButton"));
    el.photoButton.title = t("photoButton");
    el.privacy.textContent = t("privacy");
    el.languageButton.textContent = t("switchLanguage");
    el.languageButton.lang = lang === "sv" ? "en" : "sv";
    el.logRegion.setAttribute("aria-label", t("messagesLabel"));
  }

  /** The panel's language switch: Swedish ⇄ English, for this panel and the next press. */
  function switchLanguage() {
    storage.set(LANGUAGE_KEY, language() === "sv" ? "en" : "sv");
    el.feedback.replaceChildren(); // drawn once per wrap-up: draw it again in the new language
    renderTexts();
    render();
    announce(t("dialogTitle"));
    el.languageButton.focus();
  }

  function renderLauncher() {
    const seconds = S.promiseSeconds;
    el.root.dataset.mode = S.mode;
    el.root.dataset.phase = S.phase;
    for (const name of Array.from(el.root.classList)) {
      if (name.startsWith("hw-mode-")) el.root.classList.remove(name);
    }
    el.root.classList.add(`hw-mode-${S.mode}`);
    // an open case keeps its button even where the rules would hide it
    const visible = !S.open && (inCase() || ["promise", "queue", "closed", "no_agent", "refused"].includes(S.mode));
    el.launcher.hidden = !visible;
    // nothing to show: no empty "Kundsupport" landmark either
    el.root.hidden = !visible && !S.open;
    let label;
    let line;
    if (inCase()) {
      label = t("buttonLabelCase");
      line = S.unread && S.agentName ? t("minimisedUnread", { name: S.agentName }) : t("minimisedLine");
    } else if (S.mode === "closed") {
      label = t("buttonLabelClosed");
      const when = S.status && S.status.opens_at ? formatWhen(S.status.opens_at) : null;
      line = when ? t("closedOpensAt", { when }) : t("closedLine");
    } else if (S.mode === "refused") {
      // the server does not allow this page's origin: say so, never the promise
      label = t("buttonLabelRefused");
      line = t("refusedLine");
    } else if (S.mode === "no_agent") {
      label = t("buttonLabelNoAgent");
      line = t("noAgentLine");
    } else if (S.mode === "queue") {
      // the server says agents are busy: its estimate, never the promise
      const minutes = Math.max(1, Math.ceil(((S.status && S.status.eta_seconds) || 60) / 60));
      label = t("buttonLabelQueue", { minutes });
      line = t("queueLine", { minutes });
    } else if (S.variant === "A") {
      // variant A: the small button, no promise, not even to screen readers
      label = t("buttonLabelPlain");
      line = "";
    } else {
      label = t("buttonLabel", { seconds });
      line = t("promise", { seconds });
    }
    el.root.dataset.variant = S.variant;
    el.root.classList.toggle("hw-variant-a", S.variant === "A");
    el.button.setAttribute("aria-label", label);
    el.promise.hidden = !line;
    if (el.promise.textContent !== line) el.promise.textContent = line;
  }

  function formatWhen(iso) {
    try {
      return new Intl.DateTimeFormat(M.LOCALES[language()], {
        weekday: "long", hour: "2-digit", minute: "2-digit",
        timeZone: S.status.timezone || undefined,
      }).format(new Date(iso));
    } catch (e) {
      return null;
    }
  }

  function button(text, onclick, kind, extra) {
    return h("button", { type: "button", class: `hw-btn hw-btn-${kind || "primary"}`, onclick, ...extra }, text);
  }

  function transferText() {
    const transfer = S.transfer || {};
    if (transfer.name) return t("takingOver", { name: transfer.name });
    const title = transfer.queue ? (transfer.queue[language()] || transfer.queue.sv) : "";
    return title ? t("transferredQueue", { queue: title }) : t("transferredNeutral");
  }

  function countdownText() {
    if (S.etaDeadline === null) return t("noEta");
    const left = Math.max(0, Math.ceil((S.etaDeadline - Date.now()) / 1000));
    return left > 0 ? t("countdown", { seconds: left }) : t("countdownOver");
  }

  function cartNote() {
    const cart = S.lastContext ? S.lastContext.cart : null;
    if (!cart || !cart.lines.length) return t("contextNoteEmpty");
    const total = cart.lines.reduce((sum, line) => sum + line.unit_price * line.quantity, 0);
    return t("contextNote", { amount: M.formatAmount(total, cart.currency, language()) });
  }

  /** Draw the dialog for the current phase. The chat log is kept, not redrawn. */
  function render() {
    renderLauncher();
    el.dialog.dataset.phase = S.phase;
    if (S.caseId) el.dialog.dataset.caseId = S.caseId;
    else delete el.dialog.dataset.caseId;

    let alert = S.notice;
    let main = "";
    let sub = "";
    let note = "";
    const actions = [];
    const minutes = Math.max(1, Math.round(S.cartHoldSeconds / 60));
    switch (S.phase) {
      case "intro": {
        alert = S.mode === "closed"
          ? t("callbackIntroClosed", { seconds: S.promiseSeconds })
          : t("callbackIntroNoAgent", { seconds: S.promiseSeconds });
        main = t("callbackQuestion", { minutes });
        actions.push(button(t("callbackButton"), () => startCase("callback")));
        actions.push(button(t("cancel"), closeAndForget, "secondary"));
        break;
      }
      case "refused":
        alert = t("refusedAlert");
        actions.push(button(t("close"), closeAndForget));
        break;
      case "connecting":
        main = t("connecting");
        break;
      case "queued":
        if (S.agentLost) alert = alert || t("agentLost");
        if (S.transfer) alert = alert || transferText();
        main = countdownText();
        sub = S.position ? t("position", { position: S.position }) : "";
        note = `${cartNote()} ${t("waitingHint")}`;
        // the promise is at risk, or nobody serves: offer a callback rather than a false promise
        if ((S.callbackOffered || S.etaDeadline === null) && !S.callbackDismissed) {
          if (S.callbackOffered) note = t(S.promised ? "callbackOffer" : "callbackOfferEstimate");
          actions.push(button(t("callbackButton"), requestCallback));
          actions.push(button(t("keepWaiting"), () => { S.callbackDismissed = true; render(); }, "secondary"));
        }
        break;
      case "joining": // the agent accepted and is here; "active" from their first line
        main = t("agentHere", { name: S.agentName });
        break;
      case "active":
        main = t("chattingWith", { name: S.agentName });
        break;
      case "wrap_up":
        main = t("wrapUp", { seconds: S.feedbackSeconds });
        break;
      case "done":
        main = thanksText();
        actions.push(button(t("close"), closeAndForget));
        break;
      case "callback":
        if (S.technical) alert = t("technicalError", { minutes });
        else main = t("callbackConfirmed", { minutes });
        actions.push(button(t("close"), closeAndForget));
        break;
      case "error":
        alert = S.errorText || t("unreachable");
        actions.push(button(t("retry"), () => startCase(S.intent)));
        actions.push(button(t("close"), closeAndForget, "secondary"));
        break;
      case "ended":
        main = t("ended");
        actions.push(button(t("close"), closeAndForget));
        break;
      default:
        break;
    }
    setText(el.alert, alert);
    setText(el.main, main);
    setText(el.sub, sub);
    setText(el.note, note);
    // keep focus if the customer is on an action button that stays the same
    if (actionsSignature() !== actions.map((b) => b.textContent).join("|")) {
      el.actions.replaceChildren(...actions);
    }
    el.actions.hidden = actions.length === 0;
    renderFeedback();
    renderMedia();
    el.composer.hidden = !chatting() || S.phase === "connecting";
    // photos go to the agent: one must have joined (the case is active on the server)
    el.photoButton.hidden = !["joining", "active"].includes(S.phase);
    el.endButton.hidden = !["queued", "joining", "active"].includes(S.phase);
    el.logRegion.hidden = el.log.childElementCount === 0;
    syncCountdown();
  }

  function actionsSignature() {
    return Array.from(el.actions.children, (b) => b.textContent).join("|");
  }

  function setText(node, text) {
    node.hidden = !text;
    if (node.textContent !== (text || "")) node.textContent = text || "";
  }

  function thanksText() {
    const step = (hostContext().payment_step || (S.lastContext && S.lastContext.payment_step));
    return step === "after_payment" ? t("thanksReceipt") : t("thanks");
  }

  // the countdown is redrawn locally every second between queue_status updates
  let countdownTimer = null;
  function syncCountdown() {
    const running = S.phase === "queued" && S.etaDeadline !== null;
    if (running && !countdownTimer) {
      countdownTimer = setInterval(() => setText(el.main, countdownText()), 250);
    } else if (!running && countdownTimer) {
      clearInterval(countdownTimer);
      countdownTimer = null;
    }
  }

  // ------------------------------------------------------------------ voice and video

  let call = null;          // the HelpwireCall of the open case's call, if any
  let calls = null;         // the call chunk's HelpwireCall, once loaded

  const loadCall = () => loadChunk("call").then((chunk) => {
    calls = chunk.HelpwireCall;
    return calls;
  });
  const openCall = (caseId) => (calls ? calls.open(caseId) : null);
  const callLive = () => ["negotiating", "connected"].includes(S.media.state) && S.media.channel !== "chat";

  function buildMedia() {
    el.mediaPrompt = h("div", { class: "hw-media-prompt" });
    el.mediaNotice = h("p", { class: "hw-media-notice", hidden: true });
    el.remoteAudio = h("audio", { class: "hw-remote-audio", autoplay: true });
    el.remoteVideo = h("video", { class: "hw-remote-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    el.remoteVideo.muted = true; // its sound plays through the audio element
    el.selfVideo = h("video", { class: "hw-self-video", autoplay: true, playsinline: true, muted: true, hidden: true });
    el.selfVideo.muted = true;
    el.callTitle = h("h3", { class: "hw-call-title", id: "helpwire-call-title" });
    el.callState = h("p", { class: "hw-call-state", role: "status" });
    el.muteButton = h("button", {
      type: "button", class: "hw-btn hw-btn-secondary", "data-action": "mute", "aria-pressed": "false", onclick: toggleMute,
    });
    el.cameraButton = h("button", {
      type: "button", class: "hw-btn hw-btn-secondary", "data-action": "camera", "aria-pressed": "false", onclick: toggleCamera,
    });
    el.hangupButton = h("button", {
      type: "button", class: "hw-btn hw-btn-danger", "data-action": "hangup", onclick: hangUp,
    });
    el.call = h("section", { class: "hw-call", "aria-labelledby": "helpwire-call-title", hidden: true },
      el.callTitle, el.callState,
      h("div", { class: "hw-stage" }, el.remoteVideo, el.selfVideo),
      el.remoteAudio,
      h("div", { class: "hw-call-controls" }, el.muteButton, el.cameraButton, el.hangupButton));
    el.media = h("div", { class: "hw-media" }, el.mediaPrompt, el.mediaNotice, el.call);
  }

  function proposalText(channel) {
    return t(channel === "video" ? "mediaProposedVideo" : "mediaProposedVoice", { name: S.agentName || t("agentFallback") });
  }

  /** The proposal prompt, the "call me" button and the call view; the chat stays beside them. */
  function renderMedia() {
    const open = ["joining", "active"].includes(S.phase);
    const name = S.agentName || t("agentFallback");
    let signature = "";
    const items = [];
    if (open && S.media.proposal) {
      signature = `proposal:${S.media.proposal}:${language()}`;
      items.push(
        h("p", { class: "hw-media-question", id: "helpwire-media-question", text: proposalText(S.media.proposal) }),
        h("p", { class: "hw-media-purpose", text: t("privacy") }),
        h("div", { class: "hw-actions" },
          button(t("mediaAccept"), acceptMedia, "primary", { "data-action": "media-accept", "aria-describedby": "helpwire-media-question" }),
          button(t("mediaKeepChatting"), declineMedia, "secondary", { "data-action": "media-decline" })),
      );
    } else if (open && S.media.requested) {
      signature = `requested:${name}:${language()}`;
      items.push(h("p", { class: "hw-media-question", text: t("mediaRequested", { name }) }));
    } else if (open && S.media.channel === "chat" && !call) {
      signature = `request:${language()}`;
      items.push(button(t("mediaRequestVoice"), requestVoice, "secondary", { "data-action": "media-request" }));
    }
    if (el.mediaPrompt.dataset.signature !== signature) {
      el.mediaPrompt.dataset.signature = signature;
      const hadFocus = el.mediaPrompt.contains(deepActive());
      el.mediaPrompt.replaceChildren(...items);
      el.mediaPrompt.classList.toggle("hw-media-ask", signature.startsWith("proposal"));
      if (hadFocus) (el.mediaPrompt.querySelector("button") || el.input || el.title).focus();
    }
    el.mediaPrompt.hidden = items.length === 0;
    setText(el.mediaNotice, open || S.phase === "wrap_up" ? S.media.notice : null);
    renderCall();
  }

  function renderCall() {
    const showing = Boolean(call) && callLive();
    el.call.hidden = !showing;
    el.media.hidden = el.mediaPrompt.hidden && el.mediaNotice.hidden && el.call.hidden;
    if (!showing) {
      if (calls) {
        calls.detach(el.remoteAudio);
        calls.detach(el.remoteVideo);
        calls.detach(el.selfVideo);
      }
      return;
    }
    const name = S.agentName || t("agentFallback");
    const video = S.media.channel === "video";
    el.call.dataset.channel = S.media.channel;
    el.call.dataset.state = S.media.state;
    setText(el.callTitle, t(video ? "callVideo" : "callVoice", { name }));
    const pcState = call.connectionState;
    let line;
    if (call.error) line = t("callNoDevice");
    else if (S.media.state === "connected" && pcState === "connected") line = t("callConnected");
    else if (pcState === "failed") line = t("callTrouble");
    else line = t("callConnecting");
    if (S.media.remoteMuted && !call.error) line = `${line} ${t("remoteMuted", { name })}`;
    setText(el.callState, line);
    calls.attach(el.remoteAudio, call.remoteAudio);
    const remoteVideo = video && call.remoteVideoLive;
    el.remoteVideo.hidden = !remoteVideo;
    el.remoteVideo.setAttribute("aria-label", t("remoteVideoLabel", { name }));
    if (remoteVideo) calls.attach(el.remoteVideo, call.remoteVideo);
    const self = video && Boolean(call.videoTrack);
    el.selfVideo.hidden = !self;
    el.selfVideo.setAttribute("aria-label", t("selfViewLabel"));
    if (self) calls.attach(el.selfVideo, call.localStream);
    el.muteButton.textContent = t("callMute");
    el.muteButton.setAttribute("aria-pressed", String(call.muted));
    el.cameraButton.textContent = t("callCamera");
    el.cameraButton.setAttribute("aria-pressed", String(call.cameraOff));
    el.cameraButton.hidden = !video;
    el.hangupButton.textContent = t("callHangUp");
  }

  /** A MediaView from media_config (after a resume): a proposal may be waiting. */
  function applyMediaView(view) {
    S.media.channel = view.channel;
    S.media.state = view.state;
    const proposal = view.proposal;
    S.media.proposal = proposal && proposal.by === "agent" ? proposal.channel : null;
    S.media.requested = Boolean(proposal && proposal.by === "customer");
    if (callLive()) startCall(view.channel);
  }

  function applyMediaState(d) {
    if (Array.isArray(d.ice_servers)) S.iceServers = d.ice_servers;
    const wasLive = callLive();
    S.media.channel = d.channel;
    S.media.state = d.state;
    S.media.proposal = null;
    S.media.requested = false;
    if (callLive()) {
      S.media.notice = null;
      if (!wasLive) {
        S.media.remoteMuted = false;
        announce(t(d.channel === "video" ? "callVideo" : "callVoice", { name: S.agentName || t("agentFallback") }));
      }
      startCall(d.channel);
    } else if (d.state === "ended" || d.state === "failed") {
      endCall();
      S.media.notice = d.state === "failed" ? t("callFailed") : t("callEnded");
      announce(S.media.notice);
    }
  }

  /** Start the call, or bring a running one to `channel` (renegotiating the same connection). */
  async function startCall(channel) {
    try {
      await loadCall();
    } catch (error) {
      S.media.notice = t("callNoDevice");
      render();
      return;
    }
    // the call may have ended (or the case changed) while the script loaded
    if (!callLive() || S.media.channel !== channel || !S.caseId) return;
    if (!call) {
      call = calls.create({
        caseId: S.caseId,
        iceServers: S.iceServers,
        emit,
        onChange: renderCall,
        onError: onCallError,
      });
      render();
    }
    await call.setChannel(channel);
    renderCall();
  }

  function endCall() {
    const ending = call;
    call = null;
    if (ending) ending.close();
    if (el.call) renderCall();
  }

  /** No microphone/camera (refused, missing) or the offer failed: back to chat, for both. */
  async function onCallError(failed, error) {
    if (failed !== call) return;
    const noDevice = error && /NotAllowed|NotFound|NotReadable|NotSupported|Security|Overconstrained/.test(error.name || "");
    S.media.notice = noDevice ? t("callNoDevice") : t("callFailed");
    S.media.channel = "chat";
    S.media.state = "ended";
    render();
    await emit("media_hangup", {});
    endCall();
    render();
  }

  async function acceptMedia() {
    const channel = S.media.proposal;
    S.media.proposal = null;
    render();
    const ack = await emit("media_accept", {});
    if (!ack.ok) S.media.notice = t("callFailed");
    else if (ack.media) {
      S.media.channel = ack.media.channel || channel;
      S.media.state = ack.media.state || S.media.state;
    }
    render();
    if (call) el.muteButton.focus();
    else el.title.focus();
  }

  async function declineMedia() {
    S.media.proposal = null;
    S.media.notice = t("mediaKeptChat");
    render();
    await emit("media_decline", {});
    el.input.focus();
  }

  async function requestVoice() {
    S.media.requested = true;
    S.media.notice = null;
    render();
    const ack = await emit("media_request", { channel: "voice" });
    if (!ack.ok) {
      S.media.requested = false;
      S.media.notice = t("callFailed");
    }
    render();
  }

  async function hangUp() {
    // tell the server first: a connection that closes before the hang-up arrives is a failure
    S.media.channel = "chat";
    S.media.state = "ended";
    S.media.notice = t("callEnded");
    render();
    el.input.focus();
    await emit("media_hangup", {});
    endCall();
    render();
  }

  function toggleMute() {
    if (!call) return;
    call.setMuted(!call.muted);
    emit("media_mute", { audio: call.muted });
    renderCall();
  }

  function toggleCamera() {
    if (!call) return;
    call.setCameraOff(!call.cameraOff);
    emit("media_mute", { video: call.cameraOff });
    renderCall();
  }

  // ------------------------------------------------------------------ wrap-up feedback

  function renderFeedback() {
    const wanted = S.phase === "wrap_up";
    if (!wanted) {
      el.feedback.replaceChildren();
      return;
    }
    if (el.feedback.firstChild) {
      for (const b of el.feedback.querySelectorAll(".hw-rating")) {
        b.setAttribute("aria-pressed", String(Number(b.dataset.rating) === S.rating));
      }
      el.feedback.querySelector("[data-action=send-feedback]").disabled = S.rating === null;
      return;
    }
    const names = t("ratings");
    const ratings = h("div", { class: "hw-ratings" }, ...[1, 2, 3, 4, 5].map((rating, index) =>
      h("button", {
        type: "button", class: "hw-rating", "data-rating": String(index + 1),
        "aria-pressed": "false",
        "aria-label": t("ratingLabel", { rating: index + 1, text: names[index] }),
        onclick: () => { S.rating = index + 1; renderFeedback(); },
      }, ratingFace(rating))));
    const text = h("textarea", { id: "helpwire-feedback-text", rows: "2", maxlength: "500" });
    const send = button(t("sendFeedback"), sendFeedback, "primary",
      { "data-action": "send-feedback", disabled: true });
    el.feedback.append(h("fieldset", { class: "hw-feedback" },
      h("legend", { text: t("ratingLegend") }),
      ratings,
      h("label", { for: "helpwire-feedback-text", text: t("feedbackText") }),
      text,
      h("div", { class: "hw-actions" }, send)));
  }

  async function sendFeedback() {
    if (S.rating === null) return;
    const text = (el.feedback.querySelector("textarea").value || "").trim();
    const ack = await emit("feedback", text ? { rating: S.rating, text } : { rating: S.rating });
    // feedback is once per case: if it was already given (another tab), thank all the same
    if (ack.ok || (ack.error && ack.error.code === "feedback_not_allowed")) {
      S.phase = "done";
      render();
      announce(thanksText());
    }
  }

  // ------------------------------------------------------------------ chat log

  const timeFormat = () => new Intl.DateTimeFormat(M.LOCALES[language()], { hour: "2-digit", minute: "2-digit" });

  function findMessage(id, clientId) {
    for (const item of el.log.children) {
      if (id && item.dataset.messageId === id) return item;
      if (clientId && item.dataset.clientId === clientId) return item;
    }
    return null;
  }

  function setTick(item, status) {
    const tick = item.querySelector(".hw-tick");
    if (!tick || (tick.dataset.status === "delivered" && status !== "delivered")) return;
    tick.dataset.status = status;
    const marks = { sending: "…", sent: "✓", delivered: "✓✓", failed: "!" }[status];
    const words = { sending: "sending", sent: "sent", delivered: "delivered", failed: "notSent" }[status];
    tick.replaceChildren(h("span", { "aria-hidden": "true", text: marks }), h("span", { class: "hw-sr", text: t(words) }));
  }

  /** Add a message once (resumes and reconnects bring the history again). */
  function addMessage(message, status, live = true) {
    let item = findMessage(message.id, message.client_id);
    if (item) {
      if (message.id) item.dataset.messageId = message.id;
      if (status && message.sender === "customer") setTick(item, status);
      return item;
    }
    const fromAgent = message.sender === "agent";
    const at = message.at ? timeFormat().format(new Date(message.at * 1000)) : "";
    item = h("li", {
      class: `hw-msg hw-msg-${fromAgent ? "agent" : "customer"}`,
      "data-sender": message.sender,
      "data-message-id": message.id || null,
      "data-client-id": message.client_id || null,
    },
    fromAgent
      ? h("span", { class: "hw-meta hw-from", text: S.agentName || "" })
      : h("span", { class: "hw-sr", text: `${t("you")}: ` }),
    h("p", { text: message.text }),
    h("span", { class: "hw-meta" }, h("time", { text: at }), fromAgent ? null : " ",
      fromAgent ? null : h("span", { class: "hw-tick" })));
    el.log.appendChild(item);
    if (!fromAgent) setTick(item, status || "sent");
    el.logRegion.hidden = false;
    item.scrollIntoView({ block: "end" });
    if (fromAgent && message.delivery !== "delivered") confirmShown(message.id, live);
    return item;
  }

  /** Tell the agent a message was shown (their ✓✓); wait while the overlay is minimised. */
  function confirmShown(messageId, live) {
    if (!messageId) return;
    if (S.open && document.visibilityState === "visible") {
      emit("chat_received", { message_id: messageId });
    } else {
      S.pendingReceipts.push(messageId);
      if (live) S.unread += 1; // history brought by a resume is not news
    }
  }

  function flushReceipts() {
    const pending = S.pendingReceipts;
    S.pendingReceipts = [];
    S.unread = 0;
    for (const id of pending) emit("chat_received", { message_id: id });
  }

  function setTyping(active) {
    clearTimeout(setTyping.timer);
    const text = active && S.agentName ? t("agentTyping", { name: S.agentName }) : "";
    if (el.typing) el.typing.textContent = text;
    // an agent who vanishes mid-word must not type forever
    if (active) setTyping.timer = setTimeout(() => setTyping(false), 10000);
  }

  let typingActive = false;
  let typingTimer = null;
  function onInputTyping() {
    if (!["joining", "active"].includes(S.phase)) return; // typing is relayed once an agent has the case
    if (!typingActive) {
      typingActive = true;
      emit("typing", { active: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingActive) {
      typingActive = false;
      emit("typing", { active: false });
    }
  }

  function onInputKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  }

  async function onSubmit(event) {
    event.preventDefault();
    const text = el.input.value.trim();
    if (!text || !S.caseId) return;
    el.input.value = "";
    stopTyping();
    const clientId = randomId();
    addMessage({ sender: "customer", text, client_id: clientId, at: Date.now() / 1000 }, "sending");
    S.outbox.set(clientId, text);
    // while the line is down the message waits in the outbox; resume() sends it
    if (socket && socket.connected && !resuming) await sendPending(clientId, text);
  }

  // a message whose acknowledgement did not come, or came back with one of these, is sent again
  // after the next resume, with the same client_id (the server keeps one message per client_id)
  const RETRY_CODES = ["timeout", "not_connected", "storage_unavailable", "no_open_case"];

  async function sendPending(clientId, text) {
    const ack = await emit("chat_send", { text, client_id: clientId });
    if (!S.outbox.has(clientId)) return; // acknowledged meanwhile (a resend, or the history)
    if (ack.ok) {
      S.outbox.delete(clientId);
      addMessage({ ...ack.message, client_id: clientId }, "sent");
    } else if (!RETRY_CODES.includes(ack.error && ack.error.code)) {
      S.outbox.delete(clientId);
      setTick(findMessage(null, clientId), "failed");
    } else if (ack.error.code === "storage_unavailable" || (socket && socket.connected)) {
      // the server is up but could not take it now: try again shortly (a drop resends anyway)
      setTimeout(() => { if (socket && socket.connected && !resuming) flushOutbox(); }, restartDelay());
    }
  }

  /** Send every unacknowledged message again (after a resume), oldest first. */
  async function flushOutbox() {
    for (const [clientId, text] of [...S.outbox]) {
      if (!S.outbox.has(clientId)) continue;
      await sendPending(clientId, text);
    }
  }

  // ------------------------------------------------------------------ the socket

  let socket = null;
  let resuming = false;
  // how long to wait before reconnecting after server_restarting (its retry_after_ms)
  let retryAfterMs = 1000;
  /** retry_after_ms plus 0–100 % jitter, so every widget does not come back at once. */
  const restartDelay = () => retryAfterMs * (1 + Math.random());

  /** Reconnect with backoff and jitter starting at retry_after_ms (socket.io's own Manager). */
  function setReconnectDelay(ms) {
    retryAfterMs = Math.max(100, ms);
    if (!socket) return;
    // the Manager waits delay × 2^attempt ± randomization: this gives retry_after_ms … 2 × it
    socket.io.reconnectionDelay(retryAfterMs * 1.5);
    socket.io.randomizationFactor(1 / 3);
    socket.io.reconnectionDelayMax(Math.max(5000, retryAfterMs * 4));
  }

  async function ensureSocket() {
    if (socket) return socket;
    const { io } = await loadChunk("socket");
    if (socket) return socket; // another caller connected while the chunk loaded
    const kiosk = channel() === "kiosk";
    // the bundled client, never the page's window.io (a shop may have another version)
    socket = io(`${SERVER}${kiosk ? "/kiosk" : "/customer"}`, {
      transports: ["websocket"],
      auth: kiosk ? { kiosk_id: String(read(config.kioskId) || "") } : undefined,
    });
    socket.on("connect", onConnect);
    socket.on("server_restarting", (d) => {
      // the server is going away on purpose: say so calmly, and come back when it is up again
      if (typeof d.retry_after_ms === "number") setReconnectDelay(d.retry_after_ms);
      if (inCase()) {
        S.notice = t("restarting");
        render();
      }
    });
    socket.on("disconnect", (reason) => {
      // a reload or our own close needs no message; anything else is a lost line
      if (reason === "io client disconnect") return;
      if (inCase()) {
        if (S.notice !== t("restarting")) S.notice = t("reconnecting");
        render();
      }
      // socket.io retries by itself after transport trouble, not after a server-side disconnect
      const sock = socket;
      if (reason === "io server disconnect") setTimeout(() => sock.connect(), restartDelay());
    });
    socket.on("connect_error", () => {
      if (S.phase === "connecting") {
        S.phase = "error";
        S.errorText = t("unreachable");
        render();
      }
    });
    for (const [event, handler] of Object.entries(handlers)) {
      socket.on(event, (data) => {
        if (data && data.case_id && S.caseId && data.case_id !== S.caseId) return; // an old case
        handler(data || {});
        render();
      });
    }
    attachConsent(socket);
    return socket;
  }

  /** Screen share and age-check prompts (the consent chunk), on this same socket. */
  function attachConsent(sock) {
    loadChunk("consent")
      .then((chunk) => chunk.attach({
        socket: sock, emit, loadCall, openCall,
        caseId: () => S.caseId,
        iceServers: () => S.iceServers,
        active: () => ["joining", "active"].includes(S.phase), // the agent has the case
        cartLines: () => cleanCart(hostContext().cart).lines,
        ageCheckSku: () => S.ageCheckSku,
        // the kiosk page has its own place for prompts; elsewhere they are a message in the panel
        container: () => document.getElementById("kiosk-prompts") || el.consent,
        reveal: () => { if (!document.getElementById("kiosk-prompts")) openDialog(); },
      }))
      .catch((error) => console.warn("Helpwire: consent prompts are unavailable", error));
  }

  async function emit(event, payload) {
    if (!socket) return { ok: false, error: { code: "not_connected" } };
    try {
      return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    } catch (e) {
      return { ok: false, error: { code: "timeout", message: String(e) } };
    }
  }

  async function onConnect() {
    const hadNotice = S.notice;
    if (S.token) await resume();
    else if (hadNotice) {
      S.notice = null;
      render();
    }
  }

  // what resume may answer when the case cannot come back: the widget starts over. Anything
  // else is asked again shortly: storage_unavailable, or case_moving while a surviving server
  // adopts the case of one that stopped (docs/protocol.md)
  const GONE_CODES = ["case_not_found", "invalid_token", "token_expired"];

  /** Re-attach to the case after a reload or a lost connection, then send what is pending. */
  async function resume() {
    resuming = true;
    let ack;
    try {
      ack = await emit("resume", { case_token: S.token });
    } finally {
      resuming = false;
    }
    if (!ack.ok && !GONE_CODES.includes(ack.error && ack.error.code)) {
      // the server is up but could not answer (busy, storage): ask again shortly
      const sock = socket;
      setTimeout(() => { if (sock.connected && S.token) resume(); }, restartDelay());
      return;
    }
    S.notice = null;
    if (!ack.ok) {
      // gone (finished long ago, server restarted without it): start over, or say so if showing
      const wasOpen = S.open;
      forgetCase();
      if (wasOpen) S.phase = "ended";
      render();
      return;
    }
    S.caseId = ack.case_id;
    if (Array.isArray(ack.ice_servers)) S.iceServers = ack.ice_servers;
    // after a reload the page still holds the cart it sent (the server does not send it back)
    const host = hostContext();
    S.lastContext = S.lastContext || { cart: cleanCart(host.cart), payment_step: oneOf(host.payment_step, STEPS) };
    applyCase(ack.case);
    // messages the server kept although their acknowledgement was lost are not sent again
    for (const message of ack.case.messages || []) {
      if (message.client_id && S.outbox.delete(message.client_id)) {
        addMessage(message, "sent", false);
      }
    }
    render();
    flushOutbox().then(render);
    // a proposal made while the line was down is still waiting for an answer
    if (S.phase === "active" || S.phase === "joining") {
      const config = await emit("media_config", {});
      if (config.ok && config.media) applyMediaView(config.media);
      render();
    }
  }

  /** Draw a case as the server describes it (after help_request or resume). */
  function applyCase(view) {
    S.promiseSeconds = view.promise_seconds || S.promiseSeconds;
    if (view.agent_name) S.agentName = view.agent_name;
    // each line's delivery state: a reload shows the ✓✓ it showed before
    for (const message of view.messages || []) addMessage(message, message.delivery, false);
    for (const photo of view.photos || []) addSentPhoto(photo);
    const state = view.state;
    if (WAITING.includes(state)) {
      S.phase = "queued";
      if (view.position) S.position = view.position;
      if (view.eta_seconds !== undefined) {
        S.etaDeadline = view.eta_seconds === null ? null : Date.now() + view.eta_seconds * 1000;
      }
      if (S.intent === "callback") S.phase = "connecting"; // a callback_request follows at once
    } else if (state === "active") {
      const agentSpoke = (view.messages || []).some((m) => m.sender === "agent");
      S.phase = agentSpoke ? "active" : "joining";
    } else if (state === "wrap_up" || state === "closed") {
      S.phase = view.rating ? "done" : "wrap_up";
    } else if (state === "callback_requested") {
      S.phase = "callback";
    } else {
      // abandoned: nothing left to show
      const wasOpen = S.open;
      forgetCase();
      if (wasOpen) S.phase = "ended";
    }
  }

  /** Server → customer events (docs/protocol.md). render() runs after each. */
  const handlers = {
    queue_status(d) {
      if (!S.caseId) S.caseId = d.case_id; // it can arrive before the help_request ack
      const moved = d.position !== S.position;
      S.position = d.position;
      S.etaDeadline = d.eta_seconds === null ? null : Date.now() + d.eta_seconds * 1000;
      S.promiseSeconds = d.promise_seconds || S.promiseSeconds;
      if (["connecting", "queued"].includes(S.phase) && S.intent !== "callback") S.phase = "queued";
      if (moved && S.phase === "queued") {
        announce([t("position", { position: d.position }), countdownText()].join(". "));
      }
    },
    agent_joined(d) {
      S.agentName = d.agent_name;
      S.agentLost = false;
      S.transfer = null;
      S.callbackOffered = false;
      S.phase = "joining";
      announce(t("agentHere", { name: d.agent_name }));
    },
    chat_message(d) {
      addMessage(d);
      if (d.sender === "agent") {
        setTyping(false);
        if (S.phase === "joining" || S.phase === "queued") S.phase = "active";
      }
    },
    typing(d) {
      if (d.sender === "agent") setTyping(d.active);
    },
    chat_delivered(d) {
      const item = findMessage(d.message_id, d.client_id);
      if (item) setTick(item, "delivered");
    },
    transferred(d) {
      // the agent handed the case on: the customer keeps their place (first) and hears who
      // takes over, or, to a queue, that they are being put through
      endCall();
      S.media = freshMedia();
      S.phase = "queued";
      S.agentName = null;
      S.transfer = { name: d.agent_name || null, queue: d.queue_title || null };
      setTyping(false);
      announce(transferText());
    },
    agent_lost() {
      endCall();
      S.media = freshMedia();
      S.phase = "queued";
      S.agentLost = true;
      S.agentName = null;
      setTyping(false);
      announce(t("agentLost"));
    },
    callback_offer() {
      S.callbackOffered = true;
      S.callbackDismissed = false;
      announce(t(S.promised ? "callbackOffer" : "callbackOfferEstimate"));
    },
    technical_error(d) {
      if (!S.caseId) S.caseId = d.case_id;
      S.cartHoldSeconds = d.cart_hold_seconds || S.cartHoldSeconds;
      // asked for a callback up front: nobody could answer, so this is the confirmation
      S.technical = S.intent !== "callback";
      S.phase = "callback";
      const minutes = Math.max(1, Math.round(S.cartHoldSeconds / 60));
      announce(S.technical ? t("technicalError", { minutes }) : t("callbackConfirmed", { minutes }));
    },
    callback_confirmed(d) {
      S.cartHoldSeconds = d.cart_hold_seconds || S.cartHoldSeconds;
      S.technical = false;
      S.phase = "callback";
      announce(t("callbackConfirmed", { minutes: Math.max(1, Math.round(S.cartHoldSeconds / 60)) }));
    },
    media_proposed(d) {
      if (d.by === "customer") return; // our own request, echoed to the agent only
      if (Array.isArray(d.ice_servers)) S.iceServers = d.ice_servers;
      S.media.proposal = d.channel;
      S.media.requested = false;
      S.media.notice = null;
      announce(`${proposalText(d.channel)} ${t("privacy")}`);
    },
    media_declined() {
      S.media.requested = false;
      S.media.notice = t("mediaDeclinedByAgent", { name: S.agentName });
      announce(S.media.notice);
    },
    media_state(d) {
      applyMediaState(d);
    },
    media_muted(d) {
      if (typeof d.audio === "boolean") S.media.remoteMuted = d.audio;
    },
    wrap_up(d) {
      S.feedbackSeconds = d.feedback_seconds || S.feedbackSeconds;
      if (S.phase !== "done") S.phase = "wrap_up";
      setTyping(false);
      endCall();
      S.media = freshMedia();
      announce(t("wrapUp", { seconds: S.feedbackSeconds }));
    },
    case_closed() {
      // feedback is still welcome after the agent closed the case
      if (!["done", "wrap_up"].includes(S.phase)) S.phase = "wrap_up";
      setTyping(false);
      endCall();
      S.media = freshMedia();
    },
  };

  // ------------------------------------------------------------------ actions

  async function onLauncherPress() {
    if (S.phase !== "idle") {
      openDialog();
      return;
    }
    await refreshStatus(); // fresh: an agent may have signed out since the page loaded
    if (S.mode === "refused") {
      S.phase = "refused";
      openDialog();
      return;
    }
    if (S.mode === "closed" || S.mode === "no_agent") {
      S.phase = "intro";
      openDialog();
      return;
    }
    startCase("help");
  }

  /**
   * Connect again, through the load balancer, after this socket's server said node_draining
   * (it is about to stop): the next handshake lands on a server that stays.
   */
  function reconnectElsewhere() {
    const sock = socket;
    return new Promise((resolve) => {
      const done = () => {
        sock.off("connect", done);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ACK_TIMEOUT_MS);
      sock.on("connect", done);
      sock.disconnect(); // our own close: no "reconnecting" notice
      sock.connect();
    });
  }

  /** A Help press (or a callback request when nobody can answer now). */
  async function startCase(intent, again = false) {
    S.intent = intent;
    // what the button said at the press: a queue estimate is not a promise, and later texts say so
    S.promised = S.mode === "promise";
    S.phase = "connecting";
    S.errorText = null;
    if (!S.open) openDialog();
    render();
    const context = await buildContext();
    S.lastContext = context;
    try {
      await ensureSocket();
    } catch (e) {
      S.phase = "error";
      render();
      return;
    }
    const ack = await emit("help_request", { context });
    if (!ack.ok && !again && ack.error && ack.error.code === "node_draining") {
      // that server is about to stop: press once more on the one the load balancer picks now
      await reconnectElsewhere();
      return startCase(intent, true);
    }
    if (!ack.ok) {
      S.phase = "error";
      const code = ack.error && ack.error.code;
      S.errorText = code === "queue_full" ? t("queueFull")
        : code === "cluster_unavailable" ? t("clusterUnavailable") : t("unreachable");
      render();
      return;
    }
    saveCase(ack.case_id, ack.case_token);
    if (Array.isArray(ack.ice_servers)) S.iceServers = ack.ice_servers;
    storage.set(`${KEY()}:open`, "1");
    applyCase(ack.case);
    if (intent === "callback" && WAITING.includes(ack.case.state)) {
      // the server queued it (an agent is online but we are closed): ask for the callback now
      const callback = await emit("callback_request", {});
      if (callback.ok) S.phase = "callback";
    }
    render();
  }

  async function requestCallback() {
    S.intent = "callback";
    const ack = await emit("callback_request", {});
    if (ack.ok) {
      S.technical = false;
      S.phase = "callback";
    }
    render();
  }

  /** "Avsluta": a waiting case is withdrawn; an active chat goes to wrap-up (feedback). */
  async function endCase() {
    if (!S.caseId) return;
    const waiting = S.phase === "queued";
    const ack = await emit("cancel", {});
    if (ack.ok && waiting) {
      forgetCase();
      S.phase = "ended";
    }
    render();
    el.title.focus();
  }

  // ------------------------------------------------------------------ the dialog

  let returnFocus = null;

  function openDialog() {
    if (S.open) return;
    const active = deepActive();
    returnFocus = active && active !== document.body && active !== el.host ? active : el.button;
    S.open = true;
    if (S.caseId) storage.set(`${KEY()}:open`, "1");
    el.backdrop.hidden = false;
    render();
    el.title.focus();
    flushReceipts();
  }

  /** Escape / "Minimera": hide the overlay, keep the case, give focus back. */
  function minimise() {
    if (!S.open) return;
    // a finished case has nothing to come back to
    if (["intro", "refused", "callback", "done", "ended", "error"].includes(S.phase)) {
      closeAndForget();
      return;
    }
    hideDialog();
  }

  function closeAndForget() {
    forgetCase();
    hideDialog();
    refreshStatus();
  }

  function hideDialog() {
    S.open = false;
    storage.remove(`${KEY()}:open`);
    el.backdrop.hidden = true;
    render();
    const target = returnFocus && returnFocus.isConnected && returnFocus.offsetParent !== null
      ? returnFocus : el.button;
    target.focus();
  }

  function focusables() {
    return Array.from(el.dialog.querySelectorAll(
      "button, textarea, input, [href], [tabindex]:not([tabindex='-1'])",
    )).filter((node) => !node.disabled && node.offsetParent !== null);
  }

  function onDialogKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      minimise();
      return;
    }
    if (event.key !== "Tab") return;
    // keep Tab inside the modal dialog
    const items = focusables();
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const onEdge = [first, el.title, el.dialog].includes(deepActive());
    if (event.shiftKey && onEdge) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && deepActive() === last) {
      event.preventDefault();
      first.focus();
    }
  }

  // ------------------------------------------------------------------ display rules

  let statusRequest = null;
  let refusalLogged = false;

  /** Ask the server whether to show the button here, and whether it may promise an answer. */
  function refreshStatus() {
    if (statusRequest) return statusRequest;
    const host = hostContext();
    const query = new URLSearchParams({
      store: store(), page: page(), channel: channel(), language: language(),
      logged_in: String(loggedIn()), offline_mode: String(!navigator.onLine),
    });
    const step = oneOf(host.payment_step, STEPS);
    if (step) query.set("payment_step", step);
    const position = oneOf(host.position ?? read(config.position), POSITIONS);
    if (position) query.set("position", position);
    statusRequest = fetch(`${SERVER}/api/widget/status?${query}`, { cache: "no-store", credentials: "omit" })
      .then(readStatus)
      .then((status) => {
        S.status = status;
        S.promiseSeconds = status.promise_seconds || S.promiseSeconds;
        if (!status.show) S.mode = "hidden";
        else if (!status.open) S.mode = "closed";
        else if (status.promise === "callback" || !status.agents_available) S.mode = "no_agent";
        else if (status.promise === "queue") S.mode = "queue";
        else S.mode = "promise";
      })
      .catch((error) => {
        if (error instanceof OriginRefused) {
          // the shop owner's hint, once per page: which setting on the server lets this page in
          if (!refusalLogged) console.error(`Helpwire: ${error.message}`);
          refusalLogged = true;
          S.mode = "refused";
          return;
        }
        // cannot ask: show the button anyway; a press then says honestly if support is unreachable
        console.warn("Helpwire: display status unavailable", error);
        S.mode = "promise";
      })
      .finally(() => {
        statusRequest = null;
        renderTexts();
        render();
        if (S.mode === "refused") return; // the server would refuse these too
        logExposure();
        logProgress();
      });
    return statusRequest;
  }

  /** The server does not allow this page's origin (its diagnostic: origin_not_allowed). */
  class OriginRefused extends Error {}

  async function readStatus(response) {
    if (response.ok) return response.json();
    const body = await response.json().catch(() => null);
    const error = body && body.error;
    if (error && error.code === "origin_not_allowed") {
      throw new OriginRefused(`${error.message} (code ${error.code}, setting ${error.setting})`);
    }
    throw new Error(`status ${response.status}`);
  }

  // ------------------------------------------------------------------ start

  async function start() {
    // asked alongside the style and texts, so the first drawn button is already the right one
    const variantReady = resolveVariant();
    await variantReady;
    build();
    renderTexts();
    render();
    const token = storage.get(`${KEY()}:case`);
    if (token) {
      // a reload mid-case: reconnect and pick the case up where it was
      S.token = token;
      S.phase = "connecting";
      if (storage.get(`${KEY()}:open`)) openDialog();
      ensureSocket().catch(() => {
        S.phase = "error";
        render();
      });
    }
    await refreshStatus();
    // the rules can change with the clock (opening hours) and with agents signing in or out
    setInterval(() => { if (!S.open && document.visibilityState === "visible") refreshStatus(); }, 60000);
    window.addEventListener("online", refreshStatus);
    window.addEventListener("offline", refreshStatus);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && S.open) flushReceipts();
    });
  }

  const ready = (document.readyState === "loading"
    ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
    : Promise.resolve()).then(start);

  /**
   * The kiosk's "Verifiera ålder via video": a case routed as an age check (topic age_check),
   * whose video check of `sku` is asked as soon as an agent has it; within an open case, the
   * check is asked in that case.
   */
  async function verifyAge(sku) {
    S.ageCheckSku = String(sku);
    if (S.phase !== "idle") {
      openDialog();
      if (chunks.consent) chunks.consent.then((chunk) => chunk.render(), () => {});
      return;
    }
    await onLauncherPress();
  }

  window.Helpwire = Object.freeze({
    /** Resolves when the widget has drawn itself. */
    ready,
    /** Re-check the display rules and texts: call after the page, language or login changes. */
    update: () => ready.then(refreshStatus),
    /** Open the overlay as if the button were pressed. */
    open: () => ready.then(onLauncherPress),
    /** Open a video age check of the cart line `sku` (kiosks: a locked 18+ item). */
    verifyAge: (sku) => ready.then(() => verifyAge(sku)),
  });
})();
