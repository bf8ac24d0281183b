"""A restart loses no acknowledged event, and live chats resume: after SIGTERM and after kill -9.

LIVE_CHATS customers chat with agents on a real server process (SQLite, the default store);
then the process is stopped (SIGTERM) or killed (SIGKILL) mid-chat and started again on the same
database and port. Within RESUME_WINDOW seconds of /healthz answering again, customers resume
with their case token and agents get their cases back after agent_hello.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

import pytest

from tests.support.chat_load import ChatLoad, check_store, still_active
from tests.support.server_process import AgentSpec, ServerProcess, create_agents
from tests.support.verdict import Verdict

pytestmark = [pytest.mark.faults, pytest.mark.timeout(110)]

#: live chats at the moment of the fault (the target's figure: 100)
LIVE_CHATS = 100
#: chats finished (cancel or close, with feedback) before the fault: acked, must be stored
FINISHED_CHATS = 6
AGENTS = 4
#: seconds between two lines of one chat (customer and agent in turn)
CHAT_INTERVAL = 1.0
#: seconds of chatting before the fault
CHAT_SECONDS = 3.0
#: the target: resumed within this many seconds of the server answering again
RESUME_WINDOW = 10.0
#: bounds, never sleeps
SETUP_TIMEOUT = 40.0
DISCONNECT_TIMEOUT = 15.0


async def run_restart(tmp_path: Path, how: Literal["terminate", "kill"], verdict: Verdict
                      ) -> None:
    database_url = f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'helpwire.sqlite3').as_posix()}"
    per_agent = -(-(LIVE_CHATS + FINISHED_CHATS) // AGENTS) + 1
    specs = await create_agents(database_url,
                                [AgentSpec(f"agent{i}", per_agent) for i in range(AGENTS)])
    server = ServerProcess(tmp_path, database_url)
    load: ChatLoad | None = None
    try:
        await server.start()
        load = ChatLoad(server.url)
        await load.connect_agents(specs)
        started = time.monotonic()
        await load.open_cases(LIVE_CHATS + FINISHED_CHATS)
        joined = await load.wait_all_joined(SETUP_TIMEOUT)
        verdict.figure(f"{joined}/{LIVE_CHATS + FINISHED_CHATS} chats answered in "
                       f"{time.monotonic() - started:.1f} s")
        assert joined == LIVE_CHATS + FINISHED_CHATS, (
            "the set-up failed before any fault: not every case was answered\n"
            + load.ledger.summary())
        finishing = load.chats[:FINISHED_CHATS]
        await asyncio.gather(*(load.finish(chat, cancel=i % 2 == 0)
                               for i, chat in enumerate(finishing)))

        load.start_chatting(CHAT_INTERVAL)
        await asyncio.sleep(CHAT_SECONDS)  # the length of the chat load, not a wait for an event
        clients = [c.customer for c in load.chats] + [a.client for a in load.agents]
        fault_at = time.monotonic()
        code = await (server.terminate() if how == "terminate" else server.kill())
        verdict.figure(f"{how}: exit code {code} after {time.monotonic() - fault_at:.2f} s")
        await asyncio.wait_for(asyncio.gather(*(c.disconnected.wait() for c in clients)),
                               DISCONNECT_TIMEOUT)
        await load.stop_chatting()
        verdict.figure("before the restart:\n" + load.ledger.summary())

        if how == "terminate":
            verdict.check(code == 0, f"SIGTERM: the server exited with {code}, not 0")
            told = [c for c in clients if _told_before_disconnect(c.events, c.disconnected_at)]
            verdict.figure(f"server_restarting received before the disconnect by "
                           f"{len(told)}/{len(clients)} clients")
            verdict.check(len(told) == len(clients),
                          f"{len(clients) - len(told)}/{len(clients)} clients got no "
                          "server_restarting {reason, retry_after_ms} before the disconnect")
            sample = next((d for c in clients for _, e, d in c.events
                           if e == "server_restarting"), None)
            if sample is not None:
                verdict.check(isinstance(sample, dict) and "reason" in sample
                              and isinstance(sample.get("retry_after_ms"), int),
                              f"server_restarting carries {sample!r}, not {{reason, retry_after_ms}}")
        else:
            verdict.check(code == -9, f"kill -9: the process ended with {code}")

        restart_at = time.monotonic()
        answering = await server.restart()
        verdict.figure(f"restarted: /healthz answered after {answering - restart_at:.2f} s")
        report = await load.resume_all(answering, RESUME_WINDOW)
        verdict.figure(report.summary())

        check = await check_store(database_url, load.ledger)
        verdict.figure("acked vs stored: " + check.summary())
        for problem in check.problems():
            verdict.check(False, problem)
        target = 99.0 if how == "terminate" else 95.0
        percent = report.percent_within(RESUME_WINDOW)
        verdict.check(percent >= target,
                      f"{percent:.1f} % of {report.live} live chats resumed within "
                      f"{RESUME_WINDOW:.0f} s (target ≥ {target:.0f} %); refused: "
                      f"{sorted(set(report.refused.values()))}")
        assigned = 100.0 * len(report.assigned) / report.live if report.live else 0.0
        verdict.check(assigned >= target,
                      f"agents got case_assigned again for {len(report.assigned)}/{report.live}"
                      f" live cases after agent_hello ({assigned:.1f} %, target ≥ {target:.0f} %)")
        left_active = await still_active(database_url, report.refused)
        verdict.check(not left_active,
                      f"{len(left_active)} cases that could not be resumed are still 'active'"
                      f" in the database (they must be closed with a reason), e.g. "
                      f"{left_active[:5]}")
    finally:
        if load is not None:
            await load.close()
        await server.stop()


def _told_before_disconnect(events: list[tuple[float, str, object]],
                            disconnected_at: float | None) -> bool:
    return any(name == "server_restarting"
               and (disconnected_at is None or at <= disconnected_at)
               for at, name, _ in events)


async def test_after_sigterm_and_start_live_chats_resume_and_no_acknowledged_event_is_lost(
    tmp_path: Path,
) -> None:
    verdict = Verdict("SIGTERM + start")
    await run_restart(tmp_path, "terminate", verdict)
    verdict.conclude()


async def test_after_kill_9_and_start_live_chats_resume_and_no_acknowledged_event_is_lost(
    tmp_path: Path,
) -> None:
    verdict = Verdict("kill -9 + start")
    await run_restart(tmp_path, "kill", verdict)
    verdict.conclude()
