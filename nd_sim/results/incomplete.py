"""Waits of the children still waiting at each month end (incomplete pathways).

NHS referral-to-treatment statistics report the list by how long each child has waited so
far, not by the waits of those already seen: the median and the 92nd percentile of the
incomplete pathways. This module gives both at every calendar month end of the horizon.

Children are taken newest referral first, so at any month end the waits of an area's open
children come out already sorted; one compiled pass over every child's open months picks
each area's order statistics (`results.compiled.ranked_waits`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from nd_sim.results.areas import linear, value_order

QUANTILES = (0.5, 0.92)


def month_end_days(start: dt.date, days: int) -> list[tuple[str, float]]:
    """Each calendar month end inside the horizon: its ISO date and the time (days from the
    start) at the end of that day."""
    out = []
    year, month = start.year, start.month
    while True:
        first_next = dt.date(year + month // 12, month % 12 + 1, 1)
        at = (first_next - start).days
        if at > days:
            return out
        out.append(((first_next - dt.timedelta(days=1)).isoformat(), float(at)))
        year, month = first_next.year, first_next.month


def incomplete_names(month_ends: Sequence[tuple[str, float]]) -> list[str]:
    """The KPI names of `incomplete_values`' columns: each month end's median, then P92."""
    return [
        name
        for date, _ in month_ends
        for name in (f"incomplete_wait_median_weeks.{date}", f"incomplete_wait_p92_weeks.{date}")
    ]


def incomplete_values(
    referral_day: np.ndarray,
    exit_day: np.ndarray,
    district: np.ndarray,
    member: np.ndarray,
    n_areas: int,
    month_ends: Sequence[tuple[str, float]],
) -> np.ndarray:
    """Each area's ``incomplete_wait_median_weeks.<date>`` and
    ``incomplete_wait_p92_weeks.<date>`` at every month end: an array (areas, 2 x month
    ends), columns as `incomplete_names`. `member` is `areas.membership` of the `n_areas`
    areas (a district in at most one area of each layer: district, team, county)."""
    if not month_ends:
        return np.empty((n_areas, 0))
    from nd_sim.results.compiled import open_spans, ranked_waits  # numba: loaded when needed

    order = value_order(-referral_day)  # newest first
    ref, district = referral_day[order], district[order].astype(np.int64)
    at = np.array([t for _, t in month_ends])
    if not (np.all(at == np.floor(at)) and at[0] > 0 and np.all(np.diff(at) > 0)):
        raise ValueError(f"month ends must be whole days above 0, ascending: {at.tolist()}")
    first_at, stop_at, count = open_spans(ref, exit_day[order], district, member, at, n_areas + 1)
    virtual = (count[:, :, None] - 1) * np.array(QUANTILES)  # numpy's linear method
    low = np.floor(virtual).astype(np.int64)
    ranked = ranked_waits(ref, first_at, stop_at, district, member, at, low)
    values = linear(ranked, virtual, low, count)
    return values[:n_areas, :, :2].reshape(n_areas, -1)
