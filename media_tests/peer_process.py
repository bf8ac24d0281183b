"""A customer in a video call as a process of its own, for the frozen-peer test (test_liveness.py).

    python -m media_tests.peer_process URL

Connects to /customer, presses Help, accepts the call the agent proposes, and sends a synthetic
camera and tone over a real aiortc peer connection through the server's relay. One JSON object
per line on stdout: ``{"event": "opened", "case_id"}``, ``{"event": "connected"}`` (the peer
connection is up and the agent's video arrives).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from media_tests.synthetic import ClientPeer, SyntheticTone, SyntheticVideo
from tests.support.live import connect

NAMESPACE = "/customer"


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def main(url: str) -> None:
    socket = await connect(url, NAMESPACE)
    ack = await socket.call("help_request", {"context": {"store": "store-042", "language": "sv"}})
    assert ack.get("ok") is True, ack
    say("opened", case_id=ack["case_id"], case_token=ack["case_token"])
    await socket.wait_for("agent_joined", timeout=30)
    await socket.wait_for("media_proposed", timeout=30)
    accepted = await socket.call("media_accept", {})
    assert accepted.get("ok") is True, accepted
    peer = ClientPeer(socket)
    peer.send(SyntheticTone(440))
    peer.send(SyntheticVideo(1))
    await peer.negotiate()
    await peer.wait_connected()
    await peer.wait_video(5, timeout=20)
    say("connected")
    await asyncio.Event().wait()  # in the call until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
