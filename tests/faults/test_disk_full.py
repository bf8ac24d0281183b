"""The SQLite disk fills up during live chats: no acknowledged event is lost, /healthz says disk_full.

The data folder is a small tmpfs mounted for the test (needs root, or CAP_SYS_ADMIN); a filler
file takes every free byte (ENOSPC) for OUTAGE_SECONDS, then is deleted.
"""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server_process import AgentSpec, ServerProcess, create_agents
from tests.support.verdict import Verdict

from .outage import AGENTS, CHATS, OUTAGE_SECONDS, run_outage

pytestmark = [pytest.mark.faults, pytest.mark.timeout(100)]

#: the small filesystem: room for the database and its WAL, quickly filled
FILESYSTEM_SIZE = "16m"
HOW_TO_RUN = (
    "this test mounts a small tmpfs for the SQLite data folder: run it as root (or with "
    "CAP_SYS_ADMIN), e.g. `sudo -E /work/main/.venv/bin/python -m pytest tests/faults/"
    "test_disk_full.py`, or in a container started with --cap-add SYS_ADMIN"
)


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of FILESYSTEM_SIZE mounted in the test's folder (unmounted afterwards)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_SIZE},mode=0700", "tmpfs",
             str(mount_point)], capture_output=True, text=True, timeout=10)
        problem = None if result.returncode == 0 else (result.stderr.strip() or
                                                       f"exit code {result.returncode}")
    except (OSError, subprocess.TimeoutExpired) as error:
        problem = f"{type(error).__name__}: {error}"
    if problem is not None:
        message = f"cannot mount a tmpfs ({problem}); {HOW_TO_RUN}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        # lazy: a file still open by a process that is already gone is no reason to leak a mount
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=10)


def fill(folder: Path) -> int:
    """Write a filler file until the filesystem is full (ENOSPC); returns the bytes written."""
    path = folder / "filler"
    written = 0
    with open(path, "wb", buffering=0) as filler:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    written += filler.write(block)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break
        # tmpfs has no delayed allocation, but make sure nothing is left in a buffer
        try:
            os.fsync(filler.fileno())
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return written


async def test_a_full_sqlite_disk_loses_no_acknowledged_event_and_healthz_says_disk_full(
    small_filesystem: Path,
) -> None:
    verdict = Verdict(f"SQLite disk full {OUTAGE_SECONDS:.0f} s")
    data_dir = small_filesystem / "data"
    database_url = f"sqlite+aiosqlite:///{(data_dir / 'helpwire.sqlite3').as_posix()}"
    specs = await create_agents(database_url, [
        AgentSpec(f"agent{i}", -(-CHATS // AGENTS) + 1) for i in range(AGENTS)])
    workdir = small_filesystem.parent / "server"
    server = ServerProcess(workdir, database_url, settings={"storage": {"data_dir": data_dir}})

    async def inject() -> None:
        written = await asyncio.to_thread(fill, small_filesystem)
        free = os.statvfs(small_filesystem)
        verdict.figure(f"filled the {FILESYSTEM_SIZE} filesystem: {written} bytes of filler,"
                       f" {free.f_bavail * free.f_frsize} bytes left")

    async def clear() -> None:
        await asyncio.to_thread((small_filesystem / "filler").unlink)

    try:
        await run_outage(server, specs, database_url, inject, clear, verdict, reason="disk_full")
    finally:
        await server.stop()
    verdict.conclude()
