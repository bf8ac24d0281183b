"""Four real processes hammer one Redis dispatch state at once (bounded by count and time): every
command Redis applied is replayed in Redis's own order through the in-memory reference, and after
each one no agent holds more than their capacity, no case rings for two agents, and no case is
lost or duplicated (tests/support/dispatch_hammer.py)."""

from __future__ import annotations

import multiprocessing
import pickle
from pathlib import Path

import pytest

from tests.support.dispatch_hammer import WorkerResult, set_up, verify, worker
from tests.support.redis import delete_prefix, unique_prefix

pytestmark = pytest.mark.redis

PROCESSES = 4
AGENTS = 24  # capacities 1, 2, 3 in turn: 48 places
CASES = 400
MAX_COMMANDS = 3_000  # per process
SECONDS = 10.0  # per process, whichever comes first


async def test_four_processes_at_once_never_overbook_an_agent_double_offer_or_lose_a_case(
        redis_url: str, tmp_path: Path) -> None:
    prefix = unique_prefix("hammer")
    try:
        logs = await set_up(redis_url, prefix, AGENTS, CASES)
        spawn = multiprocessing.get_context("spawn")
        start = spawn.Event()
        outs = [tmp_path / f"worker-{i}.pickle" for i in range(PROCESSES)]
        processes = [
            spawn.Process(target=worker, args=(redis_url, prefix, 1000 + i, AGENTS, MAX_COMMANDS,
                                               SECONDS, start, str(outs[i])))
            for i in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        start.set()  # all at once
        for process in processes:
            process.join(SECONDS + 30)
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        assert [p.exitcode for p in processes] == [0] * PROCESSES
        results: list[WorkerResult] = [pickle.loads(out.read_bytes()) for out in outs]
        worked = [len(r.log) for r in results]
        assert all(count > 0 for count in worked), worked
        verdict = verify(logs + [entry for r in results for entry in r.log], AGENTS, CASES)
        print(f"\nhammer: {verdict.commands} commands from {PROCESSES} processes {worked}"
              f" (+{len(logs)} set-up), {sum(r.reads for r in results)} reads;"
              f" {verdict.offers_made} offers made, {verdict.accepted} accepted,"
              f" {verdict.released} cases finished, {verdict.refused} refused")
        # the processes really raced: offers of one case or to one agent were refused
        assert verdict.refused > 0 and verdict.accepted > 0 and verdict.released > 0
    finally:
        await delete_prefix(redis_url, prefix)
