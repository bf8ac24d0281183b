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


def test_a_changed_ping_task_stops_start_up_since_the_ping_schedule_redoes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def _send_ping(self: AsyncSocket) -> None:  # a ping task that no longer sets last_ping
        await self.send(None)

    monkeypatch.setattr(AsyncSocket, "_send_ping", _send_ping)
    with pytest.raises(IncompatibleEngineIO) as refused:
        check(socketio.AsyncServer(async_mode="aiohttp").eio)
    assert "AsyncSocket._send_ping() no longer does self.last_ping = time.time()" in refused.value.message


def test_a_ping_task_started_another_way_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def schedule_ping(self: AsyncSocket) -> None:
        self.last_ping = None

    monkeypatch.setattr(AsyncSocket, "schedule_ping", schedule_ping)
    with pytest.raises(IncompatibleEngineIO) as refused:
        check(socketio.AsyncServer(async_mode="aiohttp").eio)
    assert "schedule_ping() no longer starts _send_ping" in refused.value.message
