"""The hub stores a batch's writes before it says anything, except the conversation itself."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.core.agents import AgentProfile, Presence
from server.core.clock import ManualClock
from server.core.context import CaseContext
from server.core.engine import CaseEngine
from server.core.events import AgentJoined, ChatLine
from server.core.routing import load_rules
from server.runtime.hub import Hub
from server.runtime.persister import Persister
from server.settings import DEFAULT_RULES
from server.settings.dispatch import DispatchSettings
from server.store import Database
from tests.store.test_persister import _HeldRepository, running
from tests.support.engine import default_engine_config


async def test_a_chat_line_goes_out_before_its_commit_and_the_rest_only_after(
    db: Database, tmp_path: Path
) -> None:
    engine = CaseEngine(default_engine_config(), load_rules(DEFAULT_RULES), ManualClock(1_800_000_000.0))
    repo = _HeldRepository(db)
    repo.release.set()  # let the set-up through
    sent: list[list[Any]] = []

    async def send(batch: Sequence[Any]) -> None:
        sent.append(list(batch))

    async with running(Persister(repo, engine.cases.get)) as persister:
        hub = Hub(engine, persister, send, DispatchSettings(tick_seconds=3600))
        await hub.run(engine.agent_connected(AgentProfile("lisa", "Lisa")))
        await hub.run(engine.set_presence("lisa", Presence.AVAILABLE))
        case, outcome = engine.open_case(CaseContext(store="s1"))
        await hub.run(outcome)
        await hub.run(engine.accept("lisa", case.id))
        assert any(isinstance(e, AgentJoined) for batch in sent for e in batch)

        repo.release.clear()  # from now on a commit waits until the test lets it go
        repo.writing.clear()
        sent.clear()
        _, outcome = engine.chat(case.id, "customer", "Kortet nekas", client_id="c-1")
        acked = asyncio.create_task(hub.run(outcome))
        await repo.writing.wait()  # the line is written, not yet committed
        assert [type(e) for batch in sent for e in batch] == [ChatLine]  # already on its way
        assert not acked.done()  # the sender's acknowledgement waits for the commit
        repo.release.set()
        await acked
