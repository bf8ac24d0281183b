"""Node membership: each node's lease in Redis, and the adoption of a stopped node's live cases.

Every node keeps a lease, ``{prefix}:node:<node_id>`` → its run id, set with an expiry of
``[cluster] lease_seconds`` and renewed every ``heartbeat_seconds`` (``SET … PX … GET``: the
renewal also says whether the lease was still ours). The store says which node hosts each live
case (``cases.host_node``). A node whose lease is gone while the store still has live cases
hosted by it has stopped (killed, or cut off from Redis for longer than a lease): a surviving
node claims it (``SET NX PX`` on ``{prefix}:adopt:<node_id>``: one adopter at a time), moves the
cases to itself in one store transaction (``CaseRepository.claim``: the fence), clears what the
stopped node left in the shared dispatch state (its queue entries, offers and agents) and takes
the cases over as after a restart (``engine.restore``: the participants get the restart grace
to reconnect, queued cases keep their place and promise clock).

Two rules keep a live node's cases where they are:

- **A full lease of renewed heartbeats before adopting anything.** When Redis restarts or is
  unreachable, every lease vanishes at once. A node whose renewal failed, or found its lease
  gone (or another run's), adopts nothing until its own lease has been renewed without a break
  for ``lease_seconds``: by then every live peer has renewed its lease too.
- **The store is the fence.** A node writes a case's events only while the store says it hosts
  the case (``CaseBatch.fence``, in the same transaction as the write, rows locked): once an
  adoption committed, the old host's writes of those cases are refused. A node that finds its
  lease was lost asks the store which of its cases another node hosts now and drops them
  (``let_go``) — as does a fenced write.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import cast

from redis.exceptions import RedisError

from ..logs import get_logger
from ..store import CaseRepository
from .replica import WriteThroughDispatchState

log = get_logger("helpwire.cluster")

#: deletes the lease only if it is still this run's (a compare-and-delete in one step)
_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

#: takes over the cases of these ids (the store says this node hosts them now)
TakeOver = Callable[[list[str]], Awaitable[None]]
#: drops the cases of these ids (another node hosts them now)
LetGo = Callable[[set[str]], Awaitable[None]]


class Membership:
    """Started and stopped with the app (its cleanup context), after the live cases were
    restored; ``beat`` is one heartbeat (the tests call it directly)."""

    def __init__(self, node: WriteThroughDispatchState, cases: CaseRepository,
                 take_over: TakeOver, let_go: LetGo, hosted: Callable[[], Collection[str]],
                 lease_seconds: float, heartbeat_seconds: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.node = node
        self.cases = cases
        self.node_id = node.node_id
        self._take_over = take_over
        self._let_go = let_go
        self._hosted = hosted
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._monotonic = monotonic
        #: this run: a restarted node (same node id) has another, so its first renewal sees
        #: that the lease it finds is not its own
        self.run_id = uuid.uuid4().hex[:12]
        #: since when this node's lease has been renewed without a break (None: it is not)
        self._steady_since: float | None = None
        self._reachable = True
        self._began = False
        #: set when the lease was lost until the store was asked which cases are still ours
        self._must_check = False
        self._said_steady = False
        self._task: asyncio.Task[None] | None = None
        #: figures for /metrics
        self.nodes_adopted = 0
        self.cases_adopted = 0
        self.cases_let_go = 0
        self.leases_lost = 0

    def lease_key(self, node_id: str) -> str:
        return f"{self.node.shared.prefix}node:{node_id}"

    def adoption_key(self, node_id: str) -> str:
        return f"{self.node.shared.prefix}adopt:{node_id}"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat_forever(), name="helpwire-membership")

    async def stop(self) -> None:
        """The lease is left to run out: a node back within a lease keeps its cases."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def hand_over(self) -> bool:
        """At the end of a drain with cases left: stop renewing and give the lease up now, so a
        surviving node adopts them at its next heartbeat instead of after the lease runs out.
        Only this run's lease is deleted (a newer run of this node keeps its own). From here
        the store's fence refuses this node's writes of the cases once they are adopted."""
        await self.stop()
        try:
            released = await cast("Awaitable[int]", self.node.shared.redis.eval(
                _RELEASE_IF_OURS, 1, self.lease_key(self.node_id), self.run_id))
        except (RedisError, OSError) as error:
            # the lease then runs out by itself: adoption within lease_seconds instead
            log.warning("node_hand_over_failed", error=type(error).__name__)
            return False
        log.info("node_handed_over", node_id=self.node_id, released=bool(released))
        return bool(released)

    async def _beat_forever(self) -> None:
        failing: str | None = None
        while True:
            started = self._monotonic()
            try:
                await self.beat()
                if failing is not None:
                    log.info("membership_recovered")
                failing = None
            except Exception as error:  # e.g. the store away: the next heartbeat tries again
                if failing != type(error).__name__:
                    log.exception("membership_failed", error=type(error).__name__)
                failing = type(error).__name__
            await asyncio.sleep(max(0.0, self.heartbeat_seconds - (self._monotonic() - started)))

    # ------------------------------------------------------------------ one heartbeat

    @property
    def retry_after(self) -> int:
        """Seconds a client is asked to wait before asking again for a case on the move."""
        return max(1, math.ceil(self.heartbeat_seconds))

    @property
    def steady(self) -> bool:
        """Whether this node may adopt: its lease renewed without a break for a whole lease."""
        return (self._steady_since is not None
                and self._monotonic() - self._steady_since >= self.lease_seconds)

    async def beat(self) -> list[str]:
        """Renew the lease; once steady, adopt the cases of nodes whose lease is gone. Returns
        the nodes adopted."""
        if not await self._renew():
            self._said_steady = False
            return []
        if self._must_check:  # the lease was lost: which of our cases are another's now?
            await self.check_hosted()
            self._must_check = False
        if not self.steady:
            self._said_steady = False
            return []
        adopted = await self._adopt_stopped()
        if not self._said_steady:
            # from now on it adopts; logged after its first look for stopped nodes
            self._said_steady = True
            log.info("node_steady", node_id=self.node_id, adopted=len(adopted))
        return adopted

    async def _renew(self) -> bool:
        try:
            previous = await self.node.shared.redis.set(
                self.lease_key(self.node_id), self.run_id, px=self._lease_ms, get=True)
        except (RedisError, OSError) as error:
            self._steady_since = None
            if self._reachable:
                self._reachable = False
                log.warning("node_lease_unavailable", error=type(error).__name__)
            return False
        if not self._reachable:
            self._reachable = True
            log.info("node_lease_available")
        if previous != self.run_id:
            # this run's first beat, or the lease ran out / Redis lost it: maybe every lease
            # is gone at once, so adopt nothing for a whole lease; and give up what was adopted
            if self._began:
                self.leases_lost += 1
                log.warning("node_lease_lost", node_id=self.node_id,
                            by_another_run=previous is not None)
            else:
                log.info("node_joined", node_id=self.node_id, run_id=self.run_id,
                         restarted=previous is not None)
            self._began = True
            self._steady_since = self._monotonic()
            self._must_check = True
        elif self._steady_since is None:
            self._steady_since = self._monotonic()
        return True

    async def check_hosted(self) -> set[str]:
        """Drop the cases held here that the store says another node hosts now."""
        held = sorted(self._hosted())
        if not held:
            return set()
        moved = await self.cases.hosted_elsewhere(held, self.node_id)
        if moved:
            await self.let_go(moved)
        return moved

    async def let_go(self, case_ids: set[str]) -> None:
        """Another node adopted these cases: they go from here without a write."""
        self.cases_let_go += len(case_ids)
        log.warning("node_cases_let_go", cases=len(case_ids))
        await self._let_go(case_ids)

    async def _adopt_stopped(self) -> list[str]:
        hosts = await self.cases.live_hosts()
        adopted: list[str] = []
        for host in sorted(hosts - {self.node_id}):
            redis = self.node.shared.redis
            if await redis.exists(self.lease_key(host)):
                continue
            # one adopter at a time; the store's claim decides anyway (a second finds nothing)
            if not await redis.set(self.adoption_key(host), self.node_id, nx=True,
                                   px=self._lease_ms * 2):
                continue
            if not self.steady or await redis.exists(self.lease_key(host)):
                continue  # our own lease faltered meanwhile, or the node came back
            await self.adopt(host)
            adopted.append(host)
        return adopted

    async def adopt(self, host: str) -> int:
        """Take over every live case the store says ``host`` hosts (its lease is gone)."""
        started = time.monotonic()
        ids = await self.cases.claim(self.node_id, host)
        if not ids:
            return 0
        cleared = await self.node.forget_node(host)
        await self._take_over(ids)
        self.nodes_adopted += 1
        self.cases_adopted += len(ids)
        log.warning("node_adopted", node_id=host, cases=len(ids), shared_values_cleared=cleared,
                    seconds=round(time.monotonic() - started, 3))
        return len(ids)
