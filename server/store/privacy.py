"""The SQL of privacy operations: find one person's rows, export, erase, purge, the access log.

Every operation here touches every table that can hold personal data (docs/privacy.md "Data
inventory"), in one transaction. What the KPIs need (timings, queue, label, outcome, rating,
variant, amounts) stays; what identifies a person is deleted, or, where rows must still be joined
to each other for the figures (a shop session's cases, purchases and A/B exposure), replaced by a
pseudonym: random per erasure (nothing leads back), keyed per install for the retention purge
(the same value always gets the same pseudonym, so periods purged on different days still join).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import Database
from .tables import (
    access_log,
    callback_requests,
    case_events,
    case_notes,
    cases,
    live_chat_text,
    outbox,
    purchases,
    session_exposures,
    session_progress,
    transcript_messages,
)

#: prefixes of pseudonyms: a value that starts with one is never pseudonymised again
ERASED_PREFIX = "erased-"
ANONYMOUS_PREFIX = "anon-"
PSEUDONYM_PREFIXES = (ERASED_PREFIX, ANONYMOUS_PREFIX)

#: keys of a case_events ``detail`` that describe what happened, not who it happened to; every
#: other key (message ids, client ids, grant ids, SKUs, contacts, anything added later) is
#: removed when a case is anonymised. The KPIs read only kind, at and the states of an event.
OPERATIONAL_DETAIL_KEYS = frozenset({
    "by", "reason", "label", "resolved", "queue", "from_queue", "to_queue", "agent_id",
    "rating", "channel", "from_channel", "to_channel", "sender", "role", "stream", "path",
    "scope", "event", "outcome", "mark", "kind", "method", "duration",
})

#: the context kept of an anonymised case: nothing (store and channel are columns of their own)
ANONYMISED_CONTEXT: dict[str, Any] = {}

_IN_CHUNK = 500


@dataclass(frozen=True)
class Selector:
    """Whose data: one of case id, shop session id, kiosk id (within an optional time window),
    visitor id (the id A/B exposures are reported under: the shop session id) or callback
    phone number. Times are epoch seconds, ``since`` inclusive, ``until`` exclusive."""

    case_id: str | None = None
    session_id: str | None = None
    kiosk_id: str | None = None
    visitor_id: str | None = None
    phone: str | None = None
    since: float | None = None
    until: float | None = None

    def __post_init__(self) -> None:
        given = [name for name in ("case_id", "session_id", "kiosk_id", "visitor_id", "phone")
                 if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of case id, session id, kiosk id, visitor id or"
                             " phone number")
        if (self.since is not None or self.until is not None) and not self.kiosk_id:
            raise ValueError("a time window goes with a kiosk id only")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("the time window is empty: since must be before until")

    @property
    def kind(self) -> str:
        """Which selector, for the access log (never its value)."""
        for name in ("case_id", "session_id", "kiosk_id", "visitor_id", "phone"):
            if getattr(self, name):
                return name
        raise AssertionError("unreachable")  # pragma: no cover

    def describe(self) -> dict[str, Any]:
        """The selector without its value: what the access log keeps."""
        out: dict[str, Any] = {"selector": self.kind}
        if self.since is not None:
            out["since"] = self.since
        if self.until is not None:
            out["until"] = self.until
        return out


@dataclass
class Matches:
    """The rows of one person: their case ids and their shop session ids."""

    case_ids: list[str] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)
    #: kiosk ids to pseudonymise in the matched cases (the kiosk selector only)
    kiosk_ids: list[str] = field(default_factory=list)


async def find(conn: AsyncConnection, selector: Selector) -> Matches:
    """Every case and shop session that belongs to the person the selector names."""
    case_query = sa.select(cases.c.id, cases.c.session_id)
    sessions: set[str] = set()
    kiosks: list[str] = []
    if selector.case_id:
        case_query = case_query.where(cases.c.id == selector.case_id)
    elif selector.session_id or selector.visitor_id:
        session = str(selector.session_id or selector.visitor_id)
        sessions.add(session)
        case_query = case_query.where(cases.c.session_id == session)
    elif selector.kiosk_id:
        kiosks.append(selector.kiosk_id)
        case_query = case_query.where(cases.c.kiosk_id == selector.kiosk_id)
        if selector.since is not None:
            case_query = case_query.where(cases.c.created_at >= selector.since)
        if selector.until is not None:
            case_query = case_query.where(cases.c.created_at < selector.until)
    else:
        case_query = case_query.where(cases.c.id.in_(
            sa.select(callback_requests.c.case_id)
            .where(callback_requests.c.contact == selector.phone)
        ))
    rows = (await conn.execute(case_query.order_by(cases.c.created_at, cases.c.id))).all()
    sessions.update(row.session_id for row in rows
                    if row.session_id and not row.session_id.startswith(PSEUDONYM_PREFIXES))
    case_ids = [row.id for row in rows]
    # a shop session is one person: every case of it is theirs, whichever selector found it
    for chunk in _chunks(sorted(sessions)):
        more = (await conn.execute(
            sa.select(cases.c.id).where(cases.c.session_id.in_(chunk), cases.c.id.not_in(case_ids))
            .order_by(cases.c.created_at, cases.c.id)
        )).scalars()
        case_ids.extend(more)
    return Matches(case_ids, sorted(sessions), kiosks)


# ------------------------------------------------------------------------------ export


def _plain(row: Any) -> dict[str, Any]:
    return dict(row)


async def export(db: Database, selector: Selector) -> dict[str, Any]:
    """Everything stored about the person, table by table (docs/privacy.md "Export")."""
    async with db.connect() as conn:
        found = await find(conn, selector)
        out: dict[str, Any] = {
            "selector": selector.describe(),
            "cases": [], "case_events": [], "callback_requests": [], "transcript_messages": [],
            "case_notes": [],
            "live_chat_text": [], "outbox": [], "purchases": [], "session_exposures": [],
            "session_progress": [], "access_log": [],
        }
        by_case = (
            ("cases", cases, cases.c.id, cases.c.created_at),
            ("case_events", case_events, case_events.c.case_id, case_events.c.seq),
            ("callback_requests", callback_requests, callback_requests.c.case_id,
             callback_requests.c.requested_at),
            ("transcript_messages", transcript_messages, transcript_messages.c.case_id,
             transcript_messages.c.id),
            ("live_chat_text", live_chat_text, live_chat_text.c.case_id,
             live_chat_text.c.message_id),
            ("case_notes", case_notes, case_notes.c.case_id, case_notes.c.at),
            ("outbox", outbox, outbox.c.case_id, outbox.c.created_at),
            ("access_log", access_log, access_log.c.case_id, access_log.c.id),
        )
        for chunk in _chunks(found.case_ids):
            for name, table, key, order in by_case:
                result = await conn.execute(sa.select(table).where(key.in_(chunk)).order_by(order))
                out[name].extend(_plain(r) for r in result.mappings())
        by_session = (
            ("purchases", purchases, purchases.c.session_id, purchases.c.at),
            ("session_exposures", session_exposures, session_exposures.c.session_id,
             session_exposures.c.at),
            ("session_progress", session_progress, session_progress.c.session_id,
             session_progress.c.at),
        )
        for chunk in _chunks(found.session_ids):
            for name, table, key, order in by_session:
                result = await conn.execute(sa.select(table).where(key.in_(chunk)).order_by(order))
                out[name].extend(_plain(r) for r in result.mappings())
    for purchase in out["purchases"]:
        purchase["amount"] = purchase.pop("amount_minor") / 100
    return out


# ------------------------------------------------------------------------------ erase


def random_pseudonyms() -> Callable[[str], str]:
    """A pseudonym per distinct value, the same within one erasure, unrelated to the value."""
    given: dict[str, str] = {}

    def pseudonym(value: str) -> str:
        if value.startswith(PSEUDONYM_PREFIXES):
            return value
        return given.setdefault(value, ERASED_PREFIX + uuid.uuid4().hex[:16])

    return pseudonym


def keyed_pseudonyms(key: bytes) -> Callable[[str], str]:
    """A pseudonym per value derived with a key (HMAC-SHA256): the same on every purge run, so
    the cases, purchases and exposures of one session still join after they were purged on
    different days; without the key it cannot be traced back to the value."""

    def pseudonym(value: str) -> str:
        if value.startswith(PSEUDONYM_PREFIXES):
            return value
        digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
        return ANONYMOUS_PREFIX + digest[:24]

    return pseudonym


def scrub_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """A history event's detail without anything that could identify the person."""
    return {
        key: value for key, value in (detail or {}).items()
        if key in OPERATIONAL_DETAIL_KEYS
        and (value is None or isinstance(value, bool | int | float)
             or (isinstance(value, str) and len(value) <= 64))
    }


async def anonymise_cases(
    conn: AsyncConnection, case_ids: Sequence[str], pseudonym: Callable[[str], str], now: float,
) -> Counter[str]:
    """Pseudonymise the identifiers of cases, empty their context and feedback text, scrub their
    history, delete their callback contact, chat text and deliveries."""
    changed: Counter[str] = Counter()
    for chunk in _chunks(case_ids):
        rows = (await conn.execute(
            sa.select(cases.c.id, cases.c.session_id, cases.c.kiosk_id, cases.c.context,
                      cases.c.feedback_text, cases.c.anonymised_at).where(cases.c.id.in_(chunk))
        )).all()
        updates: list[dict[str, Any]] = []
        for row in rows:
            values = {
                "session_id": pseudonym(row.session_id) if row.session_id else None,
                "kiosk_id": pseudonym(row.kiosk_id) if row.kiosk_id else None,
                "context": ANONYMISED_CONTEXT, "feedback_text": None,
            }
            if row.anonymised_at is not None and all(
                getattr(row, name) == value for name, value in values.items()
            ):
                continue  # nothing left to change (a repeated erasure)
            updates.append({"b_id": row.id, **{f"b_{k}": v for k, v in values.items()}})
        if updates:  # one statement, many parameter sets (executemany)
            await conn.execute(
                sa.update(cases).where(cases.c.id == sa.bindparam("b_id")).values(
                    session_id=sa.bindparam("b_session_id"), kiosk_id=sa.bindparam("b_kiosk_id"),
                    context=sa.bindparam("b_context", type_=cases.c.context.type),
                    feedback_text=sa.bindparam("b_feedback_text"), anonymised_at=now),
                updates)
        changed["cases"] += len(updates)
        events = (await conn.execute(
            sa.select(case_events.c.case_id, case_events.c.seq, case_events.c.detail)
            .where(case_events.c.case_id.in_(chunk))
        )).all()
        scrubbed = [{"b_case_id": e.case_id, "b_seq": e.seq, "b_detail": scrub_detail(e.detail)}
                    for e in events]
        scrubbed = [e for e, event in zip(scrubbed, events, strict=True)
                    if e["b_detail"] != (event.detail or {})]
        if scrubbed:
            await conn.execute(
                sa.update(case_events).where(case_events.c.case_id == sa.bindparam("b_case_id"),
                                             case_events.c.seq == sa.bindparam("b_seq"))
                .values(detail=sa.bindparam("b_detail", type_=case_events.c.detail.type)),
                scrubbed)
        changed["case_events"] += len(scrubbed)
        for name, table in (("callback_requests", callback_requests),
                            ("transcript_messages", transcript_messages),
                            ("live_chat_text", live_chat_text), ("case_notes", case_notes),
                            ("outbox", outbox)):
            deleted = await conn.execute(sa.delete(table).where(table.c.case_id.in_(chunk)))
            changed[name] += deleted.rowcount or 0
    return changed


async def anonymise_sessions(
    conn: AsyncConnection, session_ids: Sequence[str], pseudonym: Callable[[str], str],
    order_pseudonym: Callable[[str], str],
) -> Counter[str]:
    """Pseudonymise shop sessions everywhere at once: their purchases (and order ids), exposure,
    progress and the session id of every case, so the rows still join to each other."""
    changed: Counter[str] = Counter()
    for chunk in _chunks([s for s in session_ids if not s.startswith(PSEUDONYM_PREFIXES)]):
        bought = (await conn.execute(
            sa.select(purchases.c.order_id, purchases.c.session_id)
            .where(purchases.c.session_id.in_(chunk))
        )).all()
        if bought:
            await conn.execute(
                sa.update(purchases).where(purchases.c.order_id == sa.bindparam("b_old"))
                .values(order_id=sa.bindparam("b_order"), session_id=sa.bindparam("b_session")),
                [{"b_old": row.order_id, "b_order": order_pseudonym(row.order_id),
                  "b_session": pseudonym(row.session_id)} for row in bought])
        changed["purchases"] += len(bought)
        renames = [{"b_old": session, "b_new": pseudonym(session)} for session in chunk]
        for name, table in (("session_exposures", session_exposures),
                            ("session_progress", session_progress), ("cases", cases)):
            count = (await conn.execute(sa.select(sa.func.count()).select_from(table)
                                        .where(table.c.session_id.in_(chunk)))).scalar_one()
            if count:
                await conn.execute(
                    sa.update(table).where(table.c.session_id == sa.bindparam("b_old"))
                    .values(session_id=sa.bindparam("b_new")), renames)
            changed[name] += count
    return changed


def _random_order_id(order_id: str) -> str:
    return order_id if order_id.startswith(PSEUDONYM_PREFIXES) else ERASED_PREFIX + uuid.uuid4().hex


async def erase(db: Database, selector: Selector, now: float) -> dict[str, int]:
    """Erase one person's data (GDPR art. 17) in one transaction; returns rows changed per table.

    Idempotent: a second run finds only pseudonyms and changes nothing. Live cases must have
    been ended by the engine before (server/privacy/erase.py).
    """
    async with db.transaction() as conn:
        found = await find(conn, selector)
        pseudonym = random_pseudonyms()
        changed = await anonymise_cases(conn, found.case_ids, pseudonym, now)
        changed.update(await anonymise_sessions(conn, found.session_ids, pseudonym,
                                                _random_order_id))
    return {name: count for name, count in sorted(changed.items()) if count}


async def case_states(db: Database, selector: Selector) -> dict[str, str]:
    """The matching cases and their states (live ones must be ended before an erasure)."""
    async with db.connect() as conn:
        found = await find(conn, selector)
        states: dict[str, str] = {}
        for chunk in _chunks(found.case_ids):
            for row in await conn.execute(
                sa.select(cases.c.id, cases.c.state).where(cases.c.id.in_(chunk))
            ):
                states[row.id] = row.state
    return states


#: states of a case that is not over yet (server/core/case.py FINISHED is the complement)
LIVE_STATES = ("created", "queued", "offered", "active", "wrap_up")


# ------------------------------------------------------------------------------ purge


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than each of these epoch times are past their retention."""

    case_metadata: float
    callback_contact: float
    feedback_text: float
    transcripts: float
    purchases_and_exposures: float
    access_log: float


async def purge(db: Database, cutoffs: Cutoffs, key: bytes, now: float) -> dict[str, int]:
    """Anonymise or delete everything past its retention, in one transaction."""
    pseudonym = keyed_pseudonyms(key)
    changed: Counter[str] = Counter()
    async with db.transaction() as conn:
        old_cases = (await conn.execute(
            sa.select(cases.c.id, cases.c.session_id).where(
                cases.c.created_at < cutoffs.case_metadata, cases.c.anonymised_at.is_(None),
                cases.c.state.not_in(LIVE_STATES))
        )).all()
        sessions = {row.session_id for row in old_cases if row.session_id}
        changed.update(await anonymise_cases(conn, [row.id for row in old_cases], pseudonym, now))
        for table in (purchases, session_exposures, session_progress):
            sessions.update((await conn.execute(
                sa.select(table.c.session_id).distinct()
                .where(table.c.at < cutoffs.purchases_and_exposures,
                       table.c.session_id.is_not(None), _not_pseudonym(table.c.session_id))
            )).scalars())
        changed.update(await anonymise_sessions(conn, sorted(sessions), pseudonym, pseudonym))
        orders = await _purge_orders(conn, cutoffs.purchases_and_exposures, pseudonym)
        changed["purchases"] += orders
        contacts = await conn.execute(
            sa.update(callback_requests)
            .where(callback_requests.c.requested_at < cutoffs.callback_contact,
                   sa.or_(callback_requests.c.contact.is_not(None),
                          callback_requests.c.cart_snapshot.is_not(None)))
            .values(contact=None, cart_snapshot=None)
        )
        changed["callback_requests"] += contacts.rowcount or 0
        feedback = await conn.execute(
            sa.update(cases).where(cases.c.created_at < cutoffs.feedback_text,
                                   cases.c.feedback_text.is_not(None))
            .values(feedback_text=None)
        )
        changed["cases"] += feedback.rowcount or 0
        lines = await conn.execute(
            sa.delete(transcript_messages).where(transcript_messages.c.at < cutoffs.transcripts)
        )
        changed["transcript_messages"] += lines.rowcount or 0
        # notes follow the transcripts' retention (a live case's notes stay until it ends)
        notes = await conn.execute(
            sa.delete(case_notes).where(
                case_notes.c.at < cutoffs.transcripts,
                case_notes.c.case_id.in_(
                    sa.select(cases.c.id).where(cases.c.state.not_in(LIVE_STATES))))
        )
        changed["case_notes"] += notes.rowcount or 0
        old_rows = await conn.execute(sa.delete(access_log).where(access_log.c.at < cutoffs.access_log))
        changed["access_log"] += old_rows.rowcount or 0
    return {name: count for name, count in sorted(changed.items()) if count}


def _not_pseudonym(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return sa.and_(*(sa.not_(column.startswith(prefix)) for prefix in PSEUDONYM_PREFIXES))


async def _purge_orders(conn: AsyncConnection, cutoff: float,
                        pseudonym: Callable[[str], str]) -> int:
    """Old purchases without a session still carry the shop's order id: pseudonymise it."""
    bought = list((await conn.execute(
        sa.select(purchases.c.order_id)
        .where(purchases.c.at < cutoff, _not_pseudonym(purchases.c.order_id))
    )).scalars())
    for order_id in bought:
        await conn.execute(sa.update(purchases).where(purchases.c.order_id == order_id)
                           .values(order_id=pseudonym(order_id)))
    return len(bought)


# ------------------------------------------------------------------------------ access log


async def record_access(
    db: Database, *, at: float, actor_kind: str, actor_id: str | None, action: str,
    case_id: str | None = None, reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one row to the access log (never updated, deleted only by the retention purge)."""
    async with db.transaction() as conn:
        await conn.execute(sa.insert(access_log).values(
            at=at, actor_kind=actor_kind, actor_id=actor_id, action=action, case_id=case_id,
            reason=reason[:500] if reason else None, detail=dict(detail or {}),
        ))


async def access_rows(
    db: Database, *, case_id: str | None = None, limit: int = 100, before_id: int | None = None,
) -> list[dict[str, Any]]:
    """The newest access rows first (optionally of one case, or older than ``before_id``)."""
    query = sa.select(access_log).order_by(access_log.c.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(access_log.c.case_id == case_id)
    if before_id is not None:
        query = query.where(access_log.c.id < before_id)
    async with db.connect() as conn:
        return [dict(r) for r in (await conn.execute(query)).mappings()]


def _chunks(items: Iterable[str]) -> list[list[str]]:
    values = list(items)
    return [values[i:i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]
