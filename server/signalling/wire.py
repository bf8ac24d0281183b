"""The wire form of every domain event: which Socket.IO event, to whom, with which payload.

The one place that knows the event names and payload shapes of docs/protocol.md for what the case
engine decides; the core only says what happened (server/core/events.py).
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from ..core.consent_events import (
    AgeCheckDecided,
    ConsentEnded,
    ConsentPrompted,
    ConsentStateChanged,
    DeliveryStatusChanged,
    ItemUnlocked,
)
from ..core.effects import STORED_TYPES
from ..core.events import (
    AgentGreeted,
    AgentJoined,
    AgentLost,
    CallbackConfirmed,
    CallbackOffered,
    CaseAssigned,
    CaseClosed,
    CaseTransferred,
    ChatDelivered,
    ChatLine,
    CustomerConnection,
    CustomerEnded,
    CustomerLost,
    FeedbackGiven,
    NoteShared,
    OfferMade,
    OfferWithdrawn,
    PhotoShared,
    PresenceChanged,
    QueuePosition,
    QueuesChanged,
    TechnicalError,
    TransferFailed,
    Typing,
    WrapUpStarted,
)
from ..core.media_events import (
    IceServers,
    MediaDeclined,
    MediaHint,
    MediaMuted,
    MediaProposed,
    MediaStateChanged,
)
from .messages import Message, ToAgent, ToAllAgents, ToCustomer


@singledispatch
def messages(event: object) -> list[Message]:
    raise TypeError(f"no wire form for {type(event).__name__}")


@messages.register
def _(event: QueuePosition) -> list[Message]:
    return [ToCustomer(event.case_id, "queue_status", {
        "case_id": event.case_id,
        "queue": event.queue,
        "queue_title": {"sv": event.title_sv, "en": event.title_en},
        "position": event.position,
        "eta_seconds": event.eta_seconds,
        "promise_seconds": event.promise_seconds,
    })]


@messages.register
def _(event: QueuesChanged) -> list[Message]:
    return [ToAllAgents("queues", event.overview)]


@messages.register
def _(event: CallbackOffered) -> list[Message]:
    return [ToCustomer(event.case_id, "callback_offer",
                       {"case_id": event.case_id, "reason": event.reason})]


@messages.register
def _(event: CallbackConfirmed) -> list[Message]:
    return [ToCustomer(event.case_id, "callback_confirmed",
                       {"case_id": event.case_id, "cart_hold_seconds": event.cart_hold_seconds})]


@messages.register
def _(event: TechnicalError) -> list[Message]:
    return [ToCustomer(event.case_id, "technical_error", {
        "case_id": event.case_id, "reason": event.reason,
        "cart_hold_seconds": event.cart_hold_seconds,
    })]


@messages.register
def _(event: OfferMade) -> list[Message]:
    payload: dict[str, Any] = {
        "case_id": event.case_id,
        "queue": event.queue,
        "expires_in": event.expires_in,
        "waited_seconds": event.waited_seconds,
        "summary": event.summary,
    }
    if event.transfer is not None:
        payload["transfer"] = event.transfer
    return [ToAgent(event.agent_id, "offer", payload)]


@messages.register
def _(event: OfferWithdrawn) -> list[Message]:
    return [ToAgent(event.agent_id, "offer_withdrawn",
                    {"case_id": event.case_id, "reason": event.reason})]


@messages.register
def _(event: AgentJoined) -> list[Message]:
    return [ToCustomer(event.case_id, "agent_joined", {
        "case_id": event.case_id, "agent_name": event.agent_name,
        "first_channel": event.first_channel,
    })]


@messages.register
def _(event: CaseAssigned) -> list[Message]:
    return [ToAgent(event.agent_id, "case_assigned", event.view)]


@messages.register
def _(event: PresenceChanged) -> list[Message]:
    payload: dict[str, Any] = {"presence": event.presence}
    if event.reason is not None:
        payload["reason"] = event.reason
    return [ToAgent(event.agent_id, "presence", payload)]


@messages.register
def _(event: CustomerConnection) -> list[Message]:
    return [ToAgent(event.agent_id, "customer_connection",
                    {"case_id": event.case_id, "connected": event.connected})]


@messages.register
def _(event: CustomerLost) -> list[Message]:
    return [ToAgent(event.agent_id, "customer_left", {"case_id": event.case_id})]


@messages.register
def _(event: AgentLost) -> list[Message]:
    return [ToCustomer(event.case_id, "agent_lost", {"case_id": event.case_id})]


@messages.register
def _(event: ChatLine) -> list[Message]:
    message = event.message
    if message.sender == "agent":
        return [ToCustomer(message.case_id, "chat_message", message.as_payload())]
    if event.agent_id is None:
        return []
    return [ToAgent(event.agent_id, "chat_message", message.as_payload())]


@messages.register
def _(event: AgentGreeted) -> list[Message]:
    return [ToCustomer(event.case_id, "chat_message", event.message.as_payload())]


@messages.register
def _(event: ChatDelivered) -> list[Message]:
    payload = {"case_id": event.case_id, "message_id": event.message_id,
               "client_id": event.client_id}
    if event.sender == "customer":
        return [ToCustomer(event.case_id, "chat_delivered", payload)]
    return [] if event.agent_id is None else [ToAgent(event.agent_id, "chat_delivered", payload)]


@messages.register
def _(event: Typing) -> list[Message]:
    payload = {"case_id": event.case_id, "sender": event.sender, "active": event.active}
    if event.sender == "agent":
        return [ToCustomer(event.case_id, "typing", payload)]
    return [ToAgent(event.agent_id, "typing", payload)]


@messages.register
def _(event: CustomerEnded) -> list[Message]:
    return [ToAgent(event.agent_id, "customer_ended", {"case_id": event.case_id})]


@messages.register
def _(event: WrapUpStarted) -> list[Message]:
    return [ToCustomer(event.case_id, "wrap_up",
                       {"case_id": event.case_id, "feedback_seconds": event.feedback_seconds})]


@messages.register
def _(event: CaseClosed) -> list[Message]:
    return [
        ToCustomer(event.case_id, "case_closed", {"case_id": event.case_id, "resolved": event.resolved}),
        ToAgent(event.agent_id, "case_closed", {"case_id": event.case_id}),
    ]


@messages.register
def _(event: FeedbackGiven) -> list[Message]:
    return [ToAgent(event.agent_id, "feedback", {"case_id": event.case_id, "rating": event.rating})]


@messages.register
def _(event: CaseTransferred) -> list[Message]:
    # the customer hears who takes over, never the note; the sender's console drops the case
    return [
        ToCustomer(event.case_id, "transferred", {
            "case_id": event.case_id, "agent_name": event.to_agent_name, "queue": event.queue,
            "queue_title": {"sv": event.title_sv, "en": event.title_en},
        }),
        ToAgent(event.from_agent_id, "case_transferred", {
            "case_id": event.case_id, "to_agent_name": event.to_agent_name,
            "queue": event.queue,
        }),
    ]


@messages.register
def _(event: TransferFailed) -> list[Message]:
    return [ToAgent(event.agent_id, "transfer_failed", {
        "case_id": event.case_id, "to_agent_id": event.to_agent, "reason": event.reason})]


@messages.register
def _(event: NoteShared) -> list[Message]:
    return [ToAgent(event.agent_id, "note", event.note.as_payload())]


@messages.register
def _(event: PhotoShared) -> list[Message]:
    return [ToAgent(event.agent_id, "photo_shared", {
        "case_id": event.case_id, "photo_id": event.photo_id, "at": event.at,
        "width": event.width, "height": event.height, "bytes": event.size_bytes,
        "media_type": event.media_type, "url": f"/api/photos/{event.photo_id}",
    })]


def _to_role(role: str, case_id: str, agent_id: str | None, event: str,
             payload: dict[str, Any], ice: IceServers) -> list[Message]:
    """A media message to one side of the case, with its ICE servers when it was given some."""
    if role in ice:
        payload = {**payload, "ice_servers": ice[role]}
    if role == "customer":
        return [ToCustomer(case_id, event, payload)]
    return [] if agent_id is None else [ToAgent(agent_id, event, payload)]


@messages.register
def _(event: MediaStateChanged) -> list[Message]:
    payload: dict[str, Any] = {"case_id": event.case_id, "channel": event.channel,
                               "state": event.state}
    if event.reason is not None:
        payload["reason"] = event.reason
    if event.by is not None:
        payload["by"] = event.by
    return [m for role in ("customer", "agent")
            for m in _to_role(role, event.case_id, event.agent_id, "media_state", payload,
                              event.ice_servers)]


@messages.register
def _(event: MediaProposed) -> list[Message]:
    return _to_role(event.to_role, event.case_id, event.agent_id, "media_proposed",
                    {"case_id": event.case_id, "channel": event.channel, "by": event.by},
                    event.ice_servers)


@messages.register
def _(event: MediaDeclined) -> list[Message]:
    return _to_role(event.to_role, event.case_id, event.agent_id, "media_declined",
                    {"case_id": event.case_id, "channel": event.channel, "by": event.by}, {})


@messages.register
def _(event: MediaHint) -> list[Message]:
    payload: dict[str, Any] = {"case_id": event.case_id, "suggest": event.suggest,
                               "reason": event.reason}
    if event.after_seconds is not None:
        payload["after_seconds"] = event.after_seconds
    return [ToAgent(event.agent_id, "media_hint", payload)]


@messages.register
def _(event: MediaMuted) -> list[Message]:
    return _to_role(event.to_role, event.case_id, event.agent_id, "media_muted",
                    {"case_id": event.case_id, "by": event.by, "audio": event.audio,
                     "video": event.video}, {})


def _both(case_id: str, agent_id: str | None, event: str, payload: dict[str, Any]) -> list[Message]:
    out: list[Message] = [ToCustomer(case_id, event, dict(payload))]
    if agent_id is not None:
        out.append(ToAgent(agent_id, event, dict(payload)))
    return out


@messages.register
def _(event: ConsentPrompted) -> list[Message]:
    return [ToCustomer(event.case_id, "consent_prompt", {
        **event.view, "seconds": event.seconds, "text": event.text, "by": event.by})]


@messages.register
def _(event: ConsentStateChanged) -> list[Message]:
    payload = dict(event.view) if event.by is None else {**event.view, "by": event.by}
    if event.customer_too:
        return _both(event.case_id, event.agent_id, "consent_state", payload)
    return [] if event.agent_id is None else [ToAgent(event.agent_id, "consent_state", payload)]


@messages.register
def _(event: ConsentEnded) -> list[Message]:
    return _both(event.case_id, event.agent_id, "consent_ended",
                 {**event.view, "reason": event.reason})


@messages.register
def _(event: AgeCheckDecided) -> list[Message]:
    return [ToCustomer(event.case_id, "age_check_result", event.customer_result),
            ToAgent(event.agent_id, "age_check_result", event.result)]


@messages.register
def _(event: ItemUnlocked) -> list[Message]:
    return [ToCustomer(event.case_id, "item_unlocked", {"case_id": event.case_id, "sku": event.sku})]


@messages.register
def _(event: DeliveryStatusChanged) -> list[Message]:
    return [ToAgent(event.agent_id, "webhook_status", event.view)]


def wire_of(batch: list[Any]) -> list[Message]:
    """The messages of a batch, in order: its events in their wire form, its writes left out."""
    return [message for item in batch if not isinstance(item, STORED_TYPES)
            for message in messages(item)]
