"""Key performance indicators of one replication, per district, per team and for the county.

Waits are measured from referral, in weeks. Waits to a first appointment are over the
first appointments that took place during the horizon (the NHS "clock stops" view);
children still waiting are reported as the open list at the end, by weeks waited
(censored, never dropped). Utilisation and cost are team and county figures.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_SIGNPOSTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED, MET_BY_WORKSHOP, SIGNPOSTED, WAITING, WITHDRAWN
from nd_sim.inputs.capacity import WEEKS_PER_YEAR
from nd_sim.inputs.model import Model
from nd_sim.results import registry
from nd_sim.results.by_district import district_order
from nd_sim.results.equity import district_shares, equity_kpis, pathway_wait_medians
from nd_sim.results.incomplete import incomplete_waits, month_end_days
from nd_sim.results.weekly import STEP_PREFIX, appointment_names, intervals_of

COUNTY = "county"
NICE_WEEKS = 13
RTT_WEEKS = 18
OPEN_BANDS_WEEKS = (13, 18, 52, 104)
OUTCOME_WITHIN_WEEKS = (18, 52)
STAGES = {"waiting_triage": "triage", "waiting_first": "first", "in_assessment": "assessment"}


KPIS = tuple(k for k in registry.KPIS if k.group not in (registry.COSTS, registry.VALUE))
COST_KPIS = tuple(k for k in registry.KPIS if k.group == registry.COSTS)
kpi_units = registry.kpi_units


def replication_kpis(
    raw: RawResults, model: Model, intervals: dict | None = None
) -> list[tuple[str, str, str, float]]:
    """Rows of (area_type, area, kpi, value) for one replication (`intervals`:
    `weekly.intervals_of(raw, appointment_names(model))`, when the caller has it)."""
    rows: list[tuple[str, str, str, float]] = []
    if intervals is None:
        intervals = intervals_of(raw, appointment_names(model))
    wait = _Waits(raw, model, intervals)
    areas = [("district", name, [d]) for d, name in enumerate(model.districts)]
    team_of = model.team_of_district
    for t, name in enumerate(model.teams):
        areas.append(("team", name, [d for d, team in enumerate(team_of) if team == t]))
    areas.append(("county", COUNTY, None))
    month_ends = month_end_days(model.scenario.start_date, model.days)
    series = incomplete_waits(
        raw.referral_day, raw.exit_day, raw.district, [d for _, _, d in areas], month_ends
    )
    per_area = []
    for (kind, name, districts), extra in zip(areas, series, strict=True):
        values = wait.kpis(districts, model.weeks)
        per_area.append(values)
        rows += [(kind, name, kpi, value) for kpi, value in values.items()]
        rows += [(kind, name, kpi, value) for kpi, value in extra.items()]
    rows += _equity(raw, model, areas, per_area)
    rows += _utilisation(raw, model)
    rows += _costs(raw, model)
    return rows


class _Waits:
    """Per-child quantities shared by every area: each wait sorted within its district (so
    that an area's order statistics and threshold counts come from small sorted slices) and
    counts per district, so that an area's figures need only slices, sums and bisections."""

    def __init__(self, raw: RawResults, model: Model, intervals: dict) -> None:
        horizon_day, n_districts = float(model.days), len(model.districts)
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
        had_first = done & ~np.isnan(raw.first_day)
        to_outcome = ((raw.outcome_day - raw.first_day) / 7.0)[had_first]
        self.first_to_outcome = _Sample(to_outcome, district[had_first], n_districts)
        self.child_weeks = _child_weeks(intervals, district, horizon_day, n_districts)
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
            "in_assessment": per_district(
                is_open & (~np.isnan(raw.first_day) | (raw.start_stage == IN_ASSESSMENT))
            ),
        }
        self.quarters = _quarter_cohorts(raw, model, district)
        steps = [STEP_PREFIX + n for n in appointment_names(model)[1:]] + ["waiting_outsourced"]
        for name in steps:
            start, end = intervals[name]
            waiting = (start <= horizon_day) & (end > horizon_day)
            kpi = (
                name.replace(STEP_PREFIX, "waiting_step_end.")
                if name != "waiting_outsourced"
                else ("waiting_outsourced_end")
            )
            self.counts[kpi] = per_district(waiting)

    def kpis(self, districts: list[int] | None, weeks: int) -> dict[str, float]:
        """The KPIs of the children of these districts (None: every child)."""
        first = self.first.sorted_of(districts)
        outcome = self.outcome.sorted_of(districts)
        to_outcome = self.first_to_outcome.sorted_of(districts)
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
            "first_to_outcome_median_weeks": _quantile(to_outcome, 0.5),
            "first_to_outcome_p90_weeks": _quantile(to_outcome, 0.9),
            "open_end": float(open_wait.size),
            "not_yet_seen_end": float(count["unseen"]),
            "in_assessment_end": float(count["in_assessment"]),
        }
        out.update((k, float(v)) for k, v in count.items() if k.startswith("waiting_"))
        for name, values in self.child_weeks.items():
            out[name] = float(values.sum() if districts is None else values[districts].sum())
        out.update(self.quarters.kpis(districts))
        for band in OPEN_BANDS_WEEKS:
            below = int(np.searchsorted(open_wait, band, side="left"))
            out[f"open_{band}w_plus_end"] = float(open_wait.size - below)
        under_18 = int(np.searchsorted(open_wait, RTT_WEEKS, side="left"))
        out["open_under_18w_pct_end"] = _pct(under_18, open_wait.size)
        out["open_wait_median_end_weeks"] = _quantile(open_wait, 0.5)
        out["open_wait_p92_end_weeks"] = _quantile(open_wait, 0.92)
        out["referrals"] = float(count["referrals"])
        out["first_appointments"] = float(first.size)
        for name in ("assessed", "signposted", "withdrawn", "met_by_workshop"):
            out[name] = float(count[name])
        out["assessed_per_week"] = out["assessed"] / weeks
        out["outsourced_assessments"] = float(count["outsourced"])
        return out


def _equity(raw: RawResults, model: Model, areas, per_area) -> list[tuple[str, str, str, float]]:
    """Equity KPIs (`nd_sim.results.equity`): per district, and per team and county over
    their districts."""
    n = len(model.districts)
    chosen = [list(range(n)) if d is None else d for _, _, d in areas]
    medians = pathway_wait_medians(raw, model, chosen)
    by_district = {
        kpi: np.array([per_area[d][kpi] for d in range(n)])
        for kpi in ("child_weeks_waiting", "open_52w_plus_end", "referrals")
    }
    by_district["pathway_wait_median_weeks"] = medians[:n]  # districts come first
    children = np.array([float(d.children or 0) for d in model.scenario.districts.values()])
    shares = district_shares(by_district)
    rows = []
    for k, (kind, name, _) in enumerate(areas):
        rows.append((kind, name, "pathway_wait_median_weeks", float(medians[k])))
        values = equity_kpis(by_district, chosen[k], children)
        if kind == "district":
            rows += [(kind, name, key, float(v[k])) for key, v in shares.items()]
            values = {"child_weeks_per_1000_children": values["child_weeks_per_1000_children"]}
        rows += [(kind, name, key, value) for key, value in values.items()]
    return rows


def _child_weeks(
    intervals: dict, district: np.ndarray, horizon_day: float, n_districts: int
) -> dict[str, np.ndarray]:
    """Child-weeks on the list inside the horizon, per district: in all and by stage (each
    child's time in a stage, clipped to [0, horizon]; the stages partition the open time)."""
    out = {}
    for stage, suffix in (("open_referrals", ""), *((k, f"_{v}") for k, v in STAGES.items())):
        start, end = intervals[stage]
        inside = np.clip(end, 0.0, horizon_day) - np.clip(start, 0.0, horizon_day)
        weeks = np.maximum(inside, 0.0) / 7.0
        out[f"child_weeks_waiting{suffix}"] = np.bincount(
            district, weights=weeks, minlength=n_districts
        )
    return out


class _QuarterCohorts:
    """Per calendar quarter of referral, the share of referrals given an outcome within 18
    and 52 weeks: counts per district, so any area's share is a ratio of sums. A quarter
    whose last referral has not had the full time by the end is not known yet (NaN)."""

    def __init__(
        self, labels: list[str], known: np.ndarray, cohort: np.ndarray, hits: np.ndarray
    ) -> None:
        self.labels, self.known, self.cohort, self.hits = labels, known, cohort, hits
        self.names = [  # every area's KPI names, made once
            [f"quarter_outcome_within_{weeks}w_pct.{label}" for label in labels]
            for weeks in OUTCOME_WITHIN_WEEKS
        ]

    def kpis(self, districts: list[int] | None) -> dict[str, float]:
        pick = slice(None) if districts is None else districts
        cohort = self.cohort[pick].sum(axis=0)  # (quarters,)
        hits = self.hits[:, pick].sum(axis=1)  # (weeks, quarters)
        out = {}
        for w, weeks in enumerate(OUTCOME_WITHIN_WEEKS):
            ok = self.known[w] & (cohort != 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.where(ok, 100.0 * hits[w] / cohort, np.nan)
            out.update(zip(self.names[w], values.tolist(), strict=True))
            n = cohort[self.known[w]].sum()
            total = hits[w, self.known[w]].sum()
            out[f"referred_outcome_within_{weeks}w_pct"] = float(100.0 * total / n) if n else np.nan
        return out


def _quarter_cohorts(raw: RawResults, model: Model, district: np.ndarray) -> _QuarterCohorts:
    start, days = model.scenario.start_date, float(model.days)
    bounds, labels = quarter_bounds(start, days)
    new = (raw.start_stage < 0) & (raw.triage_result != TRIAGE_SIGNPOSTED)
    new &= (raw.referral_day >= 0) & (raw.referral_day < days)
    quarter = np.searchsorted(bounds, raw.referral_day, side="right") - 1
    n_d, n_q = len(model.districts), len(labels)

    def counts(flags: np.ndarray) -> np.ndarray:
        index = district[flags] * n_q + quarter[flags]
        return np.bincount(index, minlength=n_d * n_q).reshape(n_d, n_q)

    wait = raw.outcome_day - raw.referral_day
    hits, known = [], []
    for weeks in OUTCOME_WITHIN_WEEKS:
        with np.errstate(invalid="ignore"):
            in_time = new & (raw.exit_code == ASSESSED) & (wait <= 7.0 * weeks)
        hits.append(counts(in_time))
        ends = np.append(bounds[1:], days)[:n_q]
        known.append(ends + 7.0 * weeks <= days)
    return _QuarterCohorts(labels, np.array(known), counts(new), np.array(hits))


def quarter_bounds(start: dt.date, days: float) -> tuple[np.ndarray, list[str]]:
    """Start day (from the horizon's start, the first clipped to 0) and label ("2026-Q2") of
    each calendar quarter the horizon touches."""
    firsts, labels = [], []
    year, q = start.year, (start.month - 1) // 3
    while True:
        first = dt.date(year, 3 * q + 1, 1)
        offset = max((first - start).days, 0)
        if offset >= days:
            return np.array(firsts, float), labels
        firsts.append(offset)
        labels.append(f"{year}-Q{q + 1}")
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)


class _Sample:
    """One per-child measure, sorted within each district once; sums per district in child
    order (a sequential sum, so a district's mean does not depend on the sort)."""

    def __init__(self, values: np.ndarray, district: np.ndarray, n_districts: int) -> None:
        order, self.bounds = district_order(values, district, n_districts)
        self.sorted = values[order]
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


__all__ = ["COUNTY", "KPIS", "WEEKS_PER_YEAR", "kpi_units", "replication_kpis"]
