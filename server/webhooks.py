"""Signed webhooks to the store's POS (an approved age check unlocks an item there).

Each delivery is a JSON POST signed with HMAC-SHA256 (consent/webhook.py; the POS side's
verification code is in docs/protocol.md). A POS that does not answer 2xx is tried again after
`pos_webhook_backoff_seconds`, doubling each time, up to `pos_webhook_attempts` tries; every
attempt has a fresh timestamp and signature and the same `X-Helpwire-Delivery` id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp

from consent.webhook import backoff_delays, signed_headers

from .logs import get_logger

log = get_logger("helpwire.webhooks")


class WebhookSender:
    def __init__(self, url: str, secret: str, attempts: int, backoff_seconds: float,
                 now: Callable[[], float], timeout_seconds: float = 5.0) -> None:
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self._now = now
        self._tasks: set[asyncio.Task[bool]] = set()

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def send(self, event: str, payload: dict[str, Any]) -> asyncio.Task[bool] | None:
        """Deliver in the background (retries included); None when no URL is configured."""
        if not self.enabled:
            return None
        task = asyncio.ensure_future(self._deliver(event, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, event: str, payload: dict[str, Any]) -> bool:
        delivery_id = uuid.uuid4().hex
        body = json.dumps({"event": event, "delivery_id": delivery_id, **payload},
                          separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        delays = backoff_delays(self.attempts, self.backoff_seconds)
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for attempt in range(1, self.attempts + 1):
                headers = signed_headers(self.secret, body, self._now(), delivery_id)
                try:
                    async with http.post(self.url, data=body, headers=headers) as response:
                        if 200 <= response.status < 300:
                            log.info("webhook_delivered", webhook_event=event, attempt=attempt,
                                     delivery_id=delivery_id)
                            return True
                        problem = f"HTTP {response.status}"
                except (aiohttp.ClientError, TimeoutError) as error:
                    problem = type(error).__name__
                log.warning("webhook_attempt_failed", webhook_event=event, attempt=attempt,
                            problem=problem, delivery_id=delivery_id)
                if attempt <= len(delays):
                    await asyncio.sleep(delays[attempt - 1])
        log.error("webhook_gave_up", webhook_event=event, delivery_id=delivery_id)
        return False

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
