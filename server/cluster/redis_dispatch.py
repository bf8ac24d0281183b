"""The dispatch state in Redis, shared by every node: one atomic Lua script per command.

Why scripts and not MULTI/WATCH or a single leased dispatcher: a command's precondition (the agent
is ready and below capacity, the case still waits, the offer is still theirs) and its writes must
be one step across nodes. A script is exactly that, in one round trip, and never retried;
WATCH would make every contended offer a retry loop on the busiest keys, and a leased
dispatcher would put one node's failover in the path of every Help press. See
docs/architecture.md, "Dispatch state across nodes".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from ..core.agents import AgentProfile, AgentStatus, Presence
from ..core.state import Expiry, Offer, QueueEntry
from .lua import BASE, COMMANDS, PRELUDE, READS
from .port import Applied, Effect

#: the command being applied by ``RedisDispatchState.apply``: its id, and where ``_command``
#: leaves the revision and the effect (per task, so concurrent commands never mix them up)
_APPLYING: ContextVar[tuple[str, list[Any]] | None] = ContextVar("helpwire_applying",
                                                                default=None)


def key_prefix(prefix: str) -> str:
    """Every key of one state: the prefix as a hash tag, so a script's keys share one slot."""
    return f"{{{prefix}}}:"


def _num(value: float) -> str:
    return repr(float(value))


def _opt(value: str) -> float | None:
    return None if value == "" else float(value)


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def encode_profile(profile: AgentProfile) -> str:
    return json.dumps({"id": profile.id, "display_name": profile.display_name,
                       "skills": sorted(profile.skills), "languages": sorted(profile.languages),
                       "max_concurrent": profile.max_concurrent}, ensure_ascii=False)


def decode_profile(text: str) -> AgentProfile:
    data = json.loads(text)
    return AgentProfile(id=data["id"], display_name=data["display_name"],
                        skills=frozenset(data["skills"]), languages=frozenset(data["languages"]),
                        max_concurrent=int(data["max_concurrent"]))


def _agent(reply: Any) -> AgentStatus | None:
    if not reply:
        return None
    _, flat, cases = reply
    fields = _pairs(flat)
    return AgentStatus(
        profile=decode_profile(fields["profile"]),
        presence=Presence(fields["presence"]),
        online=fields["online"] == "1",
        idle_since=float(fields["idle_since"]),
        cases=frozenset(cases),
        lost_at=_opt(fields.get("lost_at", "")),
        lost_grace_until=_opt(fields.get("grace_until", "")),
    )


def _entry_and_seq(reply: Any) -> tuple[QueueEntry, int]:
    case_id, flat = reply
    f = _pairs(flat)
    return (QueueEntry(case_id, f["queue"], int(f["priority"]), f["front"] == "1",
                       float(f["enqueued_at"])), int(f["seq"]))


def _entry(reply: Any) -> QueueEntry | None:
    return _entry_and_seq(reply)[0] if reply else None


def _offer(reply: Any) -> Offer | None:
    if not reply:
        return None
    case_id, flat = reply
    f = _pairs(flat)
    return Offer(case_id, f["agent"], float(f["offered_at"]), float(f["expires_at"]))


def decode_effect(text: str) -> Effect:
    """The values a command touched, as the feed and the command's reply carry them (JSON)."""
    data = json.loads(text)

    def each(name: str) -> dict[str, Any]:
        part = data.get(name) or {}
        return part if isinstance(part, dict) else {}  # Lua's empty table is JSON ``{}``

    return Effect(agents={k: _agent(v) for k, v in each("a").items()},
                  entries={k: _entry(v) for k, v in each("e").items()},
                  offers={k: _offer(v) for k, v in each("o").items()},
                  epoch=str(data.get("ep") or ""))


@dataclass(frozen=True)
class Snapshot:
    """The whole shared state at one revision (what a node loads after a gap in the feed)."""

    revision: int
    epoch: str
    agents: list[AgentStatus]
    entries: list[QueueEntry]
    offers: list[Offer]


@dataclass(frozen=True)
class FeedEntry:
    """One entry of the change feed: a command some node applied, and what it left."""

    revision: int
    node: str
    command: str
    epoch: str
    effect: Effect


class RedisDispatchState:
    """``AsyncDispatchState`` (server/cluster/port.py) on one Redis, under one key prefix.

    ``node_id`` stamps what this client writes (so a restarted node can forget its previous
    run's values), ``applied_ttl_seconds`` is how long a command id is remembered, and
    ``feed_max_entries`` caps the change feed (approximately: Redis trims whole blocks)."""

    def __init__(self, redis: Redis, prefix: str, node_id: str = "",
                 applied_ttl_seconds: int = 300, feed_max_entries: int = 10_000) -> None:
        if not redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("the Redis client must decode responses (decode_responses=True)")
        self.redis = redis
        self.prefix = key_prefix(prefix)
        self.node_id = node_id
        self._meta = [str(applied_ttl_seconds), str(feed_max_entries)]
        self._scripts: dict[str, AsyncScript] = {
            **{name: redis.register_script(PRELUDE + body) for name, body in COMMANDS.items()},
            **{name: redis.register_script(BASE + body) for name, body in READS.items()},
        }
        #: the revision the last command of this client produced (every command bumps it, so
        #: the revisions of all nodes' commands are one total order)
        self.revision = 0

    @property
    def feed_key(self) -> str:
        return self.prefix + "feed"

    async def _read(self, name: str, *args: str) -> Any:
        return await self._scripts[name](args=[self.prefix, *args])

    async def _command(self, name: str, *args: str) -> list[Any]:
        applying = _APPLYING.get()
        reply = await self._scripts[name](
            args=[self.prefix, self.node_id, applying[0] if applying else "", *self._meta, *args])
        self.revision = int(reply[0])
        if applying is not None:
            applying[1].extend([self.revision, decode_effect(reply[1])])
        return list(reply[2:]) + [None] * (3 - len(reply[2:]))

    async def apply(self, name: str, args: tuple[Any, ...], command_id: str = "") -> Applied:
        """Run a command by name under an id: a repeat of the id (a retry after a lost reply)
        is not applied again but answers what the first one did."""
        outcome: list[Any] = []
        token = _APPLYING.set((command_id, outcome))
        try:
            result = await getattr(self, name)(*args)
        finally:
            _APPLYING.reset(token)
        return Applied(result, outcome[0], outcome[1])

    # ------------------------------------------------------------------ reads

    async def entry(self, case_id: str) -> QueueEntry | None:
        return _entry(await self._read("entry", case_id))

    async def waiting(self, queue: str) -> list[QueueEntry]:
        entries = [_entry_and_seq(r) for r in await self._read("waiting", queue)]
        return [e for e, _ in sorted(entries, key=lambda es: (es[0].order, es[1]))]

    async def queue_names(self) -> list[str]:
        return sorted(await self._read("queue_names"))

    async def agent(self, agent_id: str) -> AgentStatus | None:
        return _agent(await self._read("agent", agent_id))

    async def agents(self) -> list[AgentStatus]:
        found = [_agent(r) for r in await self._read("agents")]
        return sorted((a for a in found if a is not None), key=lambda a: a.profile.id)

    async def offer_for_case(self, case_id: str) -> Offer | None:
        return _offer(await self._read("offer_for_case", case_id))

    async def offer_for_agent(self, agent_id: str) -> Offer | None:
        return _offer(await self._read("offer_for_agent", agent_id))

    async def offers(self) -> list[Offer]:
        found = [_offer(r) for r in await self._read("offers")]
        return sorted((o for o in found if o is not None), key=lambda o: o.case_id)

    # ------------------------------------------------------------------ queues

    async def enqueue(self, entry: QueueEntry) -> QueueEntry:
        await self._command("enqueue", entry.case_id, entry.queue, str(entry.priority),
                            "1" if entry.front else "0", _num(entry.enqueued_at))
        return entry

    async def dequeue(self, case_id: str) -> QueueEntry | None:
        return _entry((await self._command("dequeue", case_id))[0])

    # ------------------------------------------------------------------ agents

    async def connect_agent(self, profile: AgentProfile, now: float) -> AgentStatus:
        status = _agent((await self._command("connect_agent", profile.id, encode_profile(profile),
                                             str(profile.max_concurrent), _num(now)))[0])
        assert status is not None
        return status

    async def disconnect_agent(self, agent_id: str, now: float) -> AgentStatus | None:
        return _agent((await self._command("disconnect_agent", agent_id, _num(now)))[0])

    async def set_presence(self, agent_id: str, presence: Presence,
                           now: float) -> AgentStatus | None:
        return _agent((await self._command("set_presence", agent_id, presence.value,
                                           _num(now)))[0])

    async def release(self, agent_id: str, case_id: str, now: float) -> AgentStatus | None:
        return _agent((await self._command("release", agent_id, case_id, _num(now)))[0])

    async def settle_lost_agent(self, agent_id: str, drop: frozenset[str]) -> AgentStatus | None:
        return _agent((await self._command("settle_lost_agent", agent_id, *sorted(drop)))[0])

    async def restore_agent(self, profile: AgentProfile, case_id: str, now: float,
                            grace_until: float) -> AgentStatus:
        status = _agent((await self._command("restore_agent", profile.id, encode_profile(profile),
                                             str(profile.max_concurrent), case_id, _num(now),
                                             _num(grace_until)))[0])
        assert status is not None
        return status

    # ------------------------------------------------------------------ offers

    async def offer(self, offer: Offer) -> Offer | None:
        return _offer((await self._command("offer", offer.case_id, offer.agent_id,
                                           _num(offer.offered_at), _num(offer.expires_at)))[0])

    async def accept(self, case_id: str, agent_id: str, now: float) -> AgentStatus | None:
        return _agent((await self._command("accept", case_id, agent_id, _num(now)))[0])

    async def decline(self, case_id: str, agent_id: str) -> Offer | None:
        return _offer((await self._command("decline", case_id, agent_id))[0])

    async def withdraw(self, case_id: str) -> Offer | None:
        return _offer((await self._command("withdraw", case_id))[0])

    async def expire(self, case_id: str, now: float) -> Expiry | None:
        reply = await self._command("expire", case_id, _num(now))
        offer = _offer(reply[0])
        if offer is None:
            return None
        return Expiry(offer, _agent(reply[2]), reply[1] == 1)

    # ------------------------------------------------------------------ the whole state

    async def close(self) -> None:
        await self.redis.aclose()

    async def seed(self, agents: Sequence[AgentStatus], entries: Sequence[QueueEntry],
                   offers: Sequence[Offer], replace: bool = False) -> int:
        """Write these values as they are (no precondition): a node putting back what it holds
        itself after the shared state was lost; with ``replace``, what this node wrote before
        goes first (in the same step). Returns how many values were written or removed."""
        own = {
            "agents": [[a.profile.id, encode_profile(a.profile), str(a.profile.max_concurrent),
                        a.presence.value, "1" if a.online else "0", _num(a.idle_since),
                        "" if a.lost_at is None else _num(a.lost_at),
                        "" if a.lost_grace_until is None else _num(a.lost_grace_until),
                        sorted(a.cases)] for a in agents],
            "entries": [[e.case_id, e.queue, str(e.priority), "1" if e.front else "0",
                         _num(e.enqueued_at)] for e in entries],
            "offers": [[o.case_id, o.agent_id, _num(o.offered_at), _num(o.expires_at)]
                       for o in offers],
        }
        return int((await self._command("seed", json.dumps(own, ensure_ascii=False),
                                        "1" if replace else "0"))[0])

    async def forget_node(self, node_id: str) -> int:
        """Delete the values a node (by id) wrote last: what its previous run left behind."""
        return int((await self._command("forget_node", node_id))[0])

    async def snapshot(self) -> Snapshot:
        """The whole state in one atomic read, with the revision it is at."""
        revision, epoch, agents, entries, offers = await self._read("snapshot")
        ordered = sorted((_entry_and_seq(r) for r in entries), key=lambda es: (es[0].order, es[1]))
        return Snapshot(int(revision), epoch,
                        [a for a in (_agent(r) for r in agents) if a is not None],
                        [e for e, _ in ordered],
                        [o for o in (_offer(r) for r in offers) if o is not None])

    async def epoch(self) -> str:
        """The current state's epoch ('' when there is no state): a new one means it was lost."""
        return str(await self.redis.get(self.prefix + "epoch") or "")

    async def read_feed(self, after: int, block_ms: int, count: int = 500) -> list[FeedEntry]:
        """The feed's entries after revision ``after``, waiting up to ``block_ms`` for one."""
        reply = await self.redis.xread({self.feed_key: f"{after}-0"}, count=count, block=block_ms)
        entries: list[FeedEntry] = []
        for _, items in reply or []:
            for entry_id, fields in items:
                entries.append(FeedEntry(int(entry_id.split("-")[0]), fields.get("node", ""),
                                         fields.get("cmd", ""), fields.get("ep", ""),
                                         decode_effect(fields.get("fx", "{}"))))
        return entries

    async def reset(self) -> None:
        """Delete every key under the prefix (tests, and an operator starting afresh)."""
        pattern = self.prefix.replace("{", "\\{").replace("}", "\\}") + "*"
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self.redis.delete(*batch)
                batch = []
        if batch:
            await self.redis.delete(*batch)
