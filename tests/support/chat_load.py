"""Live chats against a real server, every acknowledgement written in a ledger, then checked.

"An acknowledgement is a promise": an ``{ok: true}`` ack of a state-changing event means it is
in the database. The load opens N customer cases, lets agents accept them, and has both sides
chat at a bounded rate; the ledger records each call as acked ok, acked with an error code, or
not acked before the connection dropped. ``check_store`` then reads the tables directly and
lists every acknowledged id the database does not have. ``resume_all`` is what the widget and the
console do after a server restart: customers ``resume`` with their case token, agents say
``agent_hello`` and get ``case_assigned`` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import socketio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from server.store.tables import case_events, cases

from .server_process import AgentSpec, login

CUSTOMER_NS = "/customer"
AGENT_NS = "/agent"
#: seconds an acknowledgement may take: longer than any outage a test injects, so an ack that
#: is delayed until the write commits is still seen
CALL_TIMEOUT = 20.0
CONNECT_TIMEOUT = 5.0
#: the label and rating used when a chat is finished
LABEL = "betalningsfråga"
RATING = 4
#: events whose ok acknowledgement promises a database write (the contract under test)
PROMISED = ("help_request", "chat_send", "cancel", "case_close", "feedback")
#: states a case can be in after an acknowledged cancel
AFTER_CANCEL = {"abandoned", "wrap_up", "closed"}

Outcome = Literal["ok", "error", "no_ack"]


def context(index: int) -> dict[str, Any]:
    """A plain question from a shop page (the general queue), one session per customer."""
    return {"store": "ica-maxi-lund", "language": "sv", "session_id": f"fault-{index}"}


# ---------------------------------------------------------------------- clients


class TimedClient:
    """A python-socketio client that records every event with the moment it arrived."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[float, str, Any]] = []
        self.disconnected = asyncio.Event()
        self.disconnected_at: float | None = None
        self.hooks: dict[str, Callable[[Any], None]] = {}
        self._arrived = asyncio.Condition()
        self.sio.on("*", self._on_any, namespace=namespace)
        self.sio.on("disconnect", self._on_disconnect, namespace=namespace)

    async def _on_any(self, event: str, data: Any = None) -> None:
        self.events.append((time.monotonic(), event, data))
        hook = self.hooks.get(event)
        if hook is not None:
            hook(data)
        async with self._arrived:
            self._arrived.notify_all()

    def _on_disconnect(self, reason: Any = None) -> None:
        if self.disconnected_at is None:
            self.disconnected_at = time.monotonic()
        self.disconnected.set()

    async def connect(self, url: str, auth: Any = None) -> None:
        await self.sio.connect(url, namespaces=[self.namespace], transports=["websocket"],
                               auth=auth, wait_timeout=CONNECT_TIMEOUT)

    def received(self, event: str) -> list[tuple[float, Any]]:
        return [(at, data) for at, name, data in self.events if name == event]

    def first(self, event: str) -> float | None:
        return next((at for at, name, _ in self.events if name == event), None)

    async def wait_for(self, event: str, predicate: Callable[[Any], bool] | None = None,
                       timeout: float = 5.0) -> Any:
        """An event already received, or the next one, matching predicate (bounded)."""
        async def found() -> Any:
            async with self._arrived:
                while True:
                    for _, name, data in self.events:
                        if name == event and (predicate is None or predicate(data)):
                            return data
                    await self._arrived.wait()

        return await asyncio.wait_for(found(), timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()
        # a killed server leaves nothing to say goodbye to: drop the transport as well
        with contextlib.suppress(Exception):
            if self.sio.eio.state != "disconnected":
                await self.sio.eio.disconnect(abort=True)


# ---------------------------------------------------------------------- the ledger


@dataclass
class Ack:
    """One call of a client: what was sent, and what (if anything) came back."""

    kind: str
    case_id: str | None
    #: the id the ok ack promised: the case id (help_request) or the message id (chat_send)
    ref: str | None
    outcome: Outcome
    code: str | None
    sent_at: float
    answered_at: float
    detail: dict[str, Any] = field(default_factory=dict)
    body: Any = None


class Ledger:
    """Every acknowledgement of the load, in the order the calls were made."""

    def __init__(self) -> None:
        self.entries: list[Ack] = []

    def of(self, kind: str, outcome: Outcome | None = None) -> list[Ack]:
        return [e for e in self.entries
                if e.kind == kind and (outcome is None or e.outcome == outcome)]

    def acked(self, kind: str) -> list[Ack]:
        return self.of(kind, "ok")

    def between(self, start: float, end: float) -> list[Ack]:
        """Calls whose answer (or loss) came in [start, end)."""
        return [e for e in self.entries if start <= e.answered_at < end]

    def counts(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for entry in self.entries:
            label = entry.outcome if entry.outcome == "ok" else f"{entry.outcome}:{entry.code}"
            table[entry.kind][label] += 1
        return table

    def summary(self) -> str:
        lines = []
        for kind, counter in sorted(self.counts().items()):
            parts = ", ".join(f"{label} {n}" for label, n in sorted(counter.items()))
            lines.append(f"  {kind}: {parts}")
        return "\n".join(lines)

    async def call(self, client: TimedClient, kind: str, payload: dict[str, Any], *,
                   case_id: str | None, detail: dict[str, Any] | None = None,
                   timeout: float = CALL_TIMEOUT) -> Ack:
        """Call ``kind`` and record the outcome; a dropped connection ends the wait at once."""
        sent = time.monotonic()
        outcome: Outcome
        code: str | None = None
        body: Any = None
        call = asyncio.ensure_future(
            client.sio.call(kind, payload, namespace=client.namespace, timeout=timeout)
        )
        dropped = asyncio.ensure_future(client.disconnected.wait())
        try:
            await asyncio.wait({call, dropped}, timeout=timeout + 1,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            dropped.cancel()
        if call.done() and not call.cancelled() and call.exception() is None:
            body = call.result()
            if isinstance(body, dict) and body.get("ok") is True:
                outcome = "ok"
            elif isinstance(body, dict) and body.get("ok") is False:
                outcome, code = "error", str((body.get("error") or {}).get("code"))
            else:
                outcome, code = "error", "malformed_ack"
        else:
            outcome = "no_ack"
            if call.done() and not call.cancelled():
                error = call.exception()
                code = "timeout" if isinstance(error, socketio.exceptions.TimeoutError) else (
                    "disconnected" if isinstance(error, socketio.exceptions.BadNamespaceError)
                    else type(error).__name__)
            else:
                call.cancel()
                code = "disconnected"
        ref = None
        if outcome == "ok" and isinstance(body, dict):
            if kind == "help_request":
                ref = str(body.get("case_id"))
                case_id = ref
            elif kind == "chat_send":
                ref = str((body.get("message") or {}).get("id"))
        entry = Ack(kind, case_id, ref, outcome, code, sent, time.monotonic(),
                    dict(detail or {}), body)
        self.entries.append(entry)
        return entry


# ---------------------------------------------------------------------- the load


@dataclass
class AgentSide:
    spec: AgentSpec
    token: str
    client: TimedClient
    labels: list[str] = field(default_factory=list)


@dataclass
class Chat:
    """One customer with one case."""

    index: int
    customer: TimedClient
    case_id: str | None = None
    case_token: str | None = None
    agent: AgentSide | None = None
    lines_sent: int = 0
    #: the case was finished on purpose (closed with feedback): not a live chat any more
    finished: bool = False
    #: set once an agent's offer_accept for this case was acknowledged
    bound: asyncio.Event = field(default_factory=asyncio.Event)

    def bind(self, side: AgentSide) -> None:
        self.agent = side
        self.bound.set()


class ChatLoad:
    """N live chats between customers and agents on one server, every ack in ``ledger``."""

    def __init__(self, url: str, ledger: Ledger | None = None) -> None:
        self.url = url
        self.ledger = ledger or Ledger()
        self.agents: list[AgentSide] = []
        self.chats: list[Chat] = []
        self._by_case: dict[str, Chat] = {}
        #: case id → the agent whose offer_accept was acknowledged
        self._accepted: dict[str, AgentSide] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chatting: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    # --- set-up ----------------------------------------------------------------

    async def connect_agents(self, specs: Iterable[AgentSpec]) -> None:
        """Sign in over HTTP, connect, hello, available; offers are accepted as they come."""
        for spec in specs:
            token = await login(self.url, spec.username)
            client = TimedClient(AGENT_NS)
            side = AgentSide(spec, token, client)
            client.hooks["offer"] = self._acceptor(side)
            await client.connect(self.url, {"token": token})
            hello = await client.sio.call("agent_hello", {}, namespace=AGENT_NS, timeout=10)
            assert hello.get("ok") is True, f"agent_hello of {spec.username}: {hello}"
            side.labels = list(hello["labels"])
            presence = await client.sio.call("presence_set", {"presence": "available"},
                                             namespace=AGENT_NS, timeout=10)
            assert presence.get("ok") is True, presence
            self.agents.append(side)

    def _acceptor(self, side: AgentSide) -> Callable[[Any], None]:
        def on_offer(offer: Any) -> None:
            self._spawn(self._accept(side, offer))

        return on_offer

    async def _accept(self, side: AgentSide, offer: Any) -> None:
        case_id = str(offer["case_id"])
        ack = await self.ledger.call(side.client, "offer_accept", {"case_id": case_id},
                                     case_id=case_id)
        if ack.outcome == "ok":
            self._accepted[case_id] = side
            chat = self._by_case.get(case_id)
            if chat is not None:
                chat.bind(side)

    async def open_cases(self, count: int, concurrency: int = 10) -> None:
        """``count`` customers connect and press Help (``concurrency`` at a time)."""
        gate = asyncio.Semaphore(concurrency)
        start = len(self.chats)

        async def one(index: int) -> None:
            async with gate:
                client = TimedClient(CUSTOMER_NS)
                chat = Chat(index, client)
                self.chats.append(chat)
                await client.connect(self.url)
                ack = await self.ledger.call(client, "help_request", {"context": context(index)},
                                             case_id=None, detail={"index": index})
                if ack.outcome == "ok":
                    chat.case_id = ack.ref
                    chat.case_token = str(ack.body["case_token"])
                    self._by_case[str(chat.case_id)] = chat
                    # an offer accepted before this ack arrived found no chat: bind it now
                    accepted = self._accepted.get(str(chat.case_id))
                    if accepted is not None:
                        chat.bind(accepted)

        await asyncio.gather(*(one(start + i) for i in range(count)))
        self.chats.sort(key=lambda c: c.index)

    async def wait_all_joined(self, timeout: float) -> int:
        """Wait (bounded) until every opened case has an agent; returns how many have one."""
        async def joined(chat: Chat) -> None:
            await chat.customer.wait_for(
                "agent_joined", lambda e: e.get("case_id") == chat.case_id, timeout=timeout)
            await chat.bound.wait()  # the accept's ack may still be on its way

        opened = [c for c in self.chats if c.case_id]
        results = await asyncio.gather(*(asyncio.wait_for(joined(c), timeout) for c in opened),
                                       return_exceptions=True)
        return sum(1 for r in results if r is None)

    # --- chatting --------------------------------------------------------------

    def start_chatting(self, interval: float, *, finish_after: dict[int, int] | None = None,
                       cancel_first: Iterable[int] = ()) -> None:
        """Each live chat sends a line every ``interval`` s, customer and agent in turn.

        ``finish_after[index] = n``: after n lines that chat is finished: (the customer cancels
        if its index is in ``cancel_first``,) the agent closes it with a label, the customer
        gives feedback.
        """
        self._stop.clear()
        finish_after = finish_after or {}
        cancelling = set(cancel_first)
        live = [c for c in self.chats if c.case_id and c.agent is not None and not c.finished]
        for position, chat in enumerate(live):
            offset = interval * position / max(len(live), 1)
            task = asyncio.ensure_future(self._chat(chat, interval, offset,
                                                    finish_after.get(chat.index),
                                                    chat.index in cancelling))
            self._chatting.append(task)

    async def stop_chatting(self) -> None:
        """Stop sending; waits for the calls in flight (each bounded by its timeout)."""
        self._stop.set()
        tasks, self._chatting = self._chatting, []
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _pause(self, seconds: float) -> bool:
        """Pace the chat (a rate, not a wait for an event); False once stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return not self._stop.is_set()

    async def _chat(self, chat: Chat, interval: float, offset: float, finish_after: int | None,
                    cancel: bool) -> None:
        assert chat.agent is not None and chat.case_id is not None
        if not await self._pause(offset):
            return
        while not self._stop.is_set():
            if finish_after is not None and chat.lines_sent >= finish_after:
                await self.finish(chat, cancel=cancel)
                return
            n = chat.lines_sent
            if n % 2 == 0:
                client_id = f"c{chat.index}-{n}"
                ack = await self.ledger.call(
                    chat.customer, "chat_send", {"text": f"customer line {n}", "client_id": client_id},
                    case_id=chat.case_id, detail={"sender": "customer", "client_id": client_id})
            else:
                client_id = f"a{chat.index}-{n}"
                ack = await self.ledger.call(
                    chat.agent.client, "chat_send",
                    {"case_id": chat.case_id, "text": f"agent line {n}", "client_id": client_id},
                    case_id=chat.case_id, detail={"sender": "agent", "client_id": client_id})
            chat.lines_sent += 1
            if ack.outcome == "no_ack" and ack.code == "disconnected":
                return  # the server went away; the test decides what comes next
            if not await self._pause(interval):
                return

    async def finish(self, chat: Chat, *, cancel: bool = False) -> None:
        """The end of a conversation: (cancel,) close with a label, feedback."""
        assert chat.agent is not None and chat.case_id is not None
        chat.finished = True
        if cancel:
            await self.ledger.call(chat.customer, "cancel", {}, case_id=chat.case_id)
        label = chat.agent.labels[0] if chat.agent.labels else LABEL
        await self.ledger.call(chat.agent.client, "case_close",
                               {"case_id": chat.case_id, "label": label, "resolved": True},
                               case_id=chat.case_id, detail={"label": label})
        await self.ledger.call(chat.customer, "feedback", {"rating": RATING},
                               case_id=chat.case_id, detail={"rating": RATING})

    # --- after a restart ---------------------------------------------------------

    async def resume_all(self, answering_at: float, window: float) -> ResumeReport:
        """Every live chat resumes, as the widget and console would, on new connections.

        Customers ``resume`` with their token (connection attempts repeat until ``window``
        seconds after ``answering_at``); agents reconnect and say ``agent_hello``. Times are
        measured from ``answering_at`` (when /healthz answered again).
        """
        report = ResumeReport(window=window)
        deadline = answering_at + window
        live = [c for c in self.chats if c.case_token and not c.finished]

        async def customer(chat: Chat) -> None:
            while True:
                client = TimedClient(CUSTOMER_NS)
                try:
                    await client.connect(self.url)
                except socketio.exceptions.ConnectionError:
                    await client.close()
                    if time.monotonic() > deadline:
                        report.refused[str(chat.case_id)] = "connect_failed"
                        return
                    await asyncio.sleep(0.1)  # retrying a refused connection: nothing to await
                    continue
                chat.customer = client
                break
            ack = await self.ledger.call(client, "resume", {"case_token": chat.case_token},
                                         case_id=chat.case_id, timeout=max(deadline - time.monotonic(), 1))
            if ack.outcome == "ok":
                report.resumed[str(chat.case_id)] = ack.answered_at - answering_at
                report.states[str(chat.case_id)] = str((ack.body.get("case") or {}).get("state"))
            else:
                report.refused[str(chat.case_id)] = str(ack.code)

        async def agent(side: AgentSide) -> None:
            client = TimedClient(AGENT_NS)
            client.hooks["offer"] = self._acceptor(side)
            side.client = client
            try:
                await client.connect(self.url, {"token": side.token})
                ack = await self.ledger.call(client, "agent_hello", {}, case_id=None)
            except socketio.exceptions.ConnectionError as error:
                report.agent_errors[side.spec.username] = f"connect: {error}"
                return
            if ack.outcome != "ok":
                report.agent_errors[side.spec.username] = f"agent_hello: {ack.code}"

        await asyncio.gather(*(customer(c) for c in live), *(agent(a) for a in self.agents))
        # case_assigned arrives after the hello's ack: give it the rest of the window
        expected = {str(c.case_id): c.agent for c in live if c.agent is not None}

        async def assigned(case_id: str, side: AgentSide) -> None:
            with contextlib.suppress(TimeoutError):
                await side.client.wait_for(
                    "case_assigned", lambda v: v.get("case_id") == case_id,
                    timeout=max(deadline - time.monotonic(), 0.5))
                report.assigned[case_id] = time.monotonic() - answering_at

        await asyncio.gather(*(assigned(case_id, side) for case_id, side in expected.items()))
        report.live = len(live)
        return report

    # --- clean-up --------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Disconnect every client and end every task (for ``finally``; never raises)."""
        self._stop.set()
        for task in [*self._chatting, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._chatting, *self._tasks, return_exceptions=True)
        clients = [c.customer for c in self.chats] + [a.client for a in self.agents]
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    def live_chats(self) -> list[Chat]:
        return [c for c in self.chats if c.case_id and not c.finished]


@dataclass
class ResumeReport:
    window: float
    live: int = 0
    #: case id → seconds from /healthz answering to the resume's ok ack
    resumed: dict[str, float] = field(default_factory=dict)
    #: case id → the state the resumed case is in
    states: dict[str, str] = field(default_factory=dict)
    #: case id → why it was not resumed (an error code, "timeout", "connect_failed")
    refused: dict[str, str] = field(default_factory=dict)
    #: case id → when its agent got case_assigned again
    assigned: dict[str, float] = field(default_factory=dict)
    agent_errors: dict[str, str] = field(default_factory=dict)

    def resumed_within(self, seconds: float) -> int:
        return sum(1 for t in self.resumed.values() if t <= seconds)

    def percent_within(self, seconds: float) -> float:
        return 100.0 * self.resumed_within(seconds) / self.live if self.live else 0.0

    def summary(self) -> str:
        times = sorted(self.resumed.values())
        slowest = f"{times[-1]:.2f} s" if times else "-"
        median = f"{times[len(times) // 2]:.2f} s" if times else "-"
        why = Counter(self.refused.values())
        return (f"resumed {self.resumed_within(self.window)}/{self.live} live chats within "
                f"{self.window:.0f} s ({self.percent_within(self.window):.1f} %), median {median},"
                f" slowest {slowest}; refused: {dict(why) or 'none'}; agents got case_assigned"
                f" for {len(self.assigned)}/{self.live}; agent errors: {self.agent_errors or 'none'}")


# ---------------------------------------------------------------------- the checker


@dataclass
class StoreCheck:
    """What the database holds of what was acknowledged."""

    acked: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)
    #: kind → ids (case ids, message ids) acknowledged but not (correctly) in the database
    missing: dict[str, list[str]] = field(default_factory=dict)
    #: case id → state in the database
    states: dict[str, str] = field(default_factory=dict)

    @property
    def missing_total(self) -> int:
        return sum(len(ids) for ids in self.missing.values())

    def summary(self) -> str:
        parts = []
        for kind in PROMISED:
            acked = self.acked.get(kind, 0)
            missing = self.missing.get(kind, [])
            parts.append(f"{kind}: acked {acked}, stored {self.stored.get(kind, 0)},"
                         f" missing {len(missing)}")
        return "; ".join(parts)

    def problems(self, shown: int = 10) -> list[str]:
        out = []
        for kind, ids in self.missing.items():
            if ids:
                more = f" (+{len(ids) - shown} more)" if len(ids) > shown else ""
                out.append(f"{len(ids)} acknowledged {kind} missing from the database, e.g. "
                           f"{ids[:shown]}{more}")
        return out


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def read_cases(database_url: str, case_ids: Iterable[str]) -> tuple[
        dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``cases`` and the ``chat_line`` events of ``case_events`` for these cases."""
    ids = sorted(set(case_ids))
    engine = create_async_engine(database_url, poolclass=NullPool)
    rows: dict[str, dict[str, Any]] = {}
    lines: list[dict[str, Any]] = []
    try:
        async with engine.connect() as conn:
            for chunk in _chunks(ids):
                result = await conn.execute(sa.select(cases).where(cases.c.id.in_(chunk)))
                for row in result.mappings():
                    rows[row["id"]] = dict(row)
                result = await conn.execute(sa.select(case_events).where(
                    case_events.c.case_id.in_(chunk), case_events.c.kind == "chat_line"))
                lines.extend(dict(row) for row in result.mappings())
    finally:
        await engine.dispose()
    return rows, lines


async def check_store(database_url: str, ledger: Ledger) -> StoreCheck:
    """Every ok-acknowledged promise of ``ledger`` against the database."""
    check = StoreCheck()
    case_ids = [e.case_id for e in ledger.entries if e.case_id]
    rows, lines = await read_cases(database_url, [c for c in case_ids if c])
    check.states = {case_id: str(row["state"]) for case_id, row in rows.items()}
    by_message: dict[str, dict[str, Any]] = {}
    for line in lines:
        detail = line["detail"] if isinstance(line["detail"], dict) else {}
        by_message[str(detail.get("message_id"))] = {**detail, "case_id": line["case_id"]}

    def judge(kind: str, ok: Callable[[Ack], bool], ident: Callable[[Ack], str]) -> None:
        acked = ledger.acked(kind)
        check.acked[kind] = len(acked)
        missing = [ident(a) for a in acked if not ok(a)]
        check.stored[kind] = len(acked) - len(missing)
        check.missing[kind] = missing

    judge("help_request", lambda a: a.ref in rows, lambda a: str(a.ref))

    def line_stored(a: Ack) -> bool:
        line = by_message.get(str(a.ref))
        return (line is not None and line["case_id"] == a.case_id
                and line.get("sender") == a.detail.get("sender")
                and line.get("client_id") == a.detail.get("client_id"))

    judge("chat_send", line_stored, lambda a: str(a.ref))

    def state(a: Ack) -> str | None:
        row = rows.get(str(a.case_id))
        return None if row is None else str(row["state"])

    judge("cancel", lambda a: state(a) in AFTER_CANCEL, lambda a: str(a.case_id))
    judge("case_close",
          lambda a: state(a) == "closed" and rows[str(a.case_id)]["label"] == a.detail["label"],
          lambda a: str(a.case_id))
    judge("feedback",
          lambda a: rows.get(str(a.case_id), {}).get("rating") == a.detail["rating"],
          lambda a: str(a.case_id))
    return check


async def still_active(database_url: str, case_ids: Iterable[str]) -> list[str]:
    """Which of these cases the database still calls ``active``."""
    rows, _ = await read_cases(database_url, case_ids)
    return sorted(case_id for case_id, row in rows.items() if row["state"] == "active")
