"""Results of the relay benchmark: one row per server and N, as Markdown, CSV and a PNG plot."""

from __future__ import annotations

import csv
import dataclasses
import statistics
from dataclasses import dataclass, field
from pathlib import Path

#: a step is past the limit when more frames than this are lost, or p95 delay is above LIMIT_MS
LOSS_LIMIT = 0.01
LIMIT_MS = 200.0


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 (nan when empty)."""
    if not values:
        return float("nan"), float("nan"), float("nan")
    if len(values) == 1:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


@dataclass
class StepResult:
    server: str
    calls: int
    cpu: float = 0.0  #: server CPU, % of one core, over the window
    rss_mb: float = 0.0
    video_sent: int = 0
    video_delivered: int = 0
    audio_sent: int = 0
    audio_delivered: int = 0
    unidentified: int = 0
    video_ms: tuple[float, float, float] = (float("nan"),) * 3
    audio_ms: tuple[float, float, float] = (float("nan"),) * 3
    ice_ms: tuple[float, float] = (float("nan"),) * 2  #: offer sent → ICE connected, p50/p95
    failed_setups: int = 0
    worker_cpu_max: float = 0.0  #: the busiest load-generator process, % of one core
    worker_lag_p99_ms: float = 0.0
    machine_busy: float = 0.0  #: all cores, % of the machine
    #: CPU of everything else on the machine during the window (% of one core): noise to watch
    others_cpu: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def video_loss(self) -> float:
        return 1 - self.video_delivered / self.video_sent if self.video_sent else 1.0

    @property
    def audio_loss(self) -> float:
        return 1 - self.audio_delivered / self.audio_sent if self.audio_sent else 1.0

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / self.calls if self.calls else float("nan")

    def past_limit(self) -> str:
        """Why this step is past the benchmark's limits, or ""."""
        reasons = []
        if self.failed_setups:
            reasons.append(f"{self.failed_setups} call set-ups failed")
        if self.video_loss > LOSS_LIMIT or self.audio_loss > LOSS_LIMIT:
            reasons.append(f"loss video {self.video_loss:.1%} audio {self.audio_loss:.1%}")
        if not self.video_ms[1] <= LIMIT_MS or not self.audio_ms[1] <= LIMIT_MS:
            reasons.append(f"p95 delay video {self.video_ms[1]:.0f} ms audio {self.audio_ms[1]:.0f} ms")
        return "; ".join(reasons)

    def load_saturated(self) -> str:
        """Why the load generator (not the server) may be the limit here, or ""."""
        reasons = []
        if self.worker_cpu_max > 85:
            reasons.append(f"a load worker used {self.worker_cpu_max:.0f} % of a core")
        if self.worker_lag_p99_ms > 20:
            reasons.append(f"load worker event-loop lag p99 {self.worker_lag_p99_ms:.0f} ms")
        if self.machine_busy > 90:
            reasons.append(f"the machine was {self.machine_busy:.0f} % busy")
        return "; ".join(reasons)

    def line(self) -> str:
        """One machine-readable line (the smoke test reads it)."""
        return (f"result server={self.server} calls={self.calls} cpu={self.cpu:.1f}"
                f" video={self.video_delivered}/{self.video_sent}"
                f" audio={self.audio_delivered}/{self.audio_sent}"
                f" video_p95_ms={self.video_ms[1]:.1f} audio_p95_ms={self.audio_ms[1]:.1f}")


HEADER = ("| server | calls | server CPU % core | CPU/call | RSS MB | video delivered/sent"
          " | audio delivered/sent"
          " | video delay p50/p95/p99 ms | audio delay p50/p95/p99 ms | offer→ICE p50/p95 ms"
          " | load worker CPU max / lag p99 | machine busy (others, % core) | notes |")


def _ms(values: tuple[float, ...]) -> str:
    return "/".join(f"{v:.0f}" for v in values)


def markdown_row(r: StepResult) -> str:
    notes = "; ".join(r.notes)
    return (f"| {r.server} | {r.calls} | {r.cpu:.1f} | {r.cpu_per_call:.1f} | {r.rss_mb:.0f}"
            f" | {r.video_delivered}/{r.video_sent} | {r.audio_delivered}/{r.audio_sent}"
            f" | {_ms(r.video_ms)} | {_ms(r.audio_ms)} | {_ms(r.ice_ms)}"
            f" | {r.worker_cpu_max:.0f} % / {r.worker_lag_p99_ms:.0f} ms"
            f" | {r.machine_busy:.0f} % ({r.others_cpu:.0f} % other)"
            f" | {notes} |")


def markdown_table(results: list[StepResult]) -> str:
    separator = "|" + "---|" * (HEADER.count("|") - 1)
    return "\n".join([HEADER, separator, *(markdown_row(r) for r in results)])


def _good(results: list[StepResult], server: str) -> list[StepResult]:
    """Steps of `server` within the limits and without a saturated load generator."""
    return [r for r in results if r.server == server and not r.past_limit() and not r.load_saturated()]


def summary(results: list[StepResult]) -> str:
    """CPU per call, calls per core, delay and set-up per server, and Helpwire's ratios to the others."""
    servers = list(dict.fromkeys(r.server for r in results))
    rows = ["| server | CPU per call (% core) | calls per core | video delay p50/p95 ms"
            " | audio delay p50/p95 ms | offer→ICE p50 ms | largest N within limits |",
            "|---|---|---|---|---|---|---|"]
    figures: dict[str, tuple[float, float, float, float]] = {}
    for server in servers:
        good = _good(results, server) or [r for r in results if r.server == server][:1]
        largest = max(good, key=lambda r: r.calls)
        first = min(good, key=lambda r: r.calls)
        per_call = statistics.median(r.cpu_per_call for r in good)
        figures[server] = (per_call, first.video_ms[0], first.audio_ms[0], first.ice_ms[0])
        within = max((r.calls for r in _good(results, server)), default=0)
        rows.append(f"| {server} | {per_call:.1f} | {100 / per_call if per_call else float('inf'):.1f}"
                    f" | {first.video_ms[0]:.0f}/{first.video_ms[1]:.0f}"
                    f" | {first.audio_ms[0]:.0f}/{first.audio_ms[1]:.0f} | {first.ice_ms[0]:.0f}"
                    f" | {within} (measured up to {largest.calls}) |")
    if "helpwire" in figures and len(figures) > 1:
        rows += ["", "| Helpwire vs | CPU per call ratio | calls per core ratio | video delay p50 Δ ms"
                 " | audio delay p50 Δ ms | offer→ICE p50 Δ ms |", "|---|---|---|---|---|---|"]
        mine = figures["helpwire"]
        for server, theirs in figures.items():
            if server == "helpwire":
                continue
            rows.append(f"| {server} | {mine[0] / theirs[0]:.2f}× | {theirs[0] / mine[0]:.2f}×"
                        f" | {mine[1] - theirs[1]:+.0f} | {mine[2] - theirs[2]:+.0f}"
                        f" | {mine[3] - theirs[3]:+.0f} |")
    return "\n".join(rows)


_TRIPLES = ("video_ms", "audio_ms", "ice_ms")


def write_csv(results: list[StepResult], path: Path) -> None:
    names = [f.name for f in dataclasses.fields(StepResult) if f.name not in _TRIPLES]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names
                        + ["video_p50_ms", "video_p95_ms", "video_p99_ms", "audio_p50_ms", "audio_p95_ms",
                           "audio_p99_ms", "ice_p50_ms", "ice_p95_ms", "cpu_per_call"])
        for r in results:
            row = [getattr(r, n) for n in names]
            row[names.index("notes")] = "; ".join(r.notes)
            writer.writerow([*row, *r.video_ms, *r.audio_ms, *r.ice_ms, r.cpu_per_call])


def plot(results: list[StepResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cpu, delay) = plt.subplots(1, 2, figsize=(11, 4.2))
    for server in dict.fromkeys(r.server for r in results):
        rows = sorted((r for r in results if r.server == server), key=lambda r: r.calls)
        calls = [r.calls for r in rows]
        cpu.plot(calls, [r.cpu for r in rows], marker="o", label=server)
        line, = delay.plot(calls, [r.video_ms[1] for r in rows], marker="o", label=f"{server} video p95")
        delay.plot(calls, [r.audio_ms[1] for r in rows], marker="x", linestyle="--", color=line.get_color(),
                   label=f"{server} audio p95")
    cpu.set(xlabel="simultaneous 1:1 calls (N)", ylabel="server CPU, % of one core", title="Server CPU")
    delay.set(xlabel="simultaneous 1:1 calls (N)", ylabel="one-way delay p95, ms (log)",
              title="Added delay (p95)", yscale="log")
    delay.axhline(LIMIT_MS, color="grey", linewidth=0.8, linestyle=":")
    ticks = sorted({r.calls for r in results})
    for axis in (cpu, delay):
        axis.set_xscale("log", base=2)
        axis.set_xticks(ticks, [str(t) for t in ticks])
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
