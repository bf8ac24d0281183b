"""Steps shared by the media tests: open an active case, agree on a channel, connect peers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from media_tests.synthetic import ClientPeer, until
from tests.support.live import Client, LiveServer, connect

CUSTOMER_NS = "/customer"
AGENT_NS = "/agent"


def ok(ack: Any) -> dict[str, Any]:
    assert isinstance(ack, dict) and ack.get("ok") is True, ack
    return ack


@dataclass
class Case:
    server: LiveServer
    agent: Client
    customer: Client
    case_id: str
    case_token: str
    agent_id: str
    peers: list[ClientPeer] = field(default_factory=list)

    def customer_peer(self, trickle: bool = True) -> ClientPeer:
        peer = ClientPeer(self.customer, None, trickle)
        self.peers.append(peer)
        return peer

    def agent_peer(self, trickle: bool = True) -> ClientPeer:
        peer = ClientPeer(self.agent, self.case_id, trickle)
        self.peers.append(peer)
        return peer

    async def agree(self, channel: str) -> None:
        """The agent proposes `channel`; the customer accepts with one tap."""
        ok(await self.agent.call("media_propose", {"case_id": self.case_id, "channel": channel}))
        await self.customer.wait_for("media_proposed", lambda p: p["channel"] == channel)
        ok(await self.customer.call("media_accept", {}))
        for side in (self.agent, self.customer):
            await side.wait_for("media_state", lambda p: p["channel"] == channel)

    async def close(self) -> None:
        for peer in self.peers:
            await peer.close()
        closed = set()
        for side in (self.customer, self.agent):
            if side.sio.connected:
                closed.add(side.sio.eio.sid)
                await side.close()
        # let the server finish forgetting these sockets before the fixture shuts it down
        sockets = self.server.services.sio.eio.sockets
        await until(lambda: not closed & set(sockets), 2, "sockets to close")


async def open_case(server: LiveServer, username: str, context: dict[str, Any] | None = None,
                    skills: tuple[str, ...] = ()) -> Case:
    agent_id = await server.create_agent(username, username.title(), skills=skills)
    token = await server.login(username)
    agent = await connect(server.url, AGENT_NS, auth={"token": token})
    ok(await agent.call("agent_hello", {}))
    ok(await agent.call("presence_set", {"presence": "available"}))
    customer = await connect(server.url, CUSTOMER_NS)
    ack = ok(await customer.call("help_request",
                                 {"context": context or {"store": "store-042", "language": "sv"}}))
    case_id = ack["case_id"]
    await agent.wait_for("offer", lambda o: o["case_id"] == case_id)
    ok(await agent.call("offer_accept", {"case_id": case_id}))
    ok(await agent.call("presence_set", {"presence": "busy"}))  # no further offers
    await customer.wait_for("agent_joined")
    return Case(server, agent, customer, case_id, ack["case_token"], agent_id)
