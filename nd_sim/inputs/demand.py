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

from nd_sim.engine.rng import streams
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

    Summing the pmf term by term is exact for the small daily means of a referral
    process and much faster than a general quantile function.
    """
    mean = np.maximum(np.asarray(mean, float), 0.0)
    large = mean > LARGE_MEAN
    if large.any():  # exp(-mean) underflows: use the general quantile function there
        out = np.zeros(u.size, np.int64)
        out[~large] = poisson_inverse(u[~large], mean[~large])
        from scipy.stats import poisson  # rare; importing scipy costs half a second

        out[large] = poisson.ppf(u[large], mean[large]).astype(np.int64)
        return out
    pmf = np.exp(-mean)
    cdf = pmf.copy()
    count = np.zeros(u.size, np.int64)
    k = 0
    below = u >= cdf
    while below.any() and k < 10_000:
        k += 1
        count += below
        pmf = pmf * mean / k
        cdf = cdf + pmf
        below = below & (u >= cdf) & (pmf > 0)
    return count


def referral_times(rate_per_day: np.ndarray, seed: int, replication: int, name: str) -> np.ndarray:
    """Sorted referral times in days for one district: Poisson counts per day, uniform within."""
    return referral_times_many([rate_per_day], seed, replication, [name])[0]


def referral_times_many(
    rates_per_day: Sequence[np.ndarray], seed: int, replication: int, names: Sequence[str]
) -> list[np.ndarray]:
    """`referral_times` of many districts, each from its own streams: the Poisson inversion
    runs once over all of them (elementwise, so the same counts), not once a district."""
    gens = streams(seed, replication, [f"referrals/{n}" for n in names])
    counts_u = [g.random(r.size) for g, r in zip(gens, rates_per_day, strict=True)]
    if not counts_u:
        return []
    counts = poisson_inverse(np.concatenate(counts_u), np.concatenate(rates_per_day))
    bounds = np.cumsum([0] + [r.size for r in rates_per_day]).tolist()
    out = []
    within = streams(seed, replication, [f"referral_times/{n}" for n in names])
    for k, g in enumerate(within):
        part = counts[bounds[k] : bounds[k + 1]]
        days = np.repeat(np.arange(part.size, dtype=float), part)
        times = days + g.random(days.size)
        times.sort()
        out.append(times)
    return out
