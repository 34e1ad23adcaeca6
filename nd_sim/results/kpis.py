"""Key performance indicators of one replication, per district, per team and for the county.

Waits are measured from referral, in weeks. Waits to a first appointment are over the
first appointments that took place during the horizon (the NHS "clock stops" view);
children still waiting are reported as the open list at the end, by weeks waited
(censored, never dropped). Utilisation and cost are team and county figures.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_SIGNPOSTED
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import ASSESSED, MET_BY_WORKSHOP, SIGNPOSTED, WAITING, WITHDRAWN
from nd_sim.inputs.capacity import WEEKS_PER_YEAR
from nd_sim.inputs.model import Model
from nd_sim.results import registry
from nd_sim.results.areas import COUNTY, Areas, model_areas, quantiles
from nd_sim.results.equity import district_shares, equity_kpis, pathway_wait_medians
from nd_sim.results.incomplete import incomplete_names, incomplete_values, month_end_days
from nd_sim.results.weekly import STEP_PREFIX, appointment_names, intervals_of

NICE_WEEKS = 13
RTT_WEEKS = 18
OPEN_BANDS_WEEKS = (13, 18, 52, 104)
OUTCOME_WITHIN_WEEKS = (18, 52)
N_EXITS = int(MET_BY_WORKSHOP) + 1  # exit codes are 0 (still waiting) .. this less 1
STAGES = {"waiting_triage": "triage", "waiting_first": "first", "in_assessment": "assessment"}


KPIS = tuple(k for k in registry.KPIS if k.group not in (registry.COSTS, registry.VALUE))
COST_KPIS = tuple(k for k in registry.KPIS if k.group == registry.COSTS)
kpi_units = registry.kpi_units


def replication_kpis(
    raw: RawResults, model: Model, intervals: dict | None = None
) -> list[tuple[str, str, str, float]]:
    """Rows of (area_type, area, kpi, value) for one replication (`intervals`:
    `weekly.intervals_of(raw, appointment_names(model))`, when the caller has it)."""
    return kpi_values(raw, model, intervals).rows()


@dataclass(frozen=True)
class KpiLabels:
    """The labels of a model's per-area and equity KPI rows, in table order: the same for
    every replication of the model, so a worker makes them (and their Arrow columns) once."""

    areas: Areas
    month_ends: tuple[tuple[str, float], ...]  # the incomplete waits' (`month_end_days`)
    columns: tuple[str, ...]  # each area's KPIs, in order
    area_type: tuple[str, ...]
    area: tuple[str, ...]
    kpi: tuple[str, ...]

    @functools.cached_property
    def arrow(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        """The three label columns as Arrow strings, made once."""
        return tuple(pa.array(list(c), pa.string()) for c in (self.area_type, self.area, self.kpi))


@dataclass(frozen=True)
class KpiValues:
    """One replication's KPIs: the model's labels, then a few rows of its own (utilisation
    of the staff it had, costs), and every value in table order."""

    labels: KpiLabels
    extra: tuple[tuple[str, str, str], ...]
    values: np.ndarray

    def rows(self) -> list[tuple[str, str, str, float]]:
        """(area_type, area, kpi, value) rows."""
        fixed = zip(self.labels.area_type, self.labels.area, self.labels.kpi, strict=True)
        keys = [*fixed, *self.extra]
        return [(*key, v) for key, v in zip(keys, self.values.tolist(), strict=True)]


def kpi_labels(model: Model) -> KpiLabels:
    """The model's KPI labels."""
    areas = model_areas(model)
    month_ends = tuple(month_end_days(model.scenario.start_date, model.days))
    columns = per_area_columns(model, month_ends)
    area_type, area, kpi = [], [], []
    for kind, name in zip(areas.kinds, areas.names, strict=True):
        area_type += [kind] * len(columns)
        area += [name] * len(columns)
        kpi += columns
    for kind, name in zip(areas.kinds, areas.names, strict=True):
        keys = ["pathway_wait_median_weeks"]
        keys += EQUITY_DISTRICT if kind == "district" else EQUITY_AREA
        area_type += [kind] * len(keys)
        area += [name] * len(keys)
        kpi += keys
    return KpiLabels(areas, month_ends, columns, tuple(area_type), tuple(area), tuple(kpi))


def per_area_columns(model: Model, month_ends: Sequence[tuple[str, float]]) -> tuple[str, ...]:
    """Each area's KPIs (before the equity ones), in table order."""
    steps = [f"waiting_step_end.{n}" for n in appointment_names(model)[1:]]
    quarters = quarter_bounds(model.scenario.start_date, float(model.days))[1]
    within = []
    for weeks in OUTCOME_WITHIN_WEEKS:
        within += [f"quarter_outcome_within_{weeks}w_pct.{label}" for label in quarters]
        within.append(f"referred_outcome_within_{weeks}w_pct")
    return (
        *WAIT_COLUMNS,
        *steps,
        "waiting_outsourced_end",
        *(f"child_weeks_waiting{suffix}" for _, suffix in CHILD_WEEKS),
        *within,
        *OPEN_COLUMNS,
        *incomplete_names(month_ends),
    )


WAIT_COLUMNS = (
    "first_wait_median_weeks",
    "first_wait_p90_weeks",
    "first_wait_mean_weeks",
    "first_within_13w_pct",
    "first_within_18w_pct",
    "first_within_13w",
    "referred_seen_within_13w_pct",
    "outcome_wait_median_weeks",
    "outcome_wait_p90_weeks",
    "outcome_wait_mean_weeks",
    "first_to_outcome_median_weeks",
    "first_to_outcome_p90_weeks",
    "open_end",
    "not_yet_seen_end",
    "in_assessment_end",
)
OPEN_COLUMNS = (
    *(f"open_{band}w_plus_end" for band in OPEN_BANDS_WEEKS),
    "open_under_18w_pct_end",
    "open_wait_median_end_weeks",
    "open_wait_p92_end_weeks",
    "referrals",
    "first_appointments",
    "assessed",
    "signposted",
    "withdrawn",
    "met_by_workshop",
    "assessed_per_week",
    "outsourced_assessments",
)
CHILD_WEEKS = (("open_referrals", ""), *((k, f"_{v}") for k, v in STAGES.items()))
EQUITY_DISTRICT = (
    "share_of_52w_waiters_pct",
    "share_of_referrals_pct",
    "waiters_52w_share_ratio",
    "child_weeks_per_1000_children",
)
EQUITY_AREA = (
    "district_gap_pathway_wait_weeks",
    "district_ratio_pathway_wait",
    "child_weeks_per_1000_children",
)


def kpi_values(
    raw: RawResults, model: Model, intervals: dict | None = None, labels: KpiLabels | None = None
) -> KpiValues:
    """Every KPI of one replication; `labels` are `kpi_labels(model)`, when the caller has
    them (a worker makes them once for all its replications)."""
    if intervals is None:
        intervals = intervals_of(raw, appointment_names(model))
    if labels is None:
        labels = kpi_labels(model)
    areas, month_ends = labels.areas, labels.month_ends
    district = raw.district.astype(np.int64)
    columns, blocks = _per_area(raw, model, intervals, areas, district)
    columns += incomplete_names(month_ends)
    blocks.append(
        incomplete_values(
            raw.referral_day, raw.exit_day, district, areas.member, len(areas), month_ends
        )
    )
    if tuple(columns) != labels.columns:
        differ = sorted(set(columns) ^ set(labels.columns)) or [
            "(the same names, in another order)"
        ]
        raise ValueError(f"KPI labels made for another model: {', '.join(differ[:5])}")
    per_area = np.hstack(blocks)
    equity = _equity(raw, model, areas, dict(zip(columns, per_area.T, strict=True)))
    extra = _utilisation(raw, model) + _costs(raw, model)
    values = np.concatenate([per_area.ravel(), equity, [v for *_, v in extra]])
    return KpiValues(labels, tuple(key for *key, _ in extra), values)


def _per_area(
    raw: RawResults, model: Model, intervals: dict, areas: Areas, district: np.ndarray
) -> tuple[list[str], list[np.ndarray]]:
    """Every area's KPIs before the incomplete waits: their names and (areas, k) blocks
    (`district`: each child's, as int64). Every per-district count and sample comes from
    one compiled pass over the children (`compiled.child_tallies`)."""
    from nd_sim.results import compiled as c  # numba: loaded only when needed

    horizon_day, n_d = float(model.days), len(model.districts)

    codes = np.array([ASSESSED, WAITING, IN_ASSESSMENT, TRIAGE_SIGNPOSTED, N_EXITS], np.int64)
    tallies, exits, values, where, starts, size_by, sums, first_within, open_over = (
        c.child_tallies(
            district, raw.referral_day, raw.first_day, raw.outcome_day, raw.exit_code,
            raw.start_stage, raw.triage_result, raw.outsourced, horizon_day,
            float(NICE_WEEKS), codes, np.array([NICE_WEEKS, RTT_WEEKS], np.float64),
            np.array(OPEN_BANDS_WEEKS, np.float64), n_d,
        )
    )  # fmt: skip

    def sample(s: int, qs: tuple[float, ...]) -> _Sample:
        part = slice(starts[s], starts[s + 1])
        return _Sample(values[part], where[part], size_by[s], sums[s], areas, qs)

    first = sample(c.SAMPLE_FIRST, (0.5, 0.9))
    outcome = sample(c.SAMPLE_OUTCOME, (0.5, 0.9))
    to_outcome = sample(c.SAMPLE_TO_OUTCOME, (0.5, 0.9))
    open_wait = sample(c.SAMPLE_OPEN, (0.5, 0.92))
    tally = areas.counts(tallies)  # (tallies, areas)
    within_13, within_18 = areas.counts(first_within)
    open_over_by_area = areas.counts(open_over).astype(np.float64)
    open_at_least = dict(zip(OPEN_BANDS_WEEKS, open_over_by_area, strict=True))
    by_exit = areas.counts(exits).astype(np.float64)  # (exit, area)
    waits = {
        "first_wait_median_weeks": first.quantile[:, 0],
        "first_wait_p90_weeks": first.quantile[:, 1],
        "first_wait_mean_weeks": first.mean,
        "first_within_13w_pct": _pct(within_13, first.n),
        "first_within_18w_pct": _pct(within_18, first.n),
        "first_within_13w": within_13.astype(np.float64),
        "referred_seen_within_13w_pct": _pct(tally[c.TALLY_IN_TIME], tally[c.TALLY_COHORT]),
        "outcome_wait_median_weeks": outcome.quantile[:, 0],
        "outcome_wait_p90_weeks": outcome.quantile[:, 1],
        "outcome_wait_mean_weeks": outcome.mean,
        "first_to_outcome_median_weeks": to_outcome.quantile[:, 0],
        "first_to_outcome_p90_weeks": to_outcome.quantile[:, 1],
        "open_end": open_wait.n.astype(np.float64),
        "not_yet_seen_end": tally[c.TALLY_NOT_SEEN].astype(np.float64),
        "in_assessment_end": tally[c.TALLY_IN_ASSESSMENT].astype(np.float64),
    }

    def at_end(stay: str) -> np.ndarray:  # in the stay at the horizon
        in_stay = c.in_stay_at(district, *intervals[stay], horizon_day, n_d)
        return areas.counts(in_stay).astype(np.float64)

    for name in appointment_names(model)[1:]:
        waits[f"waiting_step_end.{name}"] = at_end(STEP_PREFIX + name)
    waits["waiting_outsourced_end"] = at_end("waiting_outsourced")
    for stage, suffix in CHILD_WEEKS:  # each child's time in the stage inside the horizon
        per_d = c.stay_weeks(district, *intervals[stage], horizon_day, n_d)
        waits[f"child_weeks_waiting{suffix}"] = areas.sums(per_d)
    quarter_names, quarter_values = _quarter_cohorts(raw, model, district, areas)
    tail = {f"open_{band}w_plus_end": open_at_least[band] for band in OPEN_BANDS_WEEKS}
    tail |= {
        "open_under_18w_pct_end": _pct(open_wait.n - open_at_least[RTT_WEEKS], open_wait.n),
        "open_wait_median_end_weeks": open_wait.quantile[:, 0],
        "open_wait_p92_end_weeks": open_wait.quantile[:, 1],
        "referrals": tally[c.TALLY_REFERRALS].astype(np.float64),
        "first_appointments": first.n.astype(np.float64),
        "assessed": by_exit[ASSESSED],
        "signposted": by_exit[SIGNPOSTED],
        "withdrawn": by_exit[WITHDRAWN],
        "met_by_workshop": by_exit[MET_BY_WORKSHOP],
    }
    tail["assessed_per_week"] = tail["assessed"] / model.weeks
    tail["outsourced_assessments"] = tally[c.TALLY_OUTSOURCED].astype(np.float64)
    names = [*waits, *quarter_names, *tail]
    blocks = [np.column_stack(list(waits.values())), quarter_values]
    blocks.append(np.column_stack(list(tail.values())))
    return names, blocks


def _equity(raw: RawResults, model: Model, areas: Areas, per_area: dict) -> np.ndarray:
    """Equity KPIs (`nd_sim.results.equity`), in `kpi_labels` order: per district, and per
    team and county over their districts."""
    n = len(model.districts)
    medians = pathway_wait_medians(raw, model, areas)
    by_district = {
        kpi: per_area[kpi][:n] for kpi in ("child_weeks_waiting", "open_52w_plus_end", "referrals")
    }
    by_district["pathway_wait_median_weeks"] = medians[:n]  # districts come first
    children = np.array([float(d.children or 0) for d in model.scenario.districts.values()])
    shares = district_shares(by_district)
    values = equity_kpis(by_district, areas, children)
    out = []
    for k, kind in enumerate(areas.kinds):
        out.append(medians[k])
        if kind == "district":
            out += [v[k] for v in shares.values()]
            out.append(values["child_weeks_per_1000_children"][k])
        else:
            out += [v[k] for v in values.values()]
    return np.array(out, np.float64)


def _quarter_cohorts(
    raw: RawResults, model: Model, district: np.ndarray, areas: Areas
) -> tuple[list[str], np.ndarray]:
    """Per calendar quarter of referral, the share of referrals given an outcome within 18
    and 52 weeks, from counts per district (any area's share is a ratio of sums); a
    quarter whose last referral has not had the full time by the end is not known yet
    (NaN). Then the share over the known quarters. Names and an (areas, k) block."""
    from nd_sim.results.compiled import quarter_tallies  # numba: loaded only when needed

    start, days = model.scenario.start_date, float(model.days)
    bounds, labels = quarter_bounds(start, days)
    n_q = len(labels)
    within = 7.0 * np.array(OUTCOME_WITHIN_WEEKS, np.float64)
    codes = np.array([TRIAGE_SIGNPOSTED, ASSESSED], np.int64)
    tallies = quarter_tallies(
        district, raw.referral_day, raw.outcome_day, raw.start_stage, raw.triage_result,
        raw.exit_code, bounds, days, within, codes, len(model.districts),
    )  # fmt: skip
    cohort = areas.matrix @ tallies[0]  # (areas, quarters)
    ends = np.append(bounds[1:], days)[:n_q]
    names, blocks = [], []
    for j, weeks in enumerate(OUTCOME_WITHIN_WEEKS):
        hits = areas.matrix @ tallies[1 + j]
        known = ends + 7.0 * weeks <= days
        ok = known & (cohort != 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            blocks.append(np.where(ok, 100.0 * hits / cohort, np.nan))
            n, total = cohort[:, known].sum(axis=1), hits[:, known].sum(axis=1)
            blocks.append(np.where(n != 0, 100.0 * total / n, np.nan)[:, None])
        names += [f"quarter_outcome_within_{weeks}w_pct.{label}" for label in labels]
        names.append(f"referred_outcome_within_{weeks}w_pct")
    return names, np.hstack(blocks)


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
    """One per-child measure of every area: how many, their mean (sums per district in
    child order, then over the area's districts) and quantiles; from the values (in child
    order) and their districts, with each district's number and sum of them."""

    def __init__(
        self,
        values: np.ndarray,
        district: np.ndarray,
        n_by_district: np.ndarray,
        sum_by_district: np.ndarray,
        areas: Areas,
        qs: tuple[float, ...],
    ) -> None:
        self.n = areas.counts(n_by_district)
        sums = areas.sums(sum_by_district)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = np.where(self.n != 0, sums / self.n, np.nan)
        self.quantile = quantiles(values, district, areas, self.n, qs)


def _pct(count: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n != 0, 100.0 * (count / n), np.nan)


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
