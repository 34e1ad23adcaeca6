"""Key performance indicators of one replication, per district, per team and for the county.

Waits are measured from referral, in weeks. Waits to a first appointment are over the
first appointments that took place during the horizon (the NHS "clock stops" view);
children still waiting are reported as the open list at the end, by weeks waited
(censored, never dropped). Utilisation and cost are team and county figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_SIGNPOSTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED, MET_BY_WORKSHOP, SIGNPOSTED, WAITING, WITHDRAWN
from nd_sim.inputs.capacity import WEEKS_PER_YEAR
from nd_sim.inputs.model import Model

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
    """Per-child quantities shared by every area: each wait sorted within its district (so
    that an area's order statistics and threshold counts come from small sorted slices) and
    counts per district, so that an area's figures need only slices, sums and bisections."""

    def __init__(self, raw: RawResults, horizon_day: float, n_districts: int) -> None:
        district = raw.district.astype(np.int64)
        seen = ~np.isnan(raw.first_day) & (raw.start_stage != IN_ASSESSMENT) & (raw.first_day >= 0)
        first_wait = (raw.first_day - raw.referral_day) / 7.0
        done = (raw.exit_code == ASSESSED) & (raw.outcome_day >= 0)
        is_open = raw.exit_code == WAITING
        self.first = _Sample(first_wait[seen], district[seen], n_districts)
        outcome = ((raw.outcome_day - raw.referral_day) / 7.0)[done]
        self.outcome = _Sample(outcome, district[done], n_districts)
        open_wait = ((horizon_day - raw.referral_day) / 7.0)[is_open]
        self.open_wait = _Sample(open_wait, district[is_open], n_districts)
        new = raw.start_stage < 0
        cohort = new & (raw.referral_day <= horizon_day - 7.0 * NICE_WEEKS)
        cohort &= raw.triage_result != TRIAGE_SIGNPOSTED  # signposted: not for this pathway
        with np.errstate(invalid="ignore"):
            in_time = cohort & (first_wait <= NICE_WEEKS)  # NaN (never seen) is False
        code = raw.exit_code

        def per_district(flags: np.ndarray) -> np.ndarray:
            return np.bincount(district[flags], minlength=n_districts)

        self.counts = {
            "cohort": per_district(cohort),
            "in_time": per_district(in_time),
            "unseen": per_district(
                is_open & np.isnan(raw.first_day) & (raw.start_stage != IN_ASSESSMENT)
            ),
            "referrals": per_district(new),
            "assessed": per_district(code == ASSESSED),
            "signposted": per_district(code == SIGNPOSTED),
            "withdrawn": per_district(code == WITHDRAWN),
            "met_by_workshop": per_district(code == MET_BY_WORKSHOP),
            "outsourced": per_district(raw.outsourced),
        }

    def kpis(self, districts: list[int] | None, weeks: int) -> dict[str, float]:
        """The KPIs of the children of these districts (None: every child)."""
        first = self.first.sorted_of(districts)
        outcome = self.outcome.sorted_of(districts)
        open_wait = self.open_wait.sorted_of(districts)
        count = {
            k: int(v.sum() if districts is None else v[districts].sum())
            for k, v in self.counts.items()
        }
        cohort = count["cohort"]
        within_13 = _at_most(first, NICE_WEEKS)
        out = {
            "first_wait_median_weeks": _quantile(first, 0.5),
            "first_wait_p90_weeks": _quantile(first, 0.9),
            "first_wait_mean_weeks": self.first.mean_of(districts, first.size),
            "first_within_13w_pct": _pct(within_13, first.size),
            "first_within_18w_pct": _pct(_at_most(first, RTT_WEEKS), first.size),
            "first_within_13w": float(within_13),
            "referred_seen_within_13w_pct": (
                float(100.0 * (count["in_time"] / cohort)) if cohort else np.nan
            ),
            "outcome_wait_median_weeks": _quantile(outcome, 0.5),
            "outcome_wait_p90_weeks": _quantile(outcome, 0.9),
            "outcome_wait_mean_weeks": self.outcome.mean_of(districts, outcome.size),
            "open_end": float(open_wait.size),
            "not_yet_seen_end": float(count["unseen"]),
        }
        for band in OPEN_BANDS_WEEKS:
            below = int(np.searchsorted(open_wait, band, side="left"))
            out[f"open_{band}w_plus_end"] = float(open_wait.size - below)
        under_18 = int(np.searchsorted(open_wait, RTT_WEEKS, side="left"))
        out["open_under_18w_pct_end"] = _pct(under_18, open_wait.size)
        out["open_wait_median_end_weeks"] = _quantile(open_wait, 0.5)
        out["referrals"] = float(count["referrals"])
        out["first_appointments"] = float(first.size)
        for name in ("assessed", "signposted", "withdrawn", "met_by_workshop"):
            out[name] = float(count[name])
        out["assessed_per_week"] = out["assessed"] / weeks
        out["outsourced_assessments"] = float(count["outsourced"])
        return out


class _Sample:
    """One per-child measure, sorted within each district once; sums per district in child
    order (a sequential sum, so a district's mean does not depend on the sort)."""

    def __init__(self, values: np.ndarray, district: np.ndarray, n_districts: int) -> None:
        # by district, then value: the ties' order is free (equal values are equal), so two
        # plain sorts do (2x quicker than lexsort)
        by_value = np.argsort(values)
        order = by_value[np.argsort(district[by_value], kind="stable")]
        self.sorted = values[order]
        self.bounds = np.searchsorted(district[order], np.arange(n_districts + 1)).tolist()
        self.sums = np.bincount(district, weights=values, minlength=n_districts)

    def sorted_of(self, districts: list[int] | None) -> np.ndarray:
        """The sorted values of these districts' children (None: every child)."""
        if districts is None:  # sorted runs, merged: timsort ("stable") finds the runs
            return np.sort(self.sorted, kind="stable")
        parts = [self.sorted[self.bounds[d] : self.bounds[d + 1]] for d in districts]
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts), kind="stable")

    def mean_of(self, districts: list[int] | None, n: int) -> float:
        """The mean over these districts' children (NaN for none)."""
        if not n:
            return np.nan
        total = self.sums.sum() if districts is None else self.sums[districts].sum()
        return float(total / n)


def _at_most(sorted_values: np.ndarray, limit: float) -> int:
    return int(np.searchsorted(sorted_values, limit, side="right"))


def _quantile(sorted_values: np.ndarray, q: float) -> float:
    """`numpy.quantile(values, q)` (its default, linear method, the same arithmetic) of
    values already sorted: no partition, and no per-call overhead of the general routine."""
    n = sorted_values.size
    if not n:
        return np.nan
    virtual = (n - 1) * q
    if virtual >= n - 1:
        return float(sorted_values[-1])
    low = math.floor(virtual)
    a, b = float(sorted_values[low]), float(sorted_values[low + 1])
    t = virtual - low
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def _pct(count: int, n: int) -> float:
    return float(100.0 * (count / n)) if n else np.nan


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
