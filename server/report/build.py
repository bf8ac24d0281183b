"""The weekly report's figures: KPIs for the period (and the one before, for trends), the A/B
test per variant, staffing per hour of the week. Pure apart from ``load``, which reads the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..core import abtest
from ..core.kpi import Dataset, Kpis, Period, PeriodKpis, period_kpis
from ..core.staffing import HourNeed, hourly_needs
from ..settings import Settings
from ..settings.reports import Targets
from ..store.analytics import AnalyticsRepository


@dataclass(frozen=True)
class Status:
    """One figure against its target: ``ok`` True (green), False (red) or None (no data/target)."""

    name: str
    value: float | None
    target: str
    ok: bool | None


@dataclass(frozen=True)
class VariantFigures:
    variant: str
    exposures: int
    help_presses: int
    purchases: int
    conversion: float | None
    asa_mean: float | None
    fcr: float | None
    abandonment: float | None
    #: exposed sessions that reached the payment step, and the share of them without a purchase
    reached_payment: int = 0
    payment_abandonment: float | None = None


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: float
    kpis: PeriodKpis
    previous: Kpis
    statuses: list[Status]
    variants: list[VariantFigures]
    ab_verdict: abtest.Verdict
    staffing: list[HourNeed]
    targets: Targets
    demo_data: bool
    case_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        verdict = self.ab_verdict
        test = verdict.test
        return {
            "generated_at": self.generated_at,
            "demo_data": self.demo_data,
            **self.kpis.as_dict(),
            "previous_period_total": self.previous.as_dict(),
            "targets": self.targets.model_dump(),
            "statuses": [s.__dict__ for s in self.statuses],
            "ab_test": {
                "variants": [v.__dict__ for v in self.variants],
                "verdict": verdict.status,
                "message": verdict.message,
                "required_per_group": verdict.required_per_group,
                "test": test.__dict__ if test is not None else None,
            },
            "staffing": [
                {**n.__dict__, "gap": n.gap} for n in self.staffing
            ],
            # every figure above is computed from these stored cases (table `cases`, `case_events`)
            "case_ids": self.case_ids,
        }


def statuses(total: Kpis, previous: Kpis, targets: Targets) -> list[Status]:
    def check(value: float | None, good: bool) -> bool | None:
        return None if value is None else good

    per100 = total.cases_per_100_purchases
    before = previous.cases_per_100_purchases
    return [
        Status("ASA (mean, s)", total.asa_mean, f"< {targets.asa_seconds:g} s",
               check(total.asa_mean, (total.asa_mean or 0) < targets.asa_seconds)),
        Status("FCR", total.fcr, f"> {targets.fcr:.0%}", check(total.fcr, (total.fcr or 0) > targets.fcr)),
        Status("Abandoned", total.abandonment, f"< {targets.abandonment:.0%}",
               check(total.abandonment, (total.abandonment or 0) < targets.abandonment)),
        Status("CSAT (1–5)", total.csat_mean, f"> {targets.csat:g}",
               check(total.csat_mean, (total.csat_mean or 0) > targets.csat)),
        Status("Cases per 100 purchases", per100,
               "falling" + (f" (previous {before:.1f})" if before is not None else ""),
               None if per100 is None or before is None else per100 <= before),
    ]


def build_report(data: Dataset, period: Period, settings: Settings, generated_at: float) -> Report:
    reports = settings.reports
    window = reports.fcr_window_hours * 3600
    current = period_kpis(data, period, fcr_window_seconds=window)
    length = period.end - period.start
    prev_period = Period(period.start - timedelta(days=length.days or 1), period.start, period.timezone)
    previous = period_kpis(data, prev_period, fcr_window_seconds=window, groupings=()).total
    variants = []
    for name in abtest.VARIANTS:
        k = current.by.get("variant", {}).get(name)
        if k is None:
            variants.append(VariantFigures(name, 0, 0, 0, None, None, None, None))
            continue
        converted = (k.converted_with_support or 0) + (k.converted_without_support or 0)
        variants.append(VariantFigures(
            name, k.sessions or 0, k.sessions_with_support or 0, converted,
            converted / k.sessions if k.sessions else None, k.asa_mean, k.fcr, k.abandonment,
            k.sessions_reached_payment or 0, k.payment_abandonment,
        ))
    a, b = variants
    ab = settings.ab_test
    verdict = abtest.verdict(a.purchases, a.exposures, b.purchases, b.exposures,
                             min_detectable_effect=ab.min_detectable_effect, alpha=ab.alpha,
                             power=ab.power)
    in_period = [c for c in data.cases if period.contains(c.created_at)]
    weeks = (period.end_ts - period.start_ts) / (7 * 86400)
    staffing = hourly_needs(in_period, period.timezone, weeks, reports.targets.asa_seconds)
    stores = {c.store for c in in_period} | {p.store for p in data.purchases}
    return Report(
        period=period,
        generated_at=generated_at,
        kpis=current,
        previous=previous,
        statuses=statuses(current.total, previous, reports.targets),
        variants=variants,
        ab_verdict=verdict,
        staffing=staffing,
        targets=reports.targets,
        demo_data=any(s.startswith("demo-") for s in stores),
        case_ids=[c.id for c in in_period],
    )


async def load(analytics: AnalyticsRepository, period: Period, settings: Settings) -> Dataset:
    """The period, the period before it (trends), and a look-ahead of the FCR window."""
    length = period.end_ts - period.start_ts
    lookahead = settings.reports.fcr_window_hours * 3600
    return await analytics.dataset(period.start_ts - length - 86400, period.end_ts, lookahead)
