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
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from ..core.agents import AgentProfile, AgentStatus, Presence
from ..core.state import Expiry, Offer, QueueEntry
from .lua import COMMANDS, PRELUDE, READS


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


class RedisDispatchState:
    """``AsyncDispatchState`` (server/cluster/port.py) on one Redis, under one key prefix."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        if not redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("the Redis client must decode responses (decode_responses=True)")
        self.redis = redis
        self.prefix = key_prefix(prefix)
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(PRELUDE + body)
            for name, body in {**COMMANDS, **READS}.items()
        }
        #: the revision the last command of this client produced (every command bumps it, so
        #: the revisions of all nodes' commands are one total order)
        self.revision = 0

    async def _read(self, name: str, *args: str) -> Any:
        return await self._scripts[name](args=[self.prefix, *args])

    async def _command(self, name: str, *args: str) -> list[Any]:
        reply = await self._scripts[name](args=[self.prefix, *args])
        self.revision = int(reply[0])
        return list(reply[1:]) + [None] * (2 - len(reply))

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

    async def reset(self) -> None:
        """Delete every key under the prefix (a node rebuilding the state it alone holds)."""
        pattern = self.prefix.replace("{", "\\{").replace("}", "\\}") + "*"
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                await self.redis.delete(*batch)
                batch = []
        if batch:
            await self.redis.delete(*batch)
