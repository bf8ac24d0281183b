"""PostgreSQL cut or frozen for a few seconds during live chats: no acknowledged event is lost.

The server reaches PostgreSQL through a TCP proxy that resets every connection and refuses new
ones (cut), or holds every byte (hang), for OUTAGE_SECONDS. While the database cannot be written,
state-changing events are refused with storage_unavailable or acknowledged only once committed;
/healthz says degraded, and ok again after recovery.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.server_process import AgentSpec, ServerProcess, create_agents
from tests.support.tcp_proxy import TcpProxy
from tests.support.verdict import Verdict

from .outage import AGENTS, CHATS, OUTAGE_SECONDS, run_outage

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.timeout(100)]


def through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)


async def outage(tmp_path: Path, postgres_url: str, fault: str) -> Verdict:
    verdict = Verdict(f"PostgreSQL {fault} {OUTAGE_SECONDS:.0f} s")
    target = make_url(postgres_url)
    specs = await create_agents(postgres_url, [
        AgentSpec(f"agent{i}", -(-CHATS // AGENTS) + 1) for i in range(AGENTS)])
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        server = ServerProcess(tmp_path, through(postgres_url, proxy))

        async def inject() -> None:
            if fault == "cut":
                await proxy.cut()
            else:
                proxy.hang()

        try:
            await run_outage(server, specs, postgres_url, inject, proxy.restore, verdict)
        finally:
            await server.stop()
        verdict.figure(f"proxy: {proxy.accepted} connections accepted in all")
    return verdict


async def test_a_postgres_cut_loses_no_acknowledged_event_and_healthz_reports_it(
    tmp_path: Path, postgres_url: str,
) -> None:
    (await outage(tmp_path, postgres_url, "cut")).conclude()


async def test_a_postgres_hang_acknowledges_nothing_uncommitted_and_healthz_reports_it(
    tmp_path: Path, postgres_url: str,
) -> None:
    (await outage(tmp_path, postgres_url, "hang")).conclude()
