"""The `[privacy]` settings at their limits, and the purge running inside the server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.core.case import Case, CaseState
from server.settings import load_settings
from server.settings.privacy import MAX_RETENTION_DAYS
from server.store import CaseRepository, Database
from tests.support.live import live_server

RETENTIONS = ("case_metadata_days", "callback_contact_days", "feedback_text_days",
              "transcript_days", "purchases_and_exposures_days", "access_log_days")
WAIT = 10.0  # seconds: an upper bound for the purge to finish, never a sleep


def test_retention_defaults_and_limits(tmp_path: Path) -> None:
    privacy = load_settings().privacy
    assert [getattr(privacy, name) for name in RETENTIONS] == [90, 30, 90, 30, 90, 730]
    assert (privacy.purge_enabled, privacy.purge_interval_hours,
            privacy.purge_first_delay_seconds) == (True, 24.0, 300.0)
    for name in RETENTIONS:
        assert getattr(load_settings(privacy={name: MAX_RETENTION_DAYS}).privacy, name) == 3650
        assert getattr(load_settings(privacy={name: 0}).privacy, name) == 0
        with pytest.raises(ValidationError, match=name):
            load_settings(privacy={name: MAX_RETENTION_DAYS + 1})
        with pytest.raises(ValidationError, match=name):
            load_settings(privacy={name: -1})
    assert load_settings(privacy={"purge_interval_hours": 168}).privacy.purge_interval_hours == 168
    with pytest.raises(ValidationError, match="purge_interval_hours"):
        load_settings(privacy={"purge_interval_hours": 168.01})
    toml = tmp_path / "helpwire.toml"
    toml.write_text("[privacy]\ncallback_contact_days = 7\n", encoding="utf-8")
    assert load_settings(toml).privacy.callback_contact_days == 7


async def test_the_server_purges_what_is_past_its_retention_after_start_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'helpwire.sqlite3').as_posix()}"
    database = Database(url)
    await database.start()
    old = Case(id="old-case", store="s1", channel="web", context={"page": "p"}, queue="general",
               skills=frozenset(), language="sv", first_channel="chat", priority=0,
               created_at=1000.0, session_id="sess-old", feedback_text="old feedback")
    old.transition(CaseState.QUEUED, 1001.0)
    old.transition(CaseState.ABANDONED, 1002.0, reason="customer_cancelled")
    await CaseRepository(database).save(old)
    await database.close()

    async with live_server(tmp_path, privacy={"purge_first_delay_seconds": 0}) as server:
        async def purged() -> dict[str, object]:
            while True:
                row = await server.services.cases.get("old-case")
                assert row is not None
                if row["anonymised_at"] is not None:
                    return row
                await asyncio.sleep(0.05)

        row = await asyncio.wait_for(purged(), WAIT)
        assert row["session_id"].startswith("anon-") and row["feedback_text"] is None
        log = await server.services.privacy.access_log.rows(limit=1)
        assert log[0]["action"] == "purge" and log[0]["actor_kind"] == "system"
