"""Failover: two real server processes on one PostgreSQL database and one Redis prefix; node A
is killed with kill -9 and node B adopts its live cases.

On A, a customer chats with an agent and a second customer waits in the queue (the agent
takes one case at a time). After the kill, customers and agent reconnect straight to B's port
(no load balancer): until B has adopted the cases their requests are answered ``case_moving``
(retryable), never ``case_not_found``. B adopts within ADOPTION_TARGET seconds of the kill, the
chat goes on, every message acknowledged before the kill is in the store after it, and the
queued case keeps its place and its original promise clock (its queue entry's enqueued_at).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from server.cluster.redis_dispatch import RedisDispatchState
from server.store import CaseRepository, Database
from tests.support.chat_load import (
    AGENT_NS,
    CUSTOMER_NS,
    Ack,
    Ledger,
    TimedClient,
    check_store,
    context,
)
from tests.support.redis import delete_prefix, require_redis, unique_prefix
from tests.support.server_process import AgentSpec, ServerProcess, create_agents, login
from tests.support.verdict import Verdict

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.timeout(120)]

#: the brief's bound: the survivor has adopted within this many seconds of the kill
ADOPTION_TARGET = 10.0
#: lines each side sends before the kill, and after the failover
LINES_BEFORE = 4
LINES_AFTER = 2
#: bounds, never sleeps
STEADY_TIMEOUT = 30.0
EVENT_TIMEOUT = 10.0


def node(tmp_path: Path, name: str, postgres_url: str, redis_url: str, prefix: str
         ) -> ServerProcess:
    return ServerProcess(tmp_path / name, postgres_url, settings={
        # the default lease (5 s) and heartbeat (1 s): what an operator gets
        "cluster": {"redis_url": redis_url, "key_prefix": prefix, "node_id": name,
                    "feed_block_seconds": 0.2},
    })


async def logged(server: ServerProcess, event: str, timeout: float) -> dict[str, Any]:
    """The first log record of ``event`` of the server's current run (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        for record in server.log_records():
            if record.get("event") == event:
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"{event} was not logged within {timeout} s\n"
                                 + server.log_tail())
        await asyncio.sleep(0.05)  # polling a log file: there is no event to await across it


async def resume_until_adopted(client: TimedClient, ledger: Ledger, case_id: str, token: str,
                               deadline: float) -> tuple[Ack, list[str]]:
    """What the widget does: resume, and on a retryable answer ask again after retry_after."""
    codes: list[str] = []
    while True:
        ack = await ledger.call(client, "resume", {"case_token": token}, case_id=case_id)
        if ack.outcome == "ok" or time.monotonic() > deadline:
            return ack, codes
        codes.append(str(ack.code))
        if ack.code != "case_moving":
            return ack, codes
        retry = (ack.body.get("error") or {}).get("retry_after", 1)
        await asyncio.sleep(min(float(retry), 1.0))  # the retry_after the server asked for


async def acked_are_stored(verdict: Verdict, postgres_url: str, ledger: Ledger) -> None:
    """Every event acknowledged ok is in the store (the count and each problem in the verdict)."""
    check = await check_store(postgres_url, ledger)
    verdict.figure("acked vs stored: " + check.summary())
    for problem in check.problems():
        verdict.check(False, problem)


async def chat(ledger: Ledger, client: TimedClient, case_id: str, sender: str, n: int,
               tag: str) -> list[Ack]:
    acks = []
    for i in range(n):
        client_id = f"{tag}-{sender}-{i}"
        ack = await ledger.call(client, "chat_send",
                                {"case_id": case_id, "text": f"{tag} {i}", "client_id": client_id}
                                if sender == "agent" else
                                {"text": f"{tag} {i}", "client_id": client_id},
                                case_id=case_id, detail={"sender": sender, "client_id": client_id})
        acks.append(ack)
    return acks


async def test_after_kill_9_of_a_node_a_survivor_adopts_its_chat_and_its_queued_case(
    tmp_path: Path, postgres_url: str,
) -> None:
    verdict = Verdict("failover kill -9")
    redis_url = await require_redis()
    prefix = unique_prefix("failover")
    await create_agents(postgres_url, [AgentSpec("lisa", 1)])
    node_a = node(tmp_path, "node-a", postgres_url, redis_url, prefix)
    node_b = node(tmp_path, "node-b", postgres_url, redis_url, prefix)
    ledger = Ledger()
    clients: list[TimedClient] = []
    redis = Redis.from_url(redis_url, decode_responses=True)
    shared = RedisDispatchState(redis, prefix)

    def client(namespace: str) -> TimedClient:
        made = TimedClient(namespace)
        clients.append(made)
        return made

    try:
        await asyncio.gather(node_a.start(), node_b.start())
        # --- on A: Lisa chats with the first customer; the second waits in the queue
        token = await login(node_a.url, "lisa")
        lisa = client(AGENT_NS)
        await lisa.connect(node_a.url, {"token": token})
        assert (await ledger.call(lisa, "agent_hello", {}, case_id=None)).outcome == "ok"
        assert (await ledger.call(lisa, "presence_set", {"presence": "available"},
                                  case_id=None)).outcome == "ok"
        first = client(CUSTOMER_NS)
        await first.connect(node_a.url)
        helped = await ledger.call(first, "help_request", {"context": context(1)}, case_id=None)
        assert helped.outcome == "ok", helped
        chat_id, chat_token = str(helped.ref), str(helped.body["case_token"])
        await lisa.wait_for("offer", lambda o: o["case_id"] == chat_id, timeout=EVENT_TIMEOUT)
        assert (await ledger.call(lisa, "offer_accept", {"case_id": chat_id},
                                  case_id=chat_id)).outcome == "ok"
        await first.wait_for("agent_joined", timeout=EVENT_TIMEOUT)
        before = [*await chat(ledger, first, chat_id, "customer", LINES_BEFORE, "before"),
                  *await chat(ledger, lisa, chat_id, "agent", LINES_BEFORE, "before")]
        assert all(a.outcome == "ok" for a in before), [a.code for a in before]

        second = client(CUSTOMER_NS)
        await second.connect(node_a.url)
        queued = await ledger.call(second, "help_request", {"context": context(2)}, case_id=None)
        assert queued.outcome == "ok", queued
        queued_id, queued_token = str(queued.ref), str(queued.body["case_token"])
        status = await second.wait_for("queue_status", lambda s: s.get("position") is not None,
                                       timeout=EVENT_TIMEOUT)
        entry = await shared.entry(queued_id)
        assert entry is not None
        verdict.figure(f"before the kill: queued case at position {status['position']},"
                       f" enqueued_at {entry.enqueued_at}")

        await logged(node_b, "node_steady", STEADY_TIMEOUT)  # B may adopt from now on
        # --- kill -9 A
        killed_at = time.monotonic()
        code = await node_a.kill()
        verdict.check(code == -9, f"kill -9: A ended with {code}")

        # --- straight to B: the customers and the agent reconnect there
        first_b, second_b, lisa_b = client(CUSTOMER_NS), client(CUSTOMER_NS), client(AGENT_NS)
        await first_b.connect(node_b.url)
        await second_b.connect(node_b.url)
        await lisa_b.connect(node_b.url, {"token": token})
        assert (await ledger.call(lisa_b, "agent_hello", {}, case_id=None)).outcome == "ok"
        # her console sends a line before the case is here: retryable, never "not found"
        (early,) = await chat(ledger, lisa_b, chat_id, "agent", 1, "early")
        verdict.figure(f"the agent's line on B before the adoption: {early.outcome} {early.code}")
        verdict.check(early.outcome == "ok" or early.code == "case_moving",
                      f"an agent's line on B before the adoption was answered {early.code}")
        deadline = killed_at + ADOPTION_TARGET + 5
        resumed, codes = await resume_until_adopted(first_b, ledger, chat_id, chat_token,
                                                    deadline)
        adopted = await logged(node_b, "node_adopted", 1.0)
        resumed_after = resumed.answered_at - killed_at
        verdict.figure(f"resumed on B {resumed_after:.2f} s after the kill; answers before:"
                       f" {sorted(set(codes))} ×{len(codes)}; node_adopted {adopted}")
        verdict.check(resumed.outcome == "ok", f"resume on B: {resumed.code}")
        verdict.check(resumed_after <= ADOPTION_TARGET,
                      f"adopted and resumed {resumed_after:.2f} s after the kill"
                      f" (target ≤ {ADOPTION_TARGET:.0f} s)")
        verdict.check(set(codes) <= {"case_moving"},
                      f"before the adoption resume answered {sorted(set(codes))}, not only"
                      " the retryable case_moving")
        verdict.check(adopted.get("node_id") == "node-a" and adopted.get("cases") == 2,
                      f"node_adopted says {adopted}")
        # the agent, connected before the adoption, is given her case when it arrives
        assigned = await lisa_b.wait_for("case_assigned", lambda v: v.get("case_id") == chat_id,
                                         timeout=EVENT_TIMEOUT)
        verdict.check(assigned["state"] == "active", f"case_assigned on B: {assigned['state']}")

        # --- the chat goes on on B
        after_customer = await chat(ledger, first_b, chat_id, "customer", LINES_AFTER, "after")
        after_agent = await chat(ledger, lisa_b, chat_id, "agent", LINES_AFTER, "after")
        verdict.check(all(a.outcome == "ok" for a in after_customer + after_agent),
                      f"chat on B: {[a.code for a in after_customer + after_agent]}")
        await lisa_b.wait_for("chat_message", lambda m: m.get("text") == f"after {LINES_AFTER - 1}"
                              and m.get("sender") == "customer", timeout=EVENT_TIMEOUT)
        await first_b.wait_for("chat_message", lambda m: m.get("text") == f"after {LINES_AFTER - 1}"
                               and m.get("sender") == "agent", timeout=EVENT_TIMEOUT)

        # --- the queued case keeps its place and its promise clock
        waiting, _ = await resume_until_adopted(second_b, ledger, queued_id, queued_token,
                                                deadline)
        verdict.check(waiting.outcome == "ok", f"queued case resumed on B: {waiting.code}")
        view = waiting.body.get("case") or {}
        verdict.check(view.get("state") == "queued", f"queued case on B is {view.get('state')}")
        moved = await shared.entry(queued_id)
        verdict.check(moved is not None and moved.enqueued_at == entry.enqueued_at,
                      f"queue entry after adoption {moved}, before {entry}")
        verdict.check(view.get("position") == status["position"],
                      f"position on B {view.get('position')}, on A {status['position']}")

        # --- acknowledged vs stored
        await acked_are_stored(verdict, postgres_url, ledger)
    finally:
        for made in clients:
            await made.close()
        await node_a.stop()
        await node_b.stop()
        await redis.aclose()
        await delete_prefix(redis_url, prefix)
    verdict.conclude()


async def test_when_every_lease_vanishes_at_once_no_node_adopts_a_live_peers_cases(
    tmp_path: Path, postgres_url: str,
) -> None:
    """Redis emptied under two running nodes (what a Redis restart without persistence does):
    every lease and the dispatch state are gone at once. Each node notices its lease was lost,
    re-registers, and adopts nothing until it has renewed its lease for a whole lease again —
    by then the other has too. Both keep their chats; their agents are written back."""
    verdict = Verdict("every lease gone at once")
    redis_url = await require_redis()
    prefix = unique_prefix("leases-gone")
    node_a = node(tmp_path, "node-a", postgres_url, redis_url, prefix)
    node_b = node(tmp_path, "node-b", postgres_url, redis_url, prefix)
    ledger = Ledger()
    clients: list[TimedClient] = []
    redis = Redis.from_url(redis_url, decode_responses=True)
    shared = RedisDispatchState(redis, prefix)
    database = Database(postgres_url)
    # the accounts first: the database is migrated before the two nodes start side by side
    specs = await create_agents(postgres_url, [AgentSpec("lisa", 1), AgentSpec("karl", 1)])
    try:
        await asyncio.gather(node_a.start(), node_b.start())
        case_of: dict[str, tuple[str, str]] = {}  # node → (case, its agent)
        for index, (server, spec) in enumerate(zip((node_a, node_b), specs, strict=True)):
            agent = TimedClient(AGENT_NS)
            customer = TimedClient(CUSTOMER_NS)
            clients += [agent, customer]
            await agent.connect(server.url, {"token": await login(server.url, spec.username)})
            assert (await ledger.call(agent, "agent_hello", {}, case_id=None)).outcome == "ok"
            assert (await ledger.call(agent, "presence_set", {"presence": "available"},
                                      case_id=None)).outcome == "ok"
            await customer.connect(server.url)
            helped = await ledger.call(customer, "help_request", {"context": context(index)},
                                       case_id=None)
            assert helped.outcome == "ok", helped
            case_id = str(helped.ref)
            await agent.wait_for("offer", lambda o, c=case_id: o["case_id"] == c,
                                 timeout=EVENT_TIMEOUT)
            assert (await ledger.call(agent, "offer_accept", {"case_id": case_id},
                                      case_id=case_id)).outcome == "ok"
            case_of[server.config_path.parent.name] = (case_id, spec.id)
        await asyncio.gather(logged(node_a, "node_steady", STEADY_TIMEOUT),
                             logged(node_b, "node_steady", STEADY_TIMEOUT))

        await delete_prefix(redis_url, prefix)  # every lease, and the dispatch state, gone

        for server in (node_a, node_b):
            await logged(server, "node_lease_lost", STEADY_TIMEOUT)
            await logged_times(server, "node_steady", 2, STEADY_TIMEOUT)
        adoptions = [r for s in (node_a, node_b) for r in s.log_records()
                     if r.get("event") == "node_adopted"]
        verdict.check(not adoptions, f"a node adopted a live peer's cases: {adoptions}")
        await database.start()
        repository = CaseRepository(database)
        for name, (case_id, agent_id) in case_of.items():
            others = await repository.hosted_elsewhere([case_id], name)
            verdict.check(not others, f"{case_id} of {name} is hosted elsewhere now")
            status = await shared.agent(agent_id)
            verdict.check(status is not None and status.cases == frozenset({case_id}),
                          f"{name} did not write its agent back with the case: {status}")
        verdict.check(await repository.live_hosts() == {"node-a", "node-b"},
                      f"hosts of live cases: {await repository.live_hosts()}")
    finally:
        for made in clients:
            await made.close()
        await node_a.stop()
        await node_b.stop()
        await database.close()
        await redis.aclose()
        await delete_prefix(redis_url, prefix)
    verdict.conclude()


async def logged_times(server: ServerProcess, event: str, times: int, timeout: float) -> None:
    """Until ``event`` was logged ``times`` times in the server's current run (bounded)."""
    deadline = time.monotonic() + timeout
    while sum(1 for r in server.log_records() if r.get("event") == event) < times:
        if time.monotonic() > deadline:
            raise AssertionError(f"{event} was not logged {times} times within {timeout} s\n"
                                 + server.log_tail())
        await asyncio.sleep(0.05)  # polling a log file: there is no event to await across it


async def test_a_drained_node_hands_the_cases_it_still_hosts_to_the_survivor_at_once(
    tmp_path: Path, postgres_url: str,
) -> None:
    """SIGTERM to a node with a chat still open: it drains for drain_seconds, then gives its
    lease up (only its own run's) instead of letting it run out, so the other node adopts the
    chat at its next heartbeat. The lease here is 12 s: a lease left to run out would have A's
    cases adopted at least 11 s after the stop, so a resume within 10 s can only be the
    hand-over."""
    verdict = Verdict("drain hand-over")
    redis_url = await require_redis()
    prefix = unique_prefix("hand-over")
    await create_agents(postgres_url, [AgentSpec("lisa", 1)])
    cluster = {"redis_url": redis_url, "key_prefix": prefix, "feed_block_seconds": 0.2,
               "lease_seconds": 12, "heartbeat_seconds": 1, "drain_seconds": 0.5}
    node_a = ServerProcess(tmp_path / "node-a", postgres_url,
                           settings={"cluster": {**cluster, "node_id": "node-a"}})
    node_b = ServerProcess(tmp_path / "node-b", postgres_url,
                           settings={"cluster": {**cluster, "node_id": "node-b"}})
    ledger = Ledger()
    clients: list[TimedClient] = []
    try:
        await asyncio.gather(node_a.start(), node_b.start())
        token = await login(node_a.url, "lisa")
        lisa, customer = TimedClient(AGENT_NS), TimedClient(CUSTOMER_NS)
        clients += [lisa, customer]
        await lisa.connect(node_a.url, {"token": token})
        assert (await ledger.call(lisa, "agent_hello", {}, case_id=None)).outcome == "ok"
        assert (await ledger.call(lisa, "presence_set", {"presence": "available"},
                                  case_id=None)).outcome == "ok"
        await customer.connect(node_a.url)
        helped = await ledger.call(customer, "help_request", {"context": context(1)},
                                   case_id=None)
        assert helped.outcome == "ok", helped
        case_id, case_token = str(helped.ref), str(helped.body["case_token"])
        await lisa.wait_for("offer", lambda o: o["case_id"] == case_id, timeout=EVENT_TIMEOUT)
        assert (await ledger.call(lisa, "offer_accept", {"case_id": case_id},
                                  case_id=case_id)).outcome == "ok"
        before = [*await chat(ledger, customer, case_id, "customer", LINES_BEFORE, "before"),
                  *await chat(ledger, lisa, case_id, "agent", LINES_BEFORE, "before")]
        assert all(a.outcome == "ok" for a in before), [a.code for a in before]
        await logged(node_b, "node_steady", 25.0)  # B may adopt (a steady lease: 12 s)

        stopped_at = time.monotonic()
        code = await node_a.terminate()
        verdict.check(code == 0, f"SIGTERM: A exited with {code}")
        ended = [r for r in node_a.log_records() if r.get("event") == "drain_ended"]
        handed = [r for r in node_a.log_records() if r.get("event") == "node_handed_over"]
        verdict.check(bool(ended) and ended[-1].get("cases_left") == 1,
                      f"drain_ended on A: {ended}")
        verdict.check(bool(handed) and handed[-1].get("released") is True,
                      f"node_handed_over on A: {handed}")

        customer_b, lisa_b = TimedClient(CUSTOMER_NS), TimedClient(AGENT_NS)
        clients += [customer_b, lisa_b]
        await customer_b.connect(node_b.url)
        await lisa_b.connect(node_b.url, {"token": token})
        assert (await ledger.call(lisa_b, "agent_hello", {}, case_id=None)).outcome == "ok"
        resumed, codes = await resume_until_adopted(customer_b, ledger, case_id, case_token,
                                                    stopped_at + 20)
        resumed_after = resumed.answered_at - stopped_at
        verdict.figure(f"resumed on B {resumed_after:.2f} s after SIGTERM to A"
                       f" (drain 0.5 s, lease 12 s); answers before: {sorted(set(codes))}")
        verdict.check(resumed.outcome == "ok", f"resume on B: {resumed.code}")
        verdict.check(resumed_after <= ADOPTION_TARGET,
                      f"resumed {resumed_after:.2f} s after the stop: the lease ran out instead"
                      " of being handed over")
        def is_ours(view: dict[str, Any]) -> bool:
            return view.get("case_id") == case_id

        await lisa_b.wait_for("case_assigned", is_ours, timeout=EVENT_TIMEOUT)
        after = [*await chat(ledger, customer_b, case_id, "customer", LINES_AFTER, "after"),
                 *await chat(ledger, lisa_b, case_id, "agent", LINES_AFTER, "after")]
        verdict.check(all(a.outcome == "ok" for a in after), f"chat on B: {[a.code for a in after]}")
        await acked_are_stored(verdict, postgres_url, ledger)
    finally:
        for made in clients:
            await made.close()
        await node_a.stop()
        await node_b.stop()
        await delete_prefix(redis_url, prefix)
    verdict.conclude()
