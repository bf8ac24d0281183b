// The connection and the session: the stored token, the /agent socket with its reconnection and
// restart backoff, token renewal, and the acknowledged emit every panel uses.
// The wire protocol is docs/protocol.md ("Agent namespace").

import { io } from "/vendor/socket.io.esm.min.js";
import { $, setText } from "/static/shared/dom.js";
import { ACK_TIMEOUT_MS, SESSION_KEY, state } from "./state.js";

/** retry_after_ms plus 0–100 % jitter, so every console does not come back at once. */
const restartDelay = () => state.retryAfterMs * (1 + Math.random());

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    if (!session?.token) return { session: null };
    if (session.expiresAt && session.expiresAt <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return { session: null, message: "login.expired" };
    }
    return { session };
  } catch {
    return { session: null };
  }
}

export function storeSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/**
 * token_expiring: the server closes this socket when the token runs out. Fetch a new token
 * with the current one (POST /api/agent/refresh), keep it for reconnects and hand it to the
 * socket (token_renew), which moves the deadline. If that fails, token_expired follows.
 */
async function refreshToken(socket) {
  if (state.socket !== socket || !state.session) return;
  let body;
  try {
    const response = await fetch("/api/agent/refresh", {
      method: "POST",
      headers: { Authorization: `Bearer ${state.session.token}`, Accept: "application/json" },
    });
    body = response.ok ? await response.json() : null;
  } catch {
    body = null;
  }
  if (!body?.token || state.socket !== socket) return;
  state.session = { ...state.session, token: body.token,
                    expiresAt: Date.now() + Number(body.expires_in ?? 0) * 1000 };
  storeSession(state.session);
  socket.auth = { token: body.token };
  await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("token_renew", { token: body.token }).catch(() => null);
}

/** An event with an acknowledgement; offline and timeouts come back as errors, never throw. */
export async function emit(event, payload) {
  const socket = state.socket;
  if (!socket?.connected) return { ok: false, error: { code: "offline" } };
  try {
    return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
  } catch {
    return { ok: false, error: { code: "timeout" } };
  }
}

/** Fire-and-forget events (typing, read receipts): the acknowledgement is not needed. */
export function send(event, payload) {
  if (state.socket?.connected) state.socket.emit(event, payload);
}

export function setConnection(key, args) {
  const node = $("#connection");
  node.hidden = false;
  node.dataset.state = key.split(".")[1];
  setText(node, key, args);
}

export function disconnect() {
  const socket = state.socket;
  state.socket = null;
  if (socket) {
    socket.removeAllListeners();
    socket.disconnect();
  }
}

/**
 * Open the /agent socket. onHello(socket) runs on every (re)connection; onSignedOut(key) when
 * the token is refused or expired; handlers: server event name → function(payload).
 */
export function connect({ handlers, onHello, onSignedOut }) {
  disconnect();
  const socket = io("/agent", {
    transports: ["websocket"],
    auth: { token: state.session.token },
    reconnectionDelayMax: 5000,
  });
  state.socket = socket;
  socket.on("connect", () => onHello(socket));
  socket.on("connect_error", (error) => {
    if (state.socket !== socket) return;
    const code = error?.data?.code;
    if (code === "invalid_token" || code === "token_expired" || code === "token_revoked") {
      clearSession();
      onSignedOut(code === "token_expired" ? "login.expired" : "login.invalidToken");
      return;
    }
    setConnection("connection.offline");
    // a refused namespace connection is not retried by the client; a transport error is
    if (!socket.active) window.setTimeout(() => state.socket === socket && socket.connect(), 3000);
  });
  socket.on("token_expiring", () => refreshToken(socket));
  socket.on("token_expired", (payload) => {
    // the session is over (expired, signed out elsewhere, password changed)
    if (state.socket !== socket) return;
    clearSession();
    disconnect();
    onSignedOut(payload?.code === "token_expired" ? "login.expired" : "login.invalidToken");
  });
  socket.on("server_restarting", (payload) => {
    if (state.socket !== socket) return;
    // the server is going away on purpose: reconnect with backoff + jitter from retry_after_ms
    if (typeof payload?.retry_after_ms === "number") {
      state.retryAfterMs = Math.max(100, payload.retry_after_ms);
      // the Manager waits delay × 2^attempt ± randomization: this gives retry_after_ms … 2 × it
      socket.io.reconnectionDelay(state.retryAfterMs * 1.5);
      socket.io.randomizationFactor(1 / 3);
      socket.io.reconnectionDelayMax(Math.max(5000, state.retryAfterMs * 4));
    }
    setConnection("connection.restarting");
  });
  socket.on("disconnect", (reason) => {
    if (state.socket !== socket) return;
    if ($("#connection").dataset.state !== "restarting") setConnection("connection.reconnecting");
    // the client retries by itself after transport trouble, not after a server-side disconnect
    if (reason === "io server disconnect") {
      window.setTimeout(() => state.socket === socket && socket.connect(), restartDelay());
    }
  });
  for (const [event, handler] of Object.entries(handlers)) {
    socket.on(event, (payload) => {
      if (state.socket === socket) handler(payload ?? {});
    });
  }
  return socket;
}
