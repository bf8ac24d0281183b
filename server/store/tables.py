"""The database schema for case metadata, as SQLAlchemy Core tables.

Privacy by construction: there is deliberately no column or table for audio, video,
screen frames or recordings. Media flows peer-to-peer (or through the relay) and is
never written here; only metadata about cases, agents and callbacks is kept, plus chat
text when the operator has turned transcript retention on.

Every schema change needs a new Alembic migration in ``migrations/versions``; a test
checks that the migrated database matches this metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Deterministic constraint names, so migrations look the same on SQLite and PostgreSQL.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: One row per case: its routing inputs, its current state and its outcome.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("store", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(50), nullable=False),
    sa.Column("kiosk_id", sa.String(200), nullable=True),
    sa.Column("session_id", sa.String(200), nullable=True),
    sa.Column("context", sa.JSON(), nullable=False),
    sa.Column("queue", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=True),
    sa.Column("skills", sa.JSON(), nullable=False),
    sa.Column("language", sa.String(20), nullable=False),
    sa.Column("first_channel", sa.String(50), nullable=False),
    sa.Column("priority", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("agent_id", sa.String(36), nullable=True),
    sa.Column("agent_name", sa.String(200), nullable=True),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("resolved", sa.Boolean(), nullable=True),
    sa.Column("rating", sa.Integer(), nullable=True),
    sa.Column("feedback_text", sa.Text(), nullable=True),
    sa.Column("customer_dropped", sa.Boolean(), nullable=False),
    sa.Column("overflowed", sa.Boolean(), nullable=False),
    # epoch seconds, taken from the core's clock rather than the database's
    sa.Column("created_at", sa.Float(), nullable=False, index=True),
    # the time of the case's last event when a column above last changed (chat lines alone only
    # append to case_events and leave the row as it is)
    sa.Column("updated_at", sa.Float(), nullable=False),
    sa.Column("closed_at", sa.Float(), nullable=True),
    # when what identifies the customer was replaced by pseudonyms (retention purge or erasure,
    # server/store/privacy.py); migration 0006
    sa.Column("anonymised_at", sa.Float(), nullable=True),
    # the node that hosts the case while it is live ([cluster] node_id), written when it is
    # created and when a surviving node adopts it; NULL with one process (migration 0011)
    sa.Column("host_node", sa.String(64), nullable=True, index=True),
)

#: The append-only history of a case; ``seq`` is the event's index in ``Case.events``. Each row is
#: one typed event (``core/history.py``): ``type``, ``version`` and its ``detail`` (the payload);
#: ``kind``/``from_state``/``to_state`` are the projection reports read. Version 0 rows (type
#: NULL) were written before typed events and are decoded from their kind (migration 0006).
case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column(
        "case_id",
        sa.String(36),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("at", sa.Float(), nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("from_state", sa.String(30), nullable=True),
    sa.Column("to_state", sa.String(30), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.Column("type", sa.String(50), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("0")),
)

#: People who answer cases. Only a password hash is stored, never a password.
agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(500), nullable=False),
    sa.Column("skills", sa.JSON(), nullable=False),
    sa.Column("languages", sa.JSON(), nullable=False),
    sa.Column("max_concurrent", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.Float(), nullable=False),
    #: e.g. ["supervisor"]: may open /supervisor (migration 0002)
    sa.Column("roles", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    #: the generation of the agent's tokens: a token of an older one is refused (sign-out and a
    #: new password bump it; migration 0006)
    sa.Column("token_version", sa.Integer(), nullable=False, server_default=sa.text("0")),
    #: a disabled agent cannot sign in, and their tokens were revoked (admin; migration 0010)
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
)

#: What /admin changes live: one JSON value per section (quick_replies, labels, store_hours,
#: queues), seeded from the settings and rules files on first start (migration 0010).
admin_settings = sa.Table(
    "admin_settings",
    metadata,
    sa.Column("section", sa.String(50), primary_key=True),
    sa.Column("value", sa.JSON(), nullable=False),
    sa.Column("updated_at", sa.Float(), nullable=False),
)

#: Who changed what in /admin, and when (append-only; server/store/audit.py): the admin's agent
#: id and username, the action, its target, and a summary of before and after. Never a password
#: or its hash. Migration 0010.
admin_audit = sa.Table(
    "admin_audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float(), nullable=False, index=True),
    sa.Column("actor_id", sa.String(36), nullable=True),
    sa.Column("actor_username", sa.String(200), nullable=True),
    #: e.g. agent_created, agent_disabled, quick_replies_changed
    sa.Column("action", sa.String(50), nullable=False),
    #: what was changed: an agent id, a store, a queue name, a section
    sa.Column("target", sa.String(200), nullable=True),
    sa.Column("before", sa.JSON(), nullable=True),
    sa.Column("after", sa.JSON(), nullable=True),
)

#: A customer's request to be called back; the cart is held only for a short time.
callback_requests = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "case_id",
        sa.String(36),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("requested_at", sa.Float(), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("contact", sa.String(500), nullable=True),
    # none_as_null: a dropped cart is SQL NULL, not the JSON text 'null'
    sa.Column("cart_snapshot", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("cart_expires_at", sa.Float(), nullable=False, index=True),
)

#: Chat text, written only when the operator turned transcript retention on.
transcript_messages = sa.Table(
    "transcript_messages",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "case_id",
        sa.String(36),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.Float(), nullable=False),
    sa.Column("sender", sa.String(20), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.CheckConstraint("sender IN ('customer', 'agent')", name="sender"),
)

#: The text of the chat lines of an open case, so the conversation survives a restart. Rows are
#: deleted in the transaction that stores the case's end (closed, abandoned, callback); only
#: ``transcript_messages`` (transcript retention) keeps text beyond that. Migration 0005.
live_chat_text = sa.Table(
    "live_chat_text",
    metadata,
    sa.Column(
        "case_id",
        sa.String(36),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("text", sa.Text(), nullable=False),
)

#: Agents' notes on a case (``core/notes.py``): internal, transfer and wrap-up notes, never shown
#: to the customer. Personal data under the transcript rules: deleted in the transaction that
#: stores the case's end unless transcript retention is on, then purged after ``transcript_days``;
#: erased with the case. Migration 0009.
case_notes = sa.Table(
    "case_notes",
    metadata,
    sa.Column(
        "case_id",
        sa.String(36),
        sa.ForeignKey("cases.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("note_id", sa.String(36), primary_key=True),
    sa.Column("at", sa.Float(), nullable=False, index=True),
    sa.Column("agent_id", sa.String(36), nullable=False),
    sa.Column("agent_name", sa.String(200), nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('internal', 'transfer', 'wrap_up')", name="kind"),
)

#: Purchases reported by the shop or POS (POST /api/purchases), joined to cases by session id.
#: Amounts are kept in minor units (öre, cents) so sums are exact on SQLite and PostgreSQL.
purchases = sa.Table(
    "purchases",
    metadata,
    sa.Column("order_id", sa.String(200), primary_key=True),
    sa.Column("session_id", sa.String(200), nullable=True, index=True),
    sa.Column("store", sa.String(200), nullable=False),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("at", sa.Float(), nullable=False, index=True),
    sa.Column("received_at", sa.Float(), nullable=False),
)

#: One row per shop session that saw the Help button, with its A/B variant (logged once).
session_exposures = sa.Table(
    "session_exposures",
    metadata,
    sa.Column("session_id", sa.String(200), primary_key=True),
    sa.Column("store", sa.String(200), nullable=False),
    sa.Column("variant", sa.String(20), nullable=False),
    sa.Column("at", sa.Float(), nullable=False, index=True),
)

#: How far a shop session got in the purchase (POST /api/sessions/progress): one row per session
#: and step, the first report kept. "Payment-step abandonment" = reached ``payment``, no purchase.
session_progress = sa.Table(
    "session_progress",
    metadata,
    sa.Column("session_id", sa.String(200), primary_key=True),
    sa.Column("step", sa.String(20), primary_key=True),
    sa.Column("store", sa.String(200), nullable=False),
    sa.Column("at", sa.Float(), nullable=False, index=True),
)

#: Deliveries announced by a committed decision (the transactional outbox): POS webhooks, the
#: weekly report. Written in the same transaction as the decision; the outbox worker delivers
#: due rows at least once, claiming each with a lease (``claimed_until``) so that two server
#: nodes never deliver the same row at the same time. ``last_error`` holds the error's type or
#: HTTP status only, never the payload.
outbox = sa.Table(
    "outbox",
    metadata,
    #: the delivery id, sent as X-Helpwire-Delivery on every attempt
    sa.Column("id", sa.String(36), primary_key=True),
    #: what is announced, e.g. pos.item_unlocked, report.weekly
    sa.Column("kind", sa.String(50), nullable=False),
    #: where: an http(s) URL, or mailto:<address>,<address> for e-mail
    sa.Column("target", sa.String(2000), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    #: the case it belongs to, so its agent can be shown how the delivery went
    sa.Column("case_id", sa.String(36), nullable=True, index=True),
    sa.Column("created_at", sa.Float(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.Float(), nullable=False),
    sa.Column("claimed_until", sa.Float(), nullable=True),
    sa.Column("last_error", sa.String(200), nullable=True),
    sa.Column("delivered_at", sa.Float(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'given_up')", name="status"),
    sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

#: Who opened, decided, exported or erased what, and when (append-only; server/privacy/access_log.py).
#: Never the erased values, a token or a name: the actor's agent id, the action, the case id and
#: the reason given. Kept for ``privacy.access_log_days``. Migration 0006.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float(), nullable=False, index=True),
    #: agent, supervisor, operator (the CLI) or system (the purge)
    sa.Column("actor_kind", sa.String(20), nullable=False),
    #: the agent's id (agent, supervisor); null for the CLI and the system
    sa.Column("actor_id", sa.String(36), nullable=True),
    #: e.g. case_opened, age_check_approved, export, erase
    sa.Column("action", sa.String(50), nullable=False),
    #: not a foreign key: the row outlives the case's erasure
    sa.Column("case_id", sa.String(36), nullable=True, index=True),
    sa.Column("reason", sa.String(500), nullable=True),
    #: what was done, without the values: selector kinds, row counts per table
    sa.Column("detail", sa.JSON(), nullable=False),
)
