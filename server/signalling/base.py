"""One place where every incoming event is checked: known name, size, nesting, schema, errors.

Handlers are plain methods named in `events`; they receive a validated model and return a dict
for the acknowledgement. Any HelpwireError becomes `{ok: false, error: {code, message}}` in the
acknowledgement and an `error` event to the same socket; the connection stays open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import socketio
from pydantic import ValidationError

from ..core.errors import HelpwireError, StorageUnavailable
from ..logs import get_logger
from .errors import InvalidPayload, PayloadTooDeep, UnknownEvent, error_payload
from .limits import check_limits
from .safe_json import TOO_DEEP_EVENT
from .schemas import Event

if TYPE_CHECKING:
    from ..services import Services

log = get_logger("helpwire.signalling")


@dataclass(frozen=True)
class Route:
    schema: type[Event]
    handler: str
    #: a Settings field (bytes) that this event may use on top of max_event_bytes (e.g. SDP)
    extra_bytes_setting: str | None = None
    #: starts a change that must be stored: refused with storage_unavailable, nothing applied,
    #: while the store cannot be written (every event's acknowledgement waits for its writes)
    writes: bool = False


Handler = Callable[[str, Any], Awaitable[dict[str, Any] | None]]


class RoleNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    routes: dict[str, Route] = {}

    def __init__(self, namespace: str, services: Services) -> None:
        super().__init__(namespace)
        self.services = services

    def ping_often(self, sid: str, wanted: Callable[[], bool]) -> None:
        """Ping this socket at the short interval while `wanted()` says someone depends on
        noticing quickly that it went silent (server/signalling/pings.py)."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        if eio_sid is not None:
            self.services.pings.watch(eio_sid, (self.namespace, sid), wanted)

    def ping_seldom(self, sid: str) -> None:
        """This socket is idle again as far as this namespace is concerned."""
        self.services.pings.release((self.namespace, sid))

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        route = self.routes.get(event)
        try:
            if event == TOO_DEEP_EVENT:
                raise PayloadTooDeep(
                    f"the payload nests deeper than {self.services.settings.max_json_depth} levels;"
                    " flatten it"
                )
            if route is None:
                raise UnknownEvent(
                    f"{self.namespace} has no event named {event[:64]!r}; see docs/protocol.md"
                )
            if len(args) > 2:
                raise InvalidPayload(f"{event} takes one payload object, got {len(args) - 1}")
            data = args[1] if len(args) > 1 else {}
            settings = self.services.settings
            max_bytes = settings.max_event_bytes
            if route.extra_bytes_setting is not None:
                max_bytes += int(getattr(settings, route.extra_bytes_setting))
            check_limits(data, max_bytes, settings.max_json_depth)
            try:
                payload = route.schema.model_validate(data if data is not None else {})
            except ValidationError as exc:
                raise _invalid(event, exc) from None
            if route.writes:
                refusal = self.services.persister.writable()
                if refusal is not None:
                    raise StorageUnavailable(refusal)
            handler: Handler = getattr(self, route.handler)
            result = await handler(sid, payload)
            return {"ok": True, **(result or {})}
        except HelpwireError as error:
            body = error_payload(error, event if route is not None else None)
            log.info("event_refused", namespace=self.namespace,
                     event_name=event if route is not None else "(unknown)", code=error.code)
            for observe in self.services.error_observers:
                observe(error.code)
            await self.emit("error", body, to=sid)
            return {"ok": False, "error": body}
        except Exception:
            log.exception("event_failed", namespace=self.namespace, event_name=event)
            for observe in self.services.error_observers:
                observe("internal_error")
            body = {
                "code": "internal_error",
                "message": "the server could not handle this event; it has been logged, try again",
            }
            await self.emit("error", body, to=sid)
            return {"ok": False, "error": body}


def _invalid(event: str, exc: ValidationError) -> InvalidPayload:
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]) or "(payload)", "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)[:10]
    ]
    first = fields[0] if fields else {"field": "(payload)", "problem": "invalid"}
    return InvalidPayload(
        f"{event}: {first['field']}: {first['problem']}", fields
    )
