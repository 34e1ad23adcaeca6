"""Every KPI declared once: its unit, which direction is better, a plain-English label and
its definition.

Summary, compare, options, size, sweep, the terminal, the report and the docs table all read
this registry, so a KPI cannot be ranked one way in one place and the other way in another,
nor reach a reader under a configuration name. Families of KPIs share one entry: the name
before the dot (``utilisation_pct.paediatrician``, ``incomplete_wait_median_weeks.2027-03-31``).

``python -m nd_sim.results.registry`` rewrites the KPI tables of docs/outputs.md (a test
checks that they are current).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Better = Literal["lower", "higher"] | None


@dataclass(frozen=True)
class Kpi:
    """One KPI: `label` is the noun phrase a board reads ("children waiting 52+ weeks at the
    end"); `definition` is the precise meaning for the docs; `better` is None where neither
    direction is better (referrals, budgets), so nothing can be ranked on it."""

    name: str
    unit: str
    better: Better
    label: str
    definition: str
    group: str
    family: str = ""  # what follows the dot, for a family ("<profession>")
    short: str = ""  # a table header, where the label is too long for one

    @property
    def meaning(self) -> str:
        """The definition (the name older callers use)."""
        return self.definition


def _k(name, unit, better, label, definition, group, family="") -> Kpi:
    return Kpi(name, unit, better, label, definition, group, family, SHORT.get(name, ""))


SHORT = {
    "child_weeks_waiting": "child-weeks waiting",
    "first_wait_median_weeks": "median wk to 1st appt",
    "first_wait_p90_weeks": "P90 wk to 1st appt",
    "outcome_wait_median_weeks": "median wk to outcome",
    "outcome_wait_p90_weeks": "P90 wk to outcome",
    "referred_seen_within_13w_pct": "% referrals seen <=13 wk",
    "first_within_13w_pct": "% 1st appts <=13 wk",
    "open_end": "open at end",
    "open_52w_plus_end": "open 52+ wk at end",
    "open_104w_plus_end": "open 104+ wk at end",
    "open_wait_median_end_weeks": "open: median wk so far",
    "open_wait_p92_end_weeks": "open: P92 wk so far",
    "intervention_cost_gbp": "added cost",
    "district_gap_pathway_wait_weeks": "district gap, wk",
    "pathway_wait_median_weeks": "median wk referral to outcome",
    "assessed": "assessments",
}


WAITS = "Waits and whole-pathway measures"
LIST = "The list"
FLOWS = "Activity"
COSTS = "Costs (county only)"
STAFF = "Staff (team and county)"
VALUE = "Value for money (comparisons only, county)"
YEARS = "Financial years (comparisons only; first appointments and costs as above)"
EQUITY = "Fairness between districts"

KPIS: tuple[Kpi, ...] = (
    _k(
        "child_weeks_waiting", "child-weeks", "lower", "child-weeks spent waiting",
        "the total weeks children spend on the list during the horizon, from referral until "
        "they leave it (triage, waiting for a first appointment and inside the assessment until "
        "the outcome): the open list integrated over the horizon. The default objective",
        WAITS,
    ),
    _k(
        "child_weeks_waiting_triage", "child-weeks", "lower", "child-weeks waiting for triage",
        "the part of `child_weeks_waiting` spent waiting for the triage decision", WAITS,
    ),
    _k(
        "child_weeks_waiting_first", "child-weeks", "lower",
        "child-weeks waiting for a first appointment",
        "the part spent accepted and waiting for a first appointment", WAITS,
    ),
    _k(
        "child_weeks_waiting_assessment", "child-weeks", "lower",
        "child-weeks inside the assessment",
        "the part spent between the first appointment and the outcome", WAITS,
    ),
    _k(
        "first_wait_median_weeks", "weeks", "lower", "median wait for a first appointment",
        "median wait from referral to first appointment, over first appointments held in the "
        "horizon (the NHS clock-stop view)", WAITS,
    ),
    _k(
        "first_wait_p90_weeks", "weeks", "lower", "90th-percentile wait for a first appointment",
        "90th percentile of that wait", WAITS,
    ),
    _k(
        "first_wait_mean_weeks", "weeks", "lower", "mean wait for a first appointment",
        "mean of that wait", WAITS,
    ),
    _k(
        "referred_seen_within_13w_pct", "%", "higher",
        "share of referrals seen within 13 weeks",
        "the NICE QS51 view by referral: of the children newly referred during the run at "
        "least 13 weeks before its end and not signposted at triage, the share whose first "
        "appointment came within 13 weeks of referral (children who left unseen count as not "
        "seen). The 13-week measure to lead with: unlike `first_within_13w_pct`, it does not "
        "fall when extra capacity clears long waiters", WAITS,
    ),
    _k(
        "first_within_13w_pct", "%", "higher",
        "share of first appointments held within 13 weeks",
        "of the first appointments held in the horizon, the share held within 13 weeks of "
        "referral (≤ 13 weeks counts). Falls when long waiters are seen: prefer "
        "`referred_seen_within_13w_pct`", WAITS,
    ),
    _k(
        "first_within_18w_pct", "%", "higher",
        "share of first appointments held within 18 weeks",
        "of the first appointments held in the horizon, the share held within 18 weeks", WAITS,
    ),
    _k(
        "first_within_13w", "children", "higher",
        "children given a first appointment within 13 weeks",
        "how many first appointments in the horizon came within 13 weeks of referral (the "
        "count behind `first_within_13w_pct`)", WAITS,
    ),
    _k(
        "outcome_wait_median_weeks", "weeks", "lower", "median wait for an outcome",
        "median wait from referral to outcome, over assessments completed in the horizon "
        "(starting-list children included)", WAITS,
    ),
    _k(
        "outcome_wait_p90_weeks", "weeks", "lower", "90th-percentile wait for an outcome",
        "90th percentile of that wait", WAITS,
    ),
    _k(
        "outcome_wait_mean_weeks", "weeks", "lower", "mean wait for an outcome",
        "mean of that wait", WAITS,
    ),
    _k(
        "first_to_outcome_median_weeks", "weeks", "lower",
        "median weeks from first appointment to outcome",
        "median weeks from the first appointment to the outcome, over assessments completed in "
        "the horizon whose first appointment was held in the horizon",
        WAITS,
    ),
    _k(
        "first_to_outcome_p90_weeks", "weeks", "lower",
        "90th-percentile weeks from first appointment to outcome",
        "90th percentile of that time", WAITS,
    ),
    _k(
        "referred_outcome_within_18w_pct", "%", "higher",
        "share of referrals with an outcome within 18 weeks",
        "of the children newly referred at least 18 weeks before the end and not signposted, "
        "the share given an outcome within 18 weeks of referral (children who left without "
        "one count as not)", WAITS,
    ),
    _k(
        "referred_outcome_within_52w_pct", "%", "higher",
        "share of referrals with an outcome within 52 weeks",
        "the same within 52 weeks, over referrals at least 52 weeks before the end", WAITS,
    ),
    _k(
        "quarter_outcome_within_18w_pct", "%", "higher",
        "share of the quarter's referrals with an outcome within 18 weeks",
        "for the referrals of one calendar quarter (`.2026-Q2`; not signposted), the share "
        "given an outcome within 18 weeks. Censoring-aware: empty (not known yet) for a quarter "
        "whose last referral has had less than 18 weeks by the end", WAITS, "<quarter>",
    ),
    _k(
        "quarter_outcome_within_52w_pct", "%", "higher",
        "share of the quarter's referrals with an outcome within 52 weeks",
        "the same within 52 weeks; empty for quarters not yet 52 weeks old at the end", WAITS,
        "<quarter>",
    ),
    _k(
        "open_end", "children", "lower", "children on the list at the end",
        "open referrals at the end of the horizon, at any stage (triage, waiting for a first "
        "appointment, in assessment)", LIST,
    ),
    _k(
        "not_yet_seen_end", "children", "lower", "children not yet seen at the end",
        "open referrals not yet seen at the end: at triage plus accepted and waiting for a "
        "first appointment (`waiting_triage` + `waiting_first` of the last week in "
        "`weekly.parquet`)", LIST,
    ),
    _k(
        "in_assessment_end", "children", "lower", "children inside the assessment at the end",
        "open referrals that have had their first appointment and wait for more at the end",
        LIST,
    ),
    _k(
        "waiting_step_end", "children", "lower",
        "children waiting for this appointment step at the end",
        "of the children inside the assessment at the end, those waiting for this step "
        "(they have had the one before)", LIST, "<appointment>",
    ),
    _k(
        "waiting_outsourced_end", "children", "lower",
        "children an outsourced provider is assessing at the end",
        "children an outsourced provider has seen and not yet given an outcome, at the end: "
        "with `waiting_step_end` they make up `in_assessment_end`", LIST,
    ),
    _k(
        "open_13w_plus_end", "children", "lower", "children waiting 13+ weeks at the end",
        "open referrals that have waited 13 weeks or more at the end (any stage)", LIST,
    ),
    _k(
        "open_18w_plus_end", "children", "lower", "children waiting 18+ weeks at the end",
        "… 18 weeks or more", LIST,
    ),
    _k(
        "open_52w_plus_end", "children", "lower",
        "children waiting a year or more at the end", "… 52 weeks or more", LIST,
    ),
    _k(
        "open_104w_plus_end", "children", "lower",
        "children waiting two years or more at the end", "… 104 weeks or more", LIST,
    ),
    _k(
        "open_under_18w_pct_end", "%", "higher", "share of the list under 18 weeks at the end",
        "the 18-week view: share of the open list that has waited under 18 weeks", LIST,
    ),
    _k(
        "open_wait_median_end_weeks", "weeks", "lower",
        "median wait so far of the children still waiting",
        "incomplete pathways, as NHS referral-to-treatment statistics report them: median "
        "weeks waited so far by the open list at the end (censored: \"at least\")", LIST,
    ),
    _k(
        "open_wait_p92_end_weeks", "weeks", "lower",
        "92nd-percentile wait so far of the children still waiting",
        "92nd percentile of weeks waited so far by the open list at the end (the RTT "
        "standard's percentile)", LIST,
    ),
    _k(
        "incomplete_wait_median_weeks", "weeks", "lower",
        "median wait so far of the children still waiting, at a month end",
        "the median weeks waited so far by the open list at the end of each calendar month "
        "in the horizon (`.2027-03-31`)", LIST, "<month end>",
    ),
    _k(
        "incomplete_wait_p92_weeks", "weeks", "lower",
        "92nd-percentile wait so far of the children still waiting, at a month end",
        "the 92nd percentile of the same, at each month end", LIST, "<month end>",
    ),
    _k(
        "backlog_not_seen_end", "children", "lower", "children of today's list not yet seen",
        "`nd-sim size` targets only: children of the starting list not yet seen at the date",
        LIST,
    ),
    _k(
        "referrals", "children", None, "referrals",
        "referrals made during the horizon, re-referrals included (the starting list is not)",
        FLOWS,
    ),
    _k(
        "first_appointments", "children", "higher", "first appointments",
        "first appointments held during the horizon (the count behind the first-wait KPIs)",
        FLOWS,
    ),
    _k(
        "assessed", "children", "higher", "assessments completed",
        "assessments completed (an outcome given) during the horizon, outsourced ones included",
        FLOWS,
    ),
    _k(
        "signposted", "children", None, "referrals signposted at triage",
        "referrals signposted elsewhere by the triage panel", FLOWS,
    ),
    _k(
        "withdrawn", "children", "lower", "children who left the list unseen or discharged",
        "children who left the list: withdrawal before being seen, or discharge after repeated "
        "DNAs", FLOWS,
    ),
    _k(
        "met_by_workshop", "children", None, "children whose need a workshop met",
        "children who left the list because a workshop met their need", FLOWS,
    ),
    _k(
        "assessed_per_week", "children/week", "higher", "assessments completed a week",
        "throughput: `assessed` / `horizon_weeks`", FLOWS,
    ),
    _k(
        "outsourced_assessments", "children", None, "assessments outsourced",
        "children taken by an outsourced provider (including any whose outcome falls after "
        "the horizon)", FLOWS,
    ),
    _k(
        "assessments_completed", "children", "higher", "assessments completed in the year",
        "`financial_years.csv` (and `weekly.parquet`): assessments completed in the year (or week)",
        YEARS,
    ),
    _k(
        "open_referrals_year_end", "children", "lower", "children on the list at the year end",
        "`financial_years.csv`: open referrals at the end of the financial year's last week",
        YEARS,
    ),
    _k(
        "open_52w_plus_year_end", "children", "lower",
        "children waiting a year or more at the year end",
        "`financial_years.csv`: of those, the ones waiting 52 weeks or more", YEARS,
    ),
    _k(
        "utilisation_pct", "%", None, "staff utilisation",
        "profession-hours used / available over the whole horizon; used hours include triage "
        "panels and slots lost to DNAs. One row per profession with hours in that area",
        STAFF, "<profession>",
    ),
    _k(
        "staff_cost_gbp", "GBP", "lower", "cost of all staff in post",
        "cost of all staff in post over the horizon: WTE × `cost_gbp_per_wte_year`, week by "
        "week", COSTS,
    ),
    _k(
        "added_staff_cost_gbp", "GBP", "lower", "cost of staff added",
        "the part of that cost due to interventions (funding and staff changes; negative if "
        "posts are lost)", COSTS,
    ),
    _k(
        "outsourced_cost_gbp", "GBP", "lower", "cost of outsourced assessments",
        "price × assessments taken by outsourced providers", COSTS,
    ),
    _k(
        "intervention_cost_gbp", "GBP", "lower", "added cost",
        "`added_staff_cost_gbp` + `outsourced_cost_gbp`: what the interventions cost inside "
        "the horizon", COSTS,
    ),
    _k(
        "funding_budget_gbp", "GBP", None, "funding budgets",
        "the budgets of all `funding` interventions", COSTS,
    ),
    _k(
        "funding_unspent_gbp", "GBP", None, "funding the caps leave unspent",
        "budget that cannot be spent because the recruitment caps (`max_recruits_wte`) bind: "
        "budget − capped WTE × cost × term", COSTS,
    ),
    _k(
        "cost_per_child_week_saved_gbp", "GBP/child-week", "lower",
        "added cost per child-week of waiting saved",
        "added `intervention_cost_gbp` ÷ child-weeks of waiting saved (ratio of the mean "
        "paired differences; percentile-bootstrap CI); empty when the option does not clearly "
        "save any", VALUE,
    ),
    _k(
        "cost_per_week_of_median_wait_saved_gbp", "GBP/week", "lower",
        "added cost per week cut from the median wait for a first appointment",
        "added cost ÷ weeks cut from the county's median wait to a first appointment, likewise",
        VALUE,
    ),
    _k(
        "pathway_wait_median_weeks", "weeks", "lower",
        "median wait from referral to an outcome (whole pathway)",
        "median weeks from referral to an outcome of the children referred during the "
        "horizon, by Kaplan–Meier: children still waiting count as at least their wait so far, "
        "those who withdraw or leave through a workshop are censored when they leave, those "
        "signposted at triage are left out. If fewer than half have an outcome by the end, the "
        "longest follow-up (a lower bound)", EQUITY,
    ),
    _k(
        "district_gap_pathway_wait_weeks", "weeks", "lower",
        "gap between the longest and shortest district median waits",
        "team and county: the longest district `pathway_wait_median_weeks` minus the "
        "shortest, over the area's districts (0 for a one-district team)", EQUITY,
    ),
    _k(
        "district_ratio_pathway_wait", "ratio", "lower",
        "ratio of the longest to the shortest district median wait",
        "team and county: the longest district `pathway_wait_median_weeks` divided by the "
        "shortest (2 = one district's families wait twice as long as another's)", EQUITY,
    ),
    _k(
        "child_weeks_per_1000_children", "child-weeks", "lower",
        "child-weeks spent waiting per 1,000 children",
        "`child_weeks_waiting` per 1,000 resident children aged 0-17 (the scenario's "
        "`districts.<name>.children`), so that districts of different sizes compare; empty "
        "if a district of the area has no `children`", EQUITY,
    ),
    _k(
        "share_of_52w_waiters_pct", "%", None,
        "share of the county's year-long waiters",
        "district: its share of the county's `open_52w_plus_end`", EQUITY,
    ),
    _k(
        "share_of_referrals_pct", "%", None, "share of the county's referrals",
        "district: its share of the county's `referrals` during the horizon", EQUITY,
    ),
    _k(
        "waiters_52w_share_ratio", "ratio", None,
        "share of year-long waiters against share of referrals",
        "district: `share_of_52w_waiters_pct` / `share_of_referrals_pct` (over 1: more than "
        "its share of the long waits)", EQUITY,
    ),
    _k(
        "cost_per_extra_child_within_13w_gbp", "GBP/child", "lower",
        "added cost per extra child seen within 13 weeks",
        "added cost ÷ extra children seen within 13 weeks (`first_within_13w`), likewise",
        VALUE,
    ),
)  # fmt: skip

BY_NAME = {k.name: k for k in KPIS}
DEFAULT_OBJECTIVE = "child_weeks_waiting"
TRADEOFF_KPIS = (
    "child_weeks_waiting",
    "first_wait_median_weeks",
    "outcome_wait_median_weeks",
    "open_52w_plus_end",
    "open_104w_plus_end",
    "referred_seen_within_13w_pct",
    "district_gap_pathway_wait_weeks",
    "intervention_cost_gbp",
)
AREA_TYPES = ("county", "team", "district")
DOCS_START = "<!-- kpi-registry:start (generated by python -m nd_sim.results.registry) -->"
DOCS_END = "<!-- kpi-registry:end -->"


def lookup(name: str) -> Kpi | None:
    """The entry of a KPI, or of its family (the name before the first dot)."""
    return BY_NAME.get(name) or BY_NAME.get(name.split(".", 1)[0])


def kpi_units() -> dict[str, str]:
    """Unit of every KPI and family name."""
    return {k.name: k.unit for k in KPIS}


def unit(name: str) -> str:
    """The unit of a KPI (family members share their family's)."""
    entry = lookup(name)
    return entry.unit if entry else ""


def lower_is_better(name: str) -> bool | None:
    """True or False for a rankable KPI; None where neither direction is better."""
    entry = lookup(name)
    return None if entry is None or entry.better is None else entry.better == "lower"


def label(name: str) -> str:
    """The plain-English label of a KPI, with a family member's suffix in brackets."""
    entry = lookup(name)
    if entry is None:
        return name.replace("_", " ")
    if "." in name and entry.family:
        member = name.split(".", 1)[1].replace("_", " ")
        return f"{entry.label} ({member})"
    return entry.label


def short(name: str) -> str:
    """A table header: the short form where there is one, else the label."""
    entry = lookup(name)
    return entry.short if entry and entry.short and "." not in name else label(name)


def rankable() -> list[str]:
    """Names an objective may be (every KPI that has a better direction)."""
    return [k.name for k in KPIS if k.better is not None]


def docs_tables() -> str:
    """The KPI tables of docs/outputs.md, one per group."""
    groups: dict[str, list[Kpi]] = {}
    for k in KPIS:
        groups.setdefault(k.group, []).append(k)
    parts = []
    for group, kpis in groups.items():
        parts += [f"#### {group}", "", "| KPI | unit | better | meaning |", "|---|---|---|---|"]
        for k in kpis:
            name = f"`{k.name}` (`.{k.family}`)" if k.family else f"`{k.name}`"
            parts.append(f"| {name} | {k.unit} | {k.better or '–'} | {k.definition} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def rewrite_docs(path: Path) -> bool:
    """Put the generated tables between the markers of `path`; True if it changed."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(DOCS_START, 1)
    _, tail = rest.split(DOCS_END, 1)
    new = f"{head}{DOCS_START}\n\n{docs_tables()}\n{DOCS_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    docs = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
    sys.exit(0 if rewrite_docs(docs) is not None else 1)
