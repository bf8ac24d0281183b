"""The customer's side of a case (shop pages and apps on /customer; kiosks on /kiosk)."""

from __future__ import annotations

from typing import Any

from socketio.exceptions import ConnectionRefusedError as Refused

from ..core.errors import CaseNotFound
from ..security.addresses import environ_address
from ..security.ratelimit import RateLimited
from .base import RoleNamespace, Route, moving_or
from .errors import CaseAlreadyOpen, InvalidPayload, NoOpenCase, error_payload
from .media import CUSTOMER_MEDIA_ROUTES, CustomerMediaMixin
from .rooms import case_room
from .schemas import (
    CallbackRequest,
    ChatReceived,
    ChatSend,
    Empty,
    Feedback,
    HelpRequest,
    Resume,
    Typing,
)


class CustomerNamespace(CustomerMediaMixin, RoleNamespace):
    routes = {
        "help_request": Route(HelpRequest, "help_request", writes=True, shared=True),
        "resume": Route(Resume, "resume"),
        "chat_send": Route(ChatSend, "chat_send", writes=True),
        "typing": Route(Typing, "typing"),
        "chat_received": Route(ChatReceived, "chat_received"),
        "cancel": Route(Empty, "cancel", writes=True),
        "callback_request": Route(CallbackRequest, "callback_request", writes=True),
        "feedback": Route(Feedback, "feedback", writes=True),
        **CUSTOMER_MEDIA_ROUTES,
    }
    channel_override: str | None = None

    def __init__(self, namespace: str, services: Any) -> None:
        super().__init__(namespace, services)
        #: socket → its case; case → its sockets (a customer may have two tabs)
        self._case_of: dict[str, str] = {}
        self._sockets: dict[str, set[str]] = {}
        #: socket → the client address it came from (rate limits per address)
        self._address_of: dict[str, str] = {}

    # ------------------------------------------------------------------ connection

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        guard = self.services.guard
        address = environ_address(environ, guard.proxies)
        try:
            guard.sockets_per_address.open(address)
        except RateLimited as error:
            raise Refused(error.message, error_payload(error)) from None
        self._address_of[sid] = address

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        address = self._address_of.pop(sid, None)
        if address is not None:
            self.services.guard.sockets_per_address.close(address)
        self.services.guard.socket_gone(sid)
        self.ping_seldom(sid)
        await self.media_socket_gone(sid)
        case_id = self._unbind(sid)
        if case_id is not None and not self._sockets.get(case_id):
            engine = self.services.engine
            if case_id in engine.cases:
                await self.services.hub.run(engine.customer_disconnected(case_id))

    async def _bind(self, sid: str, case_id: str) -> None:
        self._unbind(sid)
        self._case_of[sid] = case_id
        self._sockets.setdefault(case_id, set()).add(sid)
        # someone waits on this customer until the case finishes: notice a silence in seconds
        self.ping_often(sid, lambda: self._is_open(sid, case_id))
        await self.enter_room(sid, case_room(case_id))

    def _is_open(self, sid: str, case_id: str) -> bool:
        """Whether `case_id` is still this socket's case, and not finished."""
        case = self.services.engine.cases.get(case_id)
        return self._case_of.get(sid) == case_id and case is not None and not case.is_finished

    def _unbind(self, sid: str) -> str | None:
        case_id = self._case_of.pop(sid, None)
        if case_id is not None:
            sockets = self._sockets.get(case_id, set())
            sockets.discard(sid)
            if not sockets:
                self._sockets.pop(case_id, None)
        return case_id

    def _case(self, sid: str) -> str:
        case_id = self._case_of.get(sid)
        if case_id is None or case_id not in self.services.engine.cases:
            raise NoOpenCase("this connection has no case; send help_request or resume first")
        return case_id

    def kiosk_id(self, sid: str) -> str | None:
        return None

    def needed_while_draining(self, sid: str) -> bool:
        """While this node drains, a socket stays only for its case still held here (a live
        one, or one that just finished and may still get feedback); others move off."""
        return self._case_of.get(sid) in self.services.engine.cases

    # ------------------------------------------------------------------ events

    async def help_request(self, sid: str, event: HelpRequest) -> dict[str, Any]:
        engine = self.services.engine
        current = self._case_of.get(sid)
        if current is not None and current in engine.cases and not engine.case(current).is_finished:
            raise CaseAlreadyOpen(
                "this connection already has an open case; resume it or cancel it first"
            )
        self.services.drain.check_new_case()  # node_draining: a new case goes to another node
        self._take_help_press(sid)
        context = event.context
        if self.channel_override is not None:
            context = context.model_copy(update={"channel": self.channel_override})
        elif context.channel == "kiosk":
            raise InvalidPayload("kiosks connect to the /kiosk namespace, not /customer")
        if len(context.cart.lines) > self.services.settings.limits.max_cart_lines:
            raise InvalidPayload(
                f"the cart has {len(context.cart.lines)} lines; the limit is"
                f" {self.services.settings.limits.max_cart_lines} (setting limits.max_cart_lines)"
            )
        case, effects = engine.open_case(context, kiosk_id=self.kiosk_id(sid))
        await self._bind(sid, case.id)
        await self.services.hub.run(effects)
        return {
            "case_id": case.id,
            "case_token": self.services.signer.case_token(case.id),
            "case": engine.customer_view(case.id),
            "ice_servers": self.media_ice_servers(case.id),
        }

    def _take_help_press(self, sid: str) -> None:
        """One Help press from this address and kiosk, or rate_limited: a flood from one place
        cannot fill the queue that everyone else waits in."""
        guard = self.services.guard
        address = self._address_of.get(sid, "unknown")
        kiosk_id = self.kiosk_id(sid)
        wait = guard.help_per_address.retry_after(address)
        if kiosk_id is not None:
            wait = max(wait, guard.help_per_kiosk.retry_after(kiosk_id))
        if wait > 0:
            raise RateLimited("too many Help presses from here; try again in a moment", wait)
        guard.help_per_address.take(address)
        if kiosk_id is not None:
            guard.help_per_kiosk.take(kiosk_id)

    async def resume(self, sid: str, event: Resume) -> dict[str, Any]:
        engine = self.services.engine
        case_id = self.services.signer.case_id(event.case_token)
        if case_id not in engine.cases:
            raise await moving_or(
                CaseNotFound("that case is no longer open; press Help to start a new one"),
                self.services, case_id)
        await self._bind(sid, case_id)
        await self.services.hub.run(engine.customer_reconnected(case_id))
        return {"case_id": case_id, "case": engine.customer_view(case_id),
                "ice_servers": self.media_ice_servers(case_id)}

    async def chat_send(self, sid: str, event: ChatSend) -> dict[str, Any]:
        limit = self.services.settings.limits.max_chat_chars
        if len(event.text) > limit:
            raise InvalidPayload(
                f"the message has {len(event.text)} characters; the limit is {limit}"
                " (setting limits.max_chat_chars)"
            )
        self.services.guard.chat_per_socket.take(sid)
        message, effects = self.services.engine.chat(
            self._case(sid), "customer", event.text, client_id=event.client_id
        )
        await self.services.hub.run(effects)
        return {"message": message.as_payload()}

    async def typing(self, sid: str, event: Typing) -> None:
        self.services.guard.typing_per_socket.take(sid)
        effects = self.services.engine.typing(self._case(sid), "customer", event.active)
        await self.services.hub.run(effects)

    async def chat_received(self, sid: str, event: ChatReceived) -> None:
        effects = self.services.engine.delivered(self._case(sid), event.message_id, "customer")
        await self.services.hub.run(effects)

    async def cancel(self, sid: str, event: Empty) -> dict[str, Any]:
        case_id = self._case(sid)
        await self.services.hub.run(self.services.engine.cancel(case_id))
        return {"case": self.services.engine.customer_view(case_id)}

    async def callback_request(self, sid: str, event: CallbackRequest) -> dict[str, Any]:
        case_id = self._case(sid)
        await self.services.hub.run(self.services.engine.request_callback(case_id, event.contact))
        return {"case": self.services.engine.customer_view(case_id)}

    async def feedback(self, sid: str, event: Feedback) -> None:
        limit = self.services.settings.limits.max_feedback_chars
        if event.text is not None and len(event.text) > limit:
            raise InvalidPayload(
                f"the feedback text has {len(event.text)} characters; the limit is {limit}"
                " (setting limits.max_feedback_chars)"
            )
        effects = self.services.engine.feedback(self._case(sid), event.rating, event.text)
        await self.services.hub.run(effects)


class KioskNamespace(CustomerNamespace):
    """A self-checkout screen: the same case flow, with the kiosk's id on every case."""

    channel_override = "kiosk"

    def __init__(self, namespace: str, services: Any) -> None:
        super().__init__(namespace, services)
        self._kiosks: dict[str, str] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        kiosk_id = auth.get("kiosk_id") if isinstance(auth, dict) else None
        if not isinstance(kiosk_id, str) or not 1 <= len(kiosk_id) <= 64:
            error = InvalidPayload("connect to /kiosk with auth {kiosk_id: '<your kiosk id>'}")
            raise Refused(error.message, error_payload(error))
        await super().on_connect(sid, environ, auth)
        self._kiosks[sid] = kiosk_id
        await self.enter_room(sid, f"kiosk:{kiosk_id}")

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._kiosks.pop(sid, None)
        await super().on_disconnect(sid, reason)

    def kiosk_id(self, sid: str) -> str | None:
        return self._kiosks.get(sid)
