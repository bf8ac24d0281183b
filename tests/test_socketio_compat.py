"""The python-socketio dispatch path Helpwire guards is checked when the app is built."""

from __future__ import annotations

import pytest
import socketio

from server.signalling import socketio_compat
from server.signalling.socketio_compat import GuardedServer, IncompatibleSocketIO, unroutable


def test_the_installed_python_socketio_passes_the_check() -> None:
    socketio_compat.check(GuardedServer(async_mode="aiohttp"))


def test_a_plain_server_fails_the_check() -> None:
    with pytest.raises(IncompatibleSocketIO, match="not a GuardedServer"):
        socketio_compat.check(socketio.AsyncServer(async_mode="aiohttp"))


def test_a_newly_reserved_name_fails_the_check() -> None:
    server = GuardedServer(async_mode="aiohttp")
    server.reserved_events = [*server.reserved_events, "brand_new_lifecycle"]
    with pytest.raises(IncompatibleSocketIO, match="brand_new_lifecycle"):
        socketio_compat.check(server)


def test_every_library_reserved_name_is_refused() -> None:
    assert set(socketio.AsyncServer.reserved_events) <= socketio_compat.RESERVED_EVENTS


def test_refused_names_are_cut_and_never_a_handler_name() -> None:
    marker = unroutable("x" * 1000)
    assert marker.startswith(socketio_compat.UNROUTABLE_PREFIX)
    assert len(marker) == len(socketio_compat.UNROUTABLE_PREFIX) + 64
    assert unroutable(7).endswith("7")
    assert not marker.isidentifier()
