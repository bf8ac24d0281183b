"""The server answers the two participants' offers at once (a case's call starts sooner)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from media_tests.calls import open_case
from media_tests.synthetic import SyntheticTone
from server.media.peer import Peer
from tests.support.live import LiveServer


@pytest.fixture
def held_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, asyncio.Event]]:
    """Peer.answer of a role waits for its event while one is set up for that role."""
    gates: dict[str, asyncio.Event] = {}
    original = Peer.answer

    async def answer(self: Peer, *args: Any, **kwargs: Any) -> Any:
        gate = gates.get(self.role)
        if gate is not None:
            await gate.wait()
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Peer, "answer", answer)
    yield gates


async def test_one_participants_answer_does_not_wait_for_the_others(
    server: LiveServer, held_answers: dict[str, asyncio.Event],
) -> None:
    call = await open_case(server, "lisa")
    try:
        await call.agree("voice")
        customer, agent = call.customer_peer(), call.agent_peer()
        customer.send(SyntheticTone(440))
        agent.send(SyntheticTone(660))
        held_answers["agent"] = asyncio.Event()
        agent_offer = asyncio.ensure_future(agent.negotiate())
        # while aiortc has not answered the agent, the customer's offer is answered
        await asyncio.wait_for(customer.negotiate(), 10)
        assert not agent_offer.done()
        held_answers["agent"].set()
        await asyncio.wait_for(agent_offer, 10)
        await asyncio.gather(customer.wait_connected(), agent.wait_connected())
        await asyncio.gather(customer.wait_audio(10), agent.wait_audio(10))
    finally:
        await call.close()
