"""Privacy by schema: nothing in the database can hold audio, video or screen frames."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.store import Database
from server.store.tables import metadata

MEDIA_WORDS = re.compile(r"audio|video|frame|recording|screen|media|image|picture|webcam")


def _reflected_columns(
    conn: Connection,
) -> dict[str, list[tuple[str, sa.types.TypeEngine[object]]]]:
    inspector = sa.inspect(conn)
    return {
        table: [(c["name"], c["type"]) for c in inspector.get_columns(table)]
        for table in inspector.get_table_names()
    }


async def test_no_table_or_column_name_suggests_media(db: Database) -> None:
    async with db.connect() as conn:
        columns = await conn.run_sync(_reflected_columns)
    assert columns, "the migrated database has no tables"
    offenders = [
        f"{table}.{name}"
        for table, cols in columns.items()
        for name, _ in cols
        if MEDIA_WORDS.search(table.lower()) or MEDIA_WORDS.search(name.lower())
    ]
    assert offenders == []


async def test_no_column_can_hold_binary_data(db: Database) -> None:
    async with db.connect() as conn:
        columns = await conn.run_sync(_reflected_columns)
    binary = [
        f"{table}.{name}"
        for table, cols in columns.items()
        for name, type_ in cols
        if isinstance(type_, sa.LargeBinary)
    ]
    assert binary == []


def test_the_table_definitions_have_no_media_columns_either() -> None:
    for table in metadata.sorted_tables:
        assert not MEDIA_WORDS.search(table.name)
        for column in table.columns:
            assert not MEDIA_WORDS.search(column.name), f"{table.name}.{column.name}"
            assert not isinstance(column.type, sa.LargeBinary), f"{table.name}.{column.name}"
