"""A live server whose media peers offer loopback candidates (the test machine may have no other)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveServer, live_server

MEDIA_SETTINGS: dict[str, Any] = {"media__host_addresses": ["127.0.0.1"]}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path, **MEDIA_SETTINGS) as running:
        yield running


@pytest.fixture
def media_server(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[LiveServer]]:
    def make(**overrides: Any) -> AbstractAsyncContextManager[LiveServer]:
        return live_server(tmp_path, **{**MEDIA_SETTINGS, **overrides})

    return make
