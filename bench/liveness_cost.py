"""What faster liveness costs the server: CPU of N idle kiosks at two Engine.IO ping settings.

    python -m bench.liveness_cost [--clients 3000] [--seconds 30] [--settings 25/20,4/2.5]

For each `interval/timeout` pair: a Helpwire server in its own process (bench/signalling_servers.py,
settings through HELPWIRE_PING_* and HELPWIRE_IDLE_PING_* variables: the kiosks are idle, so
the idle interval is set to the same value), N idle kiosks from this process (the light client of
bench/signalling_client.py, which answers every ping), then the server's CPU over the window, read
from /proc. Prints one line per setting; docs/operations.md quotes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.procstat import cpu_seconds, rss_bytes
from bench.signalling_client import SioSocket, raise_fd_limit

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_ready(url: str, process: asyncio.subprocess.Process, wait_seconds: float = 60) -> None:
    deadline = time.monotonic() + wait_seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert process.returncode is None, "the server exited"
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the server did not start")


async def lag(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    async with http.get(f"{url}/bench/lag") as response:
        return dict(await response.json())


async def measure(interval: int, ping_timeout: float, clients: int, seconds: float) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # idle kiosks are pinged at the idle interval: both set, so every kiosk is pinged at `interval`
    env = {**os.environ, "HELPWIRE_NETWORK__PING_INTERVAL_SECONDS": str(interval),
           "HELPWIRE_NETWORK__IDLE_PING_INTERVAL_SECONDS": str(interval),
           "HELPWIRE_NETWORK__PING_TIMEOUT_SECONDS": str(ping_timeout)}
    with tempfile.TemporaryDirectory() as data:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.signalling_servers", "helpwire", "--port", str(port),
            "--data-dir", data, "--agents", "1",
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await wait_ready(url, process)
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                gate = asyncio.Semaphore(64)

                async def one(number: int) -> SioSocket:
                    async with gate:
                        return await SioSocket.open(http, url, "/kiosk",
                                                    {"kiosk_id": f"liveness-{number}"})

                started = time.monotonic()
                kiosks = await asyncio.gather(*(one(n) for n in range(clients)))
                connecting = time.monotonic() - started

                def closed() -> int:
                    return sum(1 for k in kiosks if k.ws.closed)

                lost_connecting = closed()
                await asyncio.sleep(max(interval + ping_timeout, 5.0))  # settle into the ping cycle
                lost_settling = closed()
                await lag(http, url)  # reset the server's lag record
                cpu0, mine0, t0 = cpu_seconds(process.pid), time.process_time(), time.monotonic()
                await asyncio.sleep(seconds)
                elapsed = time.monotonic() - t0
                server_lag = await lag(http, url)
                server_cpu = (cpu_seconds(process.pid) - cpu0) / elapsed * 100
                client_cpu = (time.process_time() - mine0) / elapsed * 100
                alive = sum(1 for k in kiosks if not k.ws.closed)
                rss = rss_bytes(process.pid) / 2**20
                for chunk in range(0, len(kiosks), 500):
                    await asyncio.gather(*(k.close() for k in kiosks[chunk:chunk + 500]))
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
    return (f"ping {interval} s / {ping_timeout} s, {clients} idle kiosks (connected in {connecting:.0f} s;"
            f" closed by the server: {lost_connecting} while connecting, {lost_settling} by the"
            f" window, {clients - alive} by its end): server CPU {server_cpu:.1f} % of one core,"
            f" loop lag p99.9 {server_lag['p999_ms']:.0f} ms max {server_lag['max_ms']:.0f} ms,"
            f" RSS {rss:.0f} MiB (load generator {client_cpu:.1f} %)")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.liveness_cost")
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settings", default="25/20,4/2.5", help="interval/timeout pairs")
    args = parser.parse_args()
    raise_fd_limit()
    for pair in args.settings.split(","):
        interval, timeout = pair.split("/")
        print(await measure(int(interval), float(timeout), args.clients, args.seconds), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
