"""A running server holds a shared lock on ``<data_dir>/serve.lock``, so `restore` can tell.

Restoring a database file under a running server would leave the server writing into the file it
had open (its pages and WAL mixed with the restored ones): `restore` asks for the lock exclusively
and refuses while any server on that data folder runs. The lock is the kernel's (``flock``), so a
server that was killed leaves nothing stale behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "serve.lock"


@contextmanager
def serving(data_dir: Path) -> Iterator[None]:
    """Held for as long as the server runs (several servers may share a data folder)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


@contextmanager
def exclusive(data_dir: Path) -> Iterator[bool]:
    """True (and held) when no server runs on ``data_dir``; False while one does."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)
