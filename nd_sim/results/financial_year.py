"""Results by NHS financial year (April to March): when the benefit arrives, and whether it lasts.

Boards budget by financial year and fixed-term money stops on a date, so an option's
effect is cut into financial years, replication by replication, from what each run
already wrote (`weekly.parquet`, and `children.parquet` for when outsourced assessments
were bought), then summarised with the paired difference from the base. Weeks, not days,
are the unit: each week counts in the financial year that holds most of its days (its
fourth day), so a year's counted span can differ from 1 April to 31 March by up to three
days; `fy_start` and `fy_end` say exactly which days were counted. A year the horizon
cuts short is labelled so ("2026/27 (from 1 Jun)").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from nd_sim.inputs.capacity import WEEKS_PER_MONTH, Capacity, OutsourcingBlock, week_of
from nd_sim.inputs.model import Model
from nd_sim.results.kpis import COUNTY
from nd_sim.results.statistics import t_quantile, within_range
from nd_sim.scenario.models import Funding, Outsourcing, Scenario, StaffChange

FY_FIRST_MONTH = 4  # NHS financial years start on 1 April
# measure -> the column of `weekly.parquet` it is cut from
FLOWS = {name: name for name in ("first_appointments", "assessments_completed")}
STOCKS = {"open_referrals_year_end": "open_referrals", "open_52w_plus_year_end": "open_52w_plus"}
COSTS = ("added_staff_cost_gbp", "outsourced_cost_gbp", "intervention_cost_gbp")
UNITS = {**dict.fromkeys([*FLOWS, *STOCKS], "children"), **dict.fromkeys(COSTS, "GBP")}
ONE_DAY = dt.timedelta(days=1)
DECIMALS = 2  # pennies for costs; counts are means of whole children
COLUMNS = [
    "scenario",
    "folder",
    "area_type",
    "area",
    "financial_year",
    "fy_start",
    "fy_end",
    "measure",
    "unit",
    "mean",
    "ci95_low",
    "ci95_high",
    "diff_from_base",
    "diff_ci95_low",
    "diff_ci95_high",
    "replications",
]


# ------------------------------------------------------------------------------ the calendar
@dataclass(frozen=True)
class FinancialYear:
    """The whole weeks of the horizon counted in one financial year."""

    label: str  # "2026/27", or "2026/27 (from 1 Jun)" when the horizon cuts it short
    first_week: int
    end_week: int  # exclusive
    fy_start: dt.date  # first day counted
    fy_end: dt.date  # last day counted


def fy_of(day: dt.date) -> int:
    """The calendar year in which the financial year holding `day` starts."""
    return day.year if day.month >= FY_FIRST_MONTH else day.year - 1


def fy_name(year: int) -> str:
    """'2026/27' for the year starting 1 April 2026."""
    return f"{year}/{(year + 1) % 100:02d}"


def financial_years(start_date: dt.date, weeks: int) -> tuple[FinancialYear, ...]:
    """The financial years a horizon of `weeks` weeks from `start_date` touches, in order."""
    middle = np.array([fy_of(start_date + dt.timedelta(days=7 * w + 3)) for w in range(weeks)])
    last_day = start_date + dt.timedelta(days=7 * weeks - 1)
    out = []
    for year in dict.fromkeys(middle.tolist()):
        chosen = np.flatnonzero(middle == year)
        first, end = int(chosen[0]), int(chosen[-1]) + 1
        begins = start_date + dt.timedelta(days=7 * first)
        ends = start_date + dt.timedelta(days=7 * end - 1)
        cut_start = first == 0 and start_date > dt.date(year, FY_FIRST_MONTH, 1)
        cut_end = end == weeks and last_day < dt.date(year + 1, FY_FIRST_MONTH, 1) - ONE_DAY
        label = _label(year, begins, ends, cut_start, cut_end)
        out.append(FinancialYear(label, first, end, begins, ends))
    return tuple(out)


def _label(year: int, begins: dt.date, ends: dt.date, cut_start: bool, cut_end: bool) -> str:
    def day(d: dt.date) -> str:
        return f"{d.day} {d:%b}"

    if cut_start and cut_end:
        return f"{fy_name(year)} ({day(begins)} to {day(ends)})"
    if cut_start:
        return f"{fy_name(year)} (from {day(begins)})"
    if cut_end:
        return f"{fy_name(year)} (to {day(ends)})"
    return fy_name(year)


def year_starts(start_date: dt.date, weeks: int) -> list[dt.date]:
    """Each 1 April strictly inside the horizon (where a figure marks a new year)."""
    end = start_date + dt.timedelta(days=7 * weeks)
    first = fy_of(start_date) + 1
    out = [dt.date(y, FY_FIRST_MONTH, 1) for y in range(first, end.year + 1)]
    return [d for d in out if start_date < d < end]


def fixed_term_ends(scenario: Scenario) -> list[dt.date]:
    """Days on which an intervention's money stops (funding's term, a post's or an
    outsourcing window's end), sorted; permanent posts and posts lost have none."""
    ends = set()
    for item in scenario.interventions:
        if isinstance(item, Funding):
            start = week_of(scenario.start_date, item.from_date) + item.recruitment_lag_weeks
            days = round(7.0 * (start + item.over_months * WEEKS_PER_MONTH))
            ends.add(scenario.start_date + dt.timedelta(days=days))
        elif isinstance(item, Outsourcing) or (
            isinstance(item, StaffChange) and item.wte > 0 and item.until_date is not None
        ):
            ends.add(item.until_date)
    return sorted(ends)


# ------------------------------------------------------------------------------ costs by week
def staff_cost_by_week_gbp(capacity: Capacity) -> np.ndarray:
    """Cost of the WTE interventions add (paid from the first day), per week: the weekly
    terms of `Capacity.added_cost_gbp`."""
    per_wte = capacity.cost_gbp_per_wte_week[None, :, None]
    return (capacity.added_employed_wte * per_wte).sum(axis=(0, 1))


def outsourced_cost_by_week_gbp(
    taken: np.ndarray, blocks: Sequence[OutsourcingBlock]
) -> np.ndarray:
    """Price of the assessments outsourced providers took each week, shape (reps, weeks).

    `taken[r, d, w]` counts the children of district d a provider took in week w. Blocks
    take children in their order within a week (as the engine does), each up to its
    weekly number, so a block's count is exact unless blocks with different prices cover
    the same district in the same week (then which block took whom is not recorded, and
    children are matched to blocks in district order).
    """
    left = taken.astype(np.int64)
    cost = np.zeros((left.shape[0], left.shape[2]))
    for block in blocks:
        districts = list(block.districts)
        quota = np.asarray(block.per_week, np.int64)[None, :]
        take = np.minimum(quota, left[:, districts, :].sum(axis=1))
        cost += take * block.price_gbp_each
        for d in districts:  # remove the children this block took
            used = np.minimum(left[:, d, :], take)
            left[:, d, :] -= used
            take -= used
    for d in np.unique(np.nonzero(left)[1]):  # none expected: priced by a block covering it
        price = next((b.price_gbp_each for b in blocks if d in b.districts), 0.0)
        cost += left[:, d, :] * price
    return cost


# ------------------------------------------------------------------------------ per replication
@dataclass(frozen=True)
class YearlyValues:
    """One scenario's measures per replication and financial year."""

    years: tuple[FinancialYear, ...]
    replications: np.ndarray
    values: dict[tuple[str, str, str], np.ndarray]  # (area_type, area, measure) -> (reps, years)


def yearly_values(model: Model, run_folder: Path) -> YearlyValues:
    """Cut a run's weekly counts and intervention costs into financial years."""
    reps, weekly = read_weekly(Path(run_folder) / "weekly.parquet", model)
    years = financial_years(model.scenario.start_date, model.weeks)
    staff = np.broadcast_to(staff_cost_by_week_gbp(model.capacity), (reps.size, model.weeks))
    outsourced = np.zeros((reps.size, model.weeks))
    if model.capacity.outsourcing:
        taken = read_outsourced(Path(run_folder) / "children.parquet", model, reps)
        outsourced = outsourced_cost_by_week_gbp(taken, model.capacity.outsourcing)
    costs = {"added_staff_cost_gbp": staff, "outsourced_cost_gbp": outsourced}
    costs["intervention_cost_gbp"] = staff + outsourced
    values: dict[tuple[str, str, str], np.ndarray] = {}
    for area_type, area, districts in areas(model):
        for measure, column in {**FLOWS, **STOCKS}.items():
            series = weekly[column][:, districts, :].sum(axis=1)
            values[(area_type, area, measure)] = cut(series, years, measure in STOCKS)
        if area_type == "county":  # costs are county figures, as the KPIs are
            for measure, series in costs.items():
                values[(area_type, area, measure)] = cut(series, years, stock=False)
    return YearlyValues(years, reps, values)


def cut(series: np.ndarray, years: Sequence[FinancialYear], stock: bool) -> np.ndarray:
    """(reps, weeks) into (reps, years): a flow's sum over the year's weeks, or a stock's
    value at the end of its last week."""
    if stock:
        return np.stack([series[:, y.end_week - 1] for y in years], axis=1).astype(float)
    return np.stack([series[:, y.first_week : y.end_week].sum(axis=1) for y in years], axis=1)


def areas(model: Model) -> list[tuple[str, str, list[int]]]:
    """The county first, then each team, with the districts it holds."""
    out = [("county", COUNTY, list(range(len(model.districts))))]
    for t, team in enumerate(model.teams):
        out.append(("team", team, [d for d, x in enumerate(model.team_of_district) if x == t]))
    return out


def read_weekly(path: Path, model: Model) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The replications, and each needed column of `weekly.parquet` as (reps, districts, weeks)."""
    import pyarrow.parquet as pq

    columns = sorted(set(FLOWS.values()) | set(STOCKS.values()))
    frame = pq.read_table(path, columns=["replication", "week", "district", *columns]).to_pandas()
    reps = np.unique(frame["replication"].to_numpy())
    r = np.searchsorted(reps, frame["replication"].to_numpy())
    d = pd.Categorical(frame["district"].astype(str), categories=list(model.districts)).codes
    w = frame["week"].to_numpy()
    out = {}
    for name in columns:
        grid = np.zeros((reps.size, len(model.districts), model.weeks), np.int64)
        grid[r, d, w] = frame[name].to_numpy()
        out[name] = grid
    return reps, out


def read_outsourced(path: Path, model: Model, reps: np.ndarray) -> np.ndarray:
    """Children outsourced providers took, per replication, district and week (the week of
    the provider's first appointment, which is when the assessment was bought)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(
        path,
        columns=["replication", "district", "first_appointment_date"],
        filters=[("outsourced", "==", True)],
    )
    start = (model.scenario.start_date - dt.date(1970, 1, 1)).days
    days = pc.cast(table.column("first_appointment_date"), "int32").to_numpy(zero_copy_only=False)
    r = np.searchsorted(reps, table.column("replication").to_numpy())
    names = table.column("district").to_pandas().astype(str)
    d = pd.Categorical(names, categories=list(model.districts)).codes
    taken = np.zeros((reps.size, len(model.districts), model.weeks), np.int64)
    np.add.at(taken, (r, d, (days - start) // 7), 1)
    return taken


# ------------------------------------------------------------------------------ the paired table
class Source(Protocol):
    """A scenario of a comparison (`experiments.changes.Entry` is one)."""

    name: str
    slug: str
    model: Model


def paired_intervals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over axis 0 with its t-based 95% CI, for every column at once (no NaNs):
    `statistics.t_interval`, vectorised."""
    n = values.shape[0]
    mean = values.mean(axis=0)
    if n < 2:
        nan = np.full(mean.shape, np.nan)
        return mean, nan, nan
    half = t_quantile(n - 1) * values.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def financial_year_table(sources: Sequence[Source], run_folders: Sequence[Path]) -> pd.DataFrame:
    """Every scenario, area, financial year and measure: mean and 95% CI over replications,
    and the paired difference from the first scenario (the base) with its 95% CI."""
    runs = [yearly_values(s.model, f) for s, f in zip(sources, run_folders, strict=True)]
    base = runs[0]
    rows = []
    for source, run in zip(sources, runs, strict=True):
        if not np.array_equal(run.replications, base.replications):
            raise ValueError(f"{source.slug}: replications differ from the base's; cannot pair")
        for (area_type, area, measure), values in run.values.items():
            mean, low, high = paired_intervals(values)
            low, high = within_range([UNITS[measure]] * mean.size, mean, low, high)
            diff, d_low, d_high = paired_intervals(values - base.values[(area_type, area, measure)])
            for i, year in enumerate(run.years):
                where = (source.name, source.slug, area_type, area)
                when = (year.label, year.fy_start.isoformat(), year.fy_end.isoformat())
                what = (measure, UNITS[measure])
                stats = (mean[i], low[i], high[i], diff[i], d_low[i], d_high[i])
                rows.append((*where, *when, *what, *stats, int(values.shape[0])))
    table = pd.DataFrame(rows, columns=COLUMNS)
    numbers = COLUMNS[COLUMNS.index("mean") : COLUMNS.index("replications")]
    table[numbers] = table[numbers].round(DECIMALS) + 0.0  # + 0.0: no "-0.0" in the file
    return table
