"""Agents: unique usernames, round trips, password hash changes."""

from __future__ import annotations

import pytest

from server.core.errors import AgentNotFound, HelpwireError
from server.store import AgentExists, AgentRepository, Database, StoredAgent


async def test_a_duplicate_agent_username_raises_agent_exists(db: Database) -> None:
    repo = AgentRepository(db)
    await repo.create("alva", "Alva", "hash-1")
    with pytest.raises(AgentExists) as caught:
        await repo.create("alva", "Another Alva", "hash-2")
    assert isinstance(caught.value, HelpwireError)
    assert caught.value.code == "agent_exists"
    assert "alva" in caught.value.message
    assert [a.display_name for a in await repo.all()] == ["Alva"]


async def test_a_created_agent_can_be_found_by_username_and_id(db: Database) -> None:
    repo = AgentRepository(db)
    created = await repo.create(
        "bo",
        "Bo",
        "$argon2id$v=19$...",
        skills={"payments", "returns"},
        languages=["sv", "en"],
        max_concurrent=2,
    )
    expected = StoredAgent(
        id=created.id,
        username="bo",
        display_name="Bo",
        password_hash="$argon2id$v=19$...",
        skills=frozenset({"payments", "returns"}),
        languages=frozenset({"sv", "en"}),
        max_concurrent=2,
    )
    assert created == expected
    assert await repo.by_username("bo") == expected
    assert await repo.by_id(created.id) == expected
    assert await repo.by_username("nobody") is None
    assert await repo.by_id("nobody") is None


async def test_all_agents_are_listed_by_username(db: Database) -> None:
    repo = AgentRepository(db)
    for name in ["cecilia", "adam", "bea"]:
        await repo.create(name, name.title(), "h")
    assert [a.username for a in await repo.all()] == ["adam", "bea", "cecilia"]


async def test_set_password_hash_replaces_the_hash(db: Database) -> None:
    repo = AgentRepository(db)
    agent = await repo.create("dan", "Dan", "old")
    await repo.set_password_hash(agent.id, "new")
    stored = await repo.by_id(agent.id)
    assert stored is not None and stored.password_hash == "new"


async def test_set_password_hash_of_an_unknown_agent_raises_agent_not_found(
    db: Database,
) -> None:
    with pytest.raises(AgentNotFound):
        await AgentRepository(db).set_password_hash("missing", "h")


def test_an_agents_repr_never_shows_the_password_hash() -> None:
    agent = StoredAgent("id", "eva", "Eva", "secret-hash", frozenset(), frozenset(), 1)
    assert "secret-hash" not in repr(agent)
