"""Signalling load benchmark: thousands of idle kiosks plus chatting pairs, against two baselines.

    flock /tmp/helpwire-bench.lock .venv/bin/python -m bench.signalling      # or: make bench-signalling
    .venv/bin/python -m bench.signalling --smoke                             # a few seconds, Helpwire only

For each server (Helpwire as `python -m server serve` runs it, a bare python-socketio server and
a bare Node socket.io 4.8 server, each its own process) and each number of idle kiosks C (added
cumulatively), it connects C idle clients to /kiosk as a kiosk does (auth {kiosk_id}), measures the
server's RSS growth per connection, times Help presses from those kiosks (the acknowledgement
carries the queue position), then lets P customer–agent pairs chat (help_request, the agent
accepts the offer, ~100-byte chat_send both ways) at rising total rates, measuring delivery at
the receiver, lost messages, server CPU and RSS (bench/procstat.py) and event-loop lag inside the
server (GET /bench/lag). The load comes from worker processes using the minimal Engine.IO client in
bench/signalling_client.py; a step where a worker ran hot or fell behind is flagged `generator`.

Writes results.md and steps.csv / help.csv / summary.csv to var/bench/signalling-<timestamp>/.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.procstat import Window, rss_bytes
from bench.signalling_client import raise_fd_limit, worker_main

ROOT = Path(__file__).resolve().parent.parent
#: a step's p99 past this, any loss, or a server that no longer keeps up, ends the rising rates
GIVE_UP_P99_MS = 2000.0
#: targets of issue 8
TARGET_P99_MS = 20.0


@dataclass
class ServerSpec:
    name: str  #: shown in the tables
    kind: str  #: helpwire, python-socketio, node
    env: dict[str, str] = field(default_factory=dict)
    #: the checkout the server runs from (a --baseline REF runs an earlier commit's Helpwire)
    root: Path = ROOT


def parse_variant(text: str) -> ServerSpec:
    """`name:KEY=VALUE,KEY=VALUE` → a Helpwire run with those HELPWIRE_* settings."""
    name, _, assignments = text.partition(":")
    env = {}
    for item in filter(None, assignments.split(",")):
        key, _, value = item.partition("=")
        env[f"HELPWIRE_{key.upper()}"] = value
    return ServerSpec(name, "helpwire", env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class ServerProcess:
    def __init__(self, spec: ServerSpec, out: Path, pairs: int) -> None:
        self.spec = spec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data = out / f"data-{spec.name}"
        data.mkdir(parents=True, exist_ok=True)
        if spec.kind == "node":
            command = ["node", str(ROOT / "bench" / "signalling_node_server.mjs"), str(self.port)]
        else:
            command = [sys.executable, "-m", "bench.signalling_servers", spec.kind, "--port",
                       str(self.port), "--data-dir", str(data), "--agents", str(pairs)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPWIRE_")}
        env.update(spec.env)
        self.log = open(out / f"server-{spec.name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=spec.root, env=env, stdout=self.log,
                                        stderr=self.log, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self.process.returncode}; "
                                   f"see {self.log.name}")
            try:
                get_json(f"{self.url}/bench/lag", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.spec.name} did not start within {timeout} s")

    def lag(self) -> dict[str, float]:
        result: dict[str, float] = get_json(f"{self.url}/bench/lag")
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


class Workers:
    def __init__(self, count: int, url: str, kind: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        for index in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=worker_main, args=(theirs, index, url, kind), daemon=True)
            process.start()
            self.conns.append(mine)
            self.processes.append(process)

    def call(self, index: int, command: str, **args: Any) -> Any:
        self.conns[index].send((command, args))
        return self._reply(self.conns[index])

    def call_all(self, command: str, args: list[dict[str, Any]], window: Window | None = None,
                 timeout: float = 600.0) -> list[Any]:
        for conn, arg in zip(self.conns, args, strict=True):
            conn.send((command, arg))
        results = []
        deadline = time.monotonic() + timeout
        for conn in self.conns:
            while not conn.poll(0.25):
                if window is not None:
                    window.sample()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers did not finish {command} in {timeout} s")
            results.append(self._reply(conn))
        return results

    @staticmethod
    def _reply(conn: Connection) -> Any:
        status, value = conn.recv()
        if status != "ok":
            raise RuntimeError(f"load worker: {value}")
        return value

    def stop(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("stop", {}))
            except OSError:
                pass
        for process in self.processes:
            process.join(20)
            if process.is_alive():
                process.kill()
                process.join(5)


def spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_server(spec: ServerSpec, args: argparse.Namespace, out: Path, steps: list[dict[str, Any]],
               helps: list[dict[str, Any]], summary: list[dict[str, Any]],
               storms: list[dict[str, Any]]) -> None:
    print(f"\n=== {spec.name} ===", flush=True)
    server = ServerProcess(spec, out, args.pairs)
    workers: Workers | None = None
    try:
        server.wait_ready()
        pid = server.process.pid
        workers = Workers(args.workers, server.url, spec.kind)
        for number in range(args.pairs):  # one at a time: the offer must reach this pair's agent
            workers.call(number % args.workers, "add_pair", number=number)
        seq = 0
        # warm-up: every code path once, then the baseline RSS
        seq = max(workers.call_all("chat", [dict(rate=r, seconds=1.0, first_seq=seq + i * 10**8, drain=1.0)
                                             for i, r in enumerate(spread(max(args.pairs * 4, 20),
                                                                           args.workers))]),
                  key=lambda r: int(r["next_seq"]))["next_seq"]
        connected = 0
        for clients in args.clients:
            adding = clients - connected
            rss_before = rss_bytes(pid)
            started = time.monotonic()
            firsts = [connected + sum(spread(adding, args.workers)[:i]) for i in range(args.workers)]
            results = workers.call_all("connect_idle", [dict(first=f, count=n) for f, n in
                                                        zip(firsts, spread(adding, args.workers),
                                                            strict=True)])
            failed = sum(r["failed"] for r in results)
            connected = clients
            time.sleep(args.settle)
            rss_after = rss_bytes(pid)
            per_conn_kb = (rss_after - rss_before) / max(1, adding) / 1024
            print(f"{spec.name}: {clients} idle kiosks ({failed} failed) in "
                  f"{time.monotonic() - started:.1f} s; RSS {rss_after / 2**20:.0f} MiB, "
                  f"{per_conn_kb:.1f} KiB per added connection", flush=True)
            if failed:
                raise RuntimeError(f"{failed} idle kiosks could not connect")
            # Help presses from idle kiosks, nothing else going on
            server.lag()
            window = Window(pid)
            window.start()
            presses = spread(args.help_presses, args.workers)
            results = workers.call_all("help_presses", [dict(count=n, rate=args.help_rate / args.workers)
                                                        for n in presses], window)
            usage = window.stop()
            lag = server.lag()
            latencies = [x for r in results for x in r["latencies"]]
            helps.append({
                "server": spec.name, "idle": clients, "presses": len(latencies),
                "errors": sum(r["errors"] for r in results),
                "p50_ms": 1000 * pct(latencies, 0.5), "p99_ms": 1000 * pct(latencies, 0.99),
                "max_ms": 1000 * max(latencies, default=float("nan")), "cpu_percent": usage.cpu_percent,
                "lag_p99_ms": lag["p99_ms"], "lag_p999_ms": lag["p999_ms"], "lag_max_ms": lag["max_ms"],
                "gc_full_count": lag["gc_full_count"], "gc_full_max_ms": lag["gc_full_max_ms"],
            })
            print(_fmt(helps[-1]), flush=True)
            best_ok = 0
            for rate in args.rates:
                server.lag()
                window = Window(pid)
                window.start()
                results = workers.call_all("chat", [dict(rate=r, seconds=args.seconds,
                                                         first_seq=seq + i * 10**8, drain=args.drain)
                                                    for i, r in enumerate(spread(rate, args.workers))],
                                           window)
                usage = window.stop()
                lag = server.lag()
                seq = max(int(r["next_seq"]) for r in results)
                latencies = [x for r in results for x in r["latencies"]]
                sent = sum(r["sent"] for r in results)
                received = sum(r["received"] for r in results)
                send_seconds = max(r["send_seconds"] for r in results)
                gen_cpu = max(r["cpu_percent"] for r in results)
                gen_lag = max(1000 * pct(r["lag"], 0.99) for r in results)
                generator_bound = gen_cpu > 85 or gen_lag > 20 or sent < 0.95 * rate * args.seconds
                row = {
                    "server": spec.name, "idle": clients, "pairs": args.pairs, "rate": rate,
                    "sent": sent, "delivered_per_s": received / send_seconds if send_seconds else 0.0,
                    "p50_ms": 1000 * pct(latencies, 0.5), "p99_ms": 1000 * pct(latencies, 0.99),
                    "lost": sent - received, "acks_failed": sum(r["acks_failed"] for r in results),
                    "cpu_percent": usage.cpu_percent, "rss_mib": usage.rss_peak / 2**20,
                    "mem_per_idle_kib": per_conn_kb,
                    "lag_p99_ms": lag["p99_ms"], "lag_p999_ms": lag["p999_ms"], "lag_max_ms": lag["max_ms"],
                    "gc_full_count": lag["gc_full_count"], "gc_full_max_ms": lag["gc_full_max_ms"],
                    "gen_cpu_max_percent": gen_cpu, "gen_lag_p99_ms": gen_lag,
                    "bottleneck": "generator" if generator_bound else "",
                }
                steps.append(row)
                print(_fmt(row), flush=True)
                if row["lost"] == 0 and row["p99_ms"] <= TARGET_P99_MS and not generator_bound:
                    best_ok = max(best_ok, rate)
                behind = row["delivered_per_s"] < 0.9 * rate
                if row["lost"] > 0 or row["p99_ms"] > GIVE_UP_P99_MS or generator_bound or behind:
                    break
            idle_lag = helps[-1]
            summary.append({
                "server": spec.name, "idle": clients, "mem_per_idle_kib": per_conn_kb,
                "max_rate_p99_20ms_0_lost": best_ok, "help_p99_ms": idle_lag["p99_ms"],
                "idle_lag_p999_ms": idle_lag["lag_p999_ms"], "idle_lag_max_ms": idle_lag["lag_max_ms"],
                "busiest_lag_p999_ms": max((s["lag_p999_ms"] for s in steps
                                            if s["server"] == spec.name and s["idle"] == clients),
                                           default=float("nan")),
            })
        # a disconnect storm: every idle kiosk drops at once (a network blip, a restart)
        server.lag()
        started = time.monotonic()
        workers.call_all("close_idle", [dict(count=n) for n in spread(connected, args.workers)])
        seconds = time.monotonic() - started
        lag = server.lag()
        storms.append({"server": spec.name, "kiosks": connected, "seconds": seconds,
                       "lag_p99_ms": lag["p99_ms"], "lag_max_ms": lag["max_ms"]})
        print(_fmt(storms[-1]), flush=True)
    finally:
        if workers is not None:
            workers.stop()
        server.stop()


def _fmt(row: dict[str, Any]) -> str:
    return "  " + " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


def markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k])
                                       for k in keys) + " |")
    return "\n".join(lines) + "\n"


def ratios(summary: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """Helpwire (each variant) against the baselines, per number of idle kiosks."""
    table = []
    by = {(s["server"], s["idle"]): s for s in summary}
    baselines = [n for n in ("python-socketio", "node") if n in names]
    for name in names:
        if name in ("python-socketio", "node"):
            continue
        for (server, idle), mine in by.items():
            if server != name:
                continue
            row: dict[str, Any] = {"server": name, "idle": idle}
            for base in baselines:
                other = by.get((base, idle))
                if other is None:
                    continue
                def ratio(a: float, b: float) -> str:
                    return f"{a / b:.2f}" if b else "-"
                row[f"rate ×{base}"] = ratio(mine["max_rate_p99_20ms_0_lost"],
                                             other["max_rate_p99_20ms_0_lost"])
                row[f"mem ×{base}"] = ratio(mine["mem_per_idle_kib"], other["mem_per_idle_kib"])
                row[f"help p99 ×{base}"] = ratio(mine["help_p99_ms"], other["help_p99_ms"])
            table.append(row)
    return table


def baseline_checkout(ref: str) -> Path:
    """A worktree of an earlier commit (var/bench/baseline-<sha>), made once and reused."""
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    path = ROOT / "var" / "bench" / f"baseline-{sha}"
    if not (path / "server").is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(path), sha],
                       cwd=ROOT, check=True, capture_output=True)
    modules = path / "node_modules"
    if not modules.exists():
        modules.symlink_to(ROOT / "node_modules")
    return path


def with_baseline(specs: list[ServerSpec], ref: str) -> list[ServerSpec]:
    """Each Helpwire run twice, this checkout's and ``ref``'s, one after the other."""
    root = baseline_checkout(ref)
    out: list[ServerSpec] = []
    for spec in specs:
        if spec.kind == "helpwire":
            env = dict(spec.env)
            if "HELPWIRE_STORAGE__DATABASE_URL" in env:
                # its own database: the two would otherwise share agents and a schema version
                env["HELPWIRE_STORAGE__DATABASE_URL"] += "_baseline"
            out.append(ServerSpec(f"{spec.name}@{ref}", spec.kind, env, root))
        out.append(spec)
    return out


def before_after(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat delivery of each Helpwire run against its --baseline twin, step by step."""
    table = []
    by = {(s["server"], s["idle"], s["rate"]): s for s in steps}
    for (server, idle, rate), before in by.items():
        name, at, ref = server.partition("@")
        after = by.get((name, idle, rate)) if at else None
        if after is None:
            continue
        table.append({
            "server": name, "baseline": ref, "idle": idle, "rate": rate,
            "p99_before_ms": before["p99_ms"], "p99_after_ms": after["p99_ms"],
            "p99_change_ms": after["p99_ms"] - before["p99_ms"],
            "p50_before_ms": before["p50_ms"], "p50_after_ms": after["p50_ms"],
            "cpu_before": before["cpu_percent"], "cpu_after": after["cpu_percent"],
            "lost_before": before["lost"], "lost_after": after["lost"],
        })
    return table


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.signalling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="C=50, P=2, a few seconds, Helpwire only")
    parser.add_argument("--clients", default="1000,3000,10000", help="idle kiosks, cumulative steps")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--rates", default="500,1000,2000,3000,4000,6000,8000",
                        help="total chat msg/s, rising")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each rate step")
    parser.add_argument("--drain", type=float, default=3.0, help="wait for late messages after a step")
    parser.add_argument("--settle", type=float, default=3.0, help="wait after connecting before RSS")
    parser.add_argument("--workers", type=int, default=3, help="load generator processes")
    parser.add_argument("--help-presses", type=int, default=200)
    parser.add_argument("--help-rate", type=float, default=20.0, help="Help presses per second")
    parser.add_argument("--servers", default="helpwire,python-socketio,node")
    parser.add_argument("--variant", action="append", default=[],
                        help="extra Helpwire run NAME:KEY=VALUE,... with HELPWIRE_* settings "
                             "(e.g. uvloop:runtime__event_loop=uvloop)")
    parser.add_argument("--baseline", metavar="REF",
                        help="also run every Helpwire server from this earlier commit (git ref), "
                             "before the current one, in the same run (a database_url setting "
                             "gets _baseline appended for it: create both databases)")
    parser.add_argument("--out", type=Path, help="folder (default var/bench/signalling-<timestamp>)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.clients, args.pairs, args.rates = "50", 2, "50"
        args.seconds, args.drain, args.settle, args.workers = 2.0, 2.0, 0.5, 1
        args.help_presses, args.help_rate, args.servers = 10, 50.0, "helpwire"
    args.clients = [int(c) for c in args.clients.split(",")]
    args.rates = [int(r) for r in args.rates.split(",")]
    specs = [ServerSpec(name, name) for name in args.servers.split(",") if name]
    specs += [parse_variant(v) for v in args.variant]
    if args.baseline:
        specs = with_baseline(specs, args.baseline)
    out = (args.out or ROOT / "var" / "bench" / f"signalling-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    limit = raise_fd_limit()
    need = max(args.clients) + 4 * args.pairs + 100
    if limit < need:
        print(f"open-file limit {limit} is below the {need} this run needs", file=sys.stderr)
        return 2
    steps: list[dict[str, Any]] = []
    helps: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    storms: list[dict[str, Any]] = []
    started = time.monotonic()
    for spec in specs:
        run_server(spec, args, out, steps, helps, summary, storms)
    names = [s.name for s in specs]
    command = "python -m bench.signalling " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (f"# Signalling benchmark {time.strftime('%Y-%m-%d %H:%M')}\n\n`{command.strip()}` — "
            f"{os.cpu_count()} cores, {args.workers} load workers, {args.pairs} pairs, "
            f"{args.seconds:g} s per step, {time.monotonic() - started:.0f} s in all\n\n"
            f"## Summary\n\n{markdown(summary)}\n## Ratios (Helpwire ÷ baseline)\n\n"
            f"{markdown(ratios(summary, names))}\n## Help presses (ack with queue position)\n\n"
            f"{markdown(helps)}\n## Disconnect storm (every idle kiosk closes at once)\n\n"
            f"{markdown(storms)}\n## Chat steps\n\n{markdown(steps)}")
    compared = before_after(steps)
    if compared:
        text += f"\n## Before and after (--baseline {args.baseline})\n\n{markdown(compared)}"
        write_csv(out / "before_after.csv", compared)
    (out / "results.md").write_text(text)
    write_csv(out / "steps.csv", steps)
    write_csv(out / "help.csv", helps)
    write_csv(out / "summary.csv", summary)
    write_csv(out / "storm.csv", storms)
    print("\n" + text)
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
