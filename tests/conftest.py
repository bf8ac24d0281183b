"""Fixtures shared by every test: a live server factory on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support import widget_bundle
from tests.support.live import LiveServer, live_server


@pytest.fixture(scope="session", autouse=True)
def _widget_bundle_built() -> None:
    """Every served page embeds the built widget: rebuild it if its sources changed since."""
    widget_bundle.ensure_built()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with live_server(tmp_path) as running:
        yield running


@pytest.fixture
def server_factory(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[LiveServer]]:
    """For tests that need non-default settings: `async with server_factory(x=1) as s:`."""

    def make(**overrides: Any) -> AbstractAsyncContextManager[LiveServer]:
        return live_server(tmp_path, **overrides)

    return make
