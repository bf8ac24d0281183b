"""An agent socket lives no longer than its token: warned before, closed at expiry or revocation.

``token_expiring`` goes to the socket ``token_refresh_notice_seconds`` before its token runs out;
the console fetches a new token (``POST /api/agent/refresh``) and hands it over with
``token_renew``, which moves the deadline. At the deadline, or when the agent signs out or gets a
new password, the socket gets ``token_expired`` ({code: token_expired | token_revoked |
agent_disabled, message})
and is disconnected (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from pydantic import Field

from ..logs import get_logger
from .schemas import Event

log = get_logger("helpwire.signalling")

TOKEN_EXPIRING = "token_expiring"
TOKEN_EXPIRED = "token_expired"
_MESSAGES = {
    "token_expired": "the agent session has expired; sign in again",
    "token_revoked": "this session was signed out or its password changed; sign in again",
    "agent_disabled": "an admin has disabled this account; ask them to enable it",
}


class TokenRenew(Event):
    token: Annotated[str, Field(min_length=1, max_length=512)]


Emit = Callable[[str, dict[str, object], str], Awaitable[None]]
Close = Callable[[str], Awaitable[None]]


class SessionDeadlines:
    """One pair of timers per agent socket: the notice before expiry, and the expiry itself."""

    def __init__(self, emit: Emit, close: Close, notice_seconds: float) -> None:
        self._emit = emit
        self._close = close
        self.notice_seconds = notice_seconds
        self._timers: dict[str, list[asyncio.TimerHandle]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def set(self, sid: str, expires_at: float) -> None:
        """(Re)arm the socket's timers for a token that expires at ``expires_at`` (Unix time)."""
        self.cancel(sid)
        loop = asyncio.get_running_loop()
        left = max(0.0, expires_at - time.time())
        # coroutines are made only when a timer fires: a cancelled one leaves nothing unawaited
        timers = [loop.call_later(left, self._spawn, lambda: self._expire(sid, "token_expired"))]
        if self.notice_seconds > 0 and left > 0:
            # a token with less than the notice left (a console reconnecting late) is told at once
            timers.append(loop.call_later(max(0.0, left - self.notice_seconds), self._spawn,
                                          lambda: self._notify(sid, expires_at)))
        self._timers[sid] = timers

    def cancel(self, sid: str) -> None:
        for timer in self._timers.pop(sid, []):
            timer.cancel()

    async def revoke(self, sid: str, code: str = "token_revoked") -> None:
        """Close the socket now: its token was revoked (``agent_disabled``: by disabling the
        account)."""
        self.cancel(sid)
        await self._expire(sid, code)

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.ensure_future(work())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, sid: str, expires_at: float) -> None:
        await self._emit(TOKEN_EXPIRING, {"expires_in": max(0, round(expires_at - time.time()))},
                         sid)

    async def _expire(self, sid: str, code: str) -> None:
        self._timers.pop(sid, None)
        message = _MESSAGES.get(code, _MESSAGES["token_revoked"])
        log.info("agent_socket_closed_for_token", code=code)
        await self._emit(TOKEN_EXPIRED, {"code": code, "message": message}, sid)
        await self._close(sid)
