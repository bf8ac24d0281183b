"""Token buckets in memory, keyed by who is asking (an address, a kiosk, a socket, a key).

Pure: no I/O, the clock is injected, so tests move time by hand. Memory is bounded: at most
``max_keys`` buckets per limiter, the least recently used going first (a full bucket is the
same as no bucket, so forgetting one never lets anyone through early for long).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from ..core.clock import Clock
from ..core.errors import HelpwireError


class RateLimited(HelpwireError):
    """Too many of one thing too fast: try again after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        #: whole seconds, at least 1: when a retry will be accepted
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """``burst`` events at once, refilled at ``burst / per_seconds`` per second, per key."""

    def __init__(self, burst: int, per_seconds: float, clock: Clock, max_keys: int = 100_000,
                 what: str = "requests") -> None:
        if burst < 1 or per_seconds <= 0:
            raise ValueError("a bucket needs burst ≥ 1 and per_seconds > 0")
        self.burst = burst
        self.per_seconds = per_seconds
        self.rate = burst / per_seconds
        self.clock = clock
        self.max_keys = max_keys
        self.what = what
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: str) -> _Bucket:
        now = self.clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets.move_to_end(key)
        return bucket

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may now), without using a token."""
        bucket = self._bucket(key)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def take(self, key: str) -> None:
        """Use one token of ``key``'s bucket, or raise RateLimited saying when to retry."""
        bucket = self._bucket(key)
        if bucket.tokens < 1:
            raise RateLimited(
                f"too many {self.what}: at most {self.burst} per {self.per_seconds:g} s;"
                " try again later", (1 - bucket.tokens) / self.rate)
        bucket.tokens -= 1

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


class ConnectionCounter:
    """How many connections each key holds open at once, with a ceiling."""

    def __init__(self, limit: int, what: str = "connections") -> None:
        self.limit = limit
        self.what = what
        self._open: dict[str, int] = {}

    def open(self, key: str) -> None:
        count = self._open.get(key, 0)
        if count >= self.limit:
            raise RateLimited(
                f"too many {self.what} from one address: at most {self.limit} at once;"
                " close one or try again later", 5.0)
        self._open[key] = count + 1

    def close(self, key: str) -> None:
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)

    def count(self, key: str) -> int:
        return self._open.get(key, 0)


class LoginThrottle:
    """Per-username lockout after repeated wrong passwords, lengthening with each lockout."""

    def __init__(self, failures_before_lockout: int, lockout_seconds: float,
                 max_lockout_seconds: float, clock: Clock, max_keys: int = 100_000) -> None:
        self.failures_before_lockout = failures_before_lockout
        self.lockout_seconds = lockout_seconds
        self.max_lockout_seconds = max_lockout_seconds
        self.clock = clock
        self.max_keys = max_keys
        #: username → (wrong passwords since the last lockout, lockouts so far, locked until)
        self._state: OrderedDict[str, tuple[int, int, float]] = OrderedDict()

    def check(self, username: str) -> None:
        """Raise LoginLocked when ``username`` is locked now."""
        state = self._state.get(username)
        if state is not None and state[2] > self.clock.now():
            raise LoginLocked(
                "too many wrong passwords for this account; try again later",
                state[2] - self.clock.now())

    def failed(self, username: str) -> None:
        failures, lockouts, until = self._state.pop(username, (0, 0, 0.0))
        failures += 1
        if failures >= self.failures_before_lockout:
            duration = min(self.max_lockout_seconds, self.lockout_seconds * 2 ** lockouts)
            failures, lockouts, until = 0, lockouts + 1, self.clock.now() + duration
        self._state[username] = (failures, lockouts, until)
        while len(self._state) > self.max_keys:
            self._state.popitem(last=False)

    def succeeded(self, username: str) -> None:
        self._state.pop(username, None)


class LoginLocked(RateLimited):
    code = "login_locked"
