"""Key performance indicators of one replication, per district, per team and for the county.

Waits are measured from referral, in weeks. Waits to a first appointment are over the
first appointments that took place during the horizon (the NHS "clock stops" view);
children still waiting are reported as the open list at the end, by weeks waited
(censored, never dropped). Utilisation and cost are team and county figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.capacity import WEEKS_PER_YEAR
from nd_sim.engine import ASSESSED, MET_BY_WORKSHOP, SIGNPOSTED, WAITING, WITHDRAWN
from nd_sim.model import Model
from nd_sim.raw import RawResults

COUNTY = "county"
NICE_WEEKS = 13
RTT_WEEKS = 18
OPEN_BANDS_WEEKS = (13, 18, 52, 104)


@dataclass(frozen=True)
class Kpi:
    """A KPI's name, unit and one-line meaning (documented in docs/outputs.md)."""

    name: str
    unit: str
    meaning: str


KPIS = (
    Kpi("first_wait_median_weeks", "weeks", "Median wait from referral to first appointment"),
    Kpi("first_wait_p90_weeks", "weeks", "90th percentile of that wait"),
    Kpi("first_wait_mean_weeks", "weeks", "Mean of that wait"),
    Kpi("first_within_13w_pct", "%", "First appointments within 13 weeks (NICE 3 months)"),
    Kpi("first_within_18w_pct", "%", "First appointments within 18 weeks"),
    Kpi("first_within_13w", "children", "Children seen for a first appointment within 13 weeks"),
    Kpi(
        "referred_seen_within_13w_pct",
        "%",
        "Of children referred during the run (13+ weeks before its end, not signposted), "
        "the share first seen within 13 weeks of referral",
    ),
    Kpi("outcome_wait_median_weeks", "weeks", "Median wait from referral to outcome"),
    Kpi("outcome_wait_p90_weeks", "weeks", "90th percentile of that wait"),
    Kpi("outcome_wait_mean_weeks", "weeks", "Mean of that wait"),
    Kpi("open_end", "children", "Open referrals at the end (any stage)"),
    Kpi(
        "not_yet_seen_end",
        "children",
        "Open referrals not yet seen (at triage or waiting for a first appointment)",
    ),
    Kpi("open_13w_plus_end", "children", "Open referrals waiting 13+ weeks at the end"),
    Kpi("open_18w_plus_end", "children", "Open referrals waiting 18+ weeks at the end"),
    Kpi("open_52w_plus_end", "children", "Open referrals waiting 52+ weeks at the end"),
    Kpi("open_104w_plus_end", "children", "Open referrals waiting 104+ weeks at the end"),
    Kpi("open_under_18w_pct_end", "%", "18-week view: share of the open list under 18 weeks"),
    Kpi("open_wait_median_end_weeks", "weeks", "Median weeks waited so far by the open list"),
    Kpi("referrals", "children", "New referrals over the horizon (incl. re-referrals)"),
    Kpi("first_appointments", "children", "First appointments over the horizon"),
    Kpi("assessed", "children", "Assessments completed over the horizon"),
    Kpi("signposted", "children", "Referrals signposted at triage"),
    Kpi("withdrawn", "children", "Children who left the list unseen"),
    Kpi("met_by_workshop", "children", "Children whose need a workshop met"),
    Kpi("assessed_per_week", "children/week", "Throughput: assessments completed per week"),
    Kpi("outsourced_assessments", "children", "Children outsourced providers took on"),
)
TEAM_KPIS = (Kpi("utilisation_pct", "%", "Profession-hours used / available (per profession)"),)
COST_KPIS = (
    Kpi("staff_cost_gbp", "GBP", "Cost of all staff in post over the horizon"),
    Kpi("added_staff_cost_gbp", "GBP", "Cost of staff added by interventions"),
    Kpi("outsourced_cost_gbp", "GBP", "Cost of the assessments outsourced providers took on"),
    Kpi("intervention_cost_gbp", "GBP", "Added staff + outsourcing"),
    Kpi("funding_budget_gbp", "GBP", "Budgets of all funding interventions"),
    Kpi("funding_unspent_gbp", "GBP", "Budget the recruitment caps leave unspent"),
)


def replication_kpis(raw: RawResults, model: Model) -> list[tuple[str, str, str, float]]:
    """Rows of (area_type, area, kpi, value) for one replication."""
    rows: list[tuple[str, str, str, float]] = []
    wait = _Waits(raw, float(model.days), len(model.districts))
    areas = [("district", name, [d]) for d, name in enumerate(model.districts)]
    team_of = model.team_of_district
    for t, name in enumerate(model.teams):
        areas.append(("team", name, [d for d, team in enumerate(team_of) if team == t]))
    areas.append(("county", COUNTY, None))
    for kind, name, districts in areas:
        for kpi, value in wait.kpis(districts, model.weeks).items():
            rows.append((kind, name, kpi, value))
    rows += _utilisation(raw, model)
    rows += _costs(raw, model)
    return rows


class _Waits:
    """Per-child quantities shared by every area: the waits of the children they apply to
    (in child order, with their districts) and counts per district, so that an area's
    figures need only small selections and sums."""

    def __init__(self, raw: RawResults, horizon_day: float, n_districts: int) -> None:
        district = raw.district.astype(np.int64)
        seen = ~np.isnan(raw.first_day) & (raw.start_stage != 2) & (raw.first_day >= 0)
        first_wait = (raw.first_day - raw.referral_day) / 7.0
        done = (raw.exit_code == ASSESSED) & (raw.outcome_day >= 0)
        is_open = raw.exit_code == WAITING
        self.first, self.first_district = first_wait[seen], district[seen]
        self.outcome = ((raw.outcome_day - raw.referral_day) / 7.0)[done]
        self.outcome_district = district[done]
        self.open_wait = ((horizon_day - raw.referral_day) / 7.0)[is_open]
        self.open_district = district[is_open]
        new = raw.start_stage < 0
        cohort = new & (raw.referral_day <= horizon_day - 7.0 * NICE_WEEKS)
        cohort &= raw.triage_result != 1  # signposted: not for this pathway
        with np.errstate(invalid="ignore"):
            in_time = cohort & (first_wait <= NICE_WEEKS)  # NaN (never seen) is False
        code = raw.exit_code

        def per_district(flags: np.ndarray) -> np.ndarray:
            return np.bincount(district[flags], minlength=n_districts)

        self.counts = {
            "cohort": per_district(cohort),
            "in_time": per_district(in_time),
            "unseen": per_district(is_open & np.isnan(raw.first_day) & (raw.start_stage != 2)),
            "referrals": per_district(new),
            "assessed": per_district(code == ASSESSED),
            "signposted": per_district(code == SIGNPOSTED),
            "withdrawn": per_district(code == WITHDRAWN),
            "met_by_workshop": per_district(code == MET_BY_WORKSHOP),
            "outsourced": per_district(raw.outsourced),
        }

    def kpis(self, districts: list[int] | None, weeks: int) -> dict[str, float]:
        """The KPIs of the children of these districts (None: every child)."""
        first = _of(self.first, self.first_district, districts)
        outcome = _of(self.outcome, self.outcome_district, districts)
        open_wait = _of(self.open_wait, self.open_district, districts)
        count = {
            k: int(v.sum() if districts is None else v[districts].sum())
            for k, v in self.counts.items()
        }
        cohort = count["cohort"]
        first_median, first_p90 = _quantiles(first)
        outcome_median, outcome_p90 = _quantiles(outcome)
        out = {
            "first_wait_median_weeks": first_median,
            "first_wait_p90_weeks": first_p90,
            "first_wait_mean_weeks": float(first.mean()) if first.size else np.nan,
            "first_within_13w_pct": _pct(first <= NICE_WEEKS),
            "first_within_18w_pct": _pct(first <= RTT_WEEKS),
            "first_within_13w": float(np.count_nonzero(first <= NICE_WEEKS)),
            "referred_seen_within_13w_pct": (
                float(100.0 * (count["in_time"] / cohort)) if cohort else np.nan
            ),
            "outcome_wait_median_weeks": outcome_median,
            "outcome_wait_p90_weeks": outcome_p90,
            "outcome_wait_mean_weeks": float(outcome.mean()) if outcome.size else np.nan,
            "open_end": float(open_wait.size),
            "not_yet_seen_end": float(count["unseen"]),
        }
        for band in OPEN_BANDS_WEEKS:
            out[f"open_{band}w_plus_end"] = float(np.count_nonzero(open_wait >= band))
        out["open_under_18w_pct_end"] = _pct(open_wait < RTT_WEEKS)
        out["open_wait_median_end_weeks"] = _quantile(open_wait, 0.5)
        out["referrals"] = float(count["referrals"])
        out["first_appointments"] = float(first.size)
        for name in ("assessed", "signposted", "withdrawn", "met_by_workshop"):
            out[name] = float(count[name])
        out["assessed_per_week"] = out["assessed"] / weeks
        out["outsourced_assessments"] = float(count["outsourced"])
        return out


def _of(values: np.ndarray, district: np.ndarray, districts: list[int] | None) -> np.ndarray:
    """The values of children in these districts, in child order."""
    if districts is None:
        return values
    if len(districts) == 1:
        return values[district == districts[0]]
    return values[np.isin(district, districts)]


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if values.size else np.nan


def _quantiles(values: np.ndarray) -> tuple[float, float]:
    """Median and 90th percentile in one partial sort (the same numbers as one by one)."""
    if not values.size:
        return np.nan, np.nan
    median, p90 = np.quantile(values, (0.5, 0.9)).tolist()
    return median, p90


def _pct(flags: np.ndarray) -> float:
    return float(100.0 * flags.mean()) if flags.size else np.nan


def _utilisation(raw: RawResults, model: Model) -> list[tuple[str, str, str, float]]:
    rows = []
    avail, used = raw.hours_available, raw.hours_used
    for p, prof in enumerate(model.professions):
        for t, team in enumerate(model.teams):
            a = avail[t, p].sum()
            if a > 0:
                rows.append(("team", team, f"utilisation_pct.{prof}", 100.0 * used[t, p].sum() / a))
        a = avail[:, p].sum()
        if a > 0:
            rows.append(("county", COUNTY, f"utilisation_pct.{prof}", 100.0 * used[:, p].sum() / a))
    return rows


def _costs(raw: RawResults, model: Model) -> list[tuple[str, str, str, float]]:
    cap = model.capacity
    added = cap.added_cost_gbp()
    values = {
        "staff_cost_gbp": cap.staff_cost_gbp(),
        "added_staff_cost_gbp": added,
        "outsourced_cost_gbp": raw.outsourced_cost_gbp,
        "intervention_cost_gbp": added + raw.outsourced_cost_gbp,
        "funding_budget_gbp": cap.funding_budget_gbp,
        "funding_unspent_gbp": cap.funding_budget_gbp - cap.funding_committed_gbp,
    }
    return [("county", COUNTY, k, float(v)) for k, v in values.items()]


def kpi_units() -> dict[str, str]:
    """Unit of every KPI name (utilisation KPIs share one entry)."""
    units = {k.name: k.unit for k in KPIS + COST_KPIS}
    units["utilisation_pct"] = "%"
    return units


__all__ = ["COUNTY", "KPIS", "WEEKS_PER_YEAR", "kpi_units", "replication_kpis"]
