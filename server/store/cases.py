"""Persisting cases: the row that reports read, the append-only event history, callback
requests with their short-lived cart, and (only if the operator asked for it) chat text.

The in-memory ``Case`` is what the live process acts on; ``save`` appends its new typed events
and updates its row (a projection for reports and lists) in the same transaction. After a restart
``live_cases`` rebuilds every case that was still open by folding its stored events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.case import FINISHED, Case
from ..core.chat import ChatMessage
from ..core.effects import QueueWebhook
from ..core.history import (
    VERSION,
    ChatLineDelivered,
    ChatLineSent,
    HistoryEvent,
    Stored,
    decode,
    decode_legacy,
    encode,
    replay,
)
from ..core.notes import Note
from .database import Database
from .outbox import insert_deliveries
from .tables import (
    callback_requests,
    case_events,
    case_notes,
    cases,
    live_chat_text,
    transcript_messages,
)

SENDERS = frozenset({"customer", "agent"})

#: cases whose stored event count is remembered; the least recently saved is forgotten first
#: (a forgotten or unknown case costs one ``count(*)`` when it is next saved)
REMEMBERED_CASES = 50_000

#: case ids per ``IN (...)`` when counting the stored events of cases not remembered
COUNT_CHUNK = 500


class CaseBatch:
    """Writes that share one transaction, carried out in call order; see ``CaseRepository.batch``."""

    def __init__(self, conn: AsyncConnection, remembered: dict[str, int],
                 rows: dict[str, tuple[Any, ...]], host: str | None = None) -> None:
        self._conn = conn
        self._host = host
        self._remembered = remembered
        self._rows = rows
        #: the row of each case as this transaction leaves it (``_row_key``), once it commits
        self.row_keys: dict[str, tuple[Any, ...]] = {}
        #: events stored per case once this transaction commits
        self.counts: dict[str, int] = {}
        #: every case this batch tried to save, committed or not
        self.touched: set[str] = set()
        #: outbox rows this batch inserted (the outbox worker is woken once they are committed)
        self.queued = 0

    async def fence(self, case_ids: Iterable[str]) -> set[str]:
        """The cases of this batch that another node hosts now (adopted after this node's
        lease ran out): nothing of theirs may be written. The rows of the others stay locked
        until the commit, so an adoption (``CaseRepository.adopt``) waits for this batch and
        a batch after it sees the new host. Without a host (one process) nothing is fenced."""
        if self._host is None:
            return set()
        ids = sorted(set(case_ids))
        moved: set[str] = set()
        for start in range(0, len(ids), COUNT_CHUNK):
            result = await self._conn.execute(
                sa.select(cases.c.id, cases.c.host_node)
                .where(cases.c.id.in_(ids[start:start + COUNT_CHUNK]))
                .order_by(cases.c.id).with_for_update())
            moved.update(row[0] for row in result
                         if row[1] is not None and row[1] != self._host)
        return moved

    async def save_cases(self, case_list: Iterable[Case]) -> None:
        """Upsert the rows of the cases and append their events not stored yet (seq = index)."""
        # taken synchronously, before any await, so each snapshot is consistent. A case whose
        # row is as last stored (a chat line changes only the history) gets no row write, and
        # only the events not stored yet are copied
        snapshots: dict[str, tuple[dict[str, Any] | None, tuple[Any, ...], int,
                             list[HistoryEvent]]] = {}
        for case in case_list:
            start = self.counts.get(case.id, self._remembered.get(case.id, 0))
            key = _row_key(case)
            row = None if self._rows.get(case.id) == key else _case_row(case)
            snapshots[case.id] = (row, key, start, case.events[start:])
        if not snapshots:
            return
        self.touched.update(snapshots)
        stored = await self._stored_counts(list(snapshots))
        rows = [{"id": cid, **row} for cid, (row, _, _, _) in snapshots.items() if row is not None]
        for row in rows:  # written on insert only: an update never changes the host
            row["host_node"] = self._host
        if rows:
            await _upsert_cases(self._conn, rows)
        new: list[dict[str, Any]] = []
        for case_id, (_, key, start, events) in snapshots.items():
            have, end = stored[case_id], start + len(events)
            new.extend(_event_row(case_id, seq, events[seq - start]) for seq in range(have, end))
            self.counts[case_id] = max(have, end)
            self.row_keys[case_id] = key
        if new:
            await self._conn.execute(sa.insert(case_events), new)

    async def save_callback(
        self,
        case_id: str,
        requested_at: float,
        reason: str,
        contact: str | None,
        cart_snapshot: dict[str, Any] | list[Any] | None,
        cart_expires_at: float,
    ) -> None:
        await _save_callback(
            self._conn, case_id, requested_at, reason, contact, cart_snapshot, cart_expires_at
        )

    async def queue_delivery(self, job: QueueWebhook) -> None:
        """An outbox row, committed together with the decision it announces."""
        await insert_deliveries(self._conn, [job])
        self.queued += 1

    async def add_transcript_messages(self, lines: Sequence[tuple[str, float, str, str]]) -> None:
        """Chat lines (case id, time, sender, text) for transcript retention, in order."""
        if not lines:
            return
        for _, _, sender, _ in lines:
            if sender not in SENDERS:
                raise ValueError(f"sender must be 'customer' or 'agent', not {sender!r}")
        await self._conn.execute(sa.insert(transcript_messages), [
            {"case_id": case_id, "at": at, "sender": sender, "text": text}
            for case_id, at, sender, text in lines
        ])

    async def keep_chat_texts(self, lines: Sequence[tuple[str, str, str]]) -> None:
        """The text of open cases' lines (case id, message id, text): each kept once, also when a
        write is retried after a commit that did land."""
        if not lines:
            return
        insert = _INSERT[self._conn.dialect.name](live_chat_text).on_conflict_do_nothing()
        await self._conn.execute(insert, [
            {"case_id": case_id, "message_id": message_id, "text": text}
            for case_id, message_id, text in lines
        ])

    async def keep_notes(self, notes: Sequence[Note]) -> None:
        """Agents' notes (``core/notes.py``), each kept once, also when a write is retried."""
        if not notes:
            return
        insert = _INSERT[self._conn.dialect.name](case_notes).on_conflict_do_nothing()
        await self._conn.execute(insert, [
            {"case_id": n.case_id, "note_id": n.id, "at": n.at, "agent_id": n.agent_id,
             "agent_name": n.agent_name, "kind": n.kind, "text": n.text} for n in notes
        ])

    async def forget_notes(self, case_ids: Sequence[str]) -> None:
        """The cases finished without transcript retention: their notes' text goes."""
        if case_ids:
            await self._conn.execute(
                sa.delete(case_notes).where(case_notes.c.case_id.in_(list(case_ids))))

    async def forget_chat_texts(self, case_ids: Sequence[str]) -> None:
        """The cases finished: their open-conversation text goes (transcripts are separate)."""
        if case_ids:
            await self._conn.execute(
                sa.delete(live_chat_text).where(live_chat_text.c.case_id.in_(list(case_ids))))

    async def _stored_counts(self, case_ids: Sequence[str]) -> dict[str, int]:
        """How many events each case has stored; asks the database only about unknown cases."""
        counts: dict[str, int] = {}
        unknown: list[str] = []
        for case_id in case_ids:
            if case_id in self.counts:
                counts[case_id] = self.counts[case_id]
            elif case_id in self._remembered:
                counts[case_id] = self._remembered[case_id]
            else:
                unknown.append(case_id)
        for start in range(0, len(unknown), COUNT_CHUNK):
            chunk = unknown[start:start + COUNT_CHUNK]
            result = await self._conn.execute(
                sa.select(case_events.c.case_id, sa.func.count())
                .where(case_events.c.case_id.in_(chunk))
                .group_by(case_events.c.case_id)
            )
            found: dict[str, int] = {row[0]: row[1] for row in result}
            for case_id in chunk:
                counts[case_id] = found.get(case_id, 0)
        return counts


class CaseRepository:
    """Reads and writes case metadata. Never sees audio, video or screen frames.

    It remembers how many events it has stored per case, so a save appends the new ones
    without counting the stored ones again: it must be the only writer of case events in
    its process (the persister is), and a case is written by one process only.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        # case saves run one transaction at a time, in call order: an older snapshot never
        # overwrites a newer one and the remembered counts always match what is committed
        self._save_lock = asyncio.Lock()
        #: events stored per case, as committed; insertion order = least recently saved first
        self._stored: dict[str, int] = {}
        #: each remembered case's row as committed (``_row_key``): an unchanged row is not rewritten
        self._rows: dict[str, tuple[Any, ...]] = {}
        #: called after a commit that queued outbox rows (the outbox worker's wake-up)
        self.delivery_listeners: list[Callable[[], None]] = []
        #: the node id written as the host of the cases this process creates, and the fence
        #: of its writes (``CaseBatch.fence``); None with one process (no ``[cluster] redis_url``)
        self.host: str | None = None

    async def save(self, case: Case) -> None:
        """Upsert the case row and append the events not stored yet (seq = list index)."""
        await self.save_many((case,))

    async def save_many(self, case_list: Iterable[Case]) -> None:
        """Save several cases in one transaction: all of them are stored, or none."""
        async with self.batch() as batch:
            await batch.save_cases(case_list)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[CaseBatch]:
        """One transaction for several writes (cases, callbacks, transcript lines), in order.

        Committed when the block ends, rolled back if it raises.
        """
        async with self._save_lock:
            batch: CaseBatch | None = None
            try:
                async with self._db.transaction() as conn:
                    batch = CaseBatch(conn, self._stored, self._rows, self.host)
                    yield batch
            except BaseException:
                if batch is not None:
                    # rolled back, or maybe not if the commit itself failed: count them again
                    for case_id in batch.touched:
                        self._stored.pop(case_id, None)
                        self._rows.pop(case_id, None)
                raise
            assert batch is not None
            self._remember(batch.counts)
            self._rows.update(batch.row_keys)
            if batch.queued:
                for listener in self.delivery_listeners:
                    listener()

    def _remember(self, counts: dict[str, int]) -> None:
        stored = self._stored
        for case_id, count in counts.items():
            stored.pop(case_id, None)
            stored[case_id] = count
        while len(stored) > REMEMBERED_CASES:
            forgotten = next(iter(stored))
            del stored[forgotten]
            self._rows.pop(forgotten, None)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(sa.select(cases).where(cases.c.id == case_id))
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def events(self, case_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(case_events)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.seq)
            )
            return [dict(row) for row in result.mappings()]

    async def history(self, case_id: str) -> tuple[dict[str, Any], list[HistoryEvent]] | None:
        """A stored case's row and its history as typed events (None if not stored)."""
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(cases).where(cases.c.id == case_id))
                   ).mappings().first()
            if row is None:
                return None
            rows = (await conn.execute(
                sa.select(case_events).where(case_events.c.case_id == case_id)
                .order_by(case_events.c.seq))).mappings().all()
        return dict(row), _history_of(row, rows)

    async def list_cases(
        self, since: float | None = None, until: float | None = None
    ) -> list[dict[str, Any]]:
        """Cases created in ``[since, until)``, oldest first; either bound may be open."""
        query = sa.select(cases).order_by(cases.c.created_at, cases.c.id)
        if since is not None:
            query = query.where(cases.c.created_at >= since)
        if until is not None:
            query = query.where(cases.c.created_at < until)
        async with self._db.connect() as conn:
            result = await conn.execute(query)
            return [dict(row) for row in result.mappings()]

    async def live_cases(self, host: str | None = None, only: Sequence[str] | None = None
                         ) -> tuple[list[Case], dict[str, list[ChatMessage]]]:
        """Every stored case that was not finished, rebuilt, with its open conversation; with
        ``host``, only those that node hosts; with ``only``, only those of these ids."""
        finished = [state.value for state in FINISHED]
        query = sa.select(cases).where(cases.c.state.not_in(finished))
        if host is not None:
            query = query.where(cases.c.host_node == host)
        if only is not None:
            query = query.where(cases.c.id.in_(list(only)))
        async with self._db.connect() as conn:
            rows = (await conn.execute(query.order_by(cases.c.created_at))).mappings().all()
            ids = [row["id"] for row in rows]
            stored: dict[str, list[Any]] = {case_id: [] for case_id in ids}
            texts: dict[tuple[str, str], str] = {}
            for start in range(0, len(ids), COUNT_CHUNK):
                chunk = ids[start:start + COUNT_CHUNK]
                result = await conn.execute(
                    sa.select(case_events).where(case_events.c.case_id.in_(chunk))
                    .order_by(case_events.c.case_id, case_events.c.seq))
                for event in result.mappings():
                    stored[event["case_id"]].append(event)
                result = await conn.execute(
                    sa.select(live_chat_text).where(live_chat_text.c.case_id.in_(chunk)))
                for line in result.mappings():
                    texts[(line["case_id"], line["message_id"])] = line["text"]
        # the stored events are the truth: each case is their fold (the row is a projection)
        live = [replay(_history_of(row, stored[row["id"]])) for row in rows]
        for case, row in zip(live, rows, strict=True):
            case.feedback_text = row["feedback_text"]  # free text is not in the history
        for case in live:
            self._remember({case.id: len(case.events)})
        return live, {case.id: _messages_of(case, texts) for case in live}

    # ------------------------------------------------------------------ hosting (cluster)

    async def live_hosts(self) -> set[str]:
        """The nodes that host at least one live case."""
        finished = [state.value for state in FINISHED]
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(cases.c.host_node).distinct()
                .where(cases.c.state.not_in(finished), cases.c.host_node.is_not(None)))
            return {row[0] for row in result}

    async def claim(self, host: str, previous: str | None) -> list[str]:
        """Make ``host`` the host of every live case ``previous`` hosts (None: cases stored
        without a host, by one process before), in one transaction; returns their ids. Two
        nodes claiming the same cases: the second finds none left (its update waits for the
        first's row locks and then matches nothing). This update is the fence: from its
        commit on, the previous host's writes of these cases are refused (``CaseBatch.fence``)."""
        finished = [state.value for state in FINISHED]
        held = (cases.c.host_node.is_(None) if previous is None
                else cases.c.host_node == previous)
        async with self._db.transaction() as conn:
            ids = [row[0] for row in await conn.execute(
                sa.select(cases.c.id).where(held, cases.c.state.not_in(finished))
                .order_by(cases.c.id).with_for_update())]  # the fence's lock order
            if ids:
                for start in range(0, len(ids), COUNT_CHUNK):
                    await conn.execute(
                        sa.update(cases).where(cases.c.id.in_(ids[start:start + COUNT_CHUNK]),
                                               held).values(host_node=host))
        return ids

    async def hosted_elsewhere(self, case_ids: Sequence[str], host: str) -> set[str]:
        """Which of these cases the store says another node hosts now."""
        moved: set[str] = set()
        async with self._db.connect() as conn:
            for start in range(0, len(case_ids), COUNT_CHUNK):
                result = await conn.execute(
                    sa.select(cases.c.id, cases.c.host_node)
                    .where(cases.c.id.in_(list(case_ids[start:start + COUNT_CHUNK]))))
                moved.update(row[0] for row in result
                             if row[1] is not None and row[1] != host)
        return moved

    async def live_host_of(self, case_id: str) -> str | None:
        """The node hosting this case if it is live and hosted by some node, else None."""
        finished = [state.value for state in FINISHED]
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(cases.c.host_node)
                .where(cases.c.id == case_id, cases.c.state.not_in(finished)))
            row = result.first()
        return None if row is None else row[0]

    async def notes_of(self, case_ids: Sequence[str]) -> dict[str, list[Note]]:
        """The stored notes of these cases, oldest first (a restart, an earlier case's notes)."""
        out: dict[str, list[Note]] = {}
        async with self._db.connect() as conn:
            for start in range(0, len(case_ids), COUNT_CHUNK):
                chunk = list(case_ids[start:start + COUNT_CHUNK])
                result = await conn.execute(
                    sa.select(case_notes).where(case_notes.c.case_id.in_(chunk))
                    .order_by(case_notes.c.at, case_notes.c.note_id))
                for row in result.mappings():
                    out.setdefault(row["case_id"], []).append(Note(
                        row["note_id"], row["case_id"], row["agent_id"], row["agent_name"],
                        row["kind"], row["text"], row["at"]))
        return out

    async def earlier_cases(self, case_id: str, kiosk_id: str | None, session_id: str | None,
                            limit: int) -> list[dict[str, Any]]:
        """The newest finished-or-not other cases of the same kiosk or shop session (never a
        pseudonymised id: those join nothing for the agent), newest first."""
        keys = []
        if kiosk_id and not kiosk_id.startswith(("anon-", "erased-")):
            keys.append(cases.c.kiosk_id == kiosk_id)
        if session_id and not session_id.startswith(("anon-", "erased-")):
            keys.append(cases.c.session_id == session_id)
        if not keys:
            return []
        query = (sa.select(cases.c.id, cases.c.created_at, cases.c.closed_at, cases.c.state,
                           cases.c.queue, cases.c.channel, cases.c.label, cases.c.resolved,
                           cases.c.rating, cases.c.agent_name, cases.c.kiosk_id,
                           cases.c.session_id)
                 .where(sa.or_(*keys), cases.c.id != case_id)
                 .order_by(cases.c.created_at.desc(), cases.c.id).limit(limit))
        async with self._db.connect() as conn:
            return [dict(row) for row in (await conn.execute(query)).mappings()]

    # --- callbacks ----------------------------------------------------------------

    async def save_callback(
        self,
        case_id: str,
        requested_at: float,
        reason: str,
        contact: str | None,
        cart_snapshot: dict[str, Any] | list[Any] | None,
        cart_expires_at: float,
    ) -> None:
        """Record (or replace) the callback request of a case; the case must be saved."""
        async with self._db.transaction() as conn:
            await _save_callback(
                conn, case_id, requested_at, reason, contact, cart_snapshot, cart_expires_at
            )

    async def get_callback(self, case_id: str) -> dict[str, Any] | None:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(callback_requests).where(callback_requests.c.case_id == case_id)
            )
            row = result.mappings().first()
        return dict(row) if row is not None else None

    async def purge_expired_carts(self, now: float) -> int:
        """Drop every cart snapshot whose hold time is over (expires_at <= now)."""
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.update(callback_requests)
                .where(
                    callback_requests.c.cart_expires_at <= now,
                    callback_requests.c.cart_snapshot.is_not(None),
                )
                .values(cart_snapshot=sa.null())
            )
            return result.rowcount

    # --- transcripts --------------------------------------------------------------

    async def add_transcript_message(self, case_id: str, at: float, sender: str, text: str) -> None:
        """Store one chat line. The caller decides whether retention is on."""
        async with self._db.transaction() as conn:
            await _add_transcript_message(conn, case_id, at, sender, text)

    async def transcript(self, case_id: str) -> list[dict[str, Any]]:
        async with self._db.connect() as conn:
            result = await conn.execute(
                sa.select(transcript_messages)
                .where(transcript_messages.c.case_id == case_id)
                .order_by(transcript_messages.c.at, transcript_messages.c.id)
            )
            return [dict(row) for row in result.mappings()]


_INSERT: dict[str, Callable[[sa.Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert,
}


def _make_upsert(insert: sqlite.Insert | postgresql.Insert) -> sa.Executable:
    return insert.on_conflict_do_update(
        index_elements=[cases.c.id],
        # anonymised_at is the privacy purge's alone (server/store/privacy.py); host_node is
        # written on insert and changed only by an adoption (CaseRepository.claim)
        set_={column.name: insert.excluded[column.name] for column in cases.c
              if column.name not in ("id", "anonymised_at", "host_node")},
    )


#: INSERT ... ON CONFLICT (id) DO UPDATE per dialect; built once (building one is not cheap)
_UPSERTS: dict[str, sa.Executable] = {
    "sqlite": _make_upsert(sqlite.insert(cases)),
    "postgresql": _make_upsert(postgresql.insert(cases)),
}


async def _upsert_cases(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert or update case rows: one statement for all of them where the dialect can."""
    upsert = _UPSERTS.get(conn.dialect.name)
    if upsert is not None:
        await conn.execute(upsert, rows)
        return
    for row in rows:
        values = {key: value for key, value in row.items() if key not in ("id", "host_node")}
        updated = await conn.execute(
            sa.update(cases).where(cases.c.id == row["id"]).values(**values)
        )
        if updated.rowcount == 0:
            await conn.execute(sa.insert(cases).values(**row))


async def _save_callback(
    conn: AsyncConnection,
    case_id: str,
    requested_at: float,
    reason: str,
    contact: str | None,
    cart_snapshot: dict[str, Any] | list[Any] | None,
    cart_expires_at: float,
) -> None:
    values: dict[str, Any] = {
        "requested_at": requested_at,
        "reason": reason,
        "contact": contact,
        "cart_snapshot": cart_snapshot,
        "cart_expires_at": cart_expires_at,
    }
    updated = await conn.execute(
        sa.update(callback_requests)
        .where(callback_requests.c.case_id == case_id)
        .values(**values)
    )
    if updated.rowcount == 0:
        await conn.execute(sa.insert(callback_requests).values(case_id=case_id, **values))


async def _add_transcript_message(
    conn: AsyncConnection, case_id: str, at: float, sender: str, text: str
) -> None:
    if sender not in SENDERS:
        raise ValueError(f"sender must be 'customer' or 'agent', not {sender!r}")
    await conn.execute(
        sa.insert(transcript_messages).values(case_id=case_id, at=at, sender=sender, text=text)
    )


def _row_key(case: Case) -> tuple[Any, ...]:
    """What of a case's row can change after it was first stored (its context never does)."""
    return (case.state, case.queue, case.skills, case.agent_id, case.agent_name, case.label,
            case.resolved, case.rating, case.feedback_text, case.customer_dropped, case.overflowed)


def _case_row(case: Case) -> dict[str, Any]:
    """The columns of a case, taken synchronously so the snapshot is consistent."""
    last_at = case.events[-1].at if case.events else case.created_at
    return {
        "store": case.store,
        "channel": case.channel,
        "kiosk_id": case.kiosk_id,
        "session_id": case.session_id,
        "context": dict(case.context),
        "queue": case.queue,
        "rule": case.rule,
        "skills": sorted(case.skills),
        "language": case.language,
        "first_channel": case.first_channel,
        "priority": case.priority,
        "state": case.state.value,
        "agent_id": case.agent_id,
        "agent_name": case.agent_name,
        "label": case.label,
        "resolved": case.resolved,
        "rating": case.rating,
        "feedback_text": case.feedback_text,
        "customer_dropped": case.customer_dropped,
        "overflowed": case.overflowed,
        "created_at": case.created_at,
        "updated_at": last_at,
        # when the case reached its final state (closed or abandoned)
        "closed_at": case.entered(case.state) if case.is_terminal else None,
    }


def _event_row(case_id: str, seq: int, event: HistoryEvent) -> dict[str, Any]:
    stored = encode(event)
    return {
        "case_id": case_id,
        "seq": seq,
        "at": stored.at,
        "type": stored.type,
        "version": stored.version,
        "detail": stored.payload,
        "kind": stored.kind,
        "from_state": stored.from_state,
        "to_state": stored.to_state,
    }


def _history_of(case_row: Any, rows: Sequence[Any]) -> list[HistoryEvent]:
    """A case's stored history as typed events. Rows from before typed events (version 0, all
    before any newer one) are upgraded with the help of the case's row."""
    legacy = [row for row in rows if row["version"] != VERSION]
    typed = [decode(Stored(row["at"], row["type"], row["version"], dict(row["detail"]),
                           row["kind"], row["from_state"], row["to_state"]))
             for row in rows[len(legacy):]]
    return [*decode_legacy(case_row, legacy), *typed] if legacy else typed


def _messages_of(case: Case, texts: dict[tuple[str, str], str]) -> list[ChatMessage]:
    delivered = {e.message_id for e in case.events if isinstance(e, ChatLineDelivered)}
    messages = []
    for event in case.events:
        if not isinstance(event, ChatLineSent):
            continue
        text = texts.get((case.id, event.message_id))
        if text is None:
            continue
        messages.append(ChatMessage(
            id=event.message_id, case_id=case.id, sender=event.sender, text=text, at=event.at,
            client_id=event.client_id, quick_reply=event.quick_reply,
            delivered=event.message_id in delivered,
        ))
    return messages
