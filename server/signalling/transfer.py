"""The agent console's transfer, notes and earlier cases (the agent namespace's part of them).

The engine decides a transfer and keeps the notes (server/core/engine/transfer.py); this adapter
checks the note's length against ``max_note_chars``, lists whom a case can go to, and reads a
case's earlier cases from the store, recorded in the access log as any read of personal data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.agents import AgentProfile, Presence
from ..core.errors import NotYourCase
from .errors import InvalidPayload
from .schemas import CaseRef, CaseTransfer, NoteAdd

if TYPE_CHECKING:
    from ..services import Services


class AgentTransferMixin:
    services: Services

    def _me(self, sid: str) -> AgentProfile:  # the namespace's (agent.py)
        raise NotImplementedError

    def check_note(self, text: str) -> None:
        limit = self.services.settings.limits.max_note_chars
        if len(text) > limit:
            raise InvalidPayload(
                f"the note has {len(text)} characters; the limit is {limit}"
                " (setting limits.max_note_chars)",
                [{"field": "note", "problem": f"longer than {limit} characters"}])

    async def case_transfer(self, sid: str, event: CaseTransfer) -> dict[str, Any]:
        me = self._me(sid)
        if event.note is not None:
            self.check_note(event.note)
        engine = self.services.engine
        effects = engine.transfer(me.id, event.case_id, to_agent=event.to_agent_id,
                                  to_queue=event.to_queue, note=event.note)
        await self.services.hub.run(effects)
        case = engine.case(event.case_id)
        return {"case_id": case.id, "state": case.state.value, "queue": case.queue}

    async def transfer_targets(self, sid: str, event: CaseRef) -> dict[str, Any]:
        """Whom the case could go to now: colleagues signed in (available or not, with why) and
        every queue with how many others serve it."""
        me = self._me(sid)
        engine = self.services.engine
        case = engine._own(me.id, event.case_id)
        agents = []
        for status in sorted(engine.state.agents(), key=lambda a: a.profile.display_name):
            if status.profile.id == me.id or not status.online:
                continue
            can_serve = status.profile.can_serve(case.skills, case.language)
            agents.append({
                "id": status.profile.id, "display_name": status.profile.display_name,
                "presence": status.presence.value,
                "available": (can_serve and status.ready_for_offer()
                              and engine.state.offer_for_agent(status.profile.id) is None),
                "can_serve": can_serve,
            })
        queues = []
        for name, queue in engine.rules.queues.items():
            serving = sum(1 for a in engine.state.agents()
                          if a.profile.id != me.id and a.online and a.presence is not Presence.AWAY
                          and a.profile.can_serve(queue.skills, case.language))
            queues.append({"name": name, "title": {"sv": queue.title_sv, "en": queue.title_en},
                           "agents_serving": serving, "current": name == case.queue})
        return {"case_id": case.id, "agents": agents, "queues": queues}

    async def note_add(self, sid: str, event: NoteAdd) -> dict[str, Any]:
        me = self._me(sid)
        self.check_note(event.text)
        note, effects = self.services.engine.add_note(me.id, event.case_id, event.text)
        await self.services.hub.run(effects)
        return {"note": note.as_payload()}

    async def earlier_cases(self, sid: str, event: CaseRef) -> dict[str, Any]:
        """The kiosk's or shop session's earlier cases: labels, outcomes, ratings and times; chat
        text and wrap-up notes only while transcript retention keeps them."""
        me = self._me(sid)
        engine = self.services.engine
        case = engine.case(event.case_id)
        if case.agent_id != me.id:
            raise NotYourCase(f"case {event.case_id} is not assigned to you")
        settings = self.services.settings
        repo = self.services.cases
        rows = await repo.earlier_cases(case.id, case.kiosk_id, case.session_id,
                                        settings.limits.earlier_cases_limit)
        retained = settings.storage.transcript_retention
        notes = await repo.notes_of([r["id"] for r in rows]) if retained and rows else {}
        out = []
        for row in rows:
            item: dict[str, Any] = {
                "case_id": row["id"], "created_at": row["created_at"],
                "closed_at": row["closed_at"], "state": row["state"], "queue": row["queue"],
                "channel": row["channel"], "label": row["label"], "resolved": row["resolved"],
                "rating": row["rating"], "agent_name": row["agent_name"],
                "same": ("kiosk" if case.kiosk_id and row["kiosk_id"] == case.kiosk_id
                         else "session"),
            }
            if retained:
                item["transcript"] = [
                    {"at": line["at"], "sender": line["sender"], "text": line["text"]}
                    for line in await repo.transcript(row["id"])]
                item["notes"] = [n.as_payload() for n in notes.get(row["id"], ())
                                 if n.kind == "wrap_up"]
            out.append(item)
        await self.services.privacy.access_log.record(
            "agent", me.id, "earlier_cases_viewed", case_id=case.id,
            detail={"cases": [r["id"] for r in rows], "with_text": retained})
        return {"case_id": case.id, "cases": out, "transcript_retention": retained}
