"""Never recorded: nothing but the database is opened for writing during a call, and no media
object outlives the call.

The server runs in this process, so a Python audit hook sees every `open` it makes; C code that
bypasses Python (libvpx, libopus, SQLite itself) is covered by sampling /proc/self/fd for files
opened for writing while the call runs.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import weakref
from pathlib import Path
from typing import Any

import av

from media_tests.calls import ok, open_case
from media_tests.synthetic import SyntheticTone, SyntheticVideo
from tests.support.live import LiveServer

_writes: list[tuple[str, str]] | None = None
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or _writes is None:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
    if writing:
        _writes.append((str(path), str(mode if mode is not None else flags)))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while _writes is a list


def _database_file(path: str) -> bool:
    name = Path(path).name
    return any(name == f"helpwire.sqlite3{suffix}" for suffix in ("", "-wal", "-shm", "-journal"))


def _open_for_writing() -> dict[int, str]:
    """Regular files this process holds open with write access, from /proc (C code included)."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{entry}")
            with open(f"/proc/self/fdinfo/{entry}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration):
            continue
        if target.startswith("/") and not target.startswith("/dev/") and flags & 0o3:
            found[int(entry)] = target
    return found


async def test_a_video_call_writes_nothing_but_the_database_and_leaves_no_media(
    server: LiveServer,
) -> None:
    global _writes
    # the hook works: a file opened for writing while recording is seen
    _writes = []
    (server.settings.storage.data_dir / "probe.txt").write_text("x")
    probe, _writes = _writes, None
    assert any(p.endswith("probe.txt") for p, _ in probe), probe

    call = await open_case(server, "lisa")
    before = _open_for_writing()
    sampled: dict[int, str] = {}
    _writes = []
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            sampled.update({fd: p for fd, p in _open_for_writing().items() if before.get(fd) != p})
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except TimeoutError:
                pass

    sampler = asyncio.create_task(sample())
    refs: list[weakref.ref[Any]] = []
    try:
        await call.agree("video")
        customer, agent = call.customer_peer(), call.agent_peer()
        for peer, n, tone in ((customer, 1, 440), (agent, 2, 660)):
            peer.send(SyntheticTone(tone))
            peer.send(SyntheticVideo(n))
        await asyncio.gather(customer.negotiate(), agent.negotiate())
        await asyncio.gather(customer.wait_video(30), agent.wait_video(30))

        media = server.services.media
        assert media is not None
        case_media = media.cases[call.case_id]
        for server_peer in case_media.peers.values():
            refs.append(weakref.ref(server_peer))
            refs.append(weakref.ref(server_peer.pc))
            for transceiver in server_peer.pc.getTransceivers():
                for track in (transceiver.receiver.track, transceiver.sender.track):
                    if track is not None:
                        refs.append(weakref.ref(track))
        refs.append(weakref.ref(case_media.relay))
        assert len(refs) >= 11
        del case_media, server_peer, transceiver, track

        ok(await call.customer.call("media_hangup", {}))
        await call.agent.wait_for("media_state", lambda p: p["state"] == "ended")
        await customer.close()
        await agent.close()
    finally:
        stop.set()
        await sampler
        writes, _writes = _writes, None

    strays = [w for w in writes if not _database_file(w[0])]
    assert strays == [], f"files opened for writing during the call: {strays}"
    held = [p for p in sampled.values() if not _database_file(p)]
    assert held == [], f"files held open for writing during the call: {held}"

    media = server.services.media
    assert media is not None
    assert media.cases == {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        gc.collect()
        alive = [r() for r in refs if r() is not None]
        frames = [o for o in gc.get_objects() if isinstance(o, (av.VideoFrame, av.AudioFrame))]
        if not alive and not frames:
            break
        assert loop.time() < deadline, f"still alive after the call: {alive[:5]}, frames {len(frames)}"
        await asyncio.sleep(0.05)  # aiortc finishes closing in background tasks
    await call.close()
