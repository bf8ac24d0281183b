"""The indexed client manager: the same rooms as python-socketio's own, without scanning them all."""

from __future__ import annotations

import random
from typing import Any

import pytest
import socketio

from server.signalling.manager import IndexedManager

NS = "/kiosk"


def connect(manager: Any, sid: str) -> None:
    manager.basic_enter_room(sid, NS, None, eio_sid=f"eio-{sid}")
    manager.basic_enter_room(sid, NS, sid, eio_sid=f"eio-{sid}")


def test_it_keeps_the_same_rooms_as_the_stock_manager_through_any_sequence() -> None:
    ours, stock = IndexedManager(), socketio.AsyncManager()
    rng = random.Random(8)
    connected: list[str] = []
    for step in range(3000):
        action = rng.random()
        if action < 0.4 or not connected:
            sid = f"s{step}"
            connected.append(sid)
            for manager in (ours, stock):
                connect(manager, sid)
        elif action < 0.7:
            sid, room = rng.choice(connected), f"kiosk:{rng.randrange(20)}"
            for manager in (ours, stock):
                manager.basic_enter_room(sid, NS, room)
        elif action < 0.85:
            sid, room = rng.choice(connected), f"kiosk:{rng.randrange(20)}"
            for manager in (ours, stock):
                manager.basic_leave_room(sid, NS, room)
        else:
            sid = connected.pop(rng.randrange(len(connected)))
            for manager in (ours, stock):
                manager.basic_disconnect(sid, NS)
        assert ours.rooms == stock.rooms
    for sid in connected[:50]:
        assert sorted(ours.get_rooms(sid, NS), key=str) == sorted(stock.get_rooms(sid, NS), key=str)
    for sid in list(connected):
        for manager in (ours, stock):
            manager.basic_disconnect(sid, NS)
    assert ours.rooms == stock.rooms == {}
    assert ours.rooms_of == {}


class NoScanning(dict[Any, Any]):
    def copy(self) -> Any:
        raise AssertionError("a disconnect copied every room of the namespace")

    def items(self) -> Any:
        raise AssertionError("a disconnect scanned every room of the namespace")


def test_a_disconnect_touches_only_the_rooms_of_that_socket() -> None:
    manager = IndexedManager()
    for number in range(2000):
        connect(manager, f"s{number}")
        manager.basic_enter_room(f"s{number}", NS, f"kiosk:k{number}")
    manager.rooms[NS] = NoScanning(manager.rooms[NS])
    manager.basic_disconnect("s7", NS)
    assert "kiosk:k7" not in manager.rooms[NS] and "s7" not in manager.rooms[NS][None]
    assert sorted(manager.get_rooms("s8", NS)) == ["kiosk:k8", "s8"]


def test_the_stock_manager_would_scan_them() -> None:
    stock = socketio.AsyncManager()
    connect(stock, "s1")
    stock.rooms[NS] = NoScanning(stock.rooms[NS])
    with pytest.raises(AssertionError, match="copied every room"):
        stock.basic_disconnect("s1", NS)
