"""The python-engineio internals the server relies on are checked when the app is built."""

from __future__ import annotations

import pytest
import socketio
from engineio.async_socket import AsyncSocket

from server.signalling.engineio_compat import IncompatibleEngineIO, check


def test_the_installed_python_engineio_has_every_internal_the_adapters_use() -> None:
    check(socketio.AsyncServer(async_mode="aiohttp").eio)


def test_a_missing_internal_stops_start_up_naming_it_and_what_to_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(AsyncSocket, "check_ping_timeout")
    with pytest.raises(IncompatibleEngineIO) as refused:
        check(socketio.AsyncServer(async_mode="aiohttp").eio)
    assert "AsyncSocket.check_ping_timeout() is gone" in refused.value.message
    assert "server/signalling/engineio_compat.py" in refused.value.message
