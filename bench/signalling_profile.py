"""What an idle kiosk connection costs Helpwire: memory by allocating line and objects by type.

    .venv/bin/python -m bench.signalling_profile [--clients 1000] [--server helpwire|python-socketio]

Runs the server in this process with tracemalloc on, connects the kiosks from a load worker process
(bench/signalling_client.py) and prints the allocation sites and the garbage-collector-tracked
object types that grew, per connection, and how long one full collection takes with them
(docs/performance.md, "Signalling and idle connections").
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import socket
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.signalling_client import raise_fd_limit
from bench.signalling_servers import bare_app


def _types() -> collections.Counter[str]:
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


def _full_collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return 1000 * (time.perf_counter() - started)


async def profile(kind: str, clients: int) -> None:
    from bench.signalling import Workers

    with tempfile.TemporaryDirectory() as data:
        if kind == "helpwire":
            from bench import LOAD_TEST_SECURITY
            from server.app import create_app
            from server.settings import load_settings

            app = create_app(load_settings(storage__data_dir=Path(data),
                                           security__secret_key="profile-secret-0123456789",
                                           log__level="ERROR", runtime__gc_freeze_on_start=False,
                                           runtime__gc_freeze_interval_seconds=0,
                                           security=LOAD_TEST_SECURITY))
        else:
            app = bare_app()
        runner = web.AppRunner(app)
        await runner.setup()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        await web.TCPSite(runner, "127.0.0.1", port).start()
        workers = Workers(1, f"http://127.0.0.1:{port}", kind)
        try:
            await asyncio.to_thread(workers.call, 0, "connect_idle", first=0, count=10)  # warm up
            gc.collect()
            empty_ms = _full_collection_ms()
            before_types = _types()
            tracemalloc.start(6)
            before = tracemalloc.take_snapshot()
            result = await asyncio.to_thread(workers.call, 0, "connect_idle", first=10, count=clients)
            await asyncio.sleep(2)
            after = tracemalloc.take_snapshot()
            tracemalloc.stop()
            gc.collect()
            full_ms = _full_collection_ms()
            grown = _types() - before_types
            print(f"{kind}: {result['connected']} idle kiosks; a full collection took {empty_ms:.1f} ms "
                  f"before and {full_ms:.1f} ms after ({(full_ms - empty_ms) / clients * 1000:.1f} µs "
                  f"per connection)")
            stats = after.compare_to(before, "lineno")
            total = sum(s.size_diff for s in stats)
            print(f"traced Python memory: {total / clients / 1024:.1f} KiB per connection; largest sites:")
            for stat in stats[:25]:
                frame = stat.traceback[0]
                print(f"  {stat.size_diff / clients:8.0f} B  {stat.count_diff / clients:5.1f} blocks  "
                      f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")
            tracked = sum(grown.values())
            print(f"collector-tracked objects: {tracked / clients:.0f} per connection; by type:")
            for name, count in grown.most_common(18):
                print(f"  {count / clients:6.1f}  {name}")
        finally:
            await asyncio.to_thread(workers.stop)
            await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signalling_profile")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--server", choices=["helpwire", "python-socketio"], default="helpwire")
    args: Any = parser.parse_args(argv)
    raise_fd_limit()
    asyncio.run(profile(args.server, args.clients))


if __name__ == "__main__":
    main()
