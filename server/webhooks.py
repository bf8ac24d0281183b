"""One attempt at an outbox row over HTTP: a JSON POST, signed when the receiver shares a secret.

The POS webhook (an approved age check unlocks an item there) is signed with HMAC-SHA256
(consent/webhook.py; the POS side's verification code is in docs/protocol.md). Every attempt has
a fresh timestamp and signature and the same ``X-Helpwire-Delivery`` id, which is the outbox
row's id: the body is the stored payload, encoded the same way every time. Retries, backoff and
restarts are the outbox worker's business (server/runtime/outbox.py).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import aiohttp

from consent.webhook import DELIVERY_HEADER, signed_headers

from .store.outbox import Delivery

#: the outbox kind of an approved age check announced to the store's POS
POS_ITEM_UNLOCKED = "pos.item_unlocked"


class Sender(Protocol):
    async def send(self, delivery: Delivery, now: float) -> str | None:
        """Make one attempt: None when delivered, else a short problem label (no payload)."""

    async def close(self) -> None:
        """Release connections."""


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes sent for a payload: compact, sorted keys, so every attempt sends the same."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()


class HttpPoster:
    """POSTs the row's payload to its target URL; 2xx means delivered."""

    def __init__(self, secret: str, timeout_seconds: float) -> None:
        #: empty = unsigned (the delivery id header is still sent)
        self.secret = secret
        self.timeout_seconds = timeout_seconds
        self._http: aiohttp.ClientSession | None = None

    async def send(self, delivery: Delivery, now: float) -> str | None:
        body = body_of(delivery.payload)
        if self.secret:
            headers = signed_headers(self.secret, body, now, delivery.id)
        else:
            headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery.id}
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds))
        try:
            async with self._http.post(delivery.target, data=body, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # ValueError: a target that is not a URL at all (InvalidURL is one too)
            return type(error).__name__

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
