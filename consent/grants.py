"""Consent grants: requested → granted | denied, then ended (expired, revoked, …), each with its time.

At most one live grant per scope per case. The length of a grant is capped by policy: a screen
share lasts at most 5 minutes, an operator may set it shorter but never longer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Scope(enum.StrEnum):
    SCREEN_SHARE = "screen_share"
    AGE_CHECK_VIDEO = "age_check_video"


class GrantState(enum.StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    DENIED = "denied"
    ENDED = "ended"


class EndReason(enum.StrEnum):
    EXPIRED = "expired"
    REVOKED_BY_CUSTOMER = "revoked_by_customer"
    ENDED_BY_AGENT = "ended_by_agent"
    CASE_CLOSED = "case_closed"
    CONNECTION_LOST = "connection_lost"
    NO_ANSWER = "no_answer"


class ConsentError(Exception):
    code = "consent_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: the longest each scope may ever last, whatever an operator configures
HARD_MAXIMUM_SECONDS: dict[Scope, float] = {
    Scope.SCREEN_SHARE: 300.0,
    Scope.AGE_CHECK_VIDEO: 180.0,
}


@dataclass(frozen=True)
class ConsentPolicy:
    """How long grants last and how long a prompt waits for an answer."""

    screen_share_seconds: float = 300.0
    age_check_seconds: float = 180.0
    answer_timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        for scope, seconds in ((Scope.SCREEN_SHARE, self.screen_share_seconds),
                               (Scope.AGE_CHECK_VIDEO, self.age_check_seconds)):
            if not 0 < seconds <= HARD_MAXIMUM_SECONDS[scope]:
                raise ConsentError(
                    f"{scope.value} may last at most {HARD_MAXIMUM_SECONDS[scope]:.0f} s;"
                    f" {seconds:g} s is not allowed"
                )
        if self.answer_timeout_seconds <= 0:
            raise ConsentError("answer_timeout_seconds must be positive")

    def duration(self, scope: Scope) -> float:
        return self.screen_share_seconds if scope is Scope.SCREEN_SHARE else self.age_check_seconds


@dataclass
class ConsentGrant:
    id: str
    scope: Scope
    case_id: str
    subject: str  # the kiosk or customer who answers
    requested_by: str  # the agent who asked
    requested_at: float
    answer_by: float
    state: GrantState = GrantState.REQUESTED
    granted_at: float | None = None
    expires_at: float | None = None
    ended_at: float | None = None
    end_reason: EndReason | None = None
    history: list[tuple[float, str]] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.state in (GrantState.REQUESTED, GrantState.GRANTED)

    def allows_media(self, now: float) -> bool:
        """True only while granted and before the deadline: the forwarder asks this per frame."""
        return (
            self.state is GrantState.GRANTED
            and self.expires_at is not None
            and now < self.expires_at
        )

    def remaining(self, now: float) -> float:
        if self.state is not GrantState.GRANTED or self.expires_at is None:
            return 0.0
        return max(0.0, self.expires_at - now)


class ConsentLedger:
    """Every grant of every case, with the one-live-grant-per-scope-per-case rule."""

    def __init__(self, policy: ConsentPolicy) -> None:
        self.policy = policy
        self._grants: dict[str, ConsentGrant] = {}

    def request(self, grant_id: str, scope: Scope, case_id: str, subject: str,
                requested_by: str, now: float) -> ConsentGrant:
        if self.live(case_id, scope) is not None:
            raise ConsentError(f"case {case_id} already has a live {scope.value} grant")
        grant = ConsentGrant(
            id=grant_id, scope=scope, case_id=case_id, subject=subject,
            requested_by=requested_by, requested_at=now,
            answer_by=now + self.policy.answer_timeout_seconds,
        )
        grant.history.append((now, "requested"))
        self._grants[grant_id] = grant
        return grant

    def grant(self, grant_id: str, now: float) -> ConsentGrant:
        grant = self._get(grant_id)
        if grant.state is not GrantState.REQUESTED:
            raise ConsentError(f"grant {grant_id} is {grant.state.value}; it cannot be granted")
        if now >= grant.answer_by:
            raise ConsentError(f"grant {grant_id} was not answered in time; ask again")
        grant.state = GrantState.GRANTED
        grant.granted_at = now
        grant.expires_at = now + self.policy.duration(grant.scope)
        grant.history.append((now, "granted"))
        return grant

    def deny(self, grant_id: str, now: float) -> ConsentGrant:
        grant = self._get(grant_id)
        if grant.state is not GrantState.REQUESTED:
            raise ConsentError(f"grant {grant_id} is {grant.state.value}; it cannot be denied")
        grant.state = GrantState.DENIED
        grant.ended_at = now
        grant.history.append((now, "denied"))
        return grant

    def end(self, grant_id: str, reason: EndReason, now: float) -> ConsentGrant:
        grant = self._get(grant_id)
        if not grant.live:
            return grant  # ending twice is harmless: the first end stands
        if grant.state is GrantState.REQUESTED:
            grant.state = GrantState.DENIED
        else:
            grant.state = GrantState.ENDED
        grant.ended_at = now
        grant.end_reason = reason
        grant.history.append((now, reason.value))
        return grant

    def due(self, now: float) -> list[tuple[ConsentGrant, EndReason]]:
        """Grants whose time is up now: unanswered prompts and expired grants."""
        out: list[tuple[ConsentGrant, EndReason]] = []
        for grant in self._grants.values():
            if grant.state is GrantState.REQUESTED and now >= grant.answer_by:
                out.append((grant, EndReason.NO_ANSWER))
            elif grant.state is GrantState.GRANTED and grant.expires_at is not None \
                    and now >= grant.expires_at:
                out.append((grant, EndReason.EXPIRED))
        return out

    def live(self, case_id: str, scope: Scope) -> ConsentGrant | None:
        for grant in self._grants.values():
            if grant.case_id == case_id and grant.scope is scope and grant.live:
                return grant
        return None

    def of_case(self, case_id: str) -> Iterable[ConsentGrant]:
        return [g for g in self._grants.values() if g.case_id == case_id]

    def forget_case(self, case_id: str) -> None:
        """Drop the case's grants that are over (live ones stay until they end)."""
        for grant_id in [g.id for g in self._grants.values() if g.case_id == case_id and not g.live]:
            del self._grants[grant_id]

    def _get(self, grant_id: str) -> ConsentGrant:
        grant = self._grants.get(grant_id)
        if grant is None:
            raise ConsentError(f"no consent grant {grant_id}")
        return grant
