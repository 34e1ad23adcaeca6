"""The plain-language summary at the top of the report, generated from the numbers.

Every number in the text is looked up in the results files and wrapped in a span that
names its source (file, scenario, area, KPI, field), so a test can check that the words
say exactly what the tables below them say.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.results.kpis import COUNTY

HEADLINE = "first_wait_median_weeks"


@dataclass(frozen=True)
class Number:
    """A number quoted in the text, and where it comes from."""

    source: str  # "summary", "comparison" or "analytic"
    scenario: str  # folder slug
    area: str
    kpi: str
    field: str
    value: float
    digits: int

    def html(self, *, absolute: bool = False, signed: bool = False) -> str:
        """The number in a span a test can check against its source."""
        value = abs(self.value) if absolute else self.value
        text = f"{value:+,.{self.digits}f}" if signed else f"{value:,.{self.digits}f}"
        attrs = (
            f'data-source="{self.source}" data-scenario="{html.escape(self.scenario)}" '
            f'data-area="{html.escape(self.area)}" data-kpi="{self.kpi}" '
            f'data-field="{self.field}" data-digits="{self.digits}"'
            + (' data-absolute="1"' if absolute else "")
        )
        return f'<span class="num" {attrs}>{text}</span>'


def _summary_number(run: ScenarioResult, area: str, kpi: str, field: str, digits: int) -> Number:
    rows = run.summary[(run.summary.area == area) & (run.summary.kpi == kpi)]
    value = float(rows[field].iloc[0]) if len(rows) else math.nan
    return Number("summary", run.slug, area, kpi, field, value, digits)


def _comparison_number(
    data: ReportData, slug: str, area: str, kpi: str, field: str, digits: int
) -> Number:
    table = data.comparison
    rows = table[(table.folder == slug) & (table.area == area) & (table.kpi == kpi)]
    value = float(rows[field].iloc[0]) if len(rows) else math.nan
    return Number("comparison", slug, area, kpi, field, value, digits)


def _month(ts: pd.Timestamp) -> str:
    return ts.strftime("%B %Y")


def _ci(low: Number, high: Number, unit: str = "") -> str:
    return f"95% CI {unit}{low.html()} to {unit}{high.html()}"


def run_summary(run: ScenarioResult) -> list[str]:
    """Sentences (HTML) describing one run."""
    last_day = run.end_date - pd.Timedelta(days=1)

    def num(kpi: str, field: str = "mean", digits: int = 1, area: str = COUNTY) -> Number:
        return _summary_number(run, area, kpi, field, digits)

    sentences = [
        f"From {_month(run.start_date)} to {_month(last_day)}, children in the county "
        f"waited a median of {num(HEADLINE).html()} weeks "
        f"({_ci(num(HEADLINE, 'ci95_low'), num(HEADLINE, 'ci95_high'))}) from referral to a "
        "first appointment, counting the first appointments held in that time.",
        f"Of the children referred in that time, {num('referred_seen_within_13w_pct').html()}% "
        "were first seen within 13 weeks of referral (NICE QS51: 3 months).",
        f"At the end, {num('open_end', digits=0).html()} children are on the list "
        f"({_ci(num('open_end', 'ci95_low', 0), num('open_end', 'ci95_high', 0))}), and "
        f"{num('open_52w_plus_end', digits=0).html()} of them have waited a year or more.",
    ]
    districts = run.summary[(run.summary.area_type == "district") & (run.summary.kpi == HEADLINE)]
    if len(districts) > 1:
        worst = districts.loc[districts["mean"].idxmax(), "area"]
        best = districts.loc[districts["mean"].idxmin(), "area"]
        sentences.append(
            f"Median waits are longest in {html.escape(worst)} "
            f"({num(HEADLINE, area=worst).html()} weeks) and shortest in {html.escape(best)} "
            f"({num(HEADLINE, area=best).html()} weeks)."
        )
    sentences += _analytic_sentence(run)
    return sentences


def _analytic_sentence(run: ScenarioResult) -> list[str]:
    panel = run.analytic
    over = panel[panel.load_peak >= 1.0]
    if over.empty:
        return ["The fluid arithmetic puts demand below capacity in every team."]
    worst = over.loc[over.load_peak.idxmax()]
    peak = Number("analytic", run.slug, str(worst.team), "load_peak", "value", worst.load_peak, 2)
    names = [html.escape(str(t)) for t in over.team]
    teams = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "team" if len(names) == 1 else "teams"
    return [
        f"The fluid arithmetic puts demand above capacity in the {teams} {noun} at some point "
        f"(highest 13-week load {peak.html()} in {html.escape(str(worst.team))}), so those "
        "lists grow unless enough families leave them."
    ]


def comparison_summary(data: ReportData) -> list[str]:
    """Sentences (HTML) comparing each option with the base."""
    base = data.base
    end = _month(base.end_date - pd.Timedelta(days=1))
    sentences = []
    for option in data.scenarios[1:]:
        sentences.append(_option_sentence(data, base, option, end))
    return sentences


def _option_sentence(
    data: ReportData, base: ScenarioResult, option: ScenarioResult, end: str
) -> str:
    def num(slug: str, kpi: str, field: str, digits: int = 1, area: str = COUNTY) -> Number:
        return _comparison_number(data, slug, area, kpi, field, digits)

    before = num(base.slug, HEADLINE, "mean")
    after = num(option.slug, HEADLINE, "mean")
    diff = num(option.slug, HEADLINE, "diff_from_base")
    low, high = (
        num(option.slug, HEADLINE, "diff_ci95_low"),
        num(option.slug, HEADLINE, "diff_ci95_high"),
    )
    verb = _verb(diff, low, high, "falls", "rises")
    text = (
        f"With <b>{html.escape(option.label)}</b>, the county's median wait for a first "
        f"appointment {verb} from {before.html()} to {after.html()} weeks (difference "
        f"{diff.html(signed=True)} weeks, {_ci(low, high)})"
    )
    long_wait = num(option.slug, "open_52w_plus_end", "diff_from_base", 0)
    lw_low = num(option.slug, "open_52w_plus_end", "diff_ci95_low", 0)
    lw_high = num(option.slug, "open_52w_plus_end", "diff_ci95_high", 0)
    more_or_fewer = "fewer" if long_wait.value < 0 else "more"
    text += (
        f", and {long_wait.html(absolute=True)} {more_or_fewer} children have waited a year or "
        f"more by {end} (paired difference {_ci(lw_low, lw_high)})."
    )
    text += _district_clause(data, option)
    text += _cost_clause(data, option)
    return text


def _verb(diff: Number, low: Number, high: Number, down: str, up: str) -> str:
    if low.value <= 0 <= high.value:
        return f"barely changes ({'falls' if diff.value < 0 else 'rises'} slightly)"
    return down if diff.value < 0 else up


def _district_clause(data: ReportData, option: ScenarioResult) -> str:
    table = data.comparison
    rows = table[
        (table.folder == option.slug) & (table.area_type == "district") & (table.kpi == HEADLINE)
    ]
    if rows.empty or rows.diff_from_base.isna().all():
        return ""
    row = rows.loc[rows.diff_from_base.abs().idxmax()]
    area = str(row.area)

    def num(slug: str, field: str) -> Number:
        return _comparison_number(data, slug, area, HEADLINE, field, 1)

    before, after = num(data.base.slug, "mean"), num(option.slug, "mean")
    low, high = num(option.slug, "diff_ci95_low"), num(option.slug, "diff_ci95_high")
    return (
        f" The largest change is in {html.escape(area)}, from {before.html()} to "
        f"{after.html()} weeks (paired difference {_ci(low, high)})."
    )


def _cost_clause(data: ReportData, option: ScenarioResult) -> str:
    cost = _comparison_number(
        data, option.slug, COUNTY, "intervention_cost_gbp", "diff_from_base", 0
    )
    if not cost.value:
        return " It adds no cost."
    text = f" It adds £{cost.html()} of cost"
    per_week = _comparison_number(
        data, option.slug, COUNTY, "cost_per_week_of_median_wait_saved_gbp", "mean", 0
    )
    if math.isnan(per_week.value):
        return text + ", without a clear saving in the median wait."
    low = _comparison_number(
        data, option.slug, COUNTY, "cost_per_week_of_median_wait_saved_gbp", "ci95_low", 0
    )
    high = _comparison_number(
        data, option.slug, COUNTY, "cost_per_week_of_median_wait_saved_gbp", "ci95_high", 0
    )
    tail = f" ({_ci(low, high, '£')})" if not math.isnan(low.value) else ""
    return text + f": £{per_week.html()} per week of median wait saved{tail}."


def summary_html(data: ReportData) -> str:
    """The summary section's paragraphs."""
    paragraphs = [" ".join(run_summary(data.base))]
    if data.kind == "comparison":
        paragraphs += comparison_summary(data)
    caveat = (
        "These are projections from the scenario's assumptions (demand, staffing and the "
        "starting list as written in the scenario files), not forecasts of what will happen "
        "whatever is decided; the intervals show the play of chance between replications, "
        "not the uncertainty in those assumptions."
    )
    return "\n".join(f"<p>{p}</p>" for p in [*paragraphs, caveat])
