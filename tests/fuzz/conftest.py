"""The fuzz arena: one real server on loopback, run on its own event loop in a thread.

Hypothesis drives plain (synchronous) tests; every example is sent from the arena's loop and its
answer awaited there, so the server keeps running between examples exactly as in production.
Beside the fuzzed clients a bystander case (a customer chatting with an agent) lives on; after
each test the server must be healthy, that case untouched, no internal error counted and no
task left behind.

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
import threading
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from server.core.errors import HelpwireError
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
from tests.support.live import Client, LiveServer, live_server

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


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Arena:
    server: LiveServer
    loop: asyncio.AbstractEventLoop
    bystander: Client
    bystander_agent: Agent
    bystander_case: str
    internal_errors: list[str] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    examples: Counter[str] = field(default_factory=Counter)
    rss_start_kib: int = 0
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

    def check_after(self, tasks_before: int) -> None:
        self.run(self.healthy())
        assert self.internal_errors == [], self.internal_errors
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
    context = live_server(tmp_path_factory.mktemp("fuzz"))

    async def start() -> Arena:
        server = await context.__aenter__()
        lisa = await agent(server, "lisa", "Lisa")
        bystander, case_id, _ = await active_case(server, lisa)
        ok(await lisa.call("presence_set", {"presence": "busy"}))  # no offers of fuzzed cases
        made = Arena(server, loop, bystander, lisa, case_id, rss_start_kib=rss_kib())
        server.services.error_observers.append(
            lambda code: made.internal_errors.append(code) if code == "internal_error" else None)
        await made.healthy()
        return made

    made = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    try:
        yield made
    finally:
        report = {"profile": PROFILE, "examples": dict(made.examples),
                  "examples_total": sum(made.examples.values()),
                  "answers_by_code": dict(made.refusals.most_common()),
                  "internal_errors": len(made.internal_errors),
                  "rss_start_mib": round(made.rss_start_kib / 1024, 1),
                  "rss_end_mib": round(rss_kib() / 1024, 1)}
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
