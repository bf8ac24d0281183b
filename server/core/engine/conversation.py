"""The conversation itself: chat lines (stored, de-duplicated by client id), typing, delivery
receipts, the end of the conversation, wrap-up with a label, and the customer's feedback."""

from __future__ import annotations

import uuid

from ..case import Case, CaseState
from ..chat import ChatMessage
from ..effects import KeepChatText, KeepTranscript
from ..errors import FeedbackNotAllowed, InvalidTransition, NotYourCase, PhotoNeedsAgent, UnknownLabel
from ..events import (
    AgentGreeted,
    CaseClosed,
    ChatDelivered,
    ChatLine,
    CustomerEnded,
    FeedbackGiven,
    PhotoShared,
    Typing,
    WrapUpStarted,
)
from ..history import ChatLineDelivered, ChatLineSent, CustomerEndedChat, FeedbackReceived, PhotoSent
from .base import EngineBase, Outcome, S

#: the namespace of chat line ids derived from a client's own id (uuid5)
LINE_IDS = uuid.UUID("5b0f5c6e-9a53-4a0e-8f4f-6c1d2f0c9e11")


def line_id(case_id: str, sender: str, client_id: str) -> str:
    """The same line sent again (after a restart) gets the same id, so no client shows it twice."""
    return str(uuid.uuid5(LINE_IDS, f"{case_id}/{sender}/{client_id}"))


#: where each side may chat (and type): a waiting customer may already type their question,
#: the agent sees it on accept; the agent only while the case is active
_CHAT_STATES: dict[str, tuple[CaseState, ...]] = {
    "customer": (S.CREATED, S.QUEUED, S.OFFERED, S.ACTIVE),
    "agent": (S.ACTIVE,),
}


class Conversation(EngineBase):
    def chat(
        self,
        case_id: str,
        sender: str,
        text: str,
        client_id: str | None = None,
        agent_id: str | None = None,
        quick_reply: str | None = None,
    ) -> tuple[ChatMessage, list[Outcome]]:
        case = self.case(case_id)
        if sender == "agent" and (agent_id is None or case.agent_id != agent_id):
            raise NotYourCase(f"case {case_id} is not assigned to you")
        if case.state not in _CHAT_STATES[sender]:
            raise InvalidTransition(case.id, case.state.value, "chat")
        if client_id is not None:
            sent = self.chats.by_client_id(case.id, sender, client_id)
            if sent is not None:
                # a client re-sending a line whose acknowledgement it never got: the same line,
                # acknowledged once it is stored (the save is a no-op when it already is)
                self._save(case)
                return sent, self._take()
        message = self._add_line(case, sender, text, client_id, quick_reply)
        if sender == "agent" or (case.state is S.ACTIVE and case.agent_id):
            self._emit(ChatLine(message, case.agent_id))
        return message, self._take()

    def _add_line(self, case: Case, sender: str, text: str, client_id: str | None = None,
                  quick_reply: str | None = None) -> ChatMessage:
        """A chat line kept and stored (its fact in the history, its text apart), not yet said."""
        message = ChatMessage(
            id=line_id(case.id, sender, client_id) if client_id else self._new_id(),
            case_id=case.id, sender=sender, text=text,
            at=self.clock.now(), client_id=client_id, quick_reply=quick_reply,
        )
        self.chats.add(message)
        case.apply(ChatLineSent(message.at, message_id=message.id, sender=sender,
                                client_id=client_id, quick_reply=quick_reply))
        self._save(case)
        self._emit(KeepChatText(case.id, message.id, text))
        if self.config.transcript_retention:
            self._emit(KeepTranscript(case.id, message.at, sender, text))
        return message

    def _greet(self, case: Case) -> None:
        """The automatic greeting (setting ``auto_greeting``), in the customer's language, as the
        agent's own line: said after ``agent_joined``, so the customer first sees who is here."""
        texts = self.config.greeting
        if not texts or case.agent_id is None:
            return
        template = texts.get(case.language) or next(iter(texts.values()))
        text = template.format(name=case.agent_name or "")
        self._emit(AgentGreeted(self._add_line(case, "agent", text), case.agent_id))

    def photo_agent(self, case_id: str) -> str:
        """The agent a photo of this case would go to now, or PhotoNeedsAgent."""
        case = self.case(case_id)
        if case.state is not S.ACTIVE or case.agent_id is None:
            raise PhotoNeedsAgent(f"case {case_id} is {case.state.value}: a photo can be sent"
                                  " once an agent has joined the conversation")
        return case.agent_id

    def photo(self, case_id: str, photo_id: str, width: int, height: int, size_bytes: int,
              source_type: str, media_type: str) -> list[Outcome]:
        """The customer sent a photo: the history records that it was sent (never the photo),
        the agent is told where to fetch it."""
        agent_id = self.photo_agent(case_id)
        case = self.case(case_id)
        now = self.clock.now()
        case.apply(PhotoSent(now, photo_id=photo_id, width=width, height=height,
                             size_bytes=size_bytes, source_type=source_type))
        self._save(case)
        self._emit(PhotoShared(case.id, agent_id, photo_id, now, width, height, size_bytes,
                               media_type))
        return self._take()

    def delivered(self, case_id: str, message_id: str, reader: str,
                  agent_id: str | None = None) -> list[Outcome]:
        """The other side's client has the message: tell its sender (a delivery receipt)."""
        case = self.case(case_id)
        if reader == "agent" and case.agent_id != agent_id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        message = next((m for m in self.chats.of(case_id) if m.id == message_id), None)
        if message is None or message.sender == reader or message.delivered:
            return self._take()  # a reloaded page confirms what it shows again: said once
        self.chats.mark_delivered(case.id, message.id)
        if not case.is_finished:
            case.apply(ChatLineDelivered(self.clock.now(), message_id=message.id))
            self._save(case)
        if message.sender == "customer" or case.agent_id:
            self._emit(ChatDelivered(case.id, message.id, message.client_id, message.sender,
                                     case.agent_id))
        return self._take()

    def typing(self, case_id: str, sender: str, active: bool,
               agent_id: str | None = None) -> list[Outcome]:
        case = self.case(case_id)
        if sender == "agent" and case.agent_id != agent_id:
            raise NotYourCase(f"case {case_id} is not assigned to you")
        if case.state not in _CHAT_STATES[sender]:
            # as for a chat line: typing where no line could be sent is refused, not ignored
            raise InvalidTransition(case.id, case.state.value, "typing")
        if case.state is S.ACTIVE and case.agent_id:
            self._emit(Typing(case.id, sender, active, case.agent_id))
        return self._take()

    def cancel(self, case_id: str) -> list[Outcome]:
        """The customer closed the overlay for good: abandon a waiting case, end an active one."""
        case = self.case(case_id)
        now = self.clock.now()
        if case.is_finished:
            return self._take()  # already over (e.g. a callback was requested): nothing to end
        if case.is_waiting:
            self._abandon(case, "customer_cancelled")
        elif case.state is S.ACTIVE:
            case.apply(CustomerEndedChat(now))
            case.transition(S.WRAP_UP, now, by="customer")
            if case.agent_id:
                self._emit(CustomerEnded(case.id, case.agent_id))
            self._emit(WrapUpStarted(case.id, self.config.feedback_seconds))
            self._save(case)
        else:
            raise InvalidTransition(case.id, case.state.value, "cancelled")
        return self._flush()

    def end_conversation(self, agent_id: str, case_id: str) -> list[Outcome]:
        case = self._own(agent_id, case_id)
        now = self.clock.now()
        case.transition(S.WRAP_UP, now, by="agent")
        self._emit(WrapUpStarted(case.id, self.config.feedback_seconds))
        self._save(case)
        return self._flush()

    def close(self, agent_id: str, case_id: str, label: str, resolved: bool,
              note: str | None = None) -> list[Outcome]:
        """Wrap-up: the label, the outcome and (optionally) the wrap-up note stored with them."""
        case = self._own(agent_id, case_id)
        if label not in self.config.labels:
            raise UnknownLabel(
                f"label {label!r} is not configured; use one of: {', '.join(self.config.labels)}"
            )
        if case.state not in (S.ACTIVE, S.WRAP_UP):
            raise InvalidTransition(case.id, case.state.value, S.CLOSED.value)
        now = self.clock.now()
        if note:
            self._add_note(case, agent_id, case.agent_name, "wrap_up", note, now)
        if case.state is S.ACTIVE:
            case.transition(S.WRAP_UP, now, by="agent")
            self._emit(WrapUpStarted(case.id, self.config.feedback_seconds))
        case.transition(S.CLOSED, now, label=label, resolved=resolved)
        self.state.release(agent_id, case.id, now)
        self._emit(CaseClosed(case.id, agent_id, resolved))
        self._save(case)
        self._finish(case)
        self._dispatch()
        return self._flush()

    def feedback(self, case_id: str, rating: int, text: str | None) -> list[Outcome]:
        case = self.case(case_id)
        if case.state not in (S.WRAP_UP, S.CLOSED):
            raise FeedbackNotAllowed("feedback can be given once the conversation has ended")
        if case.rating is not None:
            raise FeedbackNotAllowed("feedback for this case has already been given")
        case.apply(FeedbackReceived(self.clock.now(), rating=rating))
        case.feedback_text = text or None  # kept apart from the history, on the case's row
        if case.agent_id:
            # also after case_close: the rating often arrives after the agent closed the case
            self._emit(FeedbackGiven(case.id, case.agent_id, rating))
        self._save(case)
        return self._flush()
