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


async def test_an_admin_change_and_its_audit_row_are_written_together_or_not_at_all(
    db: Database,
) -> None:
    from server.store.audit import AuditEntry, AuditLog

    repo = AgentRepository(db)
    agent = await repo.create("cia", "Cia", "hash", max_concurrent=2)

    def entry(before: StoredAgent, after: StoredAgent) -> AuditEntry:
        return AuditEntry(1.0, "admin-1", "ada", "agent_changed", after.id,
                          {"max_concurrent": before.max_concurrent},
                          {"max_concurrent": after.max_concurrent})

    changed = await repo.update(agent.id, max_concurrent=4, audit=entry)
    assert changed.max_concurrent == 4
    [row] = await AuditLog(db).rows(limit=10)
    assert (row["before"], row["after"], row["actor_username"]) == (
        {"max_concurrent": 2}, {"max_concurrent": 4}, "ada")

    def failing(before: StoredAgent, after: StoredAgent) -> AuditEntry:
        raise RuntimeError("the audit row cannot be made")

    with pytest.raises(RuntimeError):
        await repo.update(agent.id, max_concurrent=5, disabled=True, audit=failing)
    kept = await repo.by_id(agent.id)
    assert kept is not None and (kept.max_concurrent, kept.disabled) == (4, False)
    assert len(await AuditLog(db).rows(limit=10)) == 1
    with pytest.raises(AgentNotFound):
        await repo.update("nobody", max_concurrent=2, audit=entry)


async def test_disabling_an_agent_revokes_their_tokens(db: Database) -> None:
    repo = AgentRepository(db)
    agent = await repo.create("dag", "Dag", "hash")
    disabled = await repo.update(agent.id, disabled=True)
    assert (disabled.disabled, disabled.token_version) == (True, agent.token_version + 1)
    enabled = await repo.update(agent.id, disabled=False)
    assert (enabled.disabled, enabled.token_version) == (False, agent.token_version + 1)
