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

from nd_sim.experiments.districts import EQUITY_KPI, district_words, gains_and_losses
from nd_sim.experiments.ranking import Objective, change_words, rank_scenarios
from nd_sim.report.data import ReportData, ScenarioResult
from nd_sim.results import registry
from nd_sim.results.bands import band_words
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
    round_to: int = 0  # money: round to 10 ** round_to first (3: to the nearest £1,000)

    def html(self, *, absolute: bool = False, signed: bool = False) -> str:
        """The number in a span a test can check against its source."""
        value = abs(self.value) if absolute else self.value
        value = round(value, -self.round_to) if self.round_to else value
        text = f"{value:+,.{self.digits}f}" if signed else f"{value:,.{self.digits}f}"
        attrs = (
            f'data-source="{self.source}" data-scenario="{html.escape(self.scenario)}" '
            f'data-area="{html.escape(self.area)}" data-kpi="{self.kpi}" '
            f'data-field="{self.field}" data-digits="{self.digits}"'
            + (' data-absolute="1"' if absolute else "")
            + (f' data-round="{self.round_to}"' if self.round_to else "")
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

    cw = "child_weeks_waiting"
    sentences = [
        f"From {_month(run.start_date)} to {_month(last_day)}, children in the county spent "
        f"{num(cw, digits=0).html()} child-weeks on the list "
        f"({_ci(num(cw, 'ci95_low', 0), num(cw, 'ci95_high', 0))}), "
        f"{num('child_weeks_waiting_assessment', digits=0).html()} of them inside the "
        "assessment after a first appointment.",
        f"At the end, {num('open_end', digits=0).html()} children are on the list "
        f"({_ci(num('open_end', 'ci95_low', 0), num('open_end', 'ci95_high', 0))}), and "
        f"{num('open_52w_plus_end', digits=0).html()} of them have waited a year or more; "
        f"the children still waiting have waited a median of "
        f"{num('open_wait_median_end_weeks').html()} weeks so far (92nd percentile "
        f"{num('open_wait_p92_end_weeks').html()} weeks).",
        f"Of the children referred in that time, {num('referred_seen_within_13w_pct').html()}% "
        "were first seen within 13 weeks of referral (NICE QS51: 3 months). The first "
        f"appointments held waited a median of {num(HEADLINE).html()} weeks "
        f"({_ci(num(HEADLINE, 'ci95_low'), num(HEADLINE, 'ci95_high'))}) from referral, and "
        f"assessments completed a median of {num('outcome_wait_median_weeks').html()} weeks "
        "from referral to outcome.",
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
    return sentences  # the analytic panel has its own section, in words, once


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
    """The option's effect on the objective, then what it clearly improves and what it
    clearly makes worse among the headline measures (cost has its own clause)."""
    objective = _objective(data)
    kpi, area = objective.kpi, objective.area

    def num(slug: str, name: str, field: str, digits: int = 1) -> Number:
        return _comparison_number(data, slug, area, name, field, digits)

    digits = 0 if registry.unit(kpi) in ("children", "child-weeks") else 1
    before, after = num(base.slug, kpi, "mean", digits), num(option.slug, kpi, "mean", digits)
    diff = num(option.slug, kpi, "diff_from_base", digits)
    low = num(option.slug, kpi, "diff_ci95_low", digits)
    high = num(option.slug, kpi, "diff_ci95_high", digits)
    verb = _verb(diff, low, high, "falls", "rises")
    where = "the county's" if objective.area_type == "county" else f"{html.escape(area)}'s"
    text = (
        f"With <b>{html.escape(option.label)}</b>, {where} {registry.label(kpi)} (the "
        f"objective) {verb} from {before.html()} to {after.html()} (difference "
        f"{diff.html(signed=True)}, {_ci(low, high)})."
    )
    ranks = rank_scenarios(data.comparison, objective, end=end)
    row = ranks.set_index("folder").loc[option.slug]
    good = _changes(data, option.slug, row.gains, area, end)
    bad = _changes(data, option.slug, row.tradeoffs, area, end)
    if good and bad:
        text += f" It {'; '.join(good)}, <b>but</b> it {'; '.join(bad)}."
    elif bad:
        text += f" <b>Trade-off:</b> it {'; '.join(bad)}."
    elif good:
        text += f" It also {'; '.join(good)}."
    text += _district_clause(data, option)
    text += _cost_clause(data, option)
    return text


def _objective(data: ReportData) -> Objective:
    saved = data.manifest.get("objective") or {}
    return Objective(**saved) if saved else Objective()


def _changes(data: ReportData, slug: str, names: str, area: str, end: str) -> list[str]:
    """Each named headline KPI's paired difference in words, its number in a source span."""
    out = []
    for kpi in filter(None, str(names or "").split(";")):
        if kpi == "intervention_cost_gbp":
            continue  # the cost clause says it

        def wrap(_: str, digits: int, kpi: str = kpi) -> str:
            number = _comparison_number(data, slug, area, kpi, "diff_from_base", digits)
            return number.html(absolute=True)

        value = _comparison_number(data, slug, area, kpi, "diff_from_base", 1).value
        out.append(change_words(kpi, value, end, wrap))  # labels are ours: no markup
    return out


def _verb(diff: Number, low: Number, high: Number, down: str, up: str) -> str:
    if low.value <= 0 <= high.value:
        return f"barely changes ({'falls' if diff.value < 0 else 'rises'} slightly)"
    return down if diff.value < 0 else up


def _district_clause(data: ReportData, option: ScenarioResult) -> str:
    """The districts the option clearly helps and clearly hurts (median wait from referral
    to an outcome), so a gain on average never hides a district that loses."""

    def fmt(area: str, _: float) -> str:
        number = _comparison_number(data, option.slug, area, EQUITY_KPI, "diff_from_base", 1)
        return number.html(signed=True)

    gain, lose = gains_and_losses(data.comparison, option.slug)
    escaped = [[(html.escape(a), d) for a, d in side] for side in (gain, lose)]
    names = {html.escape(a): a for a, _ in gain + lose}
    words = district_words(*escaped, fmt=lambda area, d: fmt(names[area], d))
    if not words:
        return " No district's median wait to an outcome clearly changes."
    return f" By district: {words} (median weeks from referral to an outcome)."


def _cost_clause(data: ReportData, option: ScenarioResult) -> str:
    """The option's cost, the one figure the whole report uses (`ReportData.added_cost_gbp`:
    options.csv's committed money in an options folder), to the nearest £1,000, and what it
    buys per child-week and per week of median wait saved where the saving is clear."""
    options = data.options is not None and "budget_committed_gbp" in data.options
    field = "budget_committed_gbp" if options else "diff_from_base"
    source, kpi = (
        ("options", "budget_committed_gbp")
        if options
        else (
            "comparison",
            "intervention_cost_gbp",
        )
    )
    value = data.added_cost_gbp(option.slug)
    if math.isnan(value) or not value:
        return " It adds no cost."
    cost = Number(source, option.slug, COUNTY, kpi, field, value, 0, round_to=3)
    verb = "commits" if options else "adds"
    text = f" It {verb} £{cost.html()}"
    ratios = []
    for ratio, what in (
        ("cost_per_child_week_saved_gbp", "per child-week of waiting saved"),
        ("cost_per_week_of_median_wait_saved_gbp", "per week cut from the median wait"),
    ):
        per = _comparison_number(data, option.slug, COUNTY, ratio, "mean", 0)
        if math.isnan(per.value):
            continue
        low = _comparison_number(data, option.slug, COUNTY, ratio, "ci95_low", 0)
        high = _comparison_number(data, option.slug, COUNTY, ratio, "ci95_high", 0)
        wide = not (math.isnan(low.value) or round(low.value) == round(high.value))
        tail = f" ({_ci(low, high, '£')})" if wide else ""
        ratios.append(f"£{per.html()} {what}{tail}")
    if not ratios:
        return text + ", without a clear saving in child-weeks or the median wait."
    return text + ": " + "; ".join(ratios) + " (added cost over the run per unit saved)."


def summary_html(data: ReportData) -> str:
    """The summary section's paragraphs."""
    paragraphs = [" ".join(run_summary(data.base))]
    if data.kind == "comparison":
        paragraphs += comparison_summary(data)
    caveat = (
        "These are projections from the scenario's assumptions (demand, staffing and the "
        "starting list as written in the scenario files), not forecasts of what will happen "
        "whatever is decided. " + band_words(data.base.scenario)
    )
    return "\n".join(f"<p>{p}</p>" for p in [*paragraphs, caveat])
