"""Password hashing with Argon2id (argon2-cffi), checked off the event loop with bounded concurrency.

Each check costs tens of milliseconds of CPU and 64 MiB, so checks run in a small thread pool of
their own (never on the loop, never more than ``max_concurrent`` at once, and at most
``max_waiting`` queued: past that a sign-in is refused with ``rate_limited`` instead of piling up
memory). The threads run at a lower CPU priority than the event loop (Argon2 starts one
thread per lane, four by default, which inherit it). An unknown username is checked against a
dummy hash made with the same parameters, so that a known and an unknown username take the same
time (no username oracle).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .ratelimit import RateLimited

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password nobody knows, with the parameters of every real hash."""
    return hash_password(secrets.token_urlsafe(24))


def _verify_or_dummy(stored_hash: str | None, password: str) -> bool:
    if stored_hash is None:
        _verify(dummy_hash(), password)
        return False
    return _verify(stored_hash, password)


async def verify_password(stored_hash: str, password: str) -> bool:
    """One check in the default executor (command-line tools; the server uses PasswordChecker)."""
    return await asyncio.to_thread(_verify, stored_hash, password)


#: how much nicer than the event loop the password threads run (Linux: per thread; the Argon2
#: lanes they start inherit it), so a burst of sign-ins cannot starve the loop of CPU
CHECKER_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: run as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECKER_NICENESS)


class PasswordChecker:
    """The server's password checks: a thread pool of ``max_concurrent`` and a bounded queue."""

    def __init__(self, max_concurrent: int, max_waiting: int) -> None:
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight = 0

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(self.max_concurrent,
                                            thread_name_prefix="helpwire-password",
                                            initializer=_lower_priority)
        # the dummy hash is made once, off the loop, before the first unknown username needs it
        self._executor.submit(dummy_hash)

    async def stop(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``stored_hash`` None (unknown user) costs the same."""
        if self._executor is None:
            raise RuntimeError("the password checker is not running")
        if self._in_flight >= self.max_concurrent + self.max_waiting:
            raise RateLimited("too many sign-ins are being checked right now; try again shortly",
                              1.0)
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, _verify_or_dummy, stored_hash,
                                              password)
        finally:
            self._in_flight -= 1
