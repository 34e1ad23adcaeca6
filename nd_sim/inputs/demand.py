"""Referral rates over time, and the referral times drawn from them.

The rate of a district on day d is its baseline x compound growth x the seasonal
multiplier of the month x every shock active that day. Daily counts are drawn by
inverting the Poisson CDF at one uniform per day, so a higher rate never gives fewer
referrals on the same day of the same replication (a monotone coupling that keeps
scenario comparisons paired).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from nd_sim.engine.rng import uniforms
from nd_sim.scenario.models import ALL, Scenario

# English school-year shape of referrals (schools refer less in August and at
# Christmas and Easter), read off NHS Digital's ASD12 0-17 referrals for 2019-20
# and 2021-22 (shared data) and rounded; January first, normalised to mean 1.
SCHOOL_TERMS = (1.05, 1.12, 1.12, 0.90, 1.05, 1.00, 1.02, 0.68, 0.86, 1.10, 1.10, 1.00)
LARGE_MEAN = 200.0  # daily mean above which Poisson inversion switches to scipy


def day_dates(start: dt.date, days: int) -> list[dt.date]:
    """The calendar date of each simulated day."""
    return [start + dt.timedelta(days=d) for d in range(days)]


def day_index(start: dt.date, when: dt.date | None, days: int) -> int:
    """Day number of a date, clipped to [0, days]; None means after the horizon."""
    if when is None:
        return days
    return int(min(max((when - start).days, 0), days))


def seasonal_by_day(scenario: Scenario, days: int) -> np.ndarray:
    """Seasonal multiplier for each day."""
    demand = scenario.demand
    if demand.seasonality == "none":
        return np.ones(days)
    months = SCHOOL_TERMS if demand.seasonality == "school_terms" else demand.monthly_multipliers
    profile = np.asarray(months, dtype=float)
    profile = profile / profile.mean()
    month = np.array([d.month - 1 for d in day_dates(scenario.start_date, days)])
    return profile[month]


def shock_by_day(scenario: Scenario, district: str, days: int) -> np.ndarray:
    """Product of every shock's multiplier on one district, for each day."""
    factor = np.ones(days)
    t = np.arange(days, dtype=float)
    for shock in scenario.demand.shocks:
        if ALL not in shock.districts and district not in shock.districts:
            continue
        start = (shock.from_date - scenario.start_date).days
        end = days if shock.until_date is None else (shock.until_date - scenario.start_date).days
        ramp_days = shock.ramp_weeks * 7.0
        if ramp_days > 0:
            progress = np.clip((t - start + 1) / ramp_days, 0.0, 1.0)
        else:
            progress = np.ones(days)
        active = (t >= start) & (t < end)
        factor *= np.where(active, 1.0 + (shock.multiplier - 1.0) * progress, 1.0)
    return factor


def daily_rates(scenario: Scenario, days: int) -> dict[str, np.ndarray]:
    """Expected referrals per day for each district (used by the engine and the analytic panel)."""
    years = np.arange(days, dtype=float) / 365.25
    growth = (1.0 + scenario.demand.growth_per_year) ** years
    season = seasonal_by_day(scenario, days)
    return {
        name: district.referrals_per_week
        / 7.0
        * growth
        * season
        * shock_by_day(scenario, name, days)
        for name, district in scenario.districts.items()
    }


def accept_multiplier_by_day(scenario: Scenario, district: str, days: int) -> np.ndarray:
    """Scaling of the triage accept probability from criteria changes, for each day."""
    factor = np.ones(days + 1)
    for change in scenario.demand.criteria_changes:
        if ALL not in change.districts and district not in change.districts:
            continue
        start = day_index(scenario.start_date, change.from_date, days)
        end = day_index(scenario.start_date, change.until_date, days + 1)
        factor[start:end] *= change.accept_multiplier
    return factor


def poisson_inverse(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Smallest k with P(X <= k) > u for X ~ Poisson(mean), elementwise.

    Summing the pmf term by term (compiled, `bulk.poisson_counts`) is exact for the small
    daily means of a referral process and much faster than a general quantile function.
    """
    from nd_sim.engine.bulk import poisson_counts  # compiled: workers only, never the parent

    u = np.asarray(u, float)
    mean = np.maximum(np.asarray(mean, float), 0.0)
    large = mean > LARGE_MEAN
    if large.any():  # exp(-mean) underflows: use the general quantile function there
        out = np.zeros(u.size, np.int64)
        out[~large] = poisson_inverse(u[~large], mean[~large])
        from scipy.stats import poisson  # rare; importing scipy costs half a second

        out[large] = poisson.ppf(u[large], mean[large]).astype(np.int64)
        return out
    return poisson_counts(u, mean, np.exp(-mean))


def referral_times(rate_per_day: np.ndarray, seed: int, replication: int, name: str) -> np.ndarray:
    """Sorted referral times in days for one district: Poisson counts per day, uniform within."""
    return referral_times_flat([rate_per_day], seed, replication, [name])[0]


def referral_times_flat(
    rates_per_day: Sequence[np.ndarray], seed: int, replication: int, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Every district's `referral_times`, one district after another, and how many each has.

    Each district draws from its own streams, ``referrals/<name>`` (one uniform a day) and
    ``referral_times/<name>`` (one a referral); the arithmetic runs once over all of them
    (elementwise, so the same values as district by district)."""
    from nd_sim.engine.bulk import sort_runs  # compiled: workers only, never the parent

    if len(rates_per_day) != len(names):
        raise ValueError(f"{len(names)} districts but {len(rates_per_day)} rates")
    days = np.array([r.size for r in rates_per_day], np.int64)
    if not names:
        return np.empty(0), np.zeros(0, np.int64)
    u = uniforms(seed, replication, [f"referrals/{n}" for n in names], days)
    per_day = poisson_inverse(u, np.concatenate(rates_per_day))
    so_far = np.concatenate([[0], np.cumsum(per_day)])
    day_bounds = np.concatenate([[0], np.cumsum(days)])
    counts = so_far[day_bounds[1:]] - so_far[day_bounds[:-1]]
    day = np.arange(per_day.size) - np.repeat(day_bounds[:-1], days)  # each district's own
    within = uniforms(seed, replication, [f"referral_times/{n}" for n in names], counts)
    times = np.repeat(day.astype(float), per_day) + within
    sort_runs(times, np.concatenate([[0], np.cumsum(counts)]))
    return times, counts
