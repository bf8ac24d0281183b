"""The report as files: self-contained HTML (inline SVG charts drawn with matplotlib), CSV, JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..core.kpi import Kpis
from ..core.staffing import WEEKDAYS
from .build import Report

GREEN, RED, GREY, BLUE, ORANGE = "#1b7f3b", "#b3261e", "#6b6b6b", "#1f5fa8", "#c15d00"

#: the charts every report has, in order (tests check each is present)
CHARTS = ("asa", "fcr", "abandonment", "csat", "cases_per_100", "conversion", "ab_test", "staffing")


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    svg: str


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    # inline: drop the XML prolog and doctype, keep the <svg> element
    return text[text.index("<svg"):]


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=(7.2, 2.8), dpi=100)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _daily_chart(
    report: Report, value: Callable[[Kpis], float | None], target: float | None, ylabel: str,
    percent: bool = False, higher_is_better: bool = False,
) -> str:
    figure, axes = _figure()
    days = list(report.kpis.daily)
    labels = [datetime.fromisoformat(d).strftime("%a %d") for d in days]
    values = [value(k) for k in report.kpis.daily.values()]
    scale = 100 if percent else 1
    heights = [(v or 0) * scale for v in values]
    colours = []
    for v in values:
        if v is None or target is None:
            colours.append(GREY)
        else:
            good = v > target if higher_is_better else v < target
            colours.append(GREEN if good else RED)
    axes.bar(labels, heights, color=colours)
    for x, v in enumerate(values):
        if v is None:
            axes.text(x, 0, "no data", ha="center", va="bottom", fontsize=7, color=GREY)
    if target is not None:
        axes.axhline(target * scale, color="#222222", linestyle="--", linewidth=1)
        axes.annotate(f"target {target * scale:g}{' %' if percent else ''}",
                      (len(labels) - 0.5, target * scale), ha="right", va="bottom", fontsize=8)
    axes.set_ylabel(ylabel)
    return _svg(figure)


def charts(report: Report) -> list[Chart]:
    t = report.targets
    out = []
    figure, axes = _figure()
    days = list(report.kpis.daily)
    labels = [datetime.fromisoformat(d).strftime("%a %d") for d in days]
    means = [k.asa_mean or 0 for k in report.kpis.daily.values()]
    p90 = [k.asa_p90 or 0 for k in report.kpis.daily.values()]
    axes.bar(labels, means, color=[GREEN if m < t.asa_seconds else RED for m in means], label="mean")
    axes.plot(labels, p90, color=BLUE, marker="o", label="90th percentile")
    axes.axhline(t.asa_seconds, color="#222222", linestyle="--", linewidth=1, label="target")
    axes.set_ylabel("seconds")
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("asa", "ASA per day", "Mean and 90th percentile wait from queued to answered, "
                     f"target under {t.asa_seconds:g} s.", _svg(figure)))
    out.append(Chart("fcr", "First contact resolution per day",
                     "Cases closed as resolved with no repeat within the FCR window; "
                     f"target over {t.fcr:.0%}.",
                     _daily_chart(report, lambda k: k.fcr, t.fcr, "%", True, True)))
    figure, axes = _figure()
    before = [(k.abandonment_before_answer or 0) * 100 for k in report.kpis.daily.values()]
    total = [(k.abandonment or 0) * 100 for k in report.kpis.daily.values()]
    after = [tot - b for tot, b in zip(total, before, strict=True)]
    axes.bar(labels, before, color=ORANGE, label="left before answer")
    axes.bar(labels, after, bottom=before, color=RED, label="dropped after answer")
    axes.axhline(t.abandonment * 100, color="#222222", linestyle="--", linewidth=1, label="target")
    axes.set_ylabel("% of finished cases")
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("abandonment", "Abandoned support sessions per day",
                     f"Before an answer and after it; target under {t.abandonment:.0%}.", _svg(figure)))
    out.append(Chart("csat", "CSAT per day", f"Mean emoji rating (1–5); target over {t.csat:g}.",
                     _daily_chart(report, lambda k: k.csat_mean, t.csat, "rating", False, True)))
    out.append(Chart("cases_per_100", "Cases per 100 purchases per day",
                     "Help cases per 100 purchases; a falling trend means a better shop.",
                     _daily_chart(report, lambda k: k.cases_per_100_purchases, None, "cases")))
    figure, axes = _figure()
    k = report.kpis.total
    names = ["with support", "without support"]
    rates = [(k.conversion_with_support or 0) * 100, (k.conversion_without_support or 0) * 100]
    axes.bar(names, rates, color=[BLUE, GREY])
    for x, (rate, revenue) in enumerate(zip(
            rates, [k.revenue_with_support, k.revenue_without_support], strict=True)):
        axes.text(x, rate, f"{rate:.1f} %\n{revenue or 0:,.0f} revenue", ha="center", va="bottom",
                  fontsize=8)
    axes.set_ylabel("% of sessions with a purchase")
    out.append(Chart("conversion", "Conversion with and without support",
                     "Shop sessions that ended in a purchase, by whether the session used Help.",
                     _svg(figure)))
    figure, axes = _figure()
    test = report.ab_verdict.test
    conv = [(v.conversion or 0) * 100 for v in report.variants]
    axes.bar([f"A ({report.variants[0].exposures})", f"B ({report.variants[1].exposures})"], conv,
             color=[GREY, BLUE])
    if test is not None:
        half = (test.ci_high - test.ci_low) / 2 * 100
        axes.errorbar([1], [conv[1]], yerr=[[half], [half]], color="#222222", capsize=6)
    axes.set_ylabel("conversion %")
    out.append(Chart("ab_test", "A/B test of the Help button",
                     "Conversion per variant (exposed sessions in brackets); the bar on B is the "
                     "confidence interval of the difference B − A.", _svg(figure)))
    figure = Figure(figsize=(7.2, 3.0), dpi=100)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    hours = range(len(report.staffing))
    axes.step(hours, [n.needed for n in report.staffing], where="mid", color=BLUE,
              label="agents needed (Erlang C)")
    axes.step(hours, [n.observed_agents for n in report.staffing], where="mid", color=ORANGE,
              label="agents seen answering")
    axes.set_xticks([d * 24 for d in range(7)], list(WEEKDAYS))
    axes.set_ylabel("agents")
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("staffing", "Staffing per hour of the week",
                     f"Agents needed to keep ASA under {t.asa_seconds:g} s, against last period.",
                     _svg(figure)))
    return out


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return f"{value * 100:.1f} %"
    if kind == "seconds":
        return f"{value:.1f} s"
    return f"{value:.2f}"


TEMPLATE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True,
    undefined=jinja2.StrictUndefined,
).get_template("report.html.j2")


def render_html(report: Report) -> str:
    zone = ZoneInfo(report.period.timezone)
    total = report.kpis.total
    status_rows = []
    for s in report.statuses:
        kind = "seconds" if "ASA" in s.name else ("percent" if s.name in ("FCR", "Abandoned") else "n")
        css = "na" if s.ok is None else ("ok" if s.ok else "bad")
        status_rows.append({"name": s.name, "text": _fmt(s.value, kind), "target": s.target, "css": css,
                            "verdict": {"na": "(no data)", "ok": "✔ met", "bad": "✘ missed"}[css]})
    totals = [
        ("ASA mean", _fmt(total.asa_mean, "seconds")),
        ("ASA 90th percentile", _fmt(total.asa_p90, "seconds")),
        ("FCR", _fmt(total.fcr, "percent")),
        ("Abandoned before answer", _fmt(total.abandonment_before_answer, "percent")),
        ("Abandoned (before + after answer)", _fmt(total.abandonment, "percent")),
        ("CSAT mean", _fmt(total.csat_mean, "n")),
        ("CSAT response rate", _fmt(total.csat_response_rate, "percent")),
        ("Purchases", str(total.purchases)),
        ("Cases per 100 purchases", _fmt(total.cases_per_100_purchases, "n")),
        ("Conversion with support", _fmt(total.conversion_with_support, "percent")),
        ("Conversion without support", _fmt(total.conversion_without_support, "percent")),
        ("Revenue in sessions with support", _fmt(total.revenue_with_support, "n")),
        ("Revenue in sessions without support", _fmt(total.revenue_without_support, "n")),
        ("Payment-step abandonment", _fmt(total.payment_abandonment, "percent")),
    ]
    variants = [
        (v.variant, v.exposures, v.help_presses, v.purchases, _fmt(v.conversion, "percent"),
         _fmt(v.asa_mean, "seconds"), _fmt(v.fcr, "percent"), _fmt(v.abandonment, "percent"),
         v.reached_payment, _fmt(v.payment_abandonment, "percent"))
        for v in report.variants
    ]
    understaffed = [
        (f"{WEEKDAYS[n.weekday]} {n.hour:02d}:00", f"{n.arrivals_per_hour:.1f}", n.needed, n.observed_agents)
        for n in report.staffing if n.gap >= 2
    ]
    stores = [
        (name, k.cases, _fmt(k.asa_mean, "seconds"), _fmt(k.fcr, "percent"), _fmt(k.abandonment, "percent"),
         _fmt(k.csat_mean, "n"), _fmt(k.cases_per_100_purchases, "n"))
        for name, k in report.kpis.by.get("store", {}).items()
    ]
    return TEMPLATE.render(
        period=report.period.label,
        generated=datetime.fromtimestamp(report.generated_at, zone).strftime("%Y-%m-%d %H:%M %Z"),
        demo=report.demo_data, statuses=status_rows, total=total, totals=totals,
        charts=charts(report), ab_message=report.ab_verdict.message, variants=variants,
        understaffed=understaffed, stores=stores,
    )


def render_csv(report: Report) -> str:
    """One row per scope: the total, each day, each group; one column per figure."""
    fields = list(Kpis.__dataclass_fields__)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scope", "key", *fields])

    def row(scope: str, key: str, kpis: Kpis) -> None:
        writer.writerow([scope, key, *("" if v is None else v for v in kpis.as_dict().values())])

    row("total", report.period.label, report.kpis.total)
    for day, kpis in report.kpis.daily.items():
        row("day", day, kpis)
    for grouping, groups in report.kpis.by.items():
        for key, kpis in groups.items():
            row(grouping, key, kpis)
    return buffer.getvalue()


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)


def slug(report: Report) -> str:
    start = report.period.start.date()
    iso = start.isocalendar()
    if report.period.start.weekday() == 0 and len(report.period.days()) == 7:
        return f"{iso.year}-W{iso.week:02d}"
    return f"{start.isoformat()}_{report.period.days()[-1].isoformat()}"


def write(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write ``helpwire-report-<slug>.{html,csv,json}``; returns the paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"helpwire-report-{slug(report)}"
    paths = {"html": out_dir / f"{base}.html", "csv": out_dir / f"{base}.csv",
             "json": out_dir / f"{base}.json"}
    paths["html"].write_text(render_html(report), encoding="utf-8")
    paths["csv"].write_text(render_csv(report), encoding="utf-8")
    paths["json"].write_text(render_json(report), encoding="utf-8")
    return paths


def plain_summary(report: Report) -> str:
    """A short text for the e-mail body and logs."""
    lines = [f"Helpwire report {report.period.label}"]
    for s in report.statuses:
        mark = "–" if s.ok is None else ("OK" if s.ok else "MISSED")
        lines.append(f"{s.name}: {s.value if s.value is not None else 'no data'} (target {s.target}) {mark}")
    lines.append(report.ab_verdict.message)
    return "\n".join(lines)


