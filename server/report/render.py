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
from . import texts as tx
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


def _day_labels(report: Report, language: str) -> list[str]:
    names = tx.WEEKDAYS[tx.language_of(language)]
    return [f"{names[day.weekday()]} {day.day:02d}"
            for day in (datetime.fromisoformat(d) for d in report.kpis.daily)]


def _daily_chart(
    report: Report, value: Callable[[Kpis], float | None], target: float | None, ylabel: str,
    percent: bool = False, higher_is_better: bool = False, language: str = "en",
) -> str:
    t = tx.texts(language)
    figure, axes = _figure()
    labels = _day_labels(report, language)
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
            axes.text(x, 0, t["no_data"], ha="center", va="bottom", fontsize=7, color=GREY)
    if target is not None:
        axes.axhline(target * scale, color="#222222", linestyle="--", linewidth=1)
        axes.annotate(f"{t['legend.target']} {tx.number(target * scale, 'g', language)}"
                      f"{' %' if percent else ''}",
                      (len(labels) - 0.5, target * scale), ha="right", va="bottom", fontsize=8)
    axes.set_ylabel(ylabel)
    return _svg(figure)


def charts(report: Report, language: str = "en") -> list[Chart]:
    t = report.targets
    w = tx.texts(language)

    def pct(value: float) -> str:
        return tx.number(value * 100, ".0f", language) + " %"

    def num(value: float) -> str:
        return tx.number(value, "g", language)

    out = []
    figure, axes = _figure()
    labels = _day_labels(report, language)
    means = [k.asa_mean or 0 for k in report.kpis.daily.values()]
    p90 = [k.asa_p90 or 0 for k in report.kpis.daily.values()]
    axes.bar(labels, means, color=[GREEN if m < t.asa_seconds else RED for m in means],
             label=w["legend.mean"])
    axes.plot(labels, p90, color=BLUE, marker="o", label=w["legend.p90"])
    axes.axhline(t.asa_seconds, color="#222222", linestyle="--", linewidth=1,
                 label=w["legend.target"])
    axes.set_ylabel(w["axis.seconds"])
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("asa", w["chart.asa"], w["chart.asa.desc"].format(target=num(t.asa_seconds)),
                     _svg(figure)))
    out.append(Chart("fcr", w["chart.fcr"], w["chart.fcr.desc"].format(target=pct(t.fcr)),
                     _daily_chart(report, lambda k: k.fcr, t.fcr, "%", True, True, language)))
    figure, axes = _figure()
    before = [(k.abandonment_before_answer or 0) * 100 for k in report.kpis.daily.values()]
    total = [(k.abandonment or 0) * 100 for k in report.kpis.daily.values()]
    after = [tot - b for tot, b in zip(total, before, strict=True)]
    axes.bar(labels, before, color=ORANGE, label=w["legend.before"])
    axes.bar(labels, after, bottom=before, color=RED, label=w["legend.after"])
    axes.axhline(t.abandonment * 100, color="#222222", linestyle="--", linewidth=1,
                 label=w["legend.target"])
    axes.set_ylabel(w["axis.finished"])
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("abandonment", w["chart.abandonment"],
                     w["chart.abandonment.desc"].format(target=pct(t.abandonment)), _svg(figure)))
    out.append(Chart("csat", w["chart.csat"], w["chart.csat.desc"].format(target=num(t.csat)),
                     _daily_chart(report, lambda k: k.csat_mean, t.csat, w["axis.rating"], False,
                                  True, language)))
    out.append(Chart("cases_per_100", w["chart.cases_per_100"], w["chart.cases_per_100.desc"],
                     _daily_chart(report, lambda k: k.cases_per_100_purchases, None,
                                  w["axis.cases"], language=language)))
    figure, axes = _figure()
    k = report.kpis.total
    names = [w["bar.with"], w["bar.without"]]
    rates = [(k.conversion_with_support or 0) * 100, (k.conversion_without_support or 0) * 100]
    axes.bar(names, rates, color=[BLUE, GREY])
    for x, (rate, revenue) in enumerate(zip(
            rates, [k.revenue_with_support, k.revenue_without_support], strict=True)):
        axes.text(x, rate, f"{tx.number(rate, '.1f', language)} %\n"
                  f"{revenue or 0:,.0f} {w['revenue']}", ha="center", va="bottom", fontsize=8)
    axes.set_ylabel(w["axis.sessions"])
    out.append(Chart("conversion", w["chart.conversion"], w["chart.conversion.desc"],
                     _svg(figure)))
    figure, axes = _figure()
    test = report.ab_verdict.test
    conv = [(v.conversion or 0) * 100 for v in report.variants]
    axes.bar([f"A ({report.variants[0].exposures})", f"B ({report.variants[1].exposures})"], conv,
             color=[GREY, BLUE])
    if test is not None:
        half = (test.ci_high - test.ci_low) / 2 * 100
        axes.errorbar([1], [conv[1]], yerr=[[half], [half]], color="#222222", capsize=6)
    axes.set_ylabel(w["axis.conversion"])
    out.append(Chart("ab_test", w["chart.ab_test"], w["chart.ab_test.desc"], _svg(figure)))
    figure = Figure(figsize=(7.2, 3.0), dpi=100)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    hours = range(len(report.staffing))
    axes.step(hours, [n.needed for n in report.staffing], where="mid", color=BLUE,
              label=w["legend.needed"])
    axes.step(hours, [n.observed_agents for n in report.staffing], where="mid", color=ORANGE,
              label=w["legend.seen"])
    axes.set_xticks([d * 24 for d in range(7)], list(tx.WEEKDAYS[tx.language_of(language)]))
    axes.set_ylabel(w["axis.agents"])
    axes.legend(fontsize=8, frameon=False)
    out.append(Chart("staffing", w["chart.staffing"],
                     w["chart.staffing.desc"].format(target=num(t.asa_seconds)), _svg(figure)))
    return out


def _fmt(value: float | None, kind: str, language: str = "en") -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return f"{tx.number(value * 100, '.1f', language)} %"
    if kind == "seconds":
        return f"{tx.number(value, '.1f', language)} s"
    return tx.number(value, ".2f", language)


TEMPLATE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True,
    undefined=jinja2.StrictUndefined,
).get_template("report.html.j2")

#: the statuses of ``build.statuses`` in order: their catalogue key and how their value is shown
_STATUSES = (("asa", "seconds"), ("fcr", "percent"), ("abandonment", "percent"), ("csat", "n"),
             ("per100", "n"))


def _target(key: str, target: str, language: str) -> str:
    """A status's target in the report's language (the build writes it in English)."""
    w = tx.texts(language)
    if key == "per100":
        before = target.partition("(previous ")[2].rstrip(")")
        return w["target.previous"].format(before=tx.number(float(before), ".1f", language)) \
            if before else w["target.falling"]
    return target.replace(".", ",") if tx.language_of(language) == "sv" else target


def render_html(report: Report, language: str = "en") -> str:
    """The report as one self-contained page in Swedish (``sv``) or English (``en``)."""
    lang = tx.language_of(language)
    w = tx.texts(lang)
    zone = ZoneInfo(report.period.timezone)
    total = report.kpis.total

    def fmt(value: float | None, kind: str) -> str:
        return _fmt(value, kind, lang)

    status_rows = []
    for s, (key, kind) in zip(report.statuses, _STATUSES, strict=True):
        css = "na" if s.ok is None else ("ok" if s.ok else "bad")
        status_rows.append({"name": w[f"status.{key}"], "key": key, "text": fmt(s.value, kind),
                            "target": _target(key, s.target, lang), "css": css,
                            "verdict": w[f"verdict.{css}"]})
    totals = [
        (w["total.asa_mean"], fmt(total.asa_mean, "seconds")),
        (w["total.asa_p90"], fmt(total.asa_p90, "seconds")),
        (w["total.fcr"], fmt(total.fcr, "percent")),
        (w["total.abandonment_before"], fmt(total.abandonment_before_answer, "percent")),
        (w["total.abandonment"], fmt(total.abandonment, "percent")),
        (w["total.csat_mean"], fmt(total.csat_mean, "n")),
        (w["total.csat_rate"], fmt(total.csat_response_rate, "percent")),
        (w["total.purchases"], str(total.purchases)),
        (w["total.per100"], fmt(total.cases_per_100_purchases, "n")),
        (w["total.conv_with"], fmt(total.conversion_with_support, "percent")),
        (w["total.conv_without"], fmt(total.conversion_without_support, "percent")),
        (w["total.rev_with"], fmt(total.revenue_with_support, "n")),
        (w["total.rev_without"], fmt(total.revenue_without_support, "n")),
        (w["total.payment_abandonment"], fmt(total.payment_abandonment, "percent")),
    ]
    variants = [
        (v.variant, v.exposures, v.help_presses, v.purchases, fmt(v.conversion, "percent"),
         fmt(v.asa_mean, "seconds"), fmt(v.fcr, "percent"), fmt(v.abandonment, "percent"),
         v.reached_payment, fmt(v.payment_abandonment, "percent"))
        for v in report.variants
    ]
    days = tx.WEEKDAYS[lang]
    understaffed = [
        (f"{days[n.weekday]} {n.hour:02d}:00", tx.number(n.arrivals_per_hour, ".1f", lang), n.needed,
         n.observed_agents)
        for n in report.staffing if n.gap >= 2
    ]
    stores = [
        (name, k.cases, fmt(k.asa_mean, "seconds"), fmt(k.fcr, "percent"), fmt(k.abandonment, "percent"),
         fmt(k.csat_mean, "n"), fmt(k.cases_per_100_purchases, "n"))
        for name, k in report.kpis.by.get("store", {}).items()
    ]
    return TEMPLATE.render(
        lang=lang, t=w, period=report.period.label,
        generated=datetime.fromtimestamp(report.generated_at, zone).strftime("%Y-%m-%d %H:%M %Z"),
        demo=report.demo_data, statuses=status_rows, total=total, totals=totals,
        charts=charts(report, lang), ab_message=tx.ab_message(report.ab_verdict, lang),
        variants=variants, understaffed=understaffed, stores=stores,
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
    """Write ``helpwire-report-<slug>.{html,sv.html,csv,json}`` (the page in English and in
    Swedish); returns the paths by kind (``html``, ``html_sv``, ``csv``, ``json``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"helpwire-report-{slug(report)}"
    paths = {"html": out_dir / f"{base}.html", "html_sv": out_dir / f"{base}.sv.html",
             "csv": out_dir / f"{base}.csv", "json": out_dir / f"{base}.json"}
    paths["html"].write_text(render_html(report, "en"), encoding="utf-8")
    paths["html_sv"].write_text(render_html(report, "sv"), encoding="utf-8")
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


