"""The media relay benchmark (issue 6): Helpwire's relay against aiortc's MediaRelay and Janus, in one run.

    flock /tmp/helpwire-bench.lock .venv/bin/python -m bench.relay     # or: make bench-relay
    .venv/bin/python -m bench.relay --smoke                           # N=1 against Helpwire, seconds

For N = 1, 2, 4, … simultaneous 1:1 calls (each: two aiortc peers sending 640×480 VP8 at 30 fps and
Opus, receiving the other side's) through each server, until frames are lost (> 1 %) or delayed
past 200 ms p95, or a cap or time bound is reached. The servers run as separate processes and are
measured from /proc; the load peers run in worker processes (bench/relay_worker.py). A Helpwire
phase of many short calls checks that memory stays flat. Results: var/bench/relay-<time>/.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType
from typing import Any

from bench import relay_clip, relay_janus
from bench.procstat import Window as ProcWindow
from bench.procstat import rss_bytes
from bench.relay_report import StepResult, markdown_table, plot, quantiles, summary, write_csv
from bench.relay_servers import BaselineServer, HelpwireServer, ServerProcess
from bench.relay_worker import WorkerSpec, summarise_lags
from bench.relay_worker import main as worker_main

ROOT = Path(__file__).resolve().parents[1]
CLIP_CACHE = ROOT / "var" / "bench" / "relay-clip-v1.pkl"
MB = 1024 * 1024
CHURN_PARALLEL = 4


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class Workers:
    """Load-generator processes, one pipe each; every exchange has a deadline."""

    def __init__(self, specs: list[WorkerSpec], timeout: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        for spec in specs:
            ours, theirs = context.Pipe()
            process = context.Process(target=worker_main, args=(theirs, spec), daemon=True,
                                      name=f"relay-load-{spec.worker}")
            process.start()
            theirs.close()
            self.conns.append(ours)
            self.processes.append(process)
        self._collect(range(len(specs)), "ready", timeout)

    def _collect(self, indexes: Any, op: str, timeout: float) -> list[dict[str, Any]]:
        pending = {self.conns[i]: i for i in indexes}
        replies: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"load workers {sorted(pending.values())} did not answer {op!r}"
                                   f" within {timeout:.0f} s")
            for conn in wait(list(pending), remaining):
                assert isinstance(conn, Connection)
                try:
                    reply = conn.recv()
                except EOFError:
                    raise RuntimeError(f"load worker {pending[conn]} exited") from None
                if reply.get("op") == "failed" or "error" in reply:
                    raise RuntimeError(f"load worker {pending[conn]} failed on {op}: {reply.get('error')}")
                replies[pending.pop(conn)] = reply
        return [replies[i] for i in sorted(replies)]

    def ask(self, message: dict[str, Any], timeout: float, only: int | None = None) -> list[dict[str, Any]]:
        indexes = range(len(self.conns)) if only is None else [only]
        for i in indexes:
            self.conns[i].send(message)
        return self._collect(indexes, message["op"], timeout)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send({"op": "exit"})
        for process in self.processes:
            process.join(15)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self.conns:
            conn.close()


@dataclass
class Options:
    workers: int
    warmup: float
    window: float
    max_calls: int
    budget: float
    setup_timeout: float
    #: idle kiosk connections held open on Helpwire while its calls are measured (issue 8)
    idle_kiosks: int = 0


def loop_lag_buckets(url: str) -> dict[float, float]:
    """Helpwire's event-loop lag histogram from /metrics: cumulative count per upper bound (s)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("helpwire_event_loop_lag_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def lag_summary(before: dict[float, float], after: dict[float, float]) -> str:
    """Upper bounds of p99.9 and of the worst sample of the loop lag between two readings."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if not total:
        return "no lag samples"
    p999 = next(b for b, c in zip(bounds, counts, strict=True) if c >= 0.999 * total)
    worst = next(b for b, c in zip(bounds, counts, strict=True) if c >= total)
    over_20 = total - next((c for b, c in zip(bounds, counts, strict=True) if b >= 0.02), total)

    def ms(bound: float) -> str:
        return "> 2.5 s" if bound == float("inf") else f"≤ {bound * 1000:g} ms"

    return (f"server loop lag p99.9 {ms(p999)}, worst {ms(worst)},"
            f" {over_20:.0f} of {total:.0f} samples > 20 ms")


class IdleKiosks:
    """Idle kiosk connections held on a Helpwire server by the signalling benchmark's lean client."""

    def __init__(self, url: str, count: int, processes: int = 2) -> None:
        from bench.signalling import Workers as KioskWorkers
        from bench.signalling import spread as share

        self.workers = KioskWorkers(processes, url, "helpwire")
        counts = share(count, processes)
        firsts = [sum(counts[:i]) for i in range(processes)]
        results = self.workers.call_all("connect_idle", [dict(first=f, count=n) for f, n in
                                                         zip(firsts, counts, strict=True)])
        self.failed = sum(int(r["failed"]) for r in results)

    def close(self) -> None:
        self.workers.stop()


def spread(calls: int, workers: int) -> list[int]:
    return [calls // workers + (1 if i < calls % workers else 0) for i in range(workers)]


def run_step(server: ServerProcess, calls: int, clip: Path, options: Options) -> StepResult:
    count = min(calls, options.workers)
    shares = spread(calls, count)
    specs = [WorkerSpec(i, server.name, server.url, clip, server.identify, server.peer_address,
                        f"bench-w{i}", HelpwireServer.password, options.setup_timeout)
             for i in range(count)]
    result = StepResult(server.name, calls)
    workers = Workers(specs, 60)
    try:
        setup_timeout = options.setup_timeout * 2 * (max(shares) + 1)
        if server.name == "helpwire":
            # one agent per worker takes that worker's customers: one worker at a time is available
            setups = [workers.ask({"op": "setup", "calls": shares[i]}, setup_timeout, only=i)[0]
                      for i in range(count)]
        else:
            # the same number of calls in every worker (N is a power of two), set up together
            setups = workers.ask({"op": "setup", "calls": shares[0]}, setup_timeout)
            assert len(set(shares)) == 1, shares
        errors = [e for s in setups for e in s["errors"]]
        result.failed_setups = len(errors)
        result.notes += sorted(set(errors))[:3]
        ice = [t * 1000 for s in setups for t in s["ice"]]
        result.ice_ms = quantiles(ice)[:2]
        if len(errors) == calls:
            return result
        time.sleep(options.warmup)  # let bitrates and jitter buffers settle before measuring
        usage = ProcWindow(server.pid)
        lag_before = loop_lag_buckets(server.url) if server.name == "helpwire" else None
        workers.ask({"op": "window_start"}, 10)
        usage.start()
        busy0, total0 = machine_ticks()
        end = time.monotonic() + options.window
        while time.monotonic() < end:
            time.sleep(min(0.5, max(0.0, end - time.monotonic())))  # the window is paced; sample RSS
            usage.sample()
        workers.ask({"op": "window_stop"}, 10)
        measured = usage.stop()
        if lag_before is not None:
            result.notes.append(lag_summary(lag_before, loop_lag_buckets(server.url)))
        busy1, total1 = machine_ticks()
        time.sleep(0.5)  # frames sent inside the window may still be in flight
        collected = workers.ask({"op": "collect"}, 30)
        result.cpu = measured.cpu_percent
        result.rss_mb = measured.rss_peak / MB
        result.machine_busy = 100 * (busy1 - busy0) / max(1, total1 - total0)
        for kind in ("video", "audio"):
            sent = sum(c[kind]["sent"] for c in collected)
            delivered = sum(c[kind]["delivered"] for c in collected)
            delays = [d for c in collected for d in c[kind]["delays"]]
            setattr(result, f"{kind}_sent", sent)
            setattr(result, f"{kind}_delivered", delivered)
            setattr(result, f"{kind}_ms", quantiles(delays))
            result.unidentified += sum(c[kind]["unidentified"] for c in collected)
        result.worker_cpu_max = max(c["cpu"] for c in collected)
        cores = (total1 - total0) / max(1e-9, measured.seconds) / os.sysconf("SC_CLK_TCK")
        result.others_cpu = max(0.0, result.machine_busy * cores - result.cpu
                                - sum(c["cpu"] for c in collected))
        result.worker_lag_p99_ms = max(summarise_lags(c["lags"]) for c in collected)
        workers.ask({"op": "teardown"}, 60)
    finally:
        workers.close()
    return result


def run_server(server: ServerProcess, clip: Path, options: Options, counts: list[int]) -> list[StepResult]:
    results: list[StepResult] = []
    started = time.monotonic()
    server.start()
    kiosks: IdleKiosks | None = None
    try:
        if options.idle_kiosks and server.name == "helpwire":
            kiosks = IdleKiosks(server.url, options.idle_kiosks)
            print(f"{options.idle_kiosks - kiosks.failed} idle kiosks connected"
                  f" ({kiosks.failed} failed)", flush=True)
        for calls in counts:
            if calls > options.max_calls:
                break
            if time.monotonic() - started > options.budget:
                results[-1].notes.append(f"stopped: time bound of {options.budget:.0f} s")
                break
            result = run_step(server, calls, clip, options)
            if kiosks is not None:
                result.notes.insert(0, f"with {options.idle_kiosks - kiosks.failed} idle kiosks connected")
            results.append(result)
            print(result.line(), flush=True)
            limit, saturated = result.past_limit(), result.load_saturated()
            if saturated:
                result.notes.append(f"LOAD GENERATOR SATURATED: {saturated}")
            if limit:
                result.notes.append(f"limit: {limit}")
                break
            if saturated:
                break  # larger N would measure the load generator, not the server
    finally:
        if kiosks is not None:
            kiosks.close()
        server.stop()
    return results


@dataclass
class ChurnResult:
    calls: int
    rss_before_mb: float
    rss_after_mb: float
    setup_ms: tuple[float, float, float]
    errors: list[str]

    def markdown(self) -> str:
        growth = self.rss_after_mb - self.rss_before_mb
        verdict = "within" if growth < 5 else "ABOVE"
        return (f"{self.calls} call set-ups and tear-downs through Helpwire: server RSS"
                f" {self.rss_before_mb:.1f} MB → {self.rss_after_mb:.1f} MB ({growth:+.1f} MB, {verdict} the"
                f" 5 MB target); set-up to first frame both ways p50/p95/p99"
                f" {self.setup_ms[0]:.0f}/{self.setup_ms[1]:.0f}/{self.setup_ms[2]:.0f} ms;"
                f" {len(self.errors)} failed")


def run_churn(workdir: Path, clip: Path, total: int, options: Options, timeout: float) -> ChurnResult:
    """Many short calls through a fresh Helpwire; server RSS after a warm-up and after all of them."""
    server = HelpwireServer(workdir / "churn", 1)
    server.start()
    try:
        # one worker, one agent, CHURN_PARALLEL calls at a time
        spec = WorkerSpec(0, server.name, server.url, clip, "hash", "127.0.0.1", "bench-w0",
                          HelpwireServer.password, options.setup_timeout)
        workers = Workers([spec], 60)
        try:
            workers.ask({"op": "churn", "count": 20, "parallel": CHURN_PARALLEL}, timeout)
            time.sleep(2)  # let the server finish closing the last peers before the RSS reading
            before = rss_bytes(server.pid)
            times: list[float] = []
            errors: list[str] = []
            deadline = time.monotonic() + timeout
            for calls in spread(total, (total + 49) // 50):  # rounds of about 50, each bounded
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    errors.append(f"stopped after {len(times) + len(errors)} calls: time bound")
                    break
                reply = workers.ask({"op": "churn", "count": calls, "parallel": CHURN_PARALLEL},
                                    remaining)[0]
                times += reply["times"]
                errors += reply["errors"]
            time.sleep(2)
            after = rss_bytes(server.pid)
        finally:
            workers.close()
    finally:
        server.stop()
    return ChurnResult(len(times), before / MB, after / MB, quantiles([t * 1000 for t in times]), errors)


def load_clip(path: Path) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print("encoding the load clip once (300 VP8 frames, 500 Opus packets)…", flush=True)
        partial = path.with_suffix(".tmp")
        relay_clip.build().save(partial)
        partial.replace(path)
    return path


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="helpwire-bench-relay-") as folder:
        yield Path(folder)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="N=1 against Helpwire only, a few seconds")
    parser.add_argument("--servers", default="helpwire,mediarelay,janus",
                        help="comma-separated: helpwire, mediarelay, janus (default: all)")
    parser.add_argument("--max-calls", type=int, default=64, help="largest N (default 64)")
    parser.add_argument("--workers", type=int, default=4, help="load-generator processes (default 4)")
    parser.add_argument("--window", type=float, default=10.0, help="measuring window per step, s")
    parser.add_argument("--warmup", type=float, default=3.0, help="settling time before each window, s")
    parser.add_argument("--budget", type=float, default=300.0, help="time bound per server, s")
    parser.add_argument("--churn", type=int, default=500, help="short calls in the memory phase (0: skip)")
    parser.add_argument("--idle-kiosks", type=int, default=0,
                        help="idle kiosk connections held on Helpwire during its steps (issue 8; 0: none)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="results folder parent")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.smoke:
        args.servers, args.max_calls, args.window, args.warmup, args.churn = "helpwire", 1, 3.0, 1.0, 0
    options = Options(args.workers, args.warmup, args.window, args.max_calls, args.budget, 20.0,
                      idle_kiosks=args.idle_kiosks)
    counts = [2 ** i for i in range(0, 12)]
    clip = load_clip(CLIP_CACHE)
    results: list[StepResult] = []
    notes: list[str] = []
    churn: ChurnResult | None = None
    try:
        with workspace() as workdir:
            for name in args.servers.split(","):
                if name == "janus":
                    missing = relay_janus.available()
                    if missing:
                        notes.append(f"Janus not measured: {missing}")
                        print(notes[-1], flush=True)
                        continue
                    server: ServerProcess = relay_janus.JanusServer(workdir)
                elif name == "mediarelay":
                    server = BaselineServer(workdir)
                elif name == "helpwire":
                    server = HelpwireServer(workdir, options.workers)
                else:
                    raise SystemExit(f"unknown server {name!r}")
                results += run_server(server, clip, options, counts)
            if args.churn:
                churn = run_churn(workdir, clip, args.churn, options, timeout=max(300.0, args.churn * 1.5))
                print(churn.markdown(), flush=True)
    except KeyboardInterrupt:
        print("interrupted: servers, load workers and the network namespace were stopped", file=sys.stderr)
        return 130
    print()
    print(markdown_table(results))
    if args.smoke:
        delivered = results and results[0].video_delivered > 0 and results[0].audio_delivered > 0
        return 0 if delivered else 1
    print()
    print(summary(results))
    report(results, churn, notes, args)
    return 0


def report(results: list[StepResult], churn: ChurnResult | None, notes: list[str],
           args: argparse.Namespace) -> None:
    folder = args.out / f"relay-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    text = [f"# Media relay benchmark, {datetime.now():%Y-%m-%d %H:%M}", "",
            f"`python -m bench.relay {' '.join(sys.argv[1:])}`".replace("  ", " "), "",
            markdown_table(results), "", summary(results), ""]
    if churn is not None:
        text += [churn.markdown(), ""]
    text += [f"- {n}" for n in notes]
    (folder / "results.md").write_text("\n".join(text) + "\n")
    write_csv(results, folder / "results.csv")
    plot(results, folder / "relay.png")
    print(f"\nresults: {folder}/results.md, results.csv, relay.png")


if __name__ == "__main__":
    sys.exit(main())
