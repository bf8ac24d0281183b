/*
 * The supervisor view: sign in (POST /api/agent/login), then listen on the /supervisor
 * Socket.IO namespace for supervisor_state (docs/protocol.md). Only agents with the supervisor
 * role are let in. Everything shown is computed on the server from stored case metadata.
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const status = $("status");

  function text(tag, value, attrs) {
    const node = document.createElement(tag);
    node.textContent = value;
    for (const [name, v] of Object.entries(attrs || {})) node.setAttribute(name, v);
    return node;
  }
  const seconds = (v) => (v === null || v === undefined ? "–" : `${Math.round(v)} s`);
  const percent = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
  const rating = (v) => (v === null || v === undefined ? "–" : v.toFixed(2));

  function card(name, key, value, target, ok) {
    const wrap = document.createElement("div");
    wrap.className = "card";
    wrap.append(text("dt", name));
    const dd = text("dd", value, { "data-figure": key });
    dd.className = ok === null ? "na" : ok ? "ok" : "bad";
    const verdict = ok === null ? "no data yet" : ok ? "met" : "missed";
    dd.append(text("span", `target ${target} – ${verdict}`, { class: "target" }));
    wrap.append(dd);
    return wrap;
  }

  function render(state) {
    $("waiting").textContent = String(state.waiting);
    $("longest").textContent = seconds(state.longest_wait_seconds);
    $("queues").replaceChildren(...state.queues.map((q) => {
      const row = document.createElement("tr");
      row.setAttribute("data-queue", q.name);
      row.append(text("th", q.title.en || q.name, { scope: "row" }), text("td", String(q.waiting)),
        text("td", seconds(q.longest_wait_seconds)), text("td", String(q.agents_serving)));
      return row;
    }));
    const agents = [];
    for (const presence of ["available", "busy", "away", "offline"]) {
      for (const a of state.agents[presence]) {
        agents.push(text("li", `${a.name}: ${presence} (${a.cases} cases)`, { "data-presence": presence }));
      }
    }
    $("agents").replaceChildren(...(agents.length ? agents : [text("li", "No agents signed in")]));
    const t = state.today;
    const g = state.targets;
    const check = (v, good) => (v === null || v === undefined ? null : good(v));
    $("today").replaceChildren(
      card("ASA", "asa", seconds(t.asa_mean), `< ${g.asa_seconds} s`, check(t.asa_mean, (v) => v < g.asa_seconds)),
      card("FCR", "fcr", percent(t.fcr), `> ${g.fcr * 100} %`, check(t.fcr, (v) => v > g.fcr)),
      card("Abandoned", "abandonment", percent(t.abandonment), `< ${g.abandonment * 100} %`,
        check(t.abandonment, (v) => v < g.abandonment)),
      card("CSAT", "csat", rating(t.csat_mean), `> ${g.csat}`, check(t.csat_mean, (v) => v > g.csat)),
      card("Cases today", "cases", `${t.cases} (${t.answered} answered)`, "–", null),
    );
    status.textContent = `Live, updated ${new Date(state.at * 1000).toLocaleTimeString()}`;
  }

  async function loadAccessLog(token) {
    $("access-error").textContent = "";
    const response = await fetch("/api/admin/access-log?limit=50", {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await response.json();
    if (!response.ok) {
      $("access-error").textContent = body.error.message;
      return;
    }
    $("access-log").replaceChildren(...body.rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.action = row.action;
      tr.append(
        text("td", new Date(row.at * 1000).toLocaleString()),
        text("td", row.actor_id ? `${row.actor_kind} ${row.actor_id}` : row.actor_kind),
        text("td", row.action.replaceAll("_", " ")),
        text("td", row.case_id || "–"),
        text("td", row.reason || ""),
      );
      return tr;
    }));
  }

  function connect(token) {
    $("access-refresh").onclick = () => loadAccessLog(token);
    const socket = io("/supervisor", { auth: { token }, transports: ["websocket"] });
    let first = true;
    socket.on("supervisor_state", (state) => {
      $("login").hidden = true;
      $("board").hidden = false;
      render(state);
      if (first) {
        first = false;
        loadAccessLog(token);
      }
    });
    socket.on("connect_error", (error) => {
      $("login").hidden = false;
      $("board").hidden = true;
      $("login-error").textContent = (error.data && error.data.message) || error.message;
      socket.close();
    });
    socket.on("disconnect", () => { status.textContent = "Disconnected – reconnecting…"; });
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    const response = await fetch("/api/agent/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    const body = await response.json();
    if (!response.ok) {
      $("login-error").textContent = body.error.message;
      return;
    }
    status.textContent = "Connecting…";
    connect(body.token);
  });
})();
