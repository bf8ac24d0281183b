"""Consented media on a case: a kiosk's screen share and a customer's age-check camera.

The adapter between the pure `consent.ConsentLedger` and the running server. It asks the
customer or kiosk (`consent_prompt`), records every grant event on the case, tells both sides
what happened (`consent_state`, `consent_ended`) and **enforces the end**: the relay asks
`allows()` before forwarding every frame of a consented track, and a timer ends grants whose
time is up (and drops any frame still waiting for the agent) within `consent.tick_seconds`.

An age check's decision stores the minimum (consent/age_check.py) and, when approved, unlocks
the item: `item_unlocked` to the customer's page and a signed webhook to the POS. The webhook is
an outbox row (`QueueWebhook`) committed in the same transaction as the decision; the outbox
worker delivers it (server/runtime/outbox.py), also after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from consent import ConsentError, ConsentGrant, ConsentLedger, EndReason, GrantState, Scope
from consent.age_check import DENIAL_REASONS, AgeCheckRecord, Outcome, denial_text

from ..core.case import Case, CaseState
from ..core.consent_events import (
    AgeCheckDecided,
    ConsentEnded,
    ConsentPrompted,
    ConsentStateChanged,
    ItemUnlocked,
)
from ..core.effects import QueueWebhook, SaveCase
from ..core.engine import CaseEngine
from ..core.errors import HelpwireError
from ..core.history import AgeChecked, ConsentRecorded
from ..i18n import MESSAGES, format_duration, message
from ..logs import get_logger
from ..runtime.hub import Hub, Outgoing
from ..settings.consent import ConsentSettings
from ..store.outbox import PENDING
from ..webhooks import POS_ITEM_UNLOCKED

if TYPE_CHECKING:
    from .relay import CaseRelay

log = get_logger("helpwire.consent")

class ConsentRefused(HelpwireError):
    code = "consent_not_allowed"


def prompt_text(scope: Scope, seconds: float, item: str | None = None) -> dict[str, str]:
    """The consent prompt in every language, from the server's catalogue (server/i18n.py)."""
    if scope is Scope.SCREEN_SHARE:
        screen = MESSAGES["consent.screen_share"]
        return {language: text.format(duration=format_duration(seconds, language))
                for language, text in screen.items()}
    if item:
        return message("consent.age_check_item", item=item)
    return message("consent.age_check")


class ConsentService:
    def __init__(self, settings: ConsentSettings, engine: CaseEngine, hub: Hub,
                 relay_of: Callable[[str], CaseRelay | None]) -> None:
        self.settings = settings
        self.engine = engine
        self.hub = hub
        self.relay_of = relay_of
        self.ledger = ConsentLedger(settings.policy())
        #: grant id → the sku of an age check (in memory only; the decision stores it)
        self.skus: dict[str, str] = {}
        self.decided: set[str] = set()
        self._timer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._timer = asyncio.create_task(self._timer_loop(), name="helpwire-consent-timer")

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            try:
                await self.tick()
            except Exception:
                log.exception("consent_tick_failed")

    async def tick(self) -> None:
        now = self._now()
        for grant, reason in self.ledger.due(now):
            await self._end(grant, reason, "system", now)

    def _now(self) -> float:
        return self.engine.clock.now()

    # ------------------------------------------------------------------ the relay's question

    def allows(self, case_id: str, scope: str) -> bool:
        """Asked before every frame of a consented track: is it granted and before its deadline?"""
        try:
            grant = self.ledger.live(case_id, Scope(scope))
        except ValueError:
            return False
        return grant is not None and grant.allows_media(self._now())

    def granted(self, case_id: str) -> bool:
        return any(self.allows(case_id, scope.value) for scope in Scope)

    def can_label(self, case_id: str, role: str, labels: Mapping[str, str]) -> None:
        """A consented m-line may be offered only while its grant lives."""
        for label in labels.values():
            if not self.allows(case_id, label):
                raise ConsentRefused(
                    f"case {case_id} has no granted {label} consent: the {role} cannot offer"
                    " that track now"
                )

    # ------------------------------------------------------------------ helpers

    def _view(self, grant: ConsentGrant, now: float) -> dict[str, Any]:
        view: dict[str, Any] = {
            "case_id": grant.case_id, "grant_id": grant.id, "scope": grant.scope.value,
            "state": grant.state.value, "remaining_seconds": round(grant.remaining(now), 3),
            "expires_at": grant.expires_at,
            "answer_within": max(0.0, round(grant.answer_by - now, 3)),
        }
        if grant.id in self.skus:
            view["sku"] = self.skus[grant.id]
        return view

    def _record(self, case: Case, grant: ConsentGrant, event: str, by: str, now: float,
                **extra: Any) -> None:
        case.apply(ConsentRecorded(now, scope=grant.scope.value, event=event, grant_id=grant.id,
                                   by=by, **extra))

    def _grant_of(self, case_id: str, grant_id: str) -> ConsentGrant:
        grant = next((g for g in self.ledger.of_case(case_id) if g.id == grant_id), None)
        if grant is None:
            raise ConsentRefused(f"case {case_id} has no consent grant {grant_id}")
        return grant

    @staticmethod
    def _age_line(case: Case, sku: str) -> dict[str, Any]:
        cart = case.context.get("cart") or {}
        for line in cart.get("lines") or []:
            if line.get("sku") == sku:
                if not line.get("age_restricted"):
                    raise ConsentRefused(f"{sku} is not age-restricted: no age check is needed")
                return dict(line)
        raise ConsentRefused(f"the cart of case {case.id} has no line {sku}")

    # ------------------------------------------------------------------ asking

    async def request(self, case_id: str, scope: str, by: str, sku: str | None = None) -> dict[str, Any]:
        """The agent asks for a screen share or an age check, or the customer asks for an age check."""
        case = self.engine.case(case_id)
        if case.state is not CaseState.ACTIVE or case.agent_id is None:
            raise ConsentRefused(f"case {case_id} is {case.state.value}; consent needs an active case")
        wanted = Scope(scope)
        item: dict[str, Any] | None = None
        if wanted is Scope.SCREEN_SHARE:
            if case.channel != "kiosk":
                raise ConsentRefused("screen sharing is for kiosks only")
            if by != "agent":
                raise ConsentRefused("the agent asks to see the kiosk's screen")
        else:
            if not sku:
                raise ConsentRefused("an age check names the item (sku)")
            item = self._age_line(case, sku)
        now = self._now()
        requested_by = case.agent_id if by == "agent" else "customer"
        subject = case.kiosk_id or f"case-{case.id}"
        try:
            grant = self.ledger.request(uuid.uuid4().hex, wanted, case.id, subject, requested_by, now)
        except ConsentError as error:
            raise ConsentRefused(error.message) from None
        if sku is not None and wanted is Scope.AGE_CHECK_VIDEO:
            self.skus[grant.id] = sku
        self._record(case, grant, "requested", by, now,
                     **({"sku": sku} if wanted is Scope.AGE_CHECK_VIDEO else {}))
        seconds = self.ledger.policy.duration(wanted)
        text = prompt_text(wanted, seconds, item.get("name") if item else None)
        await self.hub.run([
            SaveCase(case.id),
            ConsentPrompted(case.id, self._view(grant, now), seconds, text, by),
            ConsentStateChanged(case.id, case.agent_id, self._view(grant, now), by,
                                customer_too=False),
        ])
        log.info("consent_requested", case_id=case.id, scope=wanted.value, by=by)
        return self._view(grant, now)

    async def answer(self, case_id: str, grant_id: str, approve: bool) -> dict[str, Any]:
        case = self.engine.case(case_id)
        grant = self._grant_of(case_id, grant_id)
        now = self._now()
        try:
            if approve:
                self.ledger.grant(grant_id, now)
            else:
                self.ledger.deny(grant_id, now)
        except ConsentError as error:
            raise ConsentRefused(error.message) from None
        if approve:
            self._record(case, grant, "granted", "customer", now,
                         duration=self.ledger.policy.duration(grant.scope))
            await self.hub.run([SaveCase(case.id),
                                ConsentStateChanged(case.id, case.agent_id, self._view(grant, now))])
        else:
            self._record(case, grant, "denied", "customer", now)
            await self.hub.run([SaveCase(case.id), ConsentEnded(
                case.id, case.agent_id, self._view(grant, now), "denied")])
        log.info("consent_answered", case_id=case.id, scope=grant.scope.value, approve=approve)
        return self._view(grant, now)

    async def revoke(self, case_id: str, grant_id: str, role: str) -> dict[str, Any]:
        """Stop sharing (kiosk/customer) or end it (agent): at once."""
        grant = self._grant_of(case_id, grant_id)
        reason = EndReason.REVOKED_BY_CUSTOMER if role == "customer" else EndReason.ENDED_BY_AGENT
        now = self._now()
        await self._end(grant, reason, role, now)
        return self._view(grant, now)

    async def _end(self, grant: ConsentGrant, reason: EndReason, by: str, now: float) -> None:
        if not grant.live:
            return
        was_granted = grant.state is GrantState.GRANTED
        self.ledger.end(grant.id, reason, now)
        relay = self.relay_of(grant.case_id)
        if relay is not None:
            relay.cut(grant.scope.value)  # the gate refuses later frames; drop a waiting one
        case = self.engine.cases.get(grant.case_id)
        if case is None:
            return
        extra: dict[str, Any] = {}
        if was_granted and grant.granted_at is not None:
            extra["duration"] = round(now - grant.granted_at, 3)
        self._record(case, grant, reason.value, by, now, **extra)
        await self.hub.run([SaveCase(case.id), ConsentEnded(
            case.id, case.agent_id, self._view(grant, now), reason.value)])
        log.info("consent_ended", case_id=case.id, scope=grant.scope.value, reason=reason.value)

    async def end_case(self, case_id: str, reason: EndReason) -> None:
        """The case's media or the case itself ended: every live grant of it ends too."""
        now = self._now()
        for grant in list(self.ledger.of_case(case_id)):
            if grant.live:
                await self._end(grant, reason, "system", now)

    def forget(self, case_id: str) -> None:
        """The case is over: its ended grants need not be kept in memory (the case has them)."""
        for grant in list(self.ledger.of_case(case_id)):
            if not grant.live:
                self.skus.pop(grant.id, None)
                self.decided.discard(grant.id)
        self.ledger.forget_case(case_id)

    # ------------------------------------------------------------------ age check decision

    async def decide(self, case_id: str, grant_id: str, agent_id: str, outcome: str,
                     reason: str | None) -> dict[str, Any]:
        case = self.engine.case(case_id)
        grant = self._grant_of(case_id, grant_id)
        if grant.scope is not Scope.AGE_CHECK_VIDEO:
            raise ConsentRefused(f"grant {grant_id} is not an age check")
        if grant.granted_at is None:
            raise ConsentRefused("the customer has not started the camera for this age check")
        if grant_id in self.decided:
            raise ConsentRefused(f"the age check {grant_id} has already been decided")
        verdict = Outcome(outcome)
        if verdict is Outcome.DENIED and reason is not None and reason not in DENIAL_REASONS:
            raise ConsentRefused(f"unknown reason {reason}; one of {', '.join(DENIAL_REASONS)}")
        now = self._now()
        self.decided.add(grant_id)
        sku = self.skus[grant_id]
        # the camera is no longer needed: the grant ends with the decision
        await self._end(grant, EndReason.ENDED_BY_AGENT, "agent", now)
        record = AgeCheckRecord(case.id, sku, agent_id, now, verdict)
        case.apply(AgeChecked(now, **record.as_detail()))
        result: dict[str, Any] = {"case_id": case.id, "grant_id": grant_id, "sku": sku,
                                  "outcome": verdict.value}
        to_customer = dict(result)
        if verdict is Outcome.DENIED:
            to_customer["text"] = {lang: denial_text(reason, lang) for lang in ("sv", "en")}
        # the webhook's row goes right after the case save: both are committed together
        effects: list[Outgoing] = [SaveCase(case.id)]
        if verdict is Outcome.APPROVED and self.settings.pos_webhook_url:
            job = self._unlock_webhook(case, sku, agent_id, now, record.method)
            effects.append(job)
            result["delivery"] = {"delivery_id": job.delivery_id, "status": PENDING, "attempts": 0}
        effects.append(AgeCheckDecided(case.id, agent_id, result, to_customer))
        if verdict is Outcome.APPROVED:
            effects.append(ItemUnlocked(case.id, sku))
        await self.hub.run(effects)
        log.info("age_check_decided", case_id=case.id, outcome=verdict.value)
        return result

    def _unlock_webhook(self, case: Case, sku: str, agent_id: str, now: float,
                        method: str) -> QueueWebhook:
        """The POS webhook of an approved check: its body, with the delivery id in it."""
        delivery_id = uuid.uuid4().hex
        body = {
            "event": "item_unlocked", "delivery_id": delivery_id, "case_id": case.id,
            "store": case.store, "kiosk_id": case.kiosk_id, "sku": sku, "agent_id": agent_id,
            "at": now, "method": method,
        }
        return QueueWebhook(delivery_id, POS_ITEM_UNLOCKED, self.settings.pos_webhook_url, body,
                            now, case.id)
