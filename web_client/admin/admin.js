// The admin page: sign in (POST /api/agent/login) as an agent with the admin role, then change
// agents, quick replies, labels, opening hours per store and queues through /api/admin/…
// (docs/protocol.md "Admin"). Every change is live at once on the server and in the audit log
// shown at the bottom. Swedish first, English on a switch (messages.js). Plain ES module, no
// build step, no inline script (the page's Content-Security-Policy).

import { formatDateTime, getLanguage, has, setLanguage, t } from "./messages.js";

const LANGUAGE_KEY = "helpwire.admin.language";
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const $ = (id) => document.getElementById(id);

/** A tiny element builder: h("td", {class: "x", text: "…"}, child, …). */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "value") node.value = value;
    else if (name === "checked") node.checked = Boolean(value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

const view = {
  token: null,
  me: null,
  agents: [],
  config: null,
  audit: null,
  editing: null,
  resetting: null,
  status: ["status.signedOut"],
  saved: null,
};

// ------------------------------------------------------------------ language

function translateStatic() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = t("document.title");
  $("sections-nav").setAttribute("aria-label", t("nav.label"));
  const other = getLanguage() === "sv" ? "en" : "sv";
  $("language-toggle").replaceChildren(
    h("span", { class: "visually-hidden", text: `${t("language.toggleLabel")} ` }),
    h("span", { lang: other, text: t("language.toggle") }));
}

function applyLanguage(language) {
  setLanguage(language);
  document.documentElement.lang = getLanguage();
  try { localStorage.setItem(LANGUAGE_KEY, getLanguage()); } catch { /* private mode */ }
  translateStatic();
  setStatus(...view.status);
  if (view.saved) $("saved").textContent = t("saved", { what: t(...view.saved) });
  renderAll();
}

function setStatus(key, args) {
  view.status = [key, args];
  $("status").textContent = t(key, args);
}

function announceSaved(key, args) {
  view.saved = [key, args];
  $("saved").textContent = t("saved", { what: t(key, args) });
}

// ------------------------------------------------------------------ the server

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.field = body?.error?.field;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${view.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) signOut("login.invalidToken");
    throw new ApiError(response.status, answer);
  }
  return answer;
}

function showError(id, error) {
  $(id).textContent = error instanceof ApiError && error.field
    ? t("error.field", { field: error.field, message: error.message })
    : t("error.generic", { message: error.message });
}

/** Run a change: clear the form's error, call the server, refresh what it changed and the log. */
async function change(errorId, work) {
  $(errorId).textContent = "";
  try {
    await work();
    await loadAudit();
    return true;
  } catch (error) {
    showError(errorId, error);
    return false;
  }
}

async function loadAll() {
  const [agents, config] = await Promise.all([api("GET", "/api/admin/agents"),
    api("GET", "/api/admin/settings")]);
  view.agents = agents.agents;
  view.config = config;
  await loadAudit();
  renderAll();
}

async function loadAgents() {
  view.agents = (await api("GET", "/api/admin/agents")).agents;
  renderAgents();
}

async function loadConfig() {
  view.config = await api("GET", "/api/admin/settings");
  renderConfig();
}

async function loadAudit() {
  try {
    view.audit = (await api("GET", "/api/admin/audit-log?limit=100")).rows;
    $("audit-error").textContent = "";
  } catch (error) {
    showError("audit-error", error);
  }
  renderAudit();
}

// ------------------------------------------------------------------ agents

const list = (values) => (values.length ? values.join(", ") : t("agents.none"));
const words = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
const checkedValues = (...ids) => ids.map($).filter((box) => box.checked).map((box) => box.value);

function renderAgents() {
  $("agents").replaceChildren(...view.agents.map((agent) => h("tr", { dataset: { agent: agent.username } },
    h("td", { text: agent.username }),
    h("td", { text: agent.display_name }),
    h("td", { text: list(agent.roles.map((r) => t(`role.${r}`))) }),
    h("td", { text: list(agent.skills) }),
    h("td", { text: agent.languages.length ? agent.languages.map((l) => t(`lang.${l}`)).join(", ") : t("agents.any") }),
    h("td", { text: String(agent.max_concurrent) }),
    h("td", { class: agent.disabled ? "bad" : "", text: t(agent.disabled ? "agents.off" : "agents.active") }),
    h("td", {},
      actionButton(t("agents.edit", { name: agent.username }), () => openEdit(agent)),
      " ",
      actionButton(t("agents.password", { name: agent.username }), () => openPassword(agent))))));
  if (view.editing) fillEdit(view.agents.find((a) => a.id === view.editing) ?? null, false);
}

function actionButton(text, onClick) {
  const button = h("button", { type: "button", class: "secondary", text });
  button.addEventListener("click", onClick);
  return button;
}

function openEdit(agent) {
  view.editing = agent.id;
  view.resetting = null;
  $("agent-password").hidden = true;
  fillEdit(agent, true);
  $("edit-heading").focus();
}

function fillEdit(agent, values) {
  const form = $("agent-edit");
  form.hidden = agent === null;
  if (agent === null) return;
  $("edit-heading").textContent = t("agents.editTitle", { name: agent.username });
  if (!values) return;
  $("edit-name").value = agent.display_name;
  for (const role of ["supervisor", "admin"]) $(`edit-role-${role}`).checked = agent.roles.includes(role);
  $("edit-skills").value = agent.skills.join(", ");
  for (const lang of ["sv", "en"]) $(`edit-lang-${lang}`).checked = agent.languages.includes(lang);
  $("edit-capacity").value = String(agent.max_concurrent);
  $("edit-disabled").checked = agent.disabled;
}

function openPassword(agent) {
  view.resetting = agent.id;
  view.editing = null;
  $("agent-edit").hidden = true;
  $("agent-password").hidden = false;
  $("new-password").value = "";
  $("password-heading").textContent = t("agents.passwordTitle", { name: agent.username });
  $("password-heading").focus();
}

$("agent-edit").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = view.editing;
  const agent = view.agents.find((a) => a.id === id);
  if (!agent) return;
  const ok = await change("edit-error", async () => {
    await api("PATCH", `/api/admin/agents/${encodeURIComponent(id)}`, {
      display_name: $("edit-name").value,
      roles: checkedValues("edit-role-supervisor", "edit-role-admin"),
      skills: words($("edit-skills").value),
      languages: checkedValues("edit-lang-sv", "edit-lang-en"),
      max_concurrent: Number($("edit-capacity").value),
      disabled: $("edit-disabled").checked,
    });
    announceSaved("agents.saved", { name: agent.username });
    await loadAgents();
  });
  if (ok) {
    view.editing = null;
    $("agent-edit").hidden = true;
  }
});

$("edit-cancel").addEventListener("click", () => {
  view.editing = null;
  $("agent-edit").hidden = true;
});

$("agent-password").addEventListener("submit", async (event) => {
  event.preventDefault();
  const agent = view.agents.find((a) => a.id === view.resetting);
  if (!agent) return;
  const ok = await change("password-error", async () => {
    await api("POST", `/api/admin/agents/${encodeURIComponent(agent.id)}/password`,
      { password: $("new-password").value });
    announceSaved("agents.passwordSaved", { name: agent.username });
  });
  if (ok) {
    view.resetting = null;
    $("agent-password").hidden = true;
  }
});

$("password-cancel").addEventListener("click", () => {
  view.resetting = null;
  $("agent-password").hidden = true;
});

$("agent-create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("create-username").value;
  const ok = await change("create-error", async () => {
    await api("POST", "/api/admin/agents", {
      username,
      display_name: $("create-name").value,
      password: $("create-password").value,
      roles: checkedValues("create-role-supervisor", "create-role-admin"),
      skills: words($("create-skills").value),
      languages: checkedValues("create-lang-sv", "create-lang-en"),
      max_concurrent: Number($("create-capacity").value),
    });
    announceSaved("create.saved", { name: username });
    await loadAgents();
  });
  if (ok) $("agent-create").reset();
});

// ------------------------------------------------------------------ quick replies and labels

/** Editable rows of {id, sv, en}: one fieldset-free row per item, every input labelled. */
function renderRows(containerId, prefix, items) {
  $(containerId).replaceChildren(...items.map((item, index) => rowOf(prefix, item, index)));
}

function rowOf(prefix, item, index) {
  const n = index + 1;
  const field = (name, multiline) => {
    const id = `${prefix}-${name}-${n}`;
    const input = multiline
      ? h("textarea", { id, rows: 2, dataset: { field: name } })
      : h("input", { id, dataset: { field: name }, value: item[name] ?? "" });
    if (multiline) input.value = item[name] ?? "";
    return h("p", {}, h("label", { for: id, text: t(`${prefix}.${name}`, { n }) }), " ", input);
  };
  const long = prefix === "replies";
  const remove = actionButton(t(`${prefix}.remove`, { n }), (event) => {
    event.target.closest(".item").remove();
  });
  return h("div", { class: "item", dataset: { row: prefix } },
    field("id", false), field("sv", long), field("en", long), h("p", {}, remove));
}

function rowsOf(containerId) {
  return [...$(containerId).querySelectorAll(".item")].map((row) => {
    const value = (name) => row.querySelector(`[data-field=${name}]`).value;
    return { id: value("id"), sv: value("sv"), en: value("en") };
  });
}

function addRow(containerId, prefix) {
  const count = $(containerId).querySelectorAll(".item").length;
  const row = rowOf(prefix, {}, count);
  $(containerId).append(row);
  row.querySelector("input").focus();
}

$("reply-add").addEventListener("click", () => addRow("replies", "replies"));
$("label-add").addEventListener("click", () => addRow("labels", "labels"));

$("replies-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await change("replies-error", async () => {
    await api("PUT", "/api/admin/quick-replies", { quick_replies: rowsOf("replies") });
    announceSaved("replies.saved");
    await loadConfig();
  });
});

$("labels-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await change("labels-error", async () => {
    await api("PUT", "/api/admin/labels", { labels: rowsOf("labels") });
    announceSaved("labels.saved");
    await loadConfig();
  });
});

// ------------------------------------------------------------------ opening hours

function hoursText(hours) {
  const days = Object.entries(hours);
  if (!days.length) return t("hours.always");
  return days.map(([day, text]) => `${t(`day.${day}`)} ${text}`).join(", ");
}

function renderHours() {
  const config = view.config;
  $("hours-default").textContent = t("hours.default", {
    hours: hoursText(config.default_hours.opening_hours), timezone: config.default_hours.timezone });
  const stores = Object.entries(config.store_hours);
  $("hours-stores").replaceChildren(...(stores.length
    ? stores.map(([store, hours]) => h("li", {},
      actionButton(t("hours.edit", { store }), () => fillHours(store, hours)),
      ` ${hoursText(hours.opening_hours)} (${hours.timezone})`))
    : [h("li", { class: "hint", text: t("hours.none") })]));
  const days = $("hours-days");
  const values = Object.fromEntries(DAYS.map((day) => [day, $(`hours-${day}`)?.value ?? ""]));
  days.replaceChildren(...DAYS.map((day) => h("p", {},
    h("label", { for: `hours-${day}`, text: t(`day.${day}`) }), " ",
    h("input", { id: `hours-${day}`, value: values[day], placeholder: "08:00-20:00",
      "aria-describedby": "hours-format" }))));
}

function fillHours(store, hours) {
  $("hours-store").value = store;
  $("hours-timezone").value = hours.timezone;
  for (const day of DAYS) $(`hours-${day}`).value = hours.opening_hours[day] ?? "";
  $("hours-store").focus();
}

$("hours-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const store = $("hours-store").value.trim();
  const openingHours = {};
  for (const day of DAYS) {
    const text = $(`hours-${day}`).value.trim();
    openingHours[day] = text || "closed";
  }
  await change("hours-error", async () => {
    await api("PUT", `/api/admin/opening-hours/${encodeURIComponent(store)}`,
      { opening_hours: openingHours, timezone: $("hours-timezone").value.trim() });
    announceSaved("hours.saved", { store });
    await loadConfig();
  });
});

$("hours-remove").addEventListener("click", async () => {
  const store = $("hours-store").value.trim();
  if (!store) return;
  await change("hours-error", async () => {
    await api("DELETE", `/api/admin/opening-hours/${encodeURIComponent(store)}`);
    announceSaved("hours.removed", { store });
    await loadConfig();
  });
});

// ------------------------------------------------------------------ queues

function renderQueues() {
  const queues = view.config.queues;
  const names = Object.keys(queues);
  $("queues").replaceChildren(...names.map((name) => queueForm(name, queues[name], names)));
}

function queueForm(name, queue, names) {
  const id = (field) => `queue-${name}-${field}`;
  const fallback = h("select", { id: id("fallback") },
    h("option", { value: "", text: t("queues.noFallback") }),
    ...names.filter((other) => other !== name).map((other) => h("option", { value: other, text: other })));
  fallback.value = queue.fallback ?? "";
  const errorId = id("error");
  const heading = name === view.config.default_queue ? `${name} (${t("queues.default")})` : name;
  const form = h("form", { class: "queue", dataset: { queue: name }, "aria-labelledby": id("heading") },
    h("h3", { id: id("heading"), text: heading }),
    h("p", {}, h("label", { for: id("sv"), text: t("queues.titleSv") }), " ",
      h("input", { id: id("sv"), value: queue.title_sv, required: true })),
    h("p", {}, h("label", { for: id("en"), text: t("queues.titleEn") }), " ",
      h("input", { id: id("en"), value: queue.title_en, required: true })),
    h("p", {}, h("label", { for: id("skills"), text: t("queues.skills") }), " ",
      h("input", { id: id("skills"), value: queue.skills.join(", ") })),
    h("p", {}, h("label", { for: id("fallback"), text: t("queues.fallback") }), " ", fallback),
    h("p", {}, h("input", { type: "checkbox", id: id("open"), checked: queue.always_open }), " ",
      h("label", { for: id("open"), text: t("queues.alwaysOpen") })),
    h("p", {}, h("button", { type: "submit", text: t("queues.save", { name }) })),
    h("p", { id: errorId, class: "error", role: "alert" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await change(errorId, async () => {
      await api("PUT", `/api/admin/queues/${encodeURIComponent(name)}`, {
        title_sv: $(id("sv")).value, title_en: $(id("en")).value,
        skills: words($(id("skills")).value), fallback: fallback.value || null,
        always_open: $(id("open")).checked,
      });
      announceSaved("queues.saved", { name });
      await loadConfig();
    });
  });
  return form;
}

$("queue-new").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("queue-new-name").value.trim();
  const ok = await change("queue-new-error", async () => {
    await api("PUT", `/api/admin/queues/${encodeURIComponent(name)}`,
      { title_sv: name, title_en: name });
    announceSaved("queues.saved", { name });
    await loadConfig();
  });
  if (ok) $("queue-new").reset();
});

// ------------------------------------------------------------------ the audit log

function summary(row) {
  const { before, after } = row;
  if (Array.isArray(after) || Array.isArray(before)) {
    return t("audit.items", { before: (before ?? []).length, after: (after ?? []).length });
  }
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])]
    .filter((key) => key !== "id");
  return keys.map((key) => {
    const show = (value) => (value === undefined || value === null ? "–" : JSON.stringify(value));
    return before ? `${key}: ${show(before[key])} → ${show(after?.[key])}` : `${key}: ${show(after?.[key])}`;
  }).join("; ");
}

function targetName(row) {
  const agent = view.agents.find((a) => a.id === row.target);
  return agent ? agent.username : (row.target ?? "");
}

function renderAudit() {
  const rows = view.audit ?? [];
  $("audit").replaceChildren(...(rows.length
    ? rows.map((row) => h("tr", { dataset: { action: row.action } },
      h("td", { text: formatDateTime(row.at) }),
      h("td", { text: row.actor_username ?? "" }),
      h("td", { text: has(`action.${row.action}`) ? t(`action.${row.action}`) : row.action }),
      h("td", { text: targetName(row) }),
      h("td", { class: "change", text: summary(row) })))
    : [h("tr", {}, h("td", { colspan: 5, class: "hint", text: t("audit.empty") }))]));
}

$("audit-refresh").addEventListener("click", () => loadAudit());

// ------------------------------------------------------------------ everything

function renderConfig() {
  if (!view.config) return;
  renderRows("replies", "replies", view.config.quick_replies);
  renderRows("labels", "labels", view.config.labels);
  renderHours();
  renderQueues();
}

function renderAll() {
  if (!view.token) return;
  renderAgents();
  renderConfig();
  renderAudit();
}

// ------------------------------------------------------------------ sign-in

function loginError(code, message) {
  const key = { invalid_credentials: "login.invalid", forbidden: "login.forbidden",
    agent_disabled: "login.disabled", invalid_token: "login.invalidToken",
    token_expired: "login.invalidToken", token_revoked: "login.invalidToken" }[code];
  $("login-error").textContent = key ? t(key) : t("login.failed", { message });
}

function signOut(reason) {
  view.token = null;
  $("board").hidden = true;
  $("login").hidden = false;
  setStatus("status.signedOut");
  loginError(reason === "login.invalidToken" ? "invalid_token" : reason, "");
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
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    loginError(body.error?.code, body.error?.message ?? `HTTP ${response.status}`);
    return;
  }
  view.token = body.token;
  view.me = body.agent;
  try {
    await loadAll();
  } catch (error) {
    view.token = null;
    loginError(error.code, error.message);
    return;
  }
  $("password").value = "";
  $("login").hidden = true;
  $("board").hidden = false;
  setStatus("status.signedIn", { name: view.me.display_name });
  $("agents-heading").focus();
});

$("language-toggle").addEventListener("click", () => applyLanguage(getLanguage() === "sv" ? "en" : "sv"));

let saved = null;
try { saved = localStorage.getItem(LANGUAGE_KEY); } catch { /* private mode */ }
applyLanguage(saved ?? (navigator.language?.startsWith("en") ? "en" : "sv"));
