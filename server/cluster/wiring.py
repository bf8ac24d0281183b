"""Which dispatch state a node uses: in memory (no ``[cluster] redis_url``) or shared in Redis."""

from __future__ import annotations

from collections.abc import Callable, Collection

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ..settings.cluster import ClusterSettings
from ..store import CaseRepository
from .feed import FeedFollower
from .membership import LetGo, Membership, TakeOver
from .redis_dispatch import RedisDispatchState
from .replica import WriteThroughDispatchState


def shared_dispatch_state(settings: ClusterSettings) -> WriteThroughDispatchState | None:
    """The node's write-through view of the Redis state, or None for the in-memory default.
    Makes no connection yet (the client connects on its first command, at start-up)."""
    if not settings.redis_url:
        return None
    client = Redis.from_url(settings.redis_url, decode_responses=True,
                            socket_timeout=settings.redis_timeout_seconds,
                            socket_connect_timeout=settings.redis_timeout_seconds,
                            # no silent re-sends: the journal retries, in order, itself
                            retry=Retry(NoBackoff(), 0))
    state = RedisDispatchState(client, settings.key_prefix, node_id=settings.resolved_node_id,
                               applied_ttl_seconds=settings.applied_ttl_seconds,
                               feed_max_entries=settings.feed_max_entries)
    return WriteThroughDispatchState(state, retry_seconds=settings.retry_seconds,
                                     max_journal=settings.max_journal)


def feed_follower(settings: ClusterSettings, node: WriteThroughDispatchState) -> FeedFollower:
    """The task that keeps the node's view up to date with every other node's changes."""
    block = min(settings.feed_block_seconds, settings.redis_timeout_seconds / 2)
    return FeedFollower(node, block, settings.retry_seconds)


def membership(settings: ClusterSettings, node: WriteThroughDispatchState, cases: CaseRepository,
               take_over: TakeOver, let_go: LetGo,
               hosted: Callable[[], Collection[str]]) -> Membership:
    """The node's lease, and the adoption of the cases of nodes whose lease ran out."""
    return Membership(node, cases, take_over, let_go, hosted,
                      settings.lease_seconds, settings.heartbeat_seconds)
