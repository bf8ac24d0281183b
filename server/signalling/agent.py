"""The agent console's side: sign-in over the socket, presence, offers, chat and wrap-up."""

from __future__ import annotations

import time
from typing import Any

from socketio.exceptions import ConnectionRefusedError as Refused

from ..core.agents import AgentProfile, Presence
from ..core.errors import HelpwireError
from ..i18n import format_amount
from ..security.tokens import InvalidToken, check_version
from .agent_sessions import SessionDeadlines, TokenRenew
from .base import RoleNamespace, Route
from .errors import InvalidPayload, NotAuthenticated, NotReady, error_payload
from .media import AGENT_MEDIA_ROUTES, AgentMediaMixin
from .rooms import AGENTS_ROOM, agent_room
from .schemas import (
    AgentChatReceived,
    AgentChatSend,
    AgentTyping,
    CaseClose,
    CaseRef,
    CaseTransfer,
    Empty,
    NoteAdd,
    PresenceSet,
)
from .transfer import AgentTransferMixin


class AgentNamespace(AgentTransferMixin, AgentMediaMixin, RoleNamespace):
    routes = {
        "agent_hello": Route(Empty, "agent_hello"),
        "presence_set": Route(PresenceSet, "presence_set"),
        "offer_accept": Route(CaseRef, "offer_accept", writes=True),
        "offer_decline": Route(CaseRef, "offer_decline"),
        "chat_send": Route(AgentChatSend, "chat_send", writes=True),
        "typing": Route(AgentTyping, "typing"),
        "chat_received": Route(AgentChatReceived, "chat_received"),
        "conversation_end": Route(CaseRef, "conversation_end", writes=True),
        "case_close": Route(CaseClose, "case_close", writes=True),
        "queues_get": Route(Empty, "queues_get"),
        "token_renew": Route(TokenRenew, "token_renew"),
        "case_transfer": Route(CaseTransfer, "case_transfer", writes=True, shared=True),
        "transfer_targets": Route(CaseRef, "transfer_targets"),
        "note_add": Route(NoteAdd, "note_add", writes=True),
        "earlier_cases": Route(CaseRef, "earlier_cases"),
        **AGENT_MEDIA_ROUTES,
    }

    def __init__(self, namespace: str, services: Any) -> None:
        super().__init__(namespace, services)
        self._agent_of: dict[str, AgentProfile] = {}
        self._sockets: dict[str, set[str]] = {}
        #: sockets that sent agent_hello: only they may send anything else
        self._ready: set[str] = set()
        self.deadlines = SessionDeadlines(
            lambda event, data, sid: self.emit(event, data, to=sid),
            lambda sid: self.disconnect(sid),
            services.settings.security.token_refresh_notice_seconds)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.services.signer.agent_claims(token)
            stored = await self.services.agents.by_id(claims.agent_id)
            if stored is None:
                raise InvalidToken("this agent no longer exists; sign in again")
            check_version(claims, stored.token_version)  # disabling revoked every token
        except InvalidToken as error:
            # message, then data: the client's connect_error carries {code, message} as error.data
            raise Refused(error.message, error_payload(error)) from None
        self.deadlines.set(sid, claims.expires_at)
        profile = stored.profile()
        self._agent_of[sid] = profile
        self._sockets.setdefault(profile.id, set()).add(sid)
        self.ping_often(sid, lambda: sid in self._agent_of)  # a console's silence matters at once
        await self.enter_room(sid, agent_room(profile.id))
        await self.enter_room(sid, AGENTS_ROOM)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._ready.discard(sid)
        self.services.guard.socket_gone(sid)
        self.deadlines.cancel(sid)
        profile = self._agent_of.pop(sid, None)
        self.ping_seldom(sid)
        if profile is None:
            return
        sockets = self._sockets.get(profile.id, set())
        sockets.discard(sid)
        await self.media_socket_gone(sid, profile.id, last=not sockets)
        if not sockets:
            self._sockets.pop(profile.id, None)
            await self.services.hub.run(self.services.engine.agent_disconnected(profile.id))

    def needed_while_draining(self, sid: str) -> bool:
        """While this node drains, a console stays while a live case here needs it: one of
        hers, or one waiting here (only agents connected to this node can be rung for it)."""
        profile = self._agent_of.get(sid)
        if profile is None:
            return False
        return any(case.agent_id == profile.id or case.is_waiting
                   for case in self.services.engine.live_cases())

    def _signed_in(self, sid: str) -> AgentProfile:
        profile = self._agent_of.get(sid)
        if profile is None:
            raise NotAuthenticated("sign in first")
        return profile

    def _me(self, sid: str) -> AgentProfile:
        """The agent of a socket that said agent_hello (before it, the agent is not online)."""
        profile = self._signed_in(sid)
        if sid not in self._ready:
            raise NotReady("send agent_hello first, after every (re)connect")
        return profile

    async def agent_hello(self, sid: str, event: Empty) -> dict[str, Any]:
        me = self._signed_in(sid)
        engine = self.services.engine
        settings = self.services.settings
        live = self.services.live
        await self.services.hub.run(engine.agent_connected(me))
        self._ready.add(sid)
        status = engine.state.agent(me.id)
        for case_id in sorted(status.cases if status else ()):  # the console shows them again
            await self.services.privacy.access_log.record("agent", me.id, "case_opened",
                                                          case_id=case_id, reason="resumed")
        return {
            "agent": {
                "id": me.id,
                "display_name": me.display_name,
                "skills": sorted(me.skills),
                "languages": sorted(me.languages),
                "max_concurrent": me.max_concurrent,
            },
            "presence": status.presence.value if status else "away",
            # changed live in /admin (server/admin/live.py)
            "labels": [label.id for label in live.labels],
            "label_names": [label.model_dump() for label in live.labels],
            "quick_replies": [r.model_dump() for r in live.quick_replies],
            "promise_seconds": int(settings.dispatch.promise_seconds),
            "offer_timeout_seconds": settings.dispatch.offer_timeout_seconds,
            "max_note_chars": settings.limits.max_note_chars,
            #: whether notes and chat text outlive the case (transcript retention)
            "transcript_retention": settings.storage.transcript_retention,
            "queues": engine.queue_overview(),
            "ice_servers": self.media_ice_servers(me.id),
        }

    async def presence_set(self, sid: str, event: PresenceSet) -> dict[str, Any]:
        me = self._me(sid)
        await self.services.hub.run(self.services.engine.set_presence(me.id, Presence(event.presence)))
        return {"presence": event.presence}

    async def offer_accept(self, sid: str, event: CaseRef) -> dict[str, Any]:
        me = self._me(sid)
        await self.services.hub.run(self.services.engine.accept(me.id, event.case_id))
        await self.services.privacy.access_log.record("agent", me.id, "case_opened",
                                                      case_id=event.case_id, reason="offer_accepted")
        return {"case": self.services.engine.agent_view(event.case_id)}

    async def offer_decline(self, sid: str, event: CaseRef) -> None:
        me = self._me(sid)
        await self.services.hub.run(self.services.engine.decline(me.id, event.case_id))

    async def chat_send(self, sid: str, event: AgentChatSend) -> dict[str, Any]:
        me = self._me(sid)
        self.services.guard.chat_per_socket.take(sid)
        text, quick_reply = self._text_of(event)
        message, effects = self.services.engine.chat(
            event.case_id, "agent", text, client_id=event.client_id, agent_id=me.id,
            quick_reply=quick_reply,
        )
        await self.services.hub.run(effects)
        return {"message": message.as_payload()}

    def _text_of(self, event: AgentChatSend) -> tuple[str, str | None]:
        settings = self.services.settings
        if event.quick_reply is not None:
            reply = self.services.live.quick_reply(event.quick_reply)
            if reply is None:
                raise InvalidPayload(f"there is no quick reply {event.quick_reply!r}")
            case = self.services.engine.case(event.case_id)
            template = reply.en if case.language == "en" else reply.sv
            lines = case.context.get("cart", {}).get("lines", [])
            total = sum(line["unit_price"] * line["quantity"] for line in lines)
            currency = case.context.get("cart", {}).get("currency", settings.currency)
            cart = format_amount(total, currency, case.language)
            return template.replace("{cart}", cart), reply.id
        if event.text is None:
            raise InvalidPayload("chat_send needs text or quick_reply")
        if len(event.text) > settings.limits.max_chat_chars:
            raise InvalidPayload(
                f"the message has {len(event.text)} characters; the limit is"
                f" {settings.limits.max_chat_chars} (setting limits.max_chat_chars)"
            )
        return event.text, None

    async def typing(self, sid: str, event: AgentTyping) -> None:
        me = self._me(sid)
        self.services.guard.typing_per_socket.take(sid)
        effects = self.services.engine.typing(event.case_id, "agent", event.active, agent_id=me.id)
        await self.services.hub.run(effects)

    async def chat_received(self, sid: str, event: AgentChatReceived) -> None:
        me = self._me(sid)
        effects = self.services.engine.delivered(
            event.case_id, event.message_id, "agent", agent_id=me.id
        )
        await self.services.hub.run(effects)

    async def conversation_end(self, sid: str, event: CaseRef) -> None:
        me = self._me(sid)
        await self.services.hub.run(self.services.engine.end_conversation(me.id, event.case_id))

    async def case_close(self, sid: str, event: CaseClose) -> None:
        me = self._me(sid)
        if event.note is not None:
            self.check_note(event.note)
        effects = self.services.engine.close(me.id, event.case_id, event.label, event.resolved,
                                             note=event.note)
        await self.services.hub.run(effects)

    async def queues_get(self, sid: str, event: Empty) -> dict[str, Any]:
        self._me(sid)
        return {"queues": self.services.engine.queue_overview()}

    async def token_renew(self, sid: str, event: TokenRenew) -> dict[str, Any]:
        """A fresh token (POST /api/agent/refresh) moves this socket's deadline."""
        me = self._me(sid)
        claims = self.services.signer.agent_claims(event.token)
        stored = await self.services.agents.by_id(claims.agent_id)
        if claims.agent_id != me.id or stored is None:
            raise InvalidToken("that token belongs to another agent; sign in again")
        check_version(claims, stored.token_version)
        self.deadlines.set(sid, claims.expires_at)
        return {"expires_in": max(0, round(claims.expires_at - time.time()))}

    async def revoke(self, agent_id: str, code: str = "token_revoked") -> None:
        """Sign-out, a new password or a disabled account: every socket of the agent is told
        (``token_expired`` with ``code``) and closed."""
        for sid in list(self._sockets.get(agent_id, ())):
            await self.deadlines.revoke(sid, code)

    def signed_in(self) -> list[str]:
        """The ids of the agents with a socket on this node."""
        return list(self._sockets)

    def profile_changed(self, profile: AgentProfile) -> None:
        """An admin changed the agent's name, skills, languages or capacity: their open
        sockets carry the new profile (the engine is told by the admin service)."""
        for sid in self._sockets.get(profile.id, ()):
            self._agent_of[sid] = profile


__all__ = ["AgentNamespace", "HelpwireError"]
