"""Connection churn: does the server's memory stay flat while kiosks connect and disconnect?

    flock /tmp/helpwire-bench.lock .venv/bin/python -m bench.signalling_churn        # 60,000 cycles
    .venv/bin/python -m bench.signalling_churn --cycles 20000 --rounds 5
    .venv/bin/python -m bench.signalling_churn --smoke        # a few seconds, current code only

Each server (Helpwire as `python -m server serve` runs it, bench/signalling_servers.py, its own
process) gets `--cycles` kiosk connections in `--rounds` equal rounds: load workers
(bench/signalling_client.py) open kiosk connections to /kiosk (auth {kiosk_id}, ids from a pool) in a
steady stream of `--rate` per second, keep each `--hold` seconds (longer than the periodic heap
freeze interval, so each connection is frozen at least once, as a real one is) and close it. After each
round: the server's RSS (VmRSS from /proc/<pid>/status), event-loop lag p99 / p99.9 / max and
collector pauses in that round (the server's loop monitor through GET /bench/lag, and the
`helpwire_event_loop_lag_seconds` histogram of /metrics as a cross-check; GET /bench/cpulag counts
the same lag in the server's CPU time, leaving out the time the OS gave to other processes), and
what per-connection state the server still holds (GET /bench/state: Engine.IO sockets, Socket.IO
environ, the manager's rooms and index, the kiosk namespace's dicts). After the last round and
`--settle` seconds, the RSS again, then the objects only a full collection could free
(GET /bench/garbage).

By default two servers run in the same session: `before`, with Engine.IO's own websocket wait()
(raises OSError at close: a reference cycle per closed connection that the heap freeze keeps),
and `after`, the current code. `--variant NAME:KEY=VALUE,...` adds Helpwire runs with HELPWIRE_*
settings (e.g. `nofreeze:runtime__gc_freeze_interval_seconds=0`). Writes results.md, rounds.csv and
summary.csv to var/bench/churn-<timestamp>/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.procstat import Window, status_rss_bytes
from bench.signalling import (
    ROOT,
    ServerProcess,
    ServerSpec,
    Workers,
    markdown,
    parse_variant,
    spread,
    write_csv,
)
from bench.signalling_client import raise_fd_limit

#: targets: RSS growth after the last round (after settling), loop lag p99.9 during churn
TARGET_GROWTH_MIB = 20.0
TARGET_LAG_P999_MS = 20.0


def get_text(url: str, timeout: float = 30.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text: str = response.read().decode()
        return text


def lag_buckets(metrics: str) -> dict[float, float]:
    """The cumulative bucket counts of helpwire_event_loop_lag_seconds from a /metrics text."""
    buckets = {}
    for line in metrics.splitlines():
        if line.startswith("helpwire_event_loop_lag_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def bucket_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The upper bound (ms) of the bucket holding quantile q of the samples between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return float("nan")
    for bound, count in zip(bounds, counts, strict=True):
        if count >= q * total:
            return 1000 * bound
    return float("inf")


def run_server(spec: ServerSpec, args: argparse.Namespace, out: Path, rounds: list[dict[str, Any]],
               summary: list[dict[str, Any]]) -> None:
    print(f"\n=== {spec.name} ===", flush=True)
    server = ServerProcess(spec, out, pairs=0)
    workers: Workers | None = None
    try:
        server.wait_ready()
        pid = server.process.pid
        workers = Workers(args.workers, server.url, spec.kind)
        per_round = args.cycles // args.rounds

        def churn(cycles: int, first: int, window: Window | None = None) -> list[dict[str, Any]]:
            shares = spread(cycles, args.workers)
            firsts = [first + sum(shares[:i]) for i in range(args.workers)]
            result: list[dict[str, Any]] = workers.call_all(
                "churn", [dict(first=f, cycles=n, rate=args.rate / args.workers, hold=args.hold,
                               pool=args.pool) for f, n in zip(firsts, shares, strict=True)],
                window, timeout=args.round_timeout)
            return result

        if args.idle:
            workers.call_all("connect_idle", [dict(first=f * 10**6, count=n)
                                              for f, n in enumerate(spread(args.idle, args.workers))])
        churn(args.warmup, 10**8)  # every code path once before the baseline
        time.sleep(args.pause)
        server.lag()
        get_json(f"{server.url}/bench/cpulag")
        get_json(f"{server.url}/bench/state")
        baseline = status_rss_bytes(pid)
        print(f"{spec.name}: baseline RSS {baseline / 2**20:.1f} MiB after {args.warmup} warm-up "
              f"cycles, {args.idle} idle kiosks", flush=True)
        metrics_before = lag_buckets(get_text(f"{server.url}/metrics"))
        worst_p999 = worst_cpu_p999 = 0.0
        done = 0
        started = time.monotonic()
        for number in range(1, args.rounds + 1):
            window = Window(pid)
            window.start()
            results = churn(per_round, done)
            usage = window.stop()
            done += per_round
            seconds = max(r["seconds"] for r in results)
            time.sleep(args.pause)
            lag = server.lag()
            cpu_lag = get_json(f"{server.url}/bench/cpulag")
            metrics_after = lag_buckets(get_text(f"{server.url}/metrics"))
            state = get_json(f"{server.url}/bench/state")
            rss = status_rss_bytes(pid)
            row = {
                "server": spec.name, "round": number, "cycles": done,
                "failed": sum(r["failed"] for r in results),
                "cycles_per_s": per_round / seconds if seconds else 0.0,
                "connect_p99_ms": max(r["connect_p99_ms"] for r in results),
                "late_max_s": max(r["late_max_s"] for r in results),
                "cpu_percent": usage.cpu_percent,
                "rss_mib": rss / 2**20, "growth_mib": (rss - baseline) / 2**20,
                "lag_p99_ms": lag["p99_ms"], "lag_p999_ms": lag["p999_ms"], "lag_max_ms": lag["max_ms"],
                "metrics_lag_p999_le_ms": bucket_quantile(metrics_before, metrics_after, 0.999),
                "cpu_lag_p999_ms": cpu_lag["p999_ms"], "cpu_lag_max_ms": cpu_lag["max_ms"],
                "gc_count": lag["gc_count"], "gc_max_ms": lag["gc_max_ms"],
                "gc_full_count": lag["gc_full_count"], "gc_full_max_ms": lag["gc_full_max_ms"],
                "gc_frozen": state["gc_frozen"], "eio_sockets": state["eio_sockets"],
                "kiosk_ids": state["kiosk_ids"], "indexed_sids": state["indexed_sids"],
                "machine_load_1m": os.getloadavg()[0],  # others' work inflates lag on a shared machine
            }
            metrics_before = metrics_after
            worst_p999 = max(worst_p999, lag["p999_ms"])
            worst_cpu_p999 = max(worst_cpu_p999, cpu_lag["p999_ms"])
            rounds.append(row)
            print(_fmt(row), flush=True)
        elapsed = time.monotonic() - started
        time.sleep(args.settle)
        settled = status_rss_bytes(pid)
        state = get_json(f"{server.url}/bench/state")
        garbage = get_json(f"{server.url}/bench/garbage", timeout=120)
        collected = status_rss_bytes(pid)
        leftovers = {k: state[k] for k in ("eio_sockets", "sio_environ", "kiosk_sids", "kiosk_rooms",
                                           "indexed_sids", "kiosk_ids", "case_of")}
        summary.append({
            "server": spec.name, "cycles": done, "idle": args.idle, "cycles_per_s": done / elapsed,
            "baseline_mib": baseline / 2**20, "settled_mib": settled / 2**20,
            "growth_mib": (settled - baseline) / 2**20,
            "growth_per_1000_kib": (settled - baseline) / 1024 / max(1, done) * 1000,
            "worst_round_lag_p999_ms": worst_p999, "worst_round_cpu_lag_p999_ms": worst_cpu_p999,
            "gc_full_count": sum(r["gc_full_count"] for r in rounds if r["server"] == spec.name),
            "unreachable_per_cycle": garbage["unreachable"] / max(1, done),
            "after_full_collection_mib": collected / 2**20,
            # what the idle kiosks hold is not left over: each has a socket, an environ, a sid, two
            # rooms (its own and its kiosk's), an index entry and a kiosk id; plus the room of all
            "leftover_state": sum(leftovers.values()) - (7 * args.idle + 1 if args.idle else 0),
            "top_garbage": " ".join(f"{k}:{v}" for k, v in list(garbage["types"].items())[:4]),
            "meets_targets": "yes" if (settled - baseline) / 2**20 < TARGET_GROWTH_MIB
            and worst_p999 <= TARGET_LAG_P999_MS else "no",
        })
        print(_fmt(summary[-1]), flush=True)
        print(f"  state after settling: {json.dumps(state)}", flush=True)
    finally:
        if workers is not None:
            workers.stop()
        server.stop()


def get_json(url: str, timeout: float = 30.0) -> Any:
    return json.loads(get_text(url, timeout))


def _fmt(row: dict[str, Any]) -> str:
    return "  " + " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.signalling_churn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="300 cycles in 2 rounds, current code only")
    parser.add_argument("--cycles", type=int, default=60000, help="connect/disconnect cycles in all")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="new kiosk connections per second (all workers), a steady stream")
    parser.add_argument("--hold", type=float, default=1.5, help="seconds each connection stays")
    parser.add_argument("--pool", type=int, default=2000, help="distinct kiosk ids, reused")
    parser.add_argument("--idle", type=int, default=0, help="kiosks that stay connected throughout")
    parser.add_argument("--warmup", type=int, default=600, help="cycles before the baseline RSS")
    parser.add_argument("--pause", type=float, default=2.0, help="wait after each round before measuring")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="wait after the last round (past the 25-s Engine.IO ping interval: each "
                             "closed connection's ping task sleeps that long)")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--round-timeout", type=float, default=1800.0)
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also run `before` (Engine.IO's own websocket wait)")
    parser.add_argument("--variant", action="append", default=[],
                        help="extra Helpwire run NAME:KEY=VALUE,... with HELPWIRE_* settings")
    parser.add_argument("--out", type=Path, help="folder (default var/bench/churn-<timestamp>)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cycles, args.rounds, args.rate, args.hold, args.pool = 300, 2, 150.0, 0.2, 100
        args.warmup, args.pause, args.settle, args.workers, args.baseline = 50, 0.5, 1.0, 1, False
    if args.cycles < args.rounds or args.rounds < 1:
        parser.error("--cycles must be at least --rounds, and --rounds at least 1")
    specs = ([ServerSpec("before", "helpwire", {"BENCH_ENGINEIO_WAIT": "stock"})] if args.baseline else [])
    specs.append(ServerSpec("after", "helpwire"))
    specs += [parse_variant(v) for v in args.variant]
    out = args.out or ROOT / "var" / "bench" / f"churn-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    limit = raise_fd_limit()
    need = args.idle + int(2 * args.rate * (args.hold + 1)) + 100
    if limit < need:
        print(f"open-file limit {limit} is below the {need} this run needs", file=sys.stderr)
        return 2
    rounds: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    started = time.monotonic()
    for spec in specs:
        run_server(spec, args, out, rounds, summary)
    command = "python -m bench.signalling_churn " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (f"# Connection churn benchmark {time.strftime('%Y-%m-%d %H:%M')}\n\n`{command.strip()}` — "
            f"{os.cpu_count()} cores, {args.workers} load workers, {args.cycles} cycles in {args.rounds} "
            f"rounds, {args.rate:g} new connections/s held {args.hold:g} s, {args.idle} idle kiosks, "
            f"{time.monotonic() - started:.0f} s in all. Targets: growth < {TARGET_GROWTH_MIB:g} MiB "
            f"after settling, loop lag p99.9 ≤ {TARGET_LAG_P999_MS:g} ms in every round.\n\n"
            f"## Summary\n\n{markdown(summary)}\n## Rounds\n\n{markdown(rounds)}")
    (out / "results.md").write_text(text)
    write_csv(out / "rounds.csv", rounds)
    write_csv(out / "summary.csv", summary)
    print("\n" + text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
