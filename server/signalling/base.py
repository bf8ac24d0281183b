"""One place where every incoming event is checked: known name, size, nesting, schema, errors.

Handlers are plain methods named in `events`; they receive a validated model and return a dict
for the acknowledgement. Any HelpwireError becomes `{ok: false, error: {code, message, event}}`
in the acknowledgement and an `error` event to the same socket; the connection stays open.
Validation is strict (no coercion); refusals are logged by `refusals.RefusalLog`, summarised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import socketio
from pydantic import ValidationError

from ..core.errors import (
    CaseMoving,
    CaseNotFound,
    ClusterUnavailable,
    HelpwireError,
    StorageUnavailable,
)
from ..logs import get_logger
from .errors import InvalidPayload, PayloadTooDeep, UnknownEvent, error_payload
from .limits import check_limits, field_name
from .refusals import RefusalLog
from .safe_json import TOO_DEEP_EVENT
from .schemas import Event
from .socketio_compat import MAX_EVENT_NAME_CHARS, UNROUTABLE_PREFIX

if TYPE_CHECKING:
    from ..services import Services

log = get_logger("helpwire.signalling")


@dataclass(frozen=True)
class Route:
    schema: type[Event]
    handler: str
    #: a setting (section.field, bytes) this event may use on top of limits.max_event_bytes (SDP)
    extra_bytes_setting: str | None = None
    #: starts a change that must be stored: refused with storage_unavailable, nothing applied,
    #: while the store cannot be written (every event's acknowledgement waits for its writes)
    writes: bool = False
    #: needs the dispatch state shared between nodes (a new case, a transfer): refused with
    #: cluster_unavailable, nothing applied, while a node cannot reach it for long
    shared: bool = False


Handler = Callable[[str, Any], Awaitable[dict[str, Any] | None]]


class RoleNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    routes: dict[str, Route] = {}

    def __init__(self, namespace: str, services: Services) -> None:
        super().__init__(namespace)
        self.services = services
        self.refusals = RefusalLog(services.settings.log.refusal_window_seconds)

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
        if event in ("connect", "disconnect"):  # the lifecycle (clients' events never get here)
            try:
                return await super().trigger_event(event, *args)
            finally:
                if event == "disconnect":
                    self.refusals.forget(self.namespace, args[0])
        sid = args[0]
        route = self.routes.get(event)
        payload: Event | None = None
        try:
            if event.startswith(UNROUTABLE_PREFIX):
                named = event.removeprefix(UNROUTABLE_PREFIX)
                raise UnknownEvent(
                    f"{named!r} is not an event a client may send (Socket.IO reserves it, or it is"
                    " not a string); see docs/protocol.md"
                )
            if event == TOO_DEEP_EVENT:
                raise PayloadTooDeep(
                    f"the payload nests deeper than {self.services.settings.limits.max_json_depth} levels;"
                    " flatten it"
                )
            if route is None:
                raise UnknownEvent(
                    f"{self.namespace} has no event named {event[:64]!r}; see docs/protocol.md"
                )
            if len(args) > 2:
                raise InvalidPayload(f"{event} takes one payload object, got {len(args) - 1}")
            # no payload at all is {} (emit("cancel")); a payload of null is not an object
            data = args[1] if len(args) > 1 else {}
            settings = self.services.settings
            max_bytes = settings.limits.max_event_bytes
            if route.extra_bytes_setting is not None:
                max_bytes += int(attrgetter(route.extra_bytes_setting)(settings))
            check_limits(data, max_bytes, settings.limits.max_json_depth)
            if not isinstance(data, dict):
                problem = f"the payload must be a JSON object, not {_json_type(data)}"
                raise InvalidPayload(f"{event}: {problem}", [{"field": "(payload)", "problem": problem}])
            try:
                payload = route.schema.model_validate(data, strict=True)
            except ValidationError as exc:
                raise _invalid(event, exc) from None
            if route.writes:
                refusal = self.services.persister.writable()
                if refusal is not None:
                    raise StorageUnavailable(refusal)
            shared = self.services.shared_dispatch
            if route.shared and shared is not None and shared.refusal() is not None:
                raise ClusterUnavailable()
            handler: Handler = getattr(self, route.handler)
            with self.services.drain.handling(sid):
                result = await handler(sid, payload)
            return {"ok": True, **(result or {})}
        except HelpwireError as caught:
            error = await self._moving(caught, getattr(payload, "case_id", None))
            # every refusal names the event the client sent (cut to 64 characters)
            body = error_payload(error, _event_name(event))
            self.refusals.refused(self.namespace, sid,
                                  event if route is not None else "(unknown)", error.code)
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
                "event": _event_name(event),
            }
            await self.emit("error", body, to=sid)
            return {"ok": False, "error": body}


    async def _moving(self, error: HelpwireError, case_id: object) -> HelpwireError:
        """An event naming a case this node does not hold that is live on another node, or
        being adopted by this one: ``case_moving`` (retryable), not ``case_not_found``."""
        if not isinstance(error, CaseNotFound) or not isinstance(case_id, str):
            return error
        return await moving_or(error, self.services, case_id)


async def moving_or(error: HelpwireError, services: Services, case_id: str) -> HelpwireError:
    """``case_moving`` if the store says the case is live and hosted by some node (it is not
    here yet: adopted meanwhile, or hosted elsewhere), else the error as it was."""
    membership = services.membership
    if membership is None or case_id in services.engine.cases:
        return error
    try:
        host = await services.cases.live_host_of(case_id)
    except Exception:  # the store is away: the first answer stands
        return error
    return error if host is None else CaseMoving(membership.retry_after)


def _event_name(event: str) -> str:
    """The event's name as the client sent it (the marker of a refused name taken off)."""
    if event == TOO_DEEP_EVENT:
        return "(unknown)"  # the payload could not be decoded, name included
    return event.removeprefix(UNROUTABLE_PREFIX)[:MAX_EVENT_NAME_CHARS]


def _json_type(data: object) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, (int, float)):
        return "a number"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, list):
        return "an array"
    return type(data).__name__


def _invalid(event: str, exc: ValidationError) -> InvalidPayload:
    fields = [
        {"field": field_name(err["loc"]), "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)[:10]
    ]
    first = fields[0] if fields else {"field": "(payload)", "problem": "invalid"}
    return InvalidPayload(
        f"{event}: {first['field']}: {first['problem']}", fields
    )
