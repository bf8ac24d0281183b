"""`python -m server serve` stopped by SIGTERM or SIGINT: clients hear why first, the exit is clean."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.settings import load_settings
from tests.support.live import Client, connect
from tests.support.serve_process import create_agent, server_env, start_served

SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
RETRY_AFTER_MS = 1234


def restarting_before_disconnect(client: Client) -> asyncio.Future[list[str]]:
    """What the client saw, in order, up to the end of its connection."""
    seen: list[str] = []
    done: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
    client.sio.on("server_restarting", lambda data: seen.append(f"server_restarting {data}"),
                  namespace=client.namespace)

    def gone(reason: Any = None) -> None:
        client.disconnected.set()
        seen.append("disconnect")
        if not done.done():
            done.set_result(seen)

    client.sio.on("disconnect", gone, namespace=client.namespace)
    return done


@pytest.mark.parametrize("signum", SIGNALS)
async def test_a_signal_tells_every_client_server_restarting_then_exits_0_without_a_traceback(
    tmp_path: Path, signum: int
) -> None:
    data = tmp_path / "data"
    url = load_settings(storage__data_dir=data).storage.resolved_database_url
    await create_agent(url, "lisa", "Lisa")
    served = await start_served(tmp_path, server_env(
        data, network__restart_retry_after_ms=str(RETRY_AFTER_MS)))
    try:
        async with aiohttp.ClientSession() as http, http.post(
            f"{served.url}/api/agent/login", json={"username": "lisa", "password": "password123"}
        ) as answer:
            token = (await answer.json())["token"]
        shopper = await connect(served.url, "/customer")
        kiosk = await connect(served.url, "/kiosk", {"kiosk_id": "kassa-3"})
        agent = await connect(served.url, "/agent", {"token": token})
        assert (await agent.call("agent_hello"))["ok"]
        assert (await shopper.call("help_request", {"context": {"store": "lund"}}))["ok"]
        clients = [shopper, kiosk, agent]
        endings = [restarting_before_disconnect(client) for client in clients]
    except BaseException:
        await served.stop(signal.SIGKILL)
        raise

    code, stdout, stderr = await served.stop(signum)
    heard = await asyncio.wait_for(asyncio.gather(*endings), 5)
    notice = f"server_restarting {{'reason': 'shutdown', 'retry_after_ms': {RETRY_AFTER_MS}}}"
    assert heard == [[notice, "disconnect"]] * len(clients)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr, stderr
    assert '"event": "server_stopped"' in stderr


@pytest.mark.parametrize("signum", SIGNALS)
async def test_a_signal_during_start_up_lets_it_finish_then_exits_0_without_a_traceback(
    tmp_path: Path, signum: int
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", "0", "--demo", cwd=tmp_path,
        env=server_env(tmp_path / "data"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        async with asyncio.timeout(60):
            # the demo agents are written: the application's start-up (migrations) comes next
            while not (await process.stdout.readline()).startswith(b"demo mode:"):
                assert process.returncode is None
            process.send_signal(signum)
            rest, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr and b"CancelledError" not in stderr, stderr.decode()
    # start-up was not cut off halfway: the server came up, and stopped in order
    assert b'"event": "server_started"' in stderr and b'"event": "server_stopped"' in stderr
