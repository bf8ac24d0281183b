"""The fuzz arena: one real server on loopback, run on its own event loop in a thread.

Hypothesis drives plain (synchronous) tests; every example is sent from the arena's loop and its
answer awaited there, so the server keeps running between examples exactly as in production.
Beside the fuzzed clients a bystander case (a customer chatting with an agent) lives on; after
each test the server must be healthy, that case untouched, no internal error counted and no
task left behind.

Where the server runs (FUZZ_SERVER): `thread` (the default) is the app in this process, on a loop
of its own; `process` (what `make fuzz` uses) is `python -m server serve` as a separate process,
so the RSS in the report is the server's alone, not Hypothesis's as well. Internal errors are
read from the server's own `/metrics` counter either way.

Profiles: `ci` (CI=true: a few thousand examples in all, well under two minutes), `dev` (the
default, a little more), `campaign` (`make fuzz`: rounds of examples until FUZZ_SECONDS, shared
out over the fuzz tests, are spent). Examples
Hypothesis found are kept in var/hypothesis (not committed) and replayed first.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from server.core.errors import HelpwireError
from server.settings import load_settings
from tests.integration.helpers import (
    Agent,
    active_case,
    agent,
    chat_round_trip,
    connect,
    customer,
    ok,
    press_help,
)
from tests.support.limits import LOOPBACK_SECURITY
from tests.support.live import Client, live_server
from tests.support.serve_process import ServedProcess, create_agent, server_env, start_served

REPO = Path(__file__).resolve().parents[2]
VAR = REPO / "var"

_common: dict[str, Any] = {
    "database": DirectoryBasedExampleDatabase(str(VAR / "hypothesis")),
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.filter_too_much, HealthCheck.large_base_example],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=350, **_common)
settings.register_profile("dev", max_examples=500, **_common)
settings.register_profile("campaign", max_examples=300, **_common)  # a round; rounds until time
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
settings.load_profile(PROFILE)
#: how long `make fuzz` runs in all (FUZZ_SECONDS), shared out evenly over the fuzz tests collected
CAMPAIGN_TOTAL_SECONDS = float(os.environ.get("FUZZ_SECONDS", "0")) if PROFILE == "campaign" else 0.0
_collected: list[int] = [1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    _collected[0] = max(1, sum(1 for item in items if here in Path(str(item.path)).parents))


def campaign_seconds() -> float:
    """This test's share of the campaign (0 outside `make fuzz`: one round of examples)."""
    return CAMPAIGN_TOTAL_SECONDS / _collected[0]

T = TypeVar("T")


def known_codes() -> set[str]:
    import server.app  # noqa: F401  (every module that defines an error is imported)

    codes: set[str] = set()
    pending: list[type[HelpwireError]] = [HelpwireError]
    while pending:
        kind = pending.pop()
        codes.add(kind.code)
        pending.extend(kind.__subclasses__())
    return codes - {"internal_error"}


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


INTERNAL_ERRORS = re.compile(r'^helpwire_errors_total\{code="internal_error"\} (\S+)$', re.MULTILINE)


async def internal_errors_counted(url: str) -> int:
    """The server's own count of `internal_error` answers (its /metrics), whatever the path."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as answer:
        found = INTERNAL_ERRORS.search(await answer.text())
    return int(float(found.group(1))) if found else 0


class ArenaServer(Protocol):
    """What the fuzz tests need of the server, in this process or another."""

    url: str

    async def create_agent(self, username: str, display_name: str, *,
                           skills: tuple[str, ...] = (), languages: tuple[str, ...] = (),
                           max_concurrent: int = 3) -> str: ...

    async def login(self, username: str, password: str = "password123") -> str: ...


@dataclass
class ServedArenaServer:
    """`python -m server serve` in its own process (FUZZ_SERVER=process)."""

    served: ServedProcess
    database_url: str

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def pid(self) -> int:
        return self.served.process.pid

    async def create_agent(self, username: str, display_name: str, *,
                           skills: tuple[str, ...] = (), languages: tuple[str, ...] = (),
                           max_concurrent: int = 3) -> str:
        return await create_agent(self.database_url, username, display_name)

    async def login(self, username: str, password: str = "password123") -> str:
        async with aiohttp.ClientSession() as http, http.post(
            f"{self.url}/api/agent/login", json={"username": username, "password": password},
        ) as response:
            body = await response.json()
            assert response.status == 200, body
            return str(body["token"])


def _security_toml() -> str:
    """LOOPBACK_SECURITY as the settings file's [security] section."""
    lines = ["[security]"]
    for name, value in LOOPBACK_SECURITY.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{key} = {number}" for key, number in value.items())
            lines.append(f"{name} = {{ {inner} }}")
        else:
            lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"


SERVER_MODE = os.environ.get("FUZZ_SERVER", "thread")


@asynccontextmanager
async def arena_server(tmp_path: Path) -> AsyncIterator[tuple[ArenaServer, int | str]]:
    """The server under fuzz and the pid whose RSS the report gives."""
    if SERVER_MODE == "thread":
        async with live_server(tmp_path) as server:
            yield server, "self"
        return
    if SERVER_MODE != "process":
        raise pytest.UsageError(f"FUZZ_SERVER must be thread or process, not {SERVER_MODE!r}")
    config = tmp_path / "fuzz.toml"
    config.write_text(_security_toml(), encoding="utf-8")
    data = tmp_path / "data"
    database_url = load_settings(storage__data_dir=data).storage.resolved_database_url
    env = server_env(data, dispatch__tick_seconds="0.05")
    env["HELPWIRE_CONFIG"] = str(config)
    served = await start_served(tmp_path, env, name="fuzzed-server")
    try:
        yield ServedArenaServer(served, database_url), served.process.pid
    finally:
        await served.stop()


@dataclass
class Arena:
    server: ArenaServer
    loop: asyncio.AbstractEventLoop
    bystander: Client
    bystander_agent: Agent
    bystander_case: str
    rss_pid: int | str = "self"
    internal_errors_before: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    examples: Counter[str] = field(default_factory=Counter)
    rss_start_kib: int = 0
    rss_peak_kib: int = 0
    names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    codes: set[str] = field(default_factory=known_codes)

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def tasks(self) -> int:
        async def count() -> int:
            return len(asyncio.all_tasks())
        return self.run(count())

    def call(self, client: Client, event: str, args: tuple[Any, ...], test: str) -> Any:
        """Send one event; its answer must be a correct ok or a typed refusal naming the event."""
        async def send() -> Any:
            return await client.sio.call(event, args, namespace=client.namespace, timeout=10)
        ack = self.run(send())
        self.examples[test] += 1
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, args, ack)
        if not ack["ok"]:
            error = ack["error"]
            assert error["code"] != "internal_error", (event, args, ack)
            assert error["code"] in self.codes, (event, args, ack)
            assert isinstance(error["message"], str) and error["message"], ack
            assert error["event"] == event[:64] or error["event"] == "(unknown)", (event, ack)
            self.refusals[error["code"]] += 1
        else:
            self.refusals["(ok)"] += 1
        return ack

    async def pair(self) -> tuple[Agent, Client, str]:
        """A fresh agent and customer in an active case of their own (the agent busy after)."""
        n = next(self.names)
        responder = await agent(self.server, f"fuzz{n}", f"Fuzz {n}")
        shopper, case_id, _ = await active_case(self.server, responder)
        ok(await responder.call("presence_set", {"presence": "busy"}))
        return responder, shopper, case_id

    async def healthy(self) -> None:
        async with aiohttp.ClientSession() as http, http.get(f"{self.server.url}/healthz") as answer:
            assert answer.status == 200, await answer.text()
        await chat_round_trip(self.bystander, self.bystander_agent, self.bystander_case,
                              f"after {sum(self.examples.values())}")
        assert self.bystander.received.get("error", []) == []
        assert self.bystander_agent.client.received.get("error", []) == []
        self.rss_peak_kib = max(self.rss_peak_kib, rss_kib(self.rss_pid))

    async def internal_errors(self) -> int:
        """`internal_error` answers the server counted since the arena opened (any path)."""
        return await internal_errors_counted(self.server.url) - self.internal_errors_before

    def check_after(self, tasks_before: int) -> None:
        self.run(self.healthy())
        assert self.run(self.internal_errors()) == 0, "internal_error counted by the server"
        deadline = time.monotonic() + 15
        while (now := self.tasks()) > tasks_before + 8 and time.monotonic() < deadline:
            time.sleep(0.2)  # tasks finishing in the server's own time (a peer closing)
        assert now <= tasks_before + 8, f"tasks grew from {tasks_before} to {now}"


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


@pytest.fixture(scope="package")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arena]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=_serve, args=(loop,), name="fuzz-arena", daemon=True)
    thread.start()
    context = arena_server(tmp_path_factory.mktemp("fuzz"))

    async def start() -> Arena:
        server, pid = await context.__aenter__()
        lisa = await agent(server, "lisa", "Lisa")
        bystander, case_id, _ = await active_case(server, lisa)
        ok(await lisa.call("presence_set", {"presence": "busy"}))  # no offers of fuzzed cases
        made = Arena(server, loop, bystander, lisa, case_id, rss_pid=pid,
                     internal_errors_before=await internal_errors_counted(server.url))
        await made.healthy()
        made.rss_start_kib = made.rss_peak_kib = rss_kib(pid)
        return made

    made = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    try:
        yield made
    finally:
        end_kib = rss_kib(made.rss_pid)
        report = {"profile": PROFILE, "server": SERVER_MODE,
                  "examples": dict(made.examples),
                  "examples_total": sum(made.examples.values()),
                  "answers_by_code": dict(made.refusals.most_common()),
                  "internal_errors": made.run(made.internal_errors()),
                  "rss_of": "the server process" if SERVER_MODE == "process"
                            else "the test process (server and Hypothesis)",
                  "rss_start_mib": round(made.rss_start_kib / 1024, 1),
                  "rss_peak_mib": round(max(made.rss_peak_kib, end_kib) / 1024, 1),
                  "rss_end_mib": round(end_kib / 1024, 1),
                  "rss_growth_percent": round(100 * (end_kib / made.rss_start_kib - 1), 1)}
        VAR.mkdir(exist_ok=True)
        (VAR / "fuzz-report.json").write_text(json.dumps(report, indent=2) + "\n")
        print("\nfuzz report:", json.dumps(report))

        async def stop() -> None:
            for client in (made.bystander, made.bystander_agent.client):
                await client.close()
            await context.__aexit__(None, None, None)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


__all__ = ["Arena", "connect", "customer", "press_help"]
