"""Sends what the hub hands over to the right Socket.IO rooms, in the wire form of wire.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import socketio

from .messages import Message, ToAgent, ToAllAgents, ToCustomer
from .rooms import AGENT_NS, AGENTS_ROOM, CUSTOMER_NS, KIOSK_NS, agent_room, case_room
from .wire import wire_of


class SocketEmitter:
    def __init__(self, sio: socketio.AsyncServer, channel_of: Callable[[str], str | None]) -> None:
        self.sio = sio
        #: a case's channel: a kiosk's messages go to /kiosk, everyone else's to /customer
        self._channel_of = channel_of
        #: told of every message sent (the metrics count them)
        self.observers: list[Callable[[Message], None]] = []

    def customer_namespace(self, case_id: str) -> str:
        return KIOSK_NS if self._channel_of(case_id) == "kiosk" else CUSTOMER_NS

    async def send(self, batch: Sequence[Any]) -> None:
        for message in wire_of(list(batch)):
            await self._emit(message)
            for observe in self.observers:
                observe(message)

    async def _emit(self, message: Message) -> None:
        if isinstance(message, ToCustomer):
            await self.sio.emit(message.event, message.payload, room=case_room(message.case_id),
                                namespace=self.customer_namespace(message.case_id))
        elif isinstance(message, ToAgent):
            await self.sio.emit(message.event, message.payload, room=agent_room(message.agent_id),
                                namespace=AGENT_NS)
        elif isinstance(message, ToAllAgents):
            await self.sio.emit(message.event, message.payload, room=AGENTS_ROOM, namespace=AGENT_NS)
