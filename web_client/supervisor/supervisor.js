// The supervisor view: sign in (POST /api/agent/login), then listen on the /supervisor Socket.IO
// namespace for supervisor_state and ask for a case's timeline with case_timeline
// (docs/protocol.md "Supervisor namespace"). Only agents with the supervisor role are let in.
// Everything shown is computed on the server from case metadata; Swedish first, English on a
// switch (messages.js). Plain ES module, no build step.

import { io } from "/vendor/socket.io.esm.min.js";
import { h } from "/static/shared/dom.js";
import {
  formatDateTime, formatDuration, formatNumber, formatPercent, formatTime, getLanguage, has,
  setLanguage, t,
} from "./messages.js";

const LANGUAGE_KEY = "helpwire.supervisor.language";
const ACK_TIMEOUT_MS = 10000;

/** @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);


const view = {
  token: null,
  socket: null,
  state: null,
  status: ["status.signedOut"],
  /** the open timeline: {caseId, data, error, loading} */
  timeline: null,
  /** alert keys notified while they last */
  notified: new Set(),
  accessRows: null,
};

// ------------------------------------------------------------------ language

function translateStatic() {
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-i18n]"))) {
    node.textContent = t(node.dataset.i18n);
  }
  document.title = titleWithBadge();
  const other = getLanguage() === "sv" ? "en" : "sv";
  $("language-toggle").replaceChildren(
    h("span", { class: "visually-hidden", text: `${t("language.toggleLabel")} ` }),
    h("span", { lang: other, text: t("language.toggle") }));
  $("report-lang").value = getLanguage();
}

function applyLanguage(language) {
  setLanguage(language);
  document.documentElement.lang = getLanguage();
  try { localStorage.setItem(LANGUAGE_KEY, getLanguage()); } catch { /* private mode */ }
  translateStatic();
  setStatus(...view.status);
  if (view.state) render(view.state);
  renderTimeline();
  renderAccessLog();
  renderNotifyState();
}

function titleWithBadge() {
  const count = view.state ? view.state.alerts.length : 0;
  return count ? `(${count}) ${t("document.title")}` : t("document.title");
}

function setStatus(key, args) {
  view.status = [key, args];
  $("status").textContent = t(key, args);
}

const title = (titles, fallback) => (titles && (titles[getLanguage()] || titles.sv)) || fallback;
const seconds = (v) => (v === null || v === undefined ? "–" : formatDuration(v));
const stateName = (state) => (has(`state.${state}`) ? t(`state.${state}`) : state);
const channelName = (channel) => (has(`channel.${channel}`) ? t(`channel.${channel}`) : channel);
/** A server value's text in the current language, or the value itself if the catalogue lacks it. */
const known = (prefix, value) => (has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value);

// ------------------------------------------------------------------ the board

function queueTitle(name) {
  const queue = view.state?.queues.find((q) => q.name === name);
  return title(queue?.title, name);
}

function renderAlerts(state) {
  const items = state.alerts.map((alert) => {
    const text = alert.kind === "over_promise"
      ? t("alert.over_promise", {
        number: alert.number, queue: title(alert.queue_title, alert.queue),
        wait: formatDuration(alert.waited_seconds), promise: formatDuration(state.promise_seconds),
      })
      : t("alert.no_agent", { queue: title(alert.queue_title, alert.queue), waiting: alert.waiting });
    return h("li", { dataset: { alert: alert.kind, case: alert.case_id ?? "", queue: alert.queue } }, text);
  });
  const banner = $("alert-banner");
  banner.replaceChildren(...(items.length ? [h("ul", {}, ...items)] : []));
  banner.hidden = !items.length;
  $("alerts-none").hidden = Boolean(items.length);
  $("alerts-section").classList.toggle("alarm", Boolean(items.length));
  document.title = titleWithBadge();
  notify(state);
}

function alertKey(alert) {
  return alert.kind === "over_promise" ? `over_promise:${alert.case_id}` : `no_agent:${alert.queue}`;
}

function notify(state) {
  const keys = new Set(state.alerts.map(alertKey));
  const fresh = state.alerts.filter((alert) => !view.notified.has(alertKey(alert)));
  view.notified = keys;
  if (!fresh.length || !("Notification" in window) || Notification.permission !== "granted") return;
  for (const alert of fresh) {
    const body = [...$("alert-banner").querySelectorAll("li")]
      .find((li) => li.dataset.alert === alert.kind
        && (alert.kind === "over_promise" ? li.dataset.case === alert.case_id : li.dataset.queue === alert.queue))
      ?.textContent ?? "";
    new Notification(t("notify.title"), { body, tag: alertKey(alert) });
  }
}

function renderNotifyState() {
  const button = $("notify-enable");
  const note = $("notify-state");
  if (!("Notification" in window)) {
    button.hidden = true;
    note.textContent = t("notify.unsupported");
  } else if (Notification.permission === "granted") {
    button.hidden = true;
    note.textContent = t("notify.on");
  } else if (Notification.permission === "denied") {
    button.hidden = true;
    note.textContent = t("notify.denied");
  } else {
    button.hidden = false;
    note.textContent = t("notify.explain");
  }
}

function renderQueues(state) {
  $("queues").replaceChildren(...state.queues.map((q) => {
    const ready = q.agents_ready ?? 0;
    return h("tr", { dataset: { queue: q.name }, class: ready === 0 ? "unmanned" : null },
      h("th", { scope: "row", text: title(q.title, q.name) }),
      h("td", { text: String(q.waiting) }),
      h("td", { text: seconds(q.longest_wait_seconds) }),
      h("td", { text: String(ready) }),
      h("td", { text: String(q.agents_serving) }));
  }));
}

/** Keep a <select>'s choice while its options follow the state. */
function fillSelect(select, options) {
  const chosen = select.value || "";
  const wanted = [["", t("cases.all")], ...options];
  const same = select.options.length === wanted.length
    && wanted.every(([value, label], i) => select.options[i].value === value && select.options[i].text === label);
  if (!same) {
    select.replaceChildren(...wanted.map(([value, label]) => h("option", { value, text: label })));
  }
  select.value = wanted.some(([value]) => value === chosen) ? chosen : "";
}

function renderCases(state) {
  fillSelect($("filter-queue"), state.queues.map((q) => [q.name, title(q.title, q.name)]));
  fillSelect($("filter-state"), state.states.map((s) => [s, stateName(s)]));
  const queue = $("filter-queue").value;
  const wanted = $("filter-state").value;
  const overOnly = $("filter-over").checked;
  const shown = state.cases.filter((c) => (!queue || c.queue === queue)
    && (!wanted || c.state === wanted) && (!overOnly || c.over_promise));
  $("cases").replaceChildren(...shown.map((c) => {
    const open = h("button", {
      type: "button", class: "link-button", "aria-label": t("cases.open", { number: c.number }),
      "aria-pressed": view.timeline?.caseId === c.id ? "true" : "false", text: `#${c.number}`,
    });
    open.addEventListener("click", () => openTimeline(c.id, c.number));
    const wait = h("td", { text: seconds(c.waited_seconds) });
    if (c.over_promise) wait.append(" ", h("strong", { class: "badge", text: t("cases.overPromise") }));
    return h("tr", { dataset: { case: c.id, state: c.state, queue: c.queue }, class: c.over_promise ? "over" : null },
      h("th", { scope: "row" }, open),
      h("td", { text: title(c.queue_title, c.queue) }),
      h("td", { text: stateName(c.state) }),
      wait,
      h("td", { text: c.agent_name ?? "–" }),
      h("td", { text: c.store }),
      h("td", { text: channelName(c.channel) }));
  }));
  $("cases-caption").textContent = t("cases.caption", { shown: shown.length, total: state.cases.length });
  $("cases-empty").hidden = shown.length > 0;
}

function card(key, value, target, ok, note) {
  const verdict = note ?? (ok === null ? t("today.noData") : ok ? t("today.met") : t("today.missed"));
  const dd = h("dd", { dataset: { figure: key }, class: ok === null ? "na" : ok ? "ok" : "bad", text: value });
  dd.append(h("span", {
    class: "target", text: target === null ? verdict : `${t("today.target", { target })} – ${verdict}`,
  }));
  return h("div", { class: "card" }, h("dt", { text: t(`today.${key}`) }), dd);
}

function renderToday(state) {
  const d = state.today;
  const g = state.targets;
  const check = (v, good) => (v === null || v === undefined ? null : good(v));
  const pct = (v) => (v === null || v === undefined ? "–" : formatPercent(v));
  $("today").replaceChildren(
    card("asa", seconds(d.asa_mean), `< ${formatDuration(g.asa_seconds)}`, check(d.asa_mean, (v) => v < g.asa_seconds)),
    card("fcr", pct(d.fcr), `> ${formatPercent(g.fcr)}`, check(d.fcr, (v) => v > g.fcr)),
    card("abandonment", pct(d.abandonment), `< ${formatPercent(g.abandonment)}`,
      check(d.abandonment, (v) => v < g.abandonment)),
    card("csat", d.csat_mean === null || d.csat_mean === undefined ? "–" : formatNumber(d.csat_mean),
      `> ${formatNumber(g.csat)}`, check(d.csat_mean, (v) => v > g.csat)),
    card("cases", String(d.cases), null, null,
      t("today.casesValue", { answered: d.answered, open: d.open })),
  );
  $("report-open").textContent = t("report.open", { period: state.report.period });
}

function renderAgents(state) {
  const items = [];
  for (const presence of ["available", "busy", "away", "offline"]) {
    for (const a of state.agents[presence]) {
      items.push(h("li", {
        dataset: { presence },
        text: t("agents.entry", { name: a.name, presence: t(`presence.${presence}`), cases: a.cases }),
      }));
    }
  }
  $("agents").replaceChildren(...(items.length ? items : [h("li", { text: t("agents.none") })]));
}

/** What of a case the list shows that its timeline would show too. */
function caseStamp(state, caseId) {
  const row = state.cases.find((c) => c.id === caseId);
  return row ? `${row.state}|${row.queue}|${row.agent_name}|${row.customer_dropped}` : "gone";
}

/** Follow the open timeline: fetch it again when its case changed (or ended). */
function followTimeline(state) {
  const open = view.timeline;
  if (!open || open.loading) return;
  const stamp = caseStamp(state, open.caseId);
  if (open.stamp !== undefined && open.stamp !== stamp) fetchTimeline(open.caseId, open.number, false);
  else open.stamp = stamp;
}

function render(state) {
  view.state = state;
  $("waiting").textContent = String(state.waiting);
  $("longest").textContent = seconds(state.longest_wait_seconds);
  $("promise").textContent = formatDuration(state.promise_seconds);
  renderAlerts(state);
  renderQueues(state);
  renderCases(state);
  renderToday(state);
  renderAgents(state);
  followTimeline(state);
  setStatus("status.live", { time: formatTime(state.at) });
}

// ------------------------------------------------------------------ the timeline

function eventText(entry) {
  const d = entry.detail;
  switch (entry.type) {
    case "opened": return t("ev.opened", { queue: queueTitle(d.queue), channel: channelName(d.channel) });
    case "queued": return d.reason === "agent_lost" ? t("ev.queued.agent_lost")
      : t("ev.queued", { queue: queueTitle(d.queue ?? view.timeline?.data?.case.first_queue) });
    case "answered": return t("ev.answered", { agent: d.agent_name ?? d.agent_id });
    case "closed":
      if (d.by === "system") return t("ev.closed.system", { reason: d.reason ?? "" });
      return t("ev.closed", {
        label: [d.label, d.resolved === true ? t("ev.resolved") : d.resolved === false ? t("ev.unresolved") : null]
          .filter(Boolean).map((part, i) => (i === 0 ? `: ${part}` : `, ${part}`)).join(""),
      });
    case "overflow": return t("ev.overflow", { from: queueTitle(d.from_queue), to: queueTitle(d.to_queue) });
    case "chat_line": return t(`ev.chat_line.${has(`ev.chat_line.${d.sender}`) ? d.sender : "system"}`);
    case "feedback": return t("ev.feedback", { rating: d.rating });
    case "channel": return t("ev.channel", { from: channelName(d.from_channel), to: channelName(d.to_channel) });
    case "media_proposed": case "media_declined": case "media_connected": case "media_failed":
      return t(`ev.${entry.type}`, { channel: channelName(d.channel) });
    case "mark": return t("ev.mark", { mark: d.mark });
    case "consent": return t("ev.consent", { scope: known("consent", d.scope), event: known("consent", d.event) });
    case "age_check": return t("ev.age_check", {
      sku: d.sku, outcome: has(`ev.age_check.${d.outcome}`) ? t(`ev.age_check.${d.outcome}`) : d.outcome,
    });
    default: return has(`ev.${entry.type}`) ? t(`ev.${entry.type}`, d) : t("ev.unknown", { type: entry.type });
  }
}

function renderTimeline() {
  const box = $("timeline");
  const open = view.timeline;
  if (!open) {
    box.replaceChildren(h("p", { class: "calm", text: t("timeline.hint") }));
    return;
  }
  const close = h("button", { type: "button", class: "secondary", text: t("timeline.close") });
  close.addEventListener("click", () => {
    view.timeline = null;
    renderTimeline();
    if (view.state) renderCases(view.state);
  });
  const heading = h("h3", { id: "timeline-case", text: t("timeline.heading", { number: `#${open.number}` }) });
  if (open.loading) {
    box.replaceChildren(heading, h("p", { role: "status", text: t("timeline.loading") }), close);
    return;
  }
  if (open.error) {
    box.replaceChildren(heading, h("p", { class: "error", role: "alert", text: t("timeline.failed", { message: open.error }) }), close);
    return;
  }
  const { case: c, timeline, transcript } = open.data;
  const yesNo = (v) => (v === true ? t("timeline.yes") : v === false ? t("timeline.no") : t("timeline.none"));
  const facts = [
    ["timeline.outcome", stateName(c.state)],
    ["timeline.store", `${c.store} · ${channelName(c.channel)}`],
    ["timeline.opened", formatDateTime(c.created_at)],
    ["timeline.agent", c.agent_name ?? t("timeline.none")],
    ["timeline.label", c.label ?? t("timeline.none")],
    ["timeline.resolved", yesNo(c.resolved)],
    ["timeline.rating", c.rating ?? t("timeline.none")],
  ];
  const summary = h("dl", { class: "facts", dataset: { outcome: c.state } },
    ...facts.flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", { text: String(value) })]));
  const start = timeline.length ? timeline[0].at : c.created_at;
  const list = h("ol", { class: "timeline", "aria-labelledby": "timeline-case" }, ...timeline.map((entry) => h("li",
    { dataset: { type: entry.type, state: entry.to_state ?? "" } },
    h("time", { datetime: new Date(entry.at * 1000).toISOString(), text: `${formatTime(entry.at)} (+${formatDuration(entry.at - start)})` }),
    " ", h("span", { text: eventText(entry) }))));
  const parts = [heading, summary, list];
  if (transcript) {
    parts.push(h("h4", { text: t("timeline.transcript") }), h("ol", { class: "transcript" },
      ...transcript.map((line) => h("li", { text: `${formatTime(line.at)} ${line.sender}: ${line.text}` }))));
  }
  parts.push(h("p", { class: "calm", text: t("timeline.privacy") }), close);
  box.replaceChildren(...parts);
}

function fetchTimeline(caseId, number, fresh) {
  const stamp = view.state ? caseStamp(view.state, caseId) : undefined;
  if (fresh) view.timeline = { caseId, number, loading: true, stamp };
  else view.timeline.stamp = stamp;
  view.socket.timeout(ACK_TIMEOUT_MS).emit("case_timeline", { case_id: caseId }, (err, ack) => {
    if (view.timeline?.caseId !== caseId) return;  // another case was chosen meanwhile
    const kept = view.timeline.stamp;
    if (err || !ack?.ok) {
      view.timeline = { caseId, number, stamp: kept, error: err ? String(err.message ?? err) : ack.error.message };
    } else {
      view.timeline = { caseId, number, stamp: kept, data: ack };
    }
    renderTimeline();
  });
}

function openTimeline(caseId, number) {
  fetchTimeline(caseId, number, true);
  renderTimeline();
  if (view.state) renderCases(view.state);
  $("timeline-heading").focus();
}

// ------------------------------------------------------------------ the access log

function renderAccessLog() {
  if (!view.accessRows) return;
  $("access-log").replaceChildren(...view.accessRows.map((row) => {
    const actor = has(`actor.${row.actor_kind}`) ? t(`actor.${row.actor_kind}`) : row.actor_kind;
    return h("tr", { dataset: { action: row.action } },
      h("td", { text: formatDateTime(row.at) }),
      h("td", { text: row.actor_id ? `${actor} ${row.actor_id}` : actor }),
      h("td", { text: has(`action.${row.action}`) ? t(`action.${row.action}`) : row.action }),
      h("td", { text: row.case_id || "–" }),
      h("td", { text: row.reason || "" }));
  }));
}

async function loadAccessLog() {
  $("access-error").textContent = "";
  const response = await fetch("/api/admin/access-log?limit=50", {
    headers: { Authorization: `Bearer ${view.token}` },
  });
  const body = await response.json();
  if (!response.ok) {
    $("access-error").textContent = body.error.message;
    return;
  }
  view.accessRows = body.rows;
  renderAccessLog();
}

// ------------------------------------------------------------------ connection and sign-in

function loginError(code, message) {
  const key = { invalid_credentials: "login.invalid", forbidden: "login.forbidden",
    invalid_token: "login.invalidToken", token_expired: "login.expired" }[code];
  $("login-error").textContent = key ? t(key) : t("login.failed", { message });
}

function connect(token) {
  view.token = token;
  const socket = io("/supervisor", { auth: { token }, transports: ["websocket"] });
  view.socket = socket;
  let first = true;
  socket.on("supervisor_state", (state) => {
    $("login").hidden = true;
    $("board").hidden = false;
    render(state);
    if (first) {
      first = false;
      loadAccessLog();
    }
  });
  socket.on("connect_error", (error) => {
    $("login").hidden = false;
    $("board").hidden = true;
    loginError(error.data?.code, error.data?.message ?? error.message);
    socket.close();
  });
  socket.on("disconnect", () => setStatus("status.reconnecting"));
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  let response;
  try {
    response = await fetch("/api/agent/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
  } catch {
    $("login-error").textContent = t("login.network");
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    loginError(body.error?.code, body.error?.message ?? `HTTP ${response.status}`);
    return;
  }
  setStatus("status.connecting");
  connect(body.token);
});

for (const id of ["filter-queue", "filter-state", "filter-over"]) {
  $(id).addEventListener("change", () => { if (view.state) renderCases(view.state); });
}
$("access-refresh").addEventListener("click", () => loadAccessLog());
$("report-form").addEventListener("submit", () => {
  $("report-token").value = view.token ?? "";
  $("report-lang").value = getLanguage();
  // the form's data is taken once this handler returns: the token stays only in memory
  setTimeout(() => { $("report-token").value = ""; }, 0);
});
$("notify-enable").addEventListener("click", async () => {
  if (!("Notification" in window)) return;
  await Notification.requestPermission();
  renderNotifyState();
});
$("language-toggle").addEventListener("click", () => applyLanguage(getLanguage() === "sv" ? "en" : "sv"));

let saved = null;
try { saved = localStorage.getItem(LANGUAGE_KEY); } catch { /* private mode */ }
applyLanguage(saved ?? "sv");
