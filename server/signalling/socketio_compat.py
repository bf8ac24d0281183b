"""The python-socketio internal Helpwire relies on: where a client's EVENT packet is dispatched.

python-socketio runs a namespace's `connect` and `disconnect` handlers through the same
`_trigger_event()` as ordinary events, and an EVENT packet may carry any name, so a client that
sent an event named `disconnect` ran the server's real disconnect code (an agent's socket became
a zombie; `connect` with a payload crashed in a task nobody awaited). `GuardedServer` renames, in
`_handle_event()` (reached only by EVENT and BINARY_EVENT packets, never by the lifecycle), every
name the Socket.IO protocol reserves, and every name that is not a string, to a marker no
handler is called by; `RoleNamespace` answers it as `unknown_event` naming what the client sent.
``check()`` fails start-up with a clear message when an upgrade changed that path.
"""

from __future__ import annotations

import inspect
from typing import Any

import socketio

from ..core.errors import HelpwireError

#: names the Socket.IO protocol keeps for its own lifecycle (python-socketio's reserved_events
#: and those socket.io's JavaScript server and client reserve): never a client event
RESERVED_EVENTS = frozenset({
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
})
#: prefix of the name a refused event is dispatched under (no handler method has it)
UNROUTABLE_PREFIX = "__helpwire_unroutable__:"
#: longest part of a client's event name kept in the marker (and so in the refusal)
MAX_EVENT_NAME_CHARS = 64


class IncompatibleSocketIO(HelpwireError):
    code = "incompatible_socketio"


def unroutable(name: object) -> str:
    text = name if isinstance(name, str) else repr(name)
    return UNROUTABLE_PREFIX + text[:MAX_EVENT_NAME_CHARS]


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None,
                            data: Any) -> None:
        if not isinstance(data, list) or not data:
            data = [unroutable(None)]
        elif not isinstance(data[0], str) or data[0] in RESERVED_EVENTS:
            data = [unroutable(data[0]), *data[1:]]
        await super()._handle_event(eio_sid, namespace, id, data)


def check(sio: Any) -> None:
    """Fail loudly if the dispatch path GuardedServer sits on is not what it expects."""
    problems: list[str] = []
    handle = getattr(socketio.AsyncServer, "_handle_event", None)
    if not inspect.iscoroutinefunction(handle):
        problems.append("AsyncServer._handle_event() is gone")
    elif list(inspect.signature(handle).parameters) != ["self", "eio_sid", "namespace", "id", "data"]:
        problems.append("AsyncServer._handle_event() takes other arguments")
    trigger = getattr(socketio.AsyncServer, "_handle_event_internal", None)
    if trigger is None or "_trigger_event(data[0]" not in inspect.getsource(trigger):
        problems.append("AsyncServer._handle_event_internal() no longer dispatches data[0]")
    reserved = set(getattr(sio, "reserved_events", ()))
    if not reserved or not reserved <= RESERVED_EVENTS:
        problems.append(f"python-socketio reserves {sorted(reserved)}, not all refused here")
    if not isinstance(sio, GuardedServer):
        problems.append("the server is not a GuardedServer")
    if problems:
        raise IncompatibleSocketIO(
            "python-socketio changed under Helpwire: " + "; ".join(problems)
            + ". Update server/signalling/socketio_compat.py"
        )
