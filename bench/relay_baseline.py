"""The decode + re-encode baseline: plain aiortc `MediaRelay` between the two participants of a room.

`python -m bench.relay_baseline --port P` serves `POST /offer {room, role, sdp}` → `{sdp}` (the
answer, with all candidates, on 127.0.0.1) and `POST /close {room}`. Each participant's received
track is relayed to the other through `MediaRelay().subscribe(track)`: aiortc decodes what it
receives and its sender encodes again for every consumer. Prints `ready` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import defaultdict
from typing import Any

from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from server.media.aioice_compat import host_addresses


class Room:
    def __init__(self) -> None:
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.sources: dict[tuple[str, str], asyncio.Future[MediaStreamTrack]] = defaultdict(
            lambda: asyncio.get_running_loop().create_future())

    def source(self, role: str, kind: str) -> asyncio.Future[MediaStreamTrack]:
        return self.sources[(role, kind)]

    async def close(self) -> None:
        for pc in self.pcs.values():
            await pc.close()
        self.pcs.clear()


class Relayed(MediaStreamTrack):
    """What one participant receives: the other's track of this kind, once it exists, via MediaRelay."""

    def __init__(self, relay: MediaRelay, source: asyncio.Future[MediaStreamTrack], kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._relay = relay
        self._source = source
        self._proxy: MediaStreamTrack | None = None

    async def recv(self) -> Any:
        if self._proxy is None:
            self._proxy = self._relay.subscribe(await self._source)
        return await self._proxy.recv()

    def stop(self) -> None:
        super().stop()
        if self._proxy is not None:
            self._proxy.stop()


def create_app() -> web.Application:
    relay = MediaRelay()
    rooms: dict[str, Room] = defaultdict(Room)

    async def offer(request: web.Request) -> web.Response:
        body = await request.json()
        room, role = rooms[str(body["room"])], str(body["role"])
        other = "b" if role == "a" else "a"
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        room.pcs[role] = pc

        def on_track(track: MediaStreamTrack) -> None:
            future = room.source(role, track.kind)
            if not future.done():
                future.set_result(track)

        pc.on("track", on_track)
        await pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "offer"))
        for transceiver in pc.getTransceivers():
            transceiver.sender.replaceTrack(Relayed(relay, room.source(other, transceiver.kind),
                                                    transceiver.kind))
            if transceiver.direction == "recvonly":
                transceiver.direction = "sendrecv"
        answer = await pc.createAnswer()
        with host_addresses(["127.0.0.1"]):
            await pc.setLocalDescription(answer)
        return web.json_response({"sdp": pc.localDescription.sdp})

    async def close(request: web.Request) -> web.Response:
        body = await request.json()
        room = rooms.pop(str(body["room"]), None)
        if room is not None:
            await room.close()
        return web.json_response({"ok": True})

    async def shutdown(app: web.Application) -> None:
        for room in list(rooms.values()):
            with contextlib.suppress(Exception):
                await room.close()

    app = web.Application()
    app.router.add_post("/offer", offer)
    app.router.add_post("/close", close)
    app.on_shutdown.append(shutdown)
    return app


async def serve(port: int) -> None:
    runner = web.AppRunner(create_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()  # until the benchmark stops this process
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
