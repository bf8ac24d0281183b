"""The harness's server process: a real `python -m server serve`, stopped, killed and restarted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.chat_load import AGENT_NS, TimedClient
from tests.support.server_process import AgentSpec, ServerProcess, create_agents, health, login

pytestmark = [pytest.mark.faults, pytest.mark.timeout(90)]


async def test_a_server_process_restarts_on_its_port_and_database_and_keeps_tokens_valid(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'helpwire.sqlite3').as_posix()}"
    (spec,) = await create_agents(database_url, [AgentSpec("lisa", 3)])
    server = ServerProcess(tmp_path, database_url)
    console = TimedClient(AGENT_NS)
    try:
        await server.start()
        assert (await health(server.url)).ok
        token = await login(server.url, "lisa")
        assert any(r.get("event") == "server_started" for r in server.log_records()), (
            "the structured JSON log of the run is captured\n" + server.log_tail())

        assert await server.terminate() == 0
        assert (await health(server.url)).status is None, "nothing answers after SIGTERM"
        port = server.port
        await server.restart()
        assert server.port == port and server.runs == 2
        # the same secret key: a token signed by the first run is good for the second
        await console.connect(server.url, {"token": token})
        hello = await console.sio.call("agent_hello", {}, namespace=AGENT_NS, timeout=10)
        assert hello["ok"] is True and hello["agent"]["id"] == spec.id, hello

        assert await server.kill() == -9
        await asyncio.wait_for(console.disconnected.wait(), 10)
        assert not server.running
        assert server.exit_codes == [0, -9]
        assert server.log_path(1, "stderr").exists() and server.log_path(2, "stderr").exists()
    finally:
        await console.close()
        await server.stop()
