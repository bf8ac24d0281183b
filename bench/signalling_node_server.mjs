// The bare Node baseline for bench/signalling.py: socket.io 4.8 (devDependency) with the same
// events as the bare python-socketio server (kiosks idle in rooms, Help presses queue, chat
// relayed between pairs) and GET /bench/lag: event-loop delay since the last call, from
// perf_hooks.monitorEventLoopDelay (10 ms resolution), and GC pauses.
//
//   node bench/signalling_node_server.mjs PORT
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Server } from "socket.io";

const port = Number(process.argv[2] || 8090);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let gc = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gc.push({ ms: entry.duration, kind: entry.detail?.kind });
}).observe({ entryTypes: ["gc"] });

const http = createServer((req, res) => {
  if (req.url.startsWith("/bench/lag")) {
    const ms = (ns) => ns / 1e6;
    const pauses = gc;
    gc = [];
    // kind 4 = major (mark-sweep-compact), the counterpart of a full collection
    const full = pauses.filter((p) => p.kind === 4);
    const body = {
      count: delay.count,
      p50_ms: ms(delay.percentile(50)),
      p99_ms: ms(delay.percentile(99)),
      p999_ms: ms(delay.percentile(99.9)),
      // the histogram counts from the 10 ms timer, so subtract the resolution as the Python monitor does
      max_ms: Math.max(0, ms(delay.max) - 10),
      gc_count: pauses.length,
      gc_max_ms: Math.max(0, ...pauses.map((p) => p.ms)),
      gc_total_ms: pauses.reduce((a, p) => a + p.ms, 0),
      gc_full_count: full.length,
      gc_full_max_ms: Math.max(0, ...full.map((p) => p.ms)),
    };
    for (const key of ["p50_ms", "p99_ms", "p999_ms"]) body[key] = Math.max(0, body[key] - 10);
    delay.reset();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(http, { transports: ["websocket", "polling"], serveClient: false });
const queue = [];
const customerOf = new Map(); // case → customer socket id
const agentOf = new Map(); // case → agent socket id
const caseOf = new Map(); // customer socket id → case
const agents = [];
let nextAgent = 0;

function customerEvents(nsp, name) {
  nsp.on("connection", (socket) => {
    socket.on("help_request", (data, ack) => {
      const caseId = randomUUID().replaceAll("-", "");
      queue.push(caseId);
      customerOf.set(caseId, socket.id);
      caseOf.set(socket.id, caseId);
      socket.join(`case:${caseId}`);
      if (name === "/customer" && agents.length) {
        io.of("/agent").to(agents[nextAgent++ % agents.length]).emit("offer", { case_id: caseId });
      }
      ack?.({ ok: true, case_id: caseId, case: { position: queue.indexOf(caseId) + 1 } });
    });
    socket.on("cancel", (data, ack) => {
      const caseId = caseOf.get(socket.id);
      caseOf.delete(socket.id);
      const at = queue.indexOf(caseId);
      if (at >= 0) queue.splice(at, 1);
      if (caseId) {
        customerOf.delete(caseId);
        socket.leave(`case:${caseId}`);
      }
      ack?.({ ok: true });
    });
    if (name === "/customer") {
      socket.on("chat_send", (data, ack) => {
        const caseId = caseOf.get(socket.id);
        const message = { case_id: caseId, sender: "customer", text: data.text, id: randomUUID() };
        io.of("/agent").to(agentOf.get(caseId)).emit("chat_message", message);
        ack?.({ ok: true, message });
      });
    }
  });
}

io.of("/kiosk").use((socket, next) => {
  const kioskId = socket.handshake.auth?.kiosk_id;
  if (typeof kioskId !== "string") return next(new Error("invalid_payload"));
  socket.join(`kiosk:${kioskId}`);
  next();
});
customerEvents(io.of("/kiosk"), "/kiosk");
customerEvents(io.of("/customer"), "/customer");

io.of("/agent").on("connection", (socket) => {
  agents.push(socket.id);
  socket.on("agent_hello", (data, ack) => ack?.({ ok: true }));
  socket.on("presence_set", (data, ack) => ack?.({ ok: true }));
  socket.on("offer_accept", (data, ack) => {
    const at = queue.indexOf(data.case_id);
    if (at >= 0) queue.splice(at, 1);
    agentOf.set(data.case_id, socket.id);
    const mine = agents.indexOf(socket.id);
    if (mine >= 0) agents.splice(mine, 1); // one case per agent, as the Helpwire run's agents
    ack?.({ ok: true });
  });
  socket.on("chat_send", (data, ack) => {
    const message = { case_id: data.case_id, sender: "agent", text: data.text, id: randomUUID() };
    io.of("/customer").to(`case:${data.case_id}`).emit("chat_message", message);
    ack?.({ ok: true, message });
  });
});

http.listen(port, "127.0.0.1", () => console.error(`node socket.io ready on ${port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
