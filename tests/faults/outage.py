"""One storage outage during live chats, measured: what was acked, what is stored, what /healthz said.

The shared shape of the database-cut, database-hang and disk-full tests: chats run, the fault is
injected for OUTAGE_SECONDS, cleared, chats go on, then the database is read directly.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from tests.support.chat_load import PROMISED, ChatLoad, check_store
from tests.support.server_process import AgentSpec, HealthWatch, ServerProcess
from tests.support.verdict import Verdict

CHATS = 20
AGENTS = 2
#: seconds between two lines of one chat (customer and agent in turn): 40 lines/s in all
CHAT_INTERVAL = 0.5
#: a quarter of the chats are finished after this many lines (during the outage), half of
#: those with a cancel first
FINISH_AFTER_LINES = 8
BEFORE_SECONDS = 2.0
OUTAGE_SECONDS = 5.0
AFTER_SECONDS = 2.0
#: bounds, never sleeps
SETUP_TIMEOUT = 20.0
RECOVERY_TIMEOUT = 20.0


async def run_outage(
    server: ServerProcess,
    specs: list[AgentSpec],
    check_url: str,
    inject: Callable[[], Awaitable[None]],
    clear: Callable[[], Awaitable[None]],
    verdict: Verdict,
    reason: str | None = None,
) -> None:
    """Chats through one outage; every broken promise goes to ``verdict``.

    ``check_url`` reads the database directly (not through the fault); ``reason``: a reason
    code /healthz must give while the fault lasts (e.g. ``disk_full``).
    """
    await server.start()
    await server.wait_healthy(10)
    load = ChatLoad(server.url)
    try:
        await load.connect_agents(specs)
        await load.open_cases(CHATS)
        joined = await load.wait_all_joined(SETUP_TIMEOUT)
        assert joined == CHATS, ("the set-up failed before any fault: not every case was "
                                 f"answered ({joined}/{CHATS})\n{load.ledger.summary()}")
        finishing = {chat.index: FINISH_AFTER_LINES for chat in load.chats[::4]}
        cancelling = list(finishing)[::2]
        async with HealthWatch(server.url) as watch:
            load.start_chatting(CHAT_INTERVAL, finish_after=finishing, cancel_first=cancelling)
            await asyncio.sleep(BEFORE_SECONDS)  # chat load before the fault (a duration)
            fault_at = time.monotonic()
            await inject()
            await asyncio.sleep(OUTAGE_SECONDS)  # how long the fault lasts (a duration)
            cleared_at = time.monotonic()
            await clear()
            await asyncio.sleep(AFTER_SECONDS)  # chat load after the fault (a duration)
            await load.stop_chatting()
            recovered: float | None = None
            try:
                recovered = (await server.wait_healthy(RECOVERY_TIMEOUT)).answered_at
            except AssertionError as error:
                verdict.check(False, f"/healthz not back to 200 ok after the fault: {error}")
        ended_at = time.monotonic()

        verdict.figure("acks:\n" + load.ledger.summary())
        during = [e for e in load.ledger.between(fault_at, cleared_at) if e.kind in PROMISED]
        outcomes = Counter(e.outcome if e.outcome == "ok" else f"{e.outcome}:{e.code}"
                           for e in during)
        verdict.figure(f"answered during the {OUTAGE_SECONDS:.0f} s fault: {dict(outcomes)}")
        delays = sorted(e.answered_at - e.sent_at for e in load.ledger.entries
                        if e.kind in PROMISED and e.outcome == "ok")
        if delays:
            verdict.figure(f"ok ack delay: median {delays[len(delays) // 2] * 1000:.0f} ms, "
                           f"max {delays[-1] * 1000:.0f} ms")
        check = await check_store(check_url, load.ledger)
        verdict.figure("acked vs stored: " + check.summary())
        for problem in check.problems():
            verdict.check(False, problem)
        acked_during = [e for e in during if e.outcome == "ok"]
        missing = {i for ids in check.missing.values() for i in ids}
        lost_during = [f"{e.kind} {e.ref or e.case_id}" for e in acked_during
                       if (e.ref or e.case_id) in missing]
        verdict.figure(f"acked ok during the fault: {len(acked_during)}, of those missing from "
                       f"the database: {len(lost_during)}")
        verdict.check(not lost_during,
                      f"{len(lost_during)} of the {len(acked_during)} events acknowledged while the"
                      f" database could not be written are not in it (an ack while the fault "
                      f"lasts must wait for the commit, or be storage_unavailable), e.g. "
                      f"{lost_during[:5]}")

        before = watch.sent_between(0, fault_at)
        in_fault = watch.sent_between(fault_at, cleared_at)
        after = watch.sent_between(cleared_at, ended_at)
        verdict.figure("/healthz before: " + HealthWatch.describe(before))
        verdict.figure("/healthz during: " + HealthWatch.describe(in_fault))
        verdict.figure("/healthz after:  " + HealthWatch.describe(after))
        if recovered is not None:
            verdict.figure(f"/healthz ok again {recovered - cleared_at:.2f} s after the fault "
                           "was cleared")
        degraded = [a for a in in_fault if a.degraded]
        verdict.check(bool(degraded), "/healthz never answered 503 {status: degraded, reasons}"
                      f" while the fault lasted ({HealthWatch.describe(in_fault)})")
        if reason is not None and degraded:
            verdict.check(any(reason in a.reasons for a in degraded),
                          f"/healthz was degraded but never gave the reason {reason!r} "
                          f"({HealthWatch.describe(degraded)})")
        failures = Counter(r.get("event") for r in server.log_records()
                           if r.get("level") in ("error", "warning"))
        verdict.figure(f"server warnings and errors logged: {dict(failures) or 'none'}")
    finally:
        await load.close()
