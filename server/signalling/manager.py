"""python-socketio's client manager with an index of each socket's rooms.

The stock manager finds a leaving socket's rooms by copying and scanning every room of the
namespace, and every connected socket has at least its own room: one disconnect costs time in
proportion to all connections, and 10,000 kiosks dropping at once (a network blip, a restart)
stopped the event loop for about a minute (docs/performance.md). Here each socket's rooms are
kept beside the rooms' members, so a disconnect touches only that socket's rooms.
"""

from __future__ import annotations

from typing import Any

import socketio


class IndexedManager(socketio.AsyncManager):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        #: namespace → socket → the rooms it is in (None, the namespace's room of all, included)
        self.rooms_of: dict[str, dict[str, set[Any]]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self.rooms_of.setdefault(namespace, {}).setdefault(sid, set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        sockets = self.rooms_of.get(namespace)
        if sockets is None:
            return
        rooms = sockets.get(sid)
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del sockets[sid]
                if not sockets:
                    del self.rooms_of[namespace]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        for room in list(self.rooms_of.get(namespace, {}).get(sid, ())):
            self.basic_leave_room(sid, namespace, room)
        if sid in self.callbacks:
            del self.callbacks[sid]
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        return [room for room in self.rooms_of.get(namespace, {}).get(sid, ()) if room is not None]
