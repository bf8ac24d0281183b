"""A database made by the first release (schema 0001), full of realistic rows, upgrades to head
on start-up with every row intact and readable by today's repositories (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from server.store import AgentRepository, CaseRepository, Database
from server.store.migrate import upgrade

AGENTS = [
    {"id": f"00000000-0000-4000-8000-00000000000{i}", "username": name, "display_name": name.title(),
     "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "skills": skills,
     "languages": ["sv", "en"], "max_concurrent": 3, "created_at": 1_764_000_000.0 + i}
    for i, (name, skills) in enumerate([("lisa", ["payments", "oncall"]), ("omar", [])])
]
STATES = ["closed", "closed", "queued", "active", "closed", "cancelled"]
CASES = [
    {"id": f"case-{n:04d}", "store": "kista-1", "channel": "kiosk" if n % 2 else "app",
     "kiosk_id": "kiosk-7" if n % 2 else None, "session_id": f"sess-{n}",
     "context": {"cart": {"lines": [{"sku": "A1", "qty": n + 1}], "total_sek": 199 * (n + 1)},
                 "page": "checkout", "errors": ["card_declined"] if n == 3 else []},
     "queue": "payments" if n % 3 == 0 else "general", "rule": "payment-errors" if n == 3 else None,
     "skills": ["payments"] if n % 3 == 0 else [], "language": "sv" if n % 2 else "en",
     "first_channel": "chat", "priority": n % 2, "state": STATES[n],
     "agent_id": AGENTS[n % 2]["id"] if STATES[n] in ("closed", "active") else None,
     "agent_name": AGENTS[n % 2]["display_name"] if STATES[n] in ("closed", "active") else None,
     "label": "betalning" if STATES[n] == "closed" else None,
     "resolved": True if STATES[n] == "closed" else None,
     "rating": 5 - n % 2 if STATES[n] == "closed" else None,
     "feedback_text": "Snabb hjälp, tack! Åäö" if n == 0 else None,
     "customer_dropped": n == 5, "overflowed": False,
     "created_at": 1_764_000_100.0 + 60 * n, "updated_at": 1_764_000_160.0 + 60 * n,
     "closed_at": 1_764_000_400.0 + 60 * n if STATES[n] == "closed" else None}
    for n in range(len(STATES))
]
EVENTS = [
    {"case_id": case["id"], "seq": seq, "at": case["created_at"] + seq, "kind": kind,
     "from_state": from_state, "to_state": to_state, "detail": {"by": "customer", "n": seq}}
    for case in CASES
    for seq, (kind, from_state, to_state) in enumerate(
        [("state", None, "created"), ("state", "created", "queued"), ("chat", None, None)])
]
TRANSCRIPTS = [
    {"case_id": case["id"], "at": case["created_at"] + 10 + i, "sender": sender, "text": text}
    for case in CASES[:3]
    for i, (sender, text) in enumerate([("customer", "Kortläsaren blinkar rött"),
                                        ("agent", "Jag hjälper dig – prova att sätta i kortet igen")])
]
CALLBACKS = [
    {"case_id": CASES[5]["id"], "requested_at": 1_764_001_000.0, "reason": "no_agent",
     "contact": "+46 70 123 45 67", "cart_snapshot": {"lines": [{"sku": "B2", "qty": 1}]},
     "cart_expires_at": 1_764_087_400.0},
]
TABLES = {"agents": AGENTS, "cases": CASES, "case_events": EVENTS,
          "transcript_messages": TRANSCRIPTS, "callback_requests": CALLBACKS}
JSON_COLUMNS = {"skills", "languages", "context", "detail", "cart_snapshot"}


def _insert_at_0001(connection: sa.Connection) -> None:
    upgrade(connection, "0001")
    for table, rows in TABLES.items():
        names = list(rows[0])
        statement = sa.text(f"INSERT INTO {table} ({', '.join(names)}) "
                            f"VALUES ({', '.join(':' + n for n in names)})")
        connection.execute(statement, [
            {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in row.items()} for row in rows])


def _read(connection: sa.Connection, table: str, columns: list[str]) -> list[dict[str, Any]]:
    result = connection.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}"))
    rows = []
    for row in result.mappings():
        rows.append({k: (json.loads(v) if isinstance(v, str) else v) if k in JSON_COLUMNS
                     else (bool(v) if isinstance(v, int) and k in ("resolved", "customer_dropped",
                                                                    "overflowed") else v)
                     for k, v in row.items()})
    return rows


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


async def test_a_first_release_database_upgrades_to_head_with_every_row_intact(
        database_url: str) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_insert_at_0001)
    finally:
        await engine.dispose()

    database = Database(database_url)  # start-up upgrades the schema, as a new release does
    await database.start()
    try:
        async with database.connect() as connection:
            version = (await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
                       ).scalar_one()
            for table, rows in TABLES.items():
                stored = await connection.run_sync(_read, table, list(rows[0]))
                assert sorted(map(_key, stored)) == sorted(map(_key, rows)), table
        assert version == (await _head())
        # and today's code reads them
        agents = {agent.username: agent for agent in await AgentRepository(database).all()}
        assert set(agents) == {"lisa", "omar"}
        assert set(agents["lisa"].skills) == {"payments", "oncall"}
        first = await CaseRepository(database).get("case-0000")
        assert first is not None and first["state"] == "closed"
        assert first["feedback_text"] == "Snabb hjälp, tack! Åäö"
        events = await CaseRepository(database).events("case-0003")
        assert [e["seq"] for e in events] == [0, 1, 2]
    finally:
        await database.close()


async def _head() -> str:
    from alembic.script import ScriptDirectory

    from server.store.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
