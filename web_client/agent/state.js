// The console's one shared state: the session, the socket, offers and cases (one object, so every
// module sees the same values). Written by session.js, offers.js and cases.js.

export const SESSION_KEY = "helpwire.agent.session";
export const LANGUAGE_KEY = "helpwire.agent.language";
export const ACK_TIMEOUT_MS = 10000;

export const state = {
  /** @type {any} */ session: null,
  /** @type {any} */ socket: null,
  /** @type {any} */ hello: null,
  /** @type {string | null} */ presence: null,
  /** @type {string | null} */ presenceReason: null,
  /** @type {Map<string, any>} */ offers: new Map(),
  /** @type {Map<string, any>} */ cases: new Map(),
  /** @type {string | null} */ selected: null,
  /** @type {any} */ queues: null,
  queuesReceivedAt: 0,
  assignedThisConnection: new Set(),
  offeredThisConnection: new Set(),
  // what the agent chose (or the server set with a reason): said again after a reconnect,
  // since a restarted server, or one that forgot an agent without cases, starts them as away
  /** @type {string | null} */ chosenPresence: null,
  // client_id → {caseId, body}: the agent's messages whose acknowledgement never came
  /** @type {Map<string, {caseId: string, body: object}>} */ outbox: new Map(),
  // server_restarting's retry_after_ms: where the reconnection backoff starts
  retryAfterMs: 1000,
};
