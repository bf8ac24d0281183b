"""A store's POS on a loopback port, the documented webhook check, and a no-image-data probe."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_verifier() -> Callable[..., bool]:
    """The POS side's verification code from docs/protocol.md, run as printed."""
    text = DOCS.read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL)
                 if "def verify_helpwire_webhook" in b)
    scope: dict[str, Any] = {}
    exec(compile(block, str(DOCS), "exec"), scope)  # noqa: S102 — our own documentation
    return scope["verify_helpwire_webhook"]  # type: ignore[no-any-return]


@dataclass
class Pos:
    """Records every webhook request as it came (raw body bytes); may refuse the first ones."""

    url: str = ""
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    fail_first: int = 0


@asynccontextmanager
async def pos_server(fail_first: int = 0) -> AsyncIterator[Pos]:
    pos = Pos(fail_first=fail_first)

    async def receive(request: web.Request) -> web.Response:
        pos.deliveries.append((dict(request.headers), await request.read()))
        if len(pos.deliveries) <= pos.fail_first:
            return web.Response(status=503)
        pos.arrived.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/unlock", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pos.url = f"http://127.0.0.1:{port}/unlock"
    try:
        yield pos
    finally:
        await runner.cleanup()


def no_image_data(value: Any) -> bool:
    """Nothing binary and no long blob (a data: URL, a base64 frame) anywhere in a stored value."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return False
    if isinstance(value, str):
        return len(value) < 200 and not value.startswith("data:")
    if isinstance(value, dict):
        return all(no_image_data(k) and no_image_data(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(no_image_data(v) for v in value)
    return True
