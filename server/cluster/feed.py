"""Following the change feed: the task that keeps a node's view up to date with the others'.

Every command's script appends its effect to a Redis stream (``{prefix}:feed``, one entry per
revision, capped at ``[cluster] feed_max_entries``). The follower reads it from the node's
position with XREAD BLOCK and hands the entries to the view (``WriteThroughDispatchState.follow``),
which takes other nodes' values, reloads the whole state after a gap and re-seeds it after a new
epoch. While the feed is quiet it checks the epoch, so an emptied or restarted Redis is noticed
even when no node writes; while Redis cannot be reached it tries again every ``retry_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib

from redis.exceptions import RedisError

from ..logs import get_logger
from .replica import WriteThroughDispatchState

log = get_logger("helpwire.cluster")


class FeedFollower:
    """Started and stopped with the app (its cleanup context), after the view's start."""

    def __init__(self, node: WriteThroughDispatchState, block_seconds: float,
                 retry_seconds: float) -> None:
        self.node = node
        self._block_ms = max(1, int(block_seconds * 1000))
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        #: set while the follower reaches Redis (the last read answered)
        self.connected = True

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="helpwire-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        while True:
            try:
                entries = await self.node.shared.read_feed(self.node.revision, self._block_ms)
                if entries:
                    await self.node.follow(entries)
                else:
                    await self.node.check_epoch()
                if not self.connected:
                    self.connected = True
                    log.info("dispatch_feed_connected", revision=self.node.revision)
            except (RedisError, OSError) as error:
                if self.connected:
                    self.connected = False
                    log.warning("dispatch_feed_unavailable", error=type(error).__name__)
                await asyncio.sleep(self._retry_seconds)  # a backoff, then the same read again
            except Exception:
                log.exception("dispatch_feed_failed")
                await asyncio.sleep(self._retry_seconds)
