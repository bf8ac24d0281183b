"""Signalling for the load peers: Helpwire's Socket.IO protocol, the baseline's HTTP offer/answer, Janus's
HTTP API (echotest plugin). Nothing here logs an SDP or a token.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

CUSTOMER_NS, AGENT_NS = "/customer", "/agent"
CONTEXT = {"store": "store-042", "language": "sv"}


class SignalError(RuntimeError):
    pass


def _ok(ack: Any, what: str) -> dict[str, Any]:
    if not isinstance(ack, dict) or ack.get("ok") is not True:
        code = ack.get("error", {}).get("code") if isinstance(ack, dict) else ack
        raise SignalError(f"{what} refused: {code}")
    return ack


class Socket:
    """A python-socketio client on one namespace that can await events it receives."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: dict[str, list[Any]] = defaultdict(list)
        self._changed = asyncio.Event()
        self.on_event: Callable[[str, Any], None] | None = None
        self.sio.on("*", self._on_any, namespace=namespace)

    def _on_any(self, event: str, data: Any = None) -> None:
        box = self.received[event]
        box.append(data)
        del box[:-64]  # keep only recent events: a long run must not grow
        self._changed.set()
        if self.on_event is not None:
            self.on_event(event, data)

    async def connect(self, url: str, auth: Any = None) -> None:
        await self.sio.connect(url, namespaces=[self.namespace], transports=["websocket"], auth=auth,
                               wait_timeout=10)

    async def call(self, event: str, data: dict[str, Any], seconds: float = 10) -> dict[str, Any]:
        ack = await self.sio.call(event, data, namespace=self.namespace, timeout=seconds)
        return _ok(ack, event)

    async def wait_for(self, event: str, predicate: Callable[[Any], bool], seconds: float = 10) -> Any:
        async with asyncio.timeout(seconds):
            while True:
                for data in self.received.get(event, []):
                    if predicate(data):
                        return data
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class HelpwireSide:
    """One agent signed in from one worker, taking the cases of that worker's customers."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.agent = Socket(AGENT_NS)
        self.agent.on_event = self._on_agent_event
        self._expected: set[str] = set()

    async def start(self) -> None:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/api/agent/login",
                                 json={"username": self.username, "password": self.password}) as response:
                if response.status != 200:
                    raise SignalError(f"agent sign-in failed with HTTP {response.status}")
                token = (await response.json())["token"]
        await self.agent.connect(self.url, auth={"token": token})
        await self.agent.call("agent_hello", {})

    def _on_agent_event(self, event: str, data: Any) -> None:
        # an offer for a case this worker did not open (a leftover): decline it at once
        if event == "offer" and data.get("case_id") not in self._expected:
            asyncio.ensure_future(self.agent.sio.emit(
                "offer_decline", {"case_id": data.get("case_id")}, namespace=AGENT_NS))

    async def available(self, yes: bool) -> None:
        await self.agent.call("presence_set", {"presence": "available" if yes else "busy"})

    async def open_case(self) -> tuple[Socket, str]:
        """A customer asks for help, this worker's agent accepts, and they agree on video."""
        customer = Socket(CUSTOMER_NS)
        await customer.connect(self.url)
        ack = await customer.call("help_request", {"context": CONTEXT})
        case_id: str = ack["case_id"]
        self._expected.add(case_id)
        await self.agent.wait_for("offer", lambda o: o.get("case_id") == case_id)
        await self.agent.call("offer_accept", {"case_id": case_id})
        await self.agent.call("media_propose", {"case_id": case_id, "channel": "video"})
        await customer.wait_for("media_proposed", lambda p: p.get("case_id") == case_id)
        await customer.call("media_accept", {})
        return customer, case_id

    @staticmethod
    async def offer(socket: Socket, sdp: str, case_id: str | None = None) -> str:
        payload: dict[str, Any] = {"sdp": sdp, "type": "offer"}
        if case_id is not None:
            payload["case_id"] = case_id
        ack = await socket.call("media_offer", payload, seconds=20)
        return str(ack["answer"]["sdp"])

    async def close_case(self, customer: Socket, case_id: str) -> None:
        try:
            await self.agent.call("media_hangup", {"case_id": case_id})
        except SignalError:
            pass  # the call may already have failed
        await self.agent.call("case_close", {"case_id": case_id, "label": "tekniskt fel", "resolved": True})
        self._expected.discard(case_id)
        await customer.close()

    async def close(self) -> None:
        await self.agent.close()


class BaselineSide:
    """The MediaRelay baseline server's rooms: POST /offer per participant, POST /close per room."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = aiohttp.ClientSession()

    async def offer(self, room: str, role: str, sdp: str) -> str:
        async with self.http.post(f"{self.url}/offer",
                                  json={"room": room, "role": role, "sdp": sdp}) as response:
            if response.status != 200:
                raise SignalError(f"baseline offer failed with HTTP {response.status}")
            return str((await response.json())["sdp"])

    async def close_room(self, room: str) -> None:
        async with self.http.post(f"{self.url}/close", json={"room": room}) as response:
            await response.read()

    async def close(self) -> None:
        await self.http.close()


class JanusEcho:
    """One Janus session with the echotest plugin attached: one stream pair in and out."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url
        self.session: int | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(6)}
        async with self.http.post(f"{self.url}{path}", json=body) as response:
            reply: dict[str, Any] = await response.json(content_type=None)
        if reply.get("janus") == "error":
            raise SignalError(f"janus refused {body['janus']}: {reply.get('error', {}).get('code')}")
        return reply

    async def offer(self, sdp: str) -> str:
        self.session = (await self._post("/janus", {"janus": "create"}))["data"]["id"]
        base = f"/janus/{self.session}"
        attached = await self._post(base, {"janus": "attach", "plugin": "janus.plugin.echotest"})
        handle = attached["data"]["id"]
        await self._post(f"{base}/{handle}", {"janus": "message", "body": {"audio": True, "video": True},
                                              "jsep": {"type": "offer", "sdp": sdp}})
        async with asyncio.timeout(20):
            while True:  # long poll the session until the plugin's answer arrives
                async with self.http.get(f"{self.url}{base}?maxev=5") as response:
                    events = await response.json(content_type=None)
                for event in events if isinstance(events, list) else [events]:
                    jsep = event.get("jsep")
                    if jsep and jsep.get("type") == "answer":
                        return str(jsep["sdp"])

    async def close(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            await self._post(f"/janus/{session}", {"janus": "destroy"})
