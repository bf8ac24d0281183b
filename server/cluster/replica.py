"""The node's view of the shared dispatch state: what the synchronous engine reads and commands,
written through to the shared state (Redis) by the hub before anything is stored or said, and
kept up to date with every other node's changes through the change feed (feed.py).

The core is pure and synchronous; Redis is asynchronous. So the engine decides on this local
view, whose commands run at once on an in-memory state (the reference semantics) and are kept in
order in a journal, each with an id (the node id and a sequence number). ``flush`` — awaited by
the hub at the start of every batch it carries out (``Hub.run``), so before the batch's writes
are committed and its events sent — applies the journal to the shared state, one atomic script
per command, in the order the engine issued them, and the view takes what each command left in
the shared state (its effect), so a command another node beat leaves the shared truth here, not
our guess. Such a command is a conflict: counted, logged and handed to ``conflicts`` for the engine
to decide again. While Redis cannot be reached the journal is kept and applied when it answers
again (tried at most every ``retry_seconds``); a command whose reply was lost is sent again under
the same id and Redis answers what it did the first time instead of applying it twice.

Which values are this node's own (its agents' sign-ins, the cases it enqueued or offered) is
remembered, so that after Redis lost its state (a restart: the epoch changes) the node writes
them back (``seed``) and every node reloads what the others wrote back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from ..core.agents import AgentProfile, AgentStatus, Presence
from ..core.state import Expiry, MemoryDispatchState, Offer, Overruled, QueueEntry
from ..logs import get_logger
from .port import Applied, Effect
from .redis_dispatch import FeedEntry, RedisDispatchState, Snapshot

log = get_logger("helpwire.cluster")

#: a value of the view: ("a", agent id), ("e", case id: its queue entry), ("o", case id: its offer)
Key = tuple[str, str]


class SharedStateUnavailable(RuntimeError):
    """The shared dispatch state could not be reached at start-up."""


@dataclass(frozen=True)
class Command:
    """One command as the engine issued it, and the result it acted on."""

    id: str
    name: str
    args: tuple[Any, ...]
    result: Any
    #: the values its effect carries
    keys: tuple[Key, ...] = ()


def touched(name: str, args: tuple[Any, ...], local: MemoryDispatchState) -> list[Key]:
    """The values a command's effect carries (server/cluster/lua.py names the same)."""
    if name == "enqueue":
        case = args[0].case_id
        return [("e", case), ("o", case)]
    if name in ("connect_agent", "restore_agent"):
        return [("a", args[0].id)]
    if name in ("disconnect_agent", "set_presence", "release", "settle_lost_agent"):
        return [("a", args[0])]
    if name == "offer":
        return [("a", args[0].agent_id), ("e", args[0].case_id), ("o", args[0].case_id)]
    if name == "accept":
        return [("a", args[1]), ("e", args[0]), ("o", args[0])]
    if name == "expire":
        offer = local.offer_for_case(args[0])
        return ([("a", offer.agent_id)] if offer else []) + [("e", args[0]), ("o", args[0])]
    return [("e", args[0]), ("o", args[0])]  # dequeue, decline, withdraw


class WriteThroughDispatchState:
    """A ``core.state.DispatchState`` whose commands are journalled for the shared state."""

    def __init__(self, shared: RedisDispatchState, retry_seconds: float = 1.0,
                 max_journal: int = 10_000,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.node_id = shared.node_id
        #: after a failed write, how long batches go on without trying Redis again (so an
        #: outage costs each batch nothing, not a connect timeout)
        self._retry_seconds = retry_seconds
        self._monotonic = monotonic
        self._retry_at = 0.0
        self.local = MemoryDispatchState()
        self._journal: deque[Command] = deque()
        #: how many commands the journal keeps while Redis cannot be reached; one more and it
        #: is dropped: the view is then the record, written back whole once Redis answers
        #: (``_resync``), and what needs the shared state is refused until then
        self.max_journal = max_journal
        self._resync = False
        #: set while the shared state has (or is given, in order) all this node decided;
        #: cleared when the journal overflows, set again once the view was written back
        self.whole = asyncio.Event()
        self.whole.set()
        #: command ids are the node id, this run (a restarted node counts from 1 again) and a
        #: sequence number
        self._run_id = uuid.uuid4().hex[:12]
        self._sequence = 0
        #: values that journalled commands will change: the shared state's word on them waits
        #: for the last of those commands (an older value must not undo a newer local one)
        self._pending: Counter[Key] = Counter()
        #: the revision of the shared value the view took for a key, where newer than ``revision``
        self._seen: dict[Key, int] = {}
        self._own_agents: set[str] = set()
        self._own_cases: set[str] = set()
        self._lock = asyncio.Lock()
        #: the feed position: every change up to this revision is in the view; and the epoch
        self.revision = 0
        self.epoch = ""
        #: commands applied to the shared state, and those whose result differed from ours
        self.applied = 0
        self.conflicts = 0
        #: changes of other nodes taken into the view, reloads of the whole state, re-seeds
        self.followed = 0
        self.reloads = 0
        self.reseeds = 0
        self.available = True
        #: called (without awaiting anything in between) when other nodes' changes came in
        self.changed: list[Callable[[], Awaitable[None]]] = []

    # ------------------------------------------------------------------ reads: the local view

    def entry(self, case_id: str) -> QueueEntry | None:
        return self.local.entry(case_id)

    def waiting(self, queue: str) -> list[QueueEntry]:
        return self.local.waiting(queue)

    def queue_names(self) -> Iterable[str]:
        return self.local.queue_names()

    def agent(self, agent_id: str) -> AgentStatus | None:
        return self.local.agent(agent_id)

    def agents(self) -> Iterable[AgentStatus]:
        return self.local.agents()

    def offer_for_case(self, case_id: str) -> Offer | None:
        return self.local.offer_for_case(case_id)

    def offer_for_agent(self, agent_id: str) -> Offer | None:
        return self.local.offer_for_agent(agent_id)

    def offers(self) -> Iterable[Offer]:
        return self.local.offers()

    # ------------------------------------------------------------------ commands: local, journalled

    def _run(self, name: str, command: Callable[..., Any], *args: Any) -> Any:
        keys = touched(name, args, self.local)
        result = command(*args)
        if not self._resync:
            self._sequence += 1
            self._journal.append(Command(f"{self.node_id}:{self._run_id}:{self._sequence}",
                                         name, args, result, tuple(keys)))
            self._pending.update(keys)
            if not self.available and len(self._journal) > self.max_journal:
                log.warning("dispatch_journal_full", max_journal=self.max_journal)
                self._journal.clear()
                self._pending.clear()
                self._resync = True
                self.whole.clear()
        if name in ("connect_agent", "restore_agent"):
            self._own_agents.add(args[0].id)
        if name == "enqueue":
            self._own_cases.add(args[0].case_id)
        elif name == "restore_agent":
            self._own_cases.add(args[1])
        return result

    def enqueue(self, entry: QueueEntry) -> QueueEntry:
        result: QueueEntry = self._run("enqueue", self.local.enqueue, entry)
        return result

    def dequeue(self, case_id: str) -> QueueEntry | None:
        result: QueueEntry | None = self._run("dequeue", self.local.dequeue, case_id)
        return result

    def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus:
        result: AgentStatus = self._run("connect_agent", self.local.connect_agent, profile, now)
        return result

    def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("disconnect_agent", self.local.disconnect_agent,
                                               agent_id, now)
        return result

    def set_presence(self, agent_id: str, presence: Presence, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("set_presence", self.local.set_presence,
                                               agent_id, presence, now)
        return result

    def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("release", self.local.release, agent_id, case_id, now)
        return result

    def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None:
        result: AgentStatus | None = self._run("settle_lost_agent", self.local.settle_lost_agent,
                                               agent_id, drop)
        return result

    def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                      grace_until: float) -> AgentStatus:
        result: AgentStatus = self._run("restore_agent", self.local.restore_agent, profile,
                                        case_id, now, grace_until)
        return result

    def offer(self, offer: Offer) -> Offer | None:
        result: Offer | None = self._run("offer", self.local.offer, offer)
        return result

    def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None:
        result: AgentStatus | None = self._run("accept", self.local.accept, case_id, agent_id, now)
        return result

    def decline(self, case_id: str, agent_id: str) -> Offer | None:
        result: Offer | None = self._run("decline", self.local.decline, case_id, agent_id)
        return result

    def withdraw(self, case_id: str) -> Offer | None:
        result: Offer | None = self._run("withdraw", self.local.withdraw, case_id)
        return result

    def expire(self, case_id: str, now: float) -> Expiry | None:
        result: Expiry | None = self._run("expire", self.local.expire, case_id, now)
        return result

    # ------------------------------------------------------------------ the shared truth

    def _take(self, effect: Effect, revision: int, settled: Iterable[Key] = ()) -> None:
        """Take the shared values of an effect, except where a journalled command will still
        change them (its own effect brings them later) or the view already has a newer one."""
        values: list[tuple[Key, Any]] = [
            *((("a", k), v) for k, v in effect.agents.items()),
            *((("e", k), v) for k, v in effect.entries.items()),
            *((("o", k), v) for k, v in effect.offers.items()),
        ]
        for key, value in values:
            if self._pending[key] > 0 or self._seen.get(key, -1) > revision:
                continue
            self._seen[key] = revision
            kind, name = key
            if kind == "a":
                self.local.adopt_agent(name, value)
            elif kind == "e":
                self.local.adopt_entry(name, value)
            else:
                self.local.adopt_offer(name, value)

    def _settle(self, command: Command) -> None:
        self._pending.subtract(command.keys)
        self._pending += Counter()  # drop the keys at zero

    def _load(self, snapshot: Snapshot) -> None:
        """The view becomes the snapshot, except what journalled commands will still change."""
        before: set[Key] = {("a", a.profile.id) for a in self.local.agents()}
        before |= {("e", e.case_id) for q in self.local.queue_names()
                   for e in self.local.waiting(q)}
        before |= {("o", o.case_id) for o in self.local.offers()}
        effect = Effect(
            agents={**{k: None for t, k in before if t == "a"},
                    **{a.profile.id: a for a in snapshot.agents}},
            entries={**{k: None for t, k in before if t == "e"},
                     **{e.case_id: e for e in snapshot.entries}},
            offers={**{k: None for t, k in before if t == "o"},
                    **{o.case_id: o for o in snapshot.offers}},
        )
        self._seen.clear()
        self._take(effect, snapshot.revision)
        self.revision, self.epoch = snapshot.revision, snapshot.epoch

    async def _reload(self) -> None:
        self._load(await self.shared.snapshot())
        self.reloads += 1
        log.info("dispatch_state_reloaded", revision=self.revision)

    async def _reseed(self) -> None:
        """The shared state was lost (Redis restarted or was emptied): write back what this node
        holds itself, then take what every other node wrote back."""
        agents, entries, offers = self._own_values()
        # what the journal held is in the view already: the seed carries it
        self._journal.clear()
        self._pending.clear()
        written = await self.shared.seed(agents, entries, offers, replace=self._resync)
        self._resync = False
        self.whole.set()
        self.reseeds += 1
        log.warning("dispatch_state_reseeded", values=written)
        await self._reload()

    def _own_values(self) -> tuple[list[AgentStatus], list[QueueEntry], list[Offer]]:
        """What this node holds itself: its agents, and the entries and offers of its cases."""
        own_cases = {c for c in self._own_cases
                     if self.local.entry(c) is not None or self.local.offer_for_case(c) is not None}
        self._own_cases = own_cases | {c for a in self._own_agents
                                       if (s := self.local.agent(a)) is not None for c in s.cases}
        agents = [s for a in sorted(self._own_agents) if (s := self.local.agent(a)) is not None]
        entries = sorted((e for c in own_cases if (e := self.local.entry(c)) is not None),
                         key=lambda e: e.order)
        offers = [o for c in sorted(own_cases) if (o := self.local.offer_for_case(c)) is not None]
        return agents, entries, offers

    # ------------------------------------------------------------------ the write-through

    @property
    def pending(self) -> int:
        """Commands the shared state has not been given yet."""
        return len(self._journal)

    def refusal(self) -> str | None:
        """Why what needs the shared state (a new case, a transfer) is refused now, or None:
        ``cluster_unavailable`` once the journal overflowed while Redis could not be reached."""
        return "cluster_unavailable" if self._resync else None

    async def _write_view_back(self) -> None:
        """Redis answers again after the journal overflowed: this node's values, as its view
        holds them, replace what it had written before (one step), then the view reloads."""
        agents, entries, offers = self._own_values()
        written = await self.shared.seed(agents, entries, offers, replace=True)
        self._resync = False
        self.available = True
        log.info("dispatch_state_resynced", values=written)
        await self._reload()
        self.whole.set()

    async def start(self) -> None:
        """At start-up, before the live cases are restored into it: what this node's previous
        run left goes (the same node id), and the view takes what the other nodes hold."""
        self._journal.clear()
        self._pending.clear()
        try:
            await self.shared.forget_node(self.node_id)
            await self._reload()
        except (RedisError, OSError) as error:
            raise SharedStateUnavailable(
                f"the shared dispatch state cannot be reached ({type(error).__name__}: {error});"
                " check [cluster] redis_url, or leave it empty to keep the state in memory"
            ) from error

    async def close(self) -> None:
        await self.shared.close()

    async def forget_node(self, node_id: str) -> int:
        """Another node stopped and this one adopts its cases: every value it wrote last (its
        queue entries and offers, its agents with their ``online``) goes from the shared
        state, and the view takes that at once. Returns how many values went."""
        async with self._lock:
            applied = await self.shared.apply("forget_node", (node_id,))
            if applied.effect is not None:
                self._take(applied.effect, applied.revision)
        return int(applied.result)

    def disown(self, case_ids: Iterable[str]) -> None:
        """Another node adopted these cases: they are no longer this node's own (a re-seed
        leaves them out) and its journalled commands of their entries and offers are dropped,
        so nothing this node decided while cut off undoes the adopter's state."""
        gone = set(case_ids)
        self._own_cases -= gone
        kept: deque[Command] = deque()
        for index, command in enumerate(self._journal):
            if index == 0 and self._lock.locked():
                kept.append(command)  # being applied now: flush pops it when it answers
            elif any(kind in ("e", "o") and name in gone for kind, name in command.keys):
                self._settle(command)
            else:
                kept.append(command)
        self._journal = kept

    async def flush(self) -> list[Overruled]:
        """Apply every journalled command to the shared state, in order (the hub awaits this),
        and return those whose shared result differed from the local one."""
        if not self._journal and not self._lock.locked() and not self._resync:
            return []
        if not self.available and self._monotonic() < self._retry_at:
            return []
        conflicts: list[Overruled] = []
        async with self._lock:
            if self._resync:
                try:
                    await self._write_view_back()
                except (RedisError, OSError):
                    self._retry_at = self._monotonic() + self._retry_seconds
                return conflicts
            while self._journal:
                command = self._journal[0]
                try:
                    applied = await self.shared.apply(command.name, command.args, command.id)
                    if applied.effect is not None and applied.effect.epoch != self.epoch:
                        await self._lost_state()
                        return conflicts
                except (RedisError, OSError) as error:
                    if self.available:
                        log.warning("dispatch_state_unavailable", error=type(error).__name__,
                                    pending=len(self._journal))
                    self.available = False
                    self._retry_at = self._monotonic() + self._retry_seconds
                    return conflicts  # kept: sent again, same ids, once Redis answers
                self._journal.popleft()
                self._settle(command)
                self.applied += 1
                if not self.available:
                    self.available = True
                    log.info("dispatch_state_available", pending=len(self._journal))
                conflict = self._compare(command, applied)
                if conflict is not None:
                    conflicts.append(conflict)
                    await self._read_rest(command, applied)
        return conflicts

    def _compare(self, command: Command, applied: Applied) -> Overruled | None:
        if applied.effect is not None:
            self._take(applied.effect, applied.revision)
        if applied.result == command.result:
            return None
        self.conflicts += 1
        log.warning("dispatch_state_conflict", command=command.name)
        return Overruled(command.name, command.args, command.result, applied.result)

    async def _read_rest(self, command: Command, applied: Applied) -> None:
        """After a conflict, the values the command touched that its effect did not carry
        (a refused command's script does not know them all): read from the shared state."""
        effect = applied.effect
        if effect is None:
            return
        carried: dict[str, set[str]] = {"a": set(effect.agents), "e": set(effect.entries),
                                        "o": set(effect.offers)}
        missing = [k for k in command.keys if k[1] not in carried[k[0]]]
        if not missing:
            return
        try:
            read = Effect(
                agents={k: await self.shared.agent(k) for t, k in missing if t == "a"},
                entries={k: await self.shared.entry(k) for t, k in missing if t == "e"},
                offers={k: await self.shared.offer_for_case(k) for t, k in missing if t == "o"},
            )
        except (RedisError, OSError):
            return  # the feed brings them once Redis answers
        self._take(read, applied.revision)

    async def _lost_state(self) -> None:
        log.warning("dispatch_state_lost", revision=self.revision)
        await self._reseed()

    # ------------------------------------------------------------------ the change feed

    async def follow(self, entries: Sequence[FeedEntry]) -> None:
        """Take other nodes' changes, in revision order; a gap (the feed was trimmed past our
        position) reloads the whole state, a new epoch (the state was lost) re-seeds it."""
        if not entries or self._resync:
            return  # overflowed: the write-back reloads everything
        async with self._lock:
            for entry in entries:
                if entry.epoch != self.epoch:
                    await self._lost_state()
                    break
                if entry.revision <= self.revision:
                    continue
                if entry.revision != self.revision + 1:
                    log.info("dispatch_state_feed_gap", after=self.revision, got=entry.revision)
                    await self._reload()
                    break
                if entry.node != self.node_id:
                    self._take(entry.effect, entry.revision)
                    self.followed += 1
                self.revision = entry.revision
            self._seen = {k: r for k, r in self._seen.items() if r > self.revision}
        for listener in self.changed:
            await listener()

    async def check_epoch(self) -> None:
        """While the feed is quiet: has the shared state been lost (Redis emptied, restarted)?"""
        epoch = await self.shared.epoch()
        if epoch != self.epoch and not self._resync:
            async with self._lock:
                await self._lost_state()
            for listener in self.changed:
                await listener()
