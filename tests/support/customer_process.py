"""A customer's device as a process of its own, for the frozen-peer tests (test_liveness.py).

    python -m tests.support.customer_process URL

Connects to /customer over WebSocket, presses Help and then idles, like a phone whose owner waits.
What happens is printed as one JSON object per line on stdout, so the test can follow it:
``{"event": "opened", "case_id", "case_token"}``, ``{"event": "queue_status", ...}``,
``{"event": "disconnected"}``, ``{"event": "resumed", "case_id", "case"}``.
When the connection drops (the server gave up on it while the process was frozen with SIGSTOP),
python-socketio reconnects by itself and the case is resumed with its token, as the widget does.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import socketio

NAMESPACE = "/customer"


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def main(url: str) -> None:
    sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.1,
                               reconnection_delay_max=0.5, randomization_factor=0)
    token: str | None = None
    tasks: set[asyncio.Task[None]] = set()

    async def resume() -> None:
        ack = await sio.call("resume", {"case_token": token}, namespace=NAMESPACE, timeout=5)
        if ack.get("ok"):
            say("resumed", case_id=ack["case_id"], case=ack["case"])
        else:
            say("resume_refused", error=ack.get("error"))

    async def on_connect() -> None:
        if token is not None:  # a reconnect: take the case back (not inside this handler)
            task = asyncio.create_task(resume())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def on_disconnect(reason: Any = None) -> None:
        say("disconnected", reason=str(reason))

    async def on_queue_status(data: Any) -> None:
        say("queue_status", **data)

    sio.on("connect", on_connect, namespace=NAMESPACE)
    sio.on("disconnect", on_disconnect, namespace=NAMESPACE)
    sio.on("queue_status", on_queue_status, namespace=NAMESPACE)
    await sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=5)
    ack = await sio.call("help_request", {"context": {"store": "ica-maxi-lund", "language": "sv"}},
                         namespace=NAMESPACE, timeout=5)
    assert ack.get("ok") is True, ack
    token = ack["case_token"]
    say("opened", case_id=ack["case_id"], case_token=token, case=ack["case"])
    await asyncio.Event().wait()  # idle until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
