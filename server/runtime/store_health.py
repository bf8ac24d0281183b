"""Whether the store can be written now, and why not: what /healthz, /metrics and refusals say.

A failure is *transient* when waiting may cure it (the database is unreachable, hangs, restarts,
or its disk is full); those are retried. Anything else (a constraint, bad data) will fail again
however long one waits.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import exc as sa_exc

from ..store.database import DatabaseClosed

#: reasons, as /healthz and the storage_unavailable error name them
WRITES_FAILING = "writes_failing"
WRITE_TIMEOUT = "write_timeout"
DISK_FULL = "disk_full"

_DISK_FULL_WORDS = ("disk is full", "no space left", "disk full", "could not extend file")


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (TimeoutError, OSError, DatabaseClosed)):
        return True
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError,
                          sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return _is_disk_full(error)


def _is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno == 28:  # ENOSPC
        return True
    text = str(error).lower()
    return any(word in text for word in _DISK_FULL_WORDS)


def reason_of(error: BaseException) -> str:
    if _is_disk_full(error):
        return DISK_FULL
    if isinstance(error, TimeoutError):
        return WRITE_TIMEOUT
    return WRITES_FAILING


class StoreHealth:
    """The persister's own account of its writes (no extra probing of the database)."""

    def __init__(self) -> None:
        #: wall-clock time the current run of failures began, or None when writes succeed
        self.failing_since: float | None = None
        self.reason: str | None = None
        #: the exception type of the latest failure (never its text: it may quote data)
        self.last_error: str | None = None
        self.failed_writes_total = 0
        self.rejected_writes_total = 0
        #: set while writes fail, cleared when one succeeds (for those who wait on either)
        self.degraded = asyncio.Event()

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    def write_failed(self, error: BaseException) -> None:
        self.failed_writes_total += 1
        self.last_error = type(error).__name__
        self.reason = reason_of(error)
        if self.failing_since is None:
            self.failing_since = time.time()
        self.degraded.set()

    def write_succeeded(self) -> None:
        self.failing_since = None
        self.reason = None
        self.degraded.clear()

    def write_rejected(self) -> None:
        self.rejected_writes_total += 1
