// Consented media in the agent console (docs/protocol.md, "Consent"): ask to see a kiosk's
// screen, propose and decide a video age check. What the customer consented to arrives on its own
// labelled m-line of the case's one connection (HelpwireCall) and is shown with the time left;
// the server ends it at the deadline and says so (consent_ended). An approved check's webhook to
// the till (POS) is delivered from the server's outbox: its status follows webhook_status.

import { h } from "/static/shared/dom.js";
import { getLanguage } from "./messages.js";

const TEXT = {
  sv: {
    title: "Medgivanden",
    requestScreen: "Be att få se kassaskärmen (5 min)",
    proposeAge: "Föreslå ålderskontroll via video: {name}",
    waiting: "Väntar på kundens svar…",
    screenLive: "Kassaskärmen – {time} kvar",
    cameraLive: "Kundens kamera (ålderskontroll) – {time} kvar",
    end: "Avsluta",
    approve: "Godkänn åldern",
    deny: "Neka",
    reason: "Skäl",
    ended: {
      denied: "Kunden nekade.", no_answer: "Inget svar inom tiden – nekat.", expired: "Tiden är slut – delningen avslutad.",
      revoked_by_customer: "Kunden avslutade delningen.", ended_by_agent: "Du avslutade.",
      case_closed: "Ärendet avslutades.", connection_lost: "Anslutningen bröts.",
    },
    approved: "Åldern godkänd – {name} är upplåst.",
    deniedResult: "Ålderskontrollen nekades – varan förblir låst.",
    reasons: { looks_underage: "Ser ut att vara under 18", no_id_shown: "Ingen legitimation visad", poor_video: "Otydlig bild", other: "Annat" },
    screenLabel: "Kundens kassaskärm",
    fullscreen: "Helskärm",
    cameraLabel: "Kundens kamera",
    delivery: { delivered: "Skickat till kassan", pending: "Skickas… (försök {n})", given_up: "Inte levererat till kassan" },
  },
  en: {
    title: "Consents",
    requestScreen: "Ask to see the checkout screen (5 min)",
    proposeAge: "Propose a video age check: {name}",
    waiting: "Waiting for the customer's answer…",
    screenLive: "Checkout screen – {time} left",
    cameraLive: "Customer's camera (age check) – {time} left",
    end: "End",
    approve: "Approve age",
    deny: "Deny",
    reason: "Reason",
    ended: {
      denied: "The customer declined.", no_answer: "No answer in time – declined.", expired: "Time is up – sharing ended.",
      revoked_by_customer: "The customer stopped sharing.", ended_by_agent: "You ended it.",
      case_closed: "The case ended.", connection_lost: "The connection was lost.",
    },
    approved: "Age approved – {name} is unlocked.",
    deniedResult: "Age check denied – the item stays locked.",
    reasons: { looks_underage: "Looks under 18", no_id_shown: "No ID shown", poor_video: "Picture unclear", other: "Other" },
    screenLabel: "Customer's checkout screen",
    fullscreen: "Full screen",
    cameraLabel: "Customer's camera",
    delivery: { delivered: "Sent to the till", pending: "Sending… (attempt {n})", given_up: "Not delivered to the till" },
  },
};

const text = () => TEXT[getLanguage()] ?? TEXT.sv;
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
const clock = (seconds) => {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};


export class ConsentPanel {
  constructor(view) {
    this.view = view;
    this.grants = new Map(); // scope → {grant_id, state, deadline, sku}
    this.notice = "";
    this.delivery = null; // {delivery_id, status, attempts} of the approved check's POS webhook
    this.video = h("video", { class: "consent-video", autoplay: true, playsinline: true, muted: true });
    this.video.muted = true;
    this.body = h("div", { class: "consent-body" });
    this.node = h("section", { class: "consent", "data-field": "consent" },
      h("h4", { class: "consent-title" }), this.body);
    this.timer = null;
  }

  get active() {
    return this.view.state === "active";
  }

  emit(event, payload) {
    return this.view.mediaEmit(event, payload);
  }

  async request(scope, sku) {
    this.notice = "";
    const ack = await this.emit("consent_request", sku ? { scope, sku } : { scope });
    if (!ack?.ok) this.notice = ack?.error?.message ?? "error";
    this.render();
  }

  async end(scope) {
    const grant = this.grants.get(scope);
    if (grant) await this.emit("consent_revoke", { grant_id: grant.grant_id });
  }

  async decide(outcome) {
    const grant = this.grants.get("age_check_video");
    if (!grant) return;
    const payload = { grant_id: grant.grant_id, outcome };
    if (outcome === "denied") payload.reason = this.body.querySelector("select[name=reason]")?.value || "other";
    const ack = await this.emit("age_check_decision", payload);
    if (!ack?.ok) this.notice = ack?.error?.message ?? "error";
    this.render();
  }

  /** The cart line's product name for a SKU (the agent reads names, not SKUs); the SKU if unknown. */
  productName(sku) {
    const line = (this.view.data?.context?.cart?.lines ?? []).find((l) => l.sku === sku);
    return line?.name || sku;
  }

  call() {
    return window.__helpwireMedia?.calls.get(this.view.id) ?? null;
  }

  async receive(scope) {
    const call = window.HelpwireCall.create({
      caseId: this.view.id,
      iceServers: this.view.iceServers,
      emit: (event, payload) => this.view.mediaEmit(event, payload),
    });
    call.listeners.add(() => this.render());
    await call.addConsented(scope, null);
    this.render();
  }

  stopReceiving(scope) {
    const call = this.call();
    if (!call) return;
    if (call.consentOnly) call.close();
    else call.removeConsented(scope);
  }

  on(event, payload) {
    const scope = payload.scope;
    const T = text();
    if (event === "consent_state") {
      const previous = this.grants.get(scope);
      this.grants.set(scope, {
        grant_id: payload.grant_id, state: payload.state, sku: payload.sku,
        deadline: performance.now() + (payload.remaining_seconds ?? 0) * 1000,
      });
      this.notice = "";
      if (payload.state === "granted" && previous?.state !== "granted") this.receive(scope);
    } else if (event === "consent_ended") {
      const grant = this.grants.get(scope);
      if (grant && grant.grant_id === payload.grant_id) {
        this.grants.delete(scope);
        this.stopReceiving(scope);
      }
      this.notice = T.ended[payload.reason] ?? payload.reason;
    } else if (event === "age_check_result") {
      this.notice = payload.outcome === "approved" ? fill(T.approved, { name: this.productName(payload.sku) }) : T.deniedResult;
      if (payload.delivery) this.delivery = { ...payload.delivery };
    } else if (event === "webhook_status") {
      // the event may overtake the decision's answer: the newest attempt count wins
      if (!this.delivery || this.delivery.delivery_id !== payload.delivery_id
          || payload.status !== "pending" || payload.attempts >= this.delivery.attempts) {
        this.delivery = { delivery_id: payload.delivery_id, status: payload.status, attempts: payload.attempts };
      }
    }
    this.render();
  }

  render() {
    const T = text();
    this.node.querySelector(".consent-title").textContent = T.title;
    const data = this.view.data ?? {};
    const items = [];
    const screen = this.grants.get("screen_share");
    const age = this.grants.get("age_check_video");
    if (this.active && !screen && (data.channel === "kiosk")) {
      items.push(h("button", { type: "button", class: "secondary", "data-action": "request-screen",
        onclick: () => this.request("screen_share") }, T.requestScreen));
    }
    if (this.active && !age) {
      for (const line of data.context?.cart?.lines ?? []) {
        if (!line.age_restricted) continue;
        items.push(h("button", { type: "button", class: "secondary", "data-action": "propose-age-check", "data-sku": line.sku,
          onclick: () => this.request("age_check_video", line.sku) }, fill(T.proposeAge, { name: line.name })));
      }
    }
    const waiting = [screen, age].some((g) => g?.state === "requested");
    if (waiting) items.push(h("p", { class: "consent-waiting", role: "status", text: T.waiting }));
    const live = screen?.state === "granted" ? ["screen_share", screen] : age?.state === "granted" ? ["age_check_video", age] : null;
    if (live) {
      const [scope, grant] = live;
      const left = (grant.deadline - performance.now()) / 1000;
      const stream = this.call()?.consentedStream(scope) ?? null;
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
      if (stream && this.video.paused) this.video.play().catch(() => {});
      this.video.dataset.scope = scope;
      this.video.setAttribute("aria-label", scope === "screen_share" ? T.screenLabel : T.cameraLabel);
      items.push(h("p", { class: "consent-remaining", role: "timer", "data-field": "consent-remaining",
        "data-seconds": String(Math.max(0, Math.ceil(left))) },
      fill(scope === "screen_share" ? T.screenLive : T.cameraLive, { time: clock(left) })));
      items.push(this.video);
      items.push(h("button", { type: "button", class: "secondary fullscreen-button", "data-action": "consent-fullscreen",
        "aria-label": `${T.fullscreen}: ${scope === "screen_share" ? T.screenLabel : T.cameraLabel}`,
        onclick: () => this.video.requestFullscreen?.().catch(() => {}) }, T.fullscreen));
      const actions = [];
      if (scope === "age_check_video") {
        actions.push(h("button", { type: "button", class: "primary", "data-action": "age-approve", onclick: () => this.decide("approved") }, T.approve));
        const select = h("select", { name: "reason", "aria-label": T.reason },
          ...Object.entries(T.reasons).map(([value, label]) => h("option", { value }, label)));
        actions.push(select, h("button", { type: "button", class: "danger", "data-action": "age-deny", onclick: () => this.decide("denied") }, T.deny));
      } else {
        actions.push(h("button", { type: "button", class: "danger", "data-action": "consent-end", onclick: () => this.end(scope) }, T.end));
      }
      items.push(h("div", { class: "actions" }, ...actions));
    } else if (this.video.srcObject) {
      this.video.srcObject = null;
    }
    if (this.notice) items.push(h("p", { class: "consent-notice hint", role: "status", text: this.notice }));
    if (this.delivery) {
      const { status, attempts } = this.delivery;
      items.push(h("p", { class: `consent-delivery delivery-${status}`, role: "status", "data-field": "webhook-status",
        "data-status": status, "data-attempts": String(attempts) },
      fill(T.delivery[status] ?? status, { n: String(attempts + 1) })));
    }
    // keep the same nodes while only the time changes (a click must not land on a replaced button)
    const signature = JSON.stringify([items.map((n) => n.outerHTML.replace(/data-seconds="\d+"|\d+:\d\d/g, "")), this.notice]);
    if (this.body.dataset.signature !== signature) {
      this.body.dataset.signature = signature;
      this.body.replaceChildren(...items);
    } else if (live) {
      const remaining = this.body.querySelector(".consent-remaining");
      const fresh = items.find((n) => n.classList?.contains("consent-remaining"));
      if (remaining && fresh) {
        remaining.textContent = fresh.textContent;
        remaining.dataset.seconds = fresh.dataset.seconds;
      }
    }
    this.node.hidden = items.length === 0;
    if (live && !this.timer) this.timer = window.setInterval(() => this.render(), 250);
    if (!live && this.timer) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }
}
