"""The weekly report's words in Swedish and English (Swedish first, like every user-facing text).

``texts(language)`` gives one language's catalogue; ``render.render_html(report, language)``
uses it for the page, the charts and the A/B verdict. The figures themselves are the same in
both languages; only words, decimal commas and weekday names change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from ..core.abtest import Verdict

Language = Literal["sv", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "sv"

_SV: dict[str, str] = {
    "title": "Helpwire veckorapport {period}",
    "heading": "Helpwire veckorapport: {period}",
    "generated": "Skapad {generated}. Varje siffra är beräknad från lagrad ärendemetadata (tabellerna "
                 "<code>cases</code>, <code>case_events</code>, <code>purchases</code>, "
                 "<code>session_exposures</code>, <code>session_progress</code>); JSON-filen listar "
                 "ärendenas id.",
    "demo": "<strong>Demodata:</strong> rapporten innehåller syntetisk demodata (butiker som heter "
            "<code>demo-…</code>), skapad med <code>python -m server demo-data</code>.",
    "targets": "Mot målen",
    "target": "mål {target}",
    "verdict.na": "(ingen data)", "verdict.ok": "✔ uppfyllt", "verdict.bad": "✘ missat",
    "totals": "Totalt ({cases} ärenden, {answered} besvarade, {open} fortfarande öppna)",
    "figure": "mått", "value": "värde",
    "status.asa": "ASA (medel, s)", "status.fcr": "FCR", "status.abandonment": "Avbrutna",
    "status.csat": "CSAT (1–5)", "status.per100": "Ärenden per 100 köp",
    "target.falling": "sjunkande", "target.previous": "sjunkande (förra {before})",
    "total.asa_mean": "ASA medel", "total.asa_p90": "ASA 90:e percentil", "total.fcr": "FCR",
    "total.abandonment_before": "Avbrutna före svar",
    "total.abandonment": "Avbrutna (före + efter svar)", "total.csat_mean": "CSAT medel",
    "total.csat_rate": "CSAT svarsfrekvens", "total.purchases": "Köp",
    "total.per100": "Ärenden per 100 köp", "total.conv_with": "Konvertering med support",
    "total.conv_without": "Konvertering utan support",
    "total.rev_with": "Intäkt i sessioner med support",
    "total.rev_without": "Intäkt i sessioner utan support",
    "total.payment_abandonment": "Avbrott i betalsteget",
    "variant": "variant", "exposed": "exponerade sessioner", "presses": "hjälptryck",
    "with_purchase": "sessioner med köp", "conversion": "konvertering", "asa": "ASA",
    "fcr": "FCR", "abandoned": "avbrutna", "reached_payment": "nådde betalning",
    "payment_abandonment": "avbrott i betalsteget",
    "understaffed": "Timmar med två eller fler agenter för lite", "hour": "timme",
    "arrivals": "ankomster/h", "needed": "behövs", "seen": "sedda", "none": "inga",
    "per_store": "Per butik", "store": "butik", "cases": "ärenden", "csat": "CSAT",
    "per100": "ärenden/100 köp", "no_data": "ingen data",
    "chart.asa": "ASA per dag",
    "chart.asa.desc": "Medel och 90:e percentil av väntan från kö till svar, mål under {target} s.",
    "chart.fcr": "Lösta vid första kontakt per dag",
    "chart.fcr.desc": "Ärenden avslutade som lösta utan nytt ärende inom FCR-fönstret; mål över "
                      "{target}.",
    "chart.abandonment": "Avbrutna supportsessioner per dag",
    "chart.abandonment.desc": "Före svar och efter; mål under {target}.",
    "chart.csat": "CSAT per dag", "chart.csat.desc": "Medelbetyg med emoji (1–5); mål över {target}.",
    "chart.cases_per_100": "Ärenden per 100 köp per dag",
    "chart.cases_per_100.desc": "Hjälpärenden per 100 köp; en sjunkande trend betyder en bättre "
                                "butik.",
    "chart.conversion": "Konvertering med och utan support",
    "chart.conversion.desc": "Butikssessioner som slutade med köp, efter om sessionen använde "
                             "Hjälp.",
    "chart.ab_test": "A/B-test av Hjälp-knappen",
    "chart.ab_test.desc": "Konvertering per variant (exponerade sessioner inom parentes); "
                          "stapeln på B är konfidensintervallet för skillnaden B − A.",
    "chart.staffing": "Bemanning per timme i veckan",
    "chart.staffing.desc": "Agenter som behövs för att hålla ASA under {target} s, mot förra "
                           "perioden.",
    "axis.seconds": "sekunder", "axis.finished": "% av avslutade ärenden", "axis.rating": "betyg",
    "axis.cases": "ärenden", "axis.sessions": "% av sessioner med köp",
    "axis.conversion": "konvertering %", "axis.agents": "agenter",
    "legend.mean": "medel", "legend.p90": "90:e percentil", "legend.target": "mål",
    "legend.before": "lämnade före svar", "legend.after": "tappade efter svar",
    "legend.needed": "agenter som behövs (Erlang C)", "legend.seen": "agenter som svarade",
    "bar.with": "med support", "bar.without": "utan support", "revenue": "intäkt",
    "ab.no_data": "Inga exponeringar i en av varianterna än: inget att jämföra.",
    "ab.not_enough_data": "För lite data än: {required} sessioner per variant behövs för att "
                          "upptäcka en skillnad på {effect} procentenheter (A har {n_a}, B har "
                          "{n_b}).",
    "ab.significant": "Variant {better} konverterar bättre: {difference} procentenheter "
                      "(KI {low} till {high}), p = {p}.",
    "ab.not_significant": "Ingen signifikant skillnad: {difference} procentenheter "
                          "(KI {low} till {high}), p = {p}.",
    "other_language": "Read in English",
}

_EN: dict[str, str] = {
    "title": "Helpwire report {period}",
    "heading": "Helpwire weekly report: {period}",
    "generated": "Generated {generated}. Every figure is computed from stored case metadata (tables "
                 "<code>cases</code>, <code>case_events</code>, <code>purchases</code>, "
                 "<code>session_exposures</code>, <code>session_progress</code>); the JSON file "
                 "lists the case ids.",
    "demo": "<strong>Demo data:</strong> this report contains synthetic demo data (stores named "
            "<code>demo-…</code>), made by <code>python -m server demo-data</code>.",
    "targets": "Against the targets",
    "target": "target {target}",
    "verdict.na": "(no data)", "verdict.ok": "✔ met", "verdict.bad": "✘ missed",
    "totals": "Totals ({cases} cases, {answered} answered, {open} still open)",
    "figure": "figure", "value": "value",
    "status.asa": "ASA (mean, s)", "status.fcr": "FCR", "status.abandonment": "Abandoned",
    "status.csat": "CSAT (1–5)", "status.per100": "Cases per 100 purchases",
    "target.falling": "falling", "target.previous": "falling (previous {before})",
    "total.asa_mean": "ASA mean", "total.asa_p90": "ASA 90th percentile", "total.fcr": "FCR",
    "total.abandonment_before": "Abandoned before answer",
    "total.abandonment": "Abandoned (before + after answer)", "total.csat_mean": "CSAT mean",
    "total.csat_rate": "CSAT response rate", "total.purchases": "Purchases",
    "total.per100": "Cases per 100 purchases", "total.conv_with": "Conversion with support",
    "total.conv_without": "Conversion without support",
    "total.rev_with": "Revenue in sessions with support",
    "total.rev_without": "Revenue in sessions without support",
    "total.payment_abandonment": "Payment-step abandonment",
    "variant": "variant", "exposed": "exposed sessions", "presses": "help presses",
    "with_purchase": "sessions with purchase", "conversion": "conversion", "asa": "ASA",
    "fcr": "FCR", "abandoned": "abandoned", "reached_payment": "reached payment",
    "payment_abandonment": "payment-step abandonment",
    "understaffed": "Hours under-staffed by two or more agents", "hour": "hour",
    "arrivals": "arrivals/h", "needed": "needed", "seen": "seen", "none": "none",
    "per_store": "Per store", "store": "store", "cases": "cases", "csat": "CSAT",
    "per100": "cases/100 purchases", "no_data": "no data",
    "chart.asa": "ASA per day",
    "chart.asa.desc": "Mean and 90th percentile wait from queued to answered, target under "
                      "{target} s.",
    "chart.fcr": "First contact resolution per day",
    "chart.fcr.desc": "Cases closed as resolved with no repeat within the FCR window; target over "
                      "{target}.",
    "chart.abandonment": "Abandoned support sessions per day",
    "chart.abandonment.desc": "Before an answer and after it; target under {target}.",
    "chart.csat": "CSAT per day", "chart.csat.desc": "Mean emoji rating (1–5); target over {target}.",
    "chart.cases_per_100": "Cases per 100 purchases per day",
    "chart.cases_per_100.desc": "Help cases per 100 purchases; a falling trend means a better shop.",
    "chart.conversion": "Conversion with and without support",
    "chart.conversion.desc": "Shop sessions that ended in a purchase, by whether the session used "
                             "Help.",
    "chart.ab_test": "A/B test of the Help button",
    "chart.ab_test.desc": "Conversion per variant (exposed sessions in brackets); the bar on B is "
                          "the confidence interval of the difference B − A.",
    "chart.staffing": "Staffing per hour of the week",
    "chart.staffing.desc": "Agents needed to keep ASA under {target} s, against last period.",
    "axis.seconds": "seconds", "axis.finished": "% of finished cases", "axis.rating": "rating",
    "axis.cases": "cases", "axis.sessions": "% of sessions with a purchase",
    "axis.conversion": "conversion %", "axis.agents": "agents",
    "legend.mean": "mean", "legend.p90": "90th percentile", "legend.target": "target",
    "legend.before": "left before answer", "legend.after": "dropped after answer",
    "legend.needed": "agents needed (Erlang C)", "legend.seen": "agents seen answering",
    "bar.with": "with support", "bar.without": "without support", "revenue": "revenue",
    "ab.no_data": "No exposures in one of the variants yet: nothing to compare.",
    "ab.not_enough_data": "Not enough data yet: {required} sessions per variant are needed to "
                          "detect a {effect}-point difference (A has {n_a}, B has {n_b}).",
    "ab.significant": "Variant {better} converts better: {difference} points "
                      "(CI {low} to {high}), p = {p}.",
    "ab.not_significant": "No significant difference: {difference} points "
                          "(CI {low} to {high}), p = {p}.",
    "other_language": "Läs på svenska",
}

CATALOGUE: Mapping[str, Mapping[str, str]] = {"sv": _SV, "en": _EN}
WEEKDAYS: Mapping[str, tuple[str, ...]] = {
    "sv": ("mån", "tis", "ons", "tor", "fre", "lör", "sön"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def language_of(value: str | None) -> Language:
    """A supported language, or the default (Swedish) for anything else."""
    return "en" if value == "en" else "sv"


def texts(language: str) -> Mapping[str, str]:
    return CATALOGUE[language_of(language)]


def number(value: float, fmt: str, language: str) -> str:
    """``format(value, fmt)`` with a decimal comma in Swedish."""
    text = format(value, fmt)
    return text.replace(".", ",") if language_of(language) == "sv" else text


def ab_message(verdict: Verdict, language: str) -> str:
    """The A/B verdict in plain words (``abtest.verdict``'s message, in the report's language)."""
    if language_of(language) == "en":
        return verdict.message
    t = texts(language)
    test = verdict.test
    if verdict.status == "no_data" or test is None:
        return t["ab.no_data"]
    if verdict.status == "not_enough_data":
        return t["ab.not_enough_data"].format(
            required=verdict.required_per_group,
            effect=number(verdict.min_detectable_effect * 100, ".1f", language),
            n_a=test.n_a, n_b=test.n_b)
    values = {
        "better": "B" if test.difference > 0 else "A",
        "difference": number(test.difference * 100, "+.1f", language),
        "low": number(test.ci_low * 100, "+.1f", language),
        "high": number(test.ci_high * 100, "+.1f", language),
        "p": number(test.p_value, ".3f", language),
    }
    return t[f"ab.{verdict.status}"].format(**values)
