"""Waits of the children still waiting at each month end (incomplete pathways).

NHS referral-to-treatment statistics report the list by how long each child has waited so
far, not by the waits of those already seen: the median and the 92nd percentile of the
incomplete pathways. This module gives both at every calendar month end of the horizon.

Per area, children are taken newest referral first, so at any time the waits of the open
ones come out already sorted; a compiled pass per month end picks the order statistics.
The compiled pass is `results.compiled.ranked_waits`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

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


def incomplete_waits(
    referral_day: np.ndarray,
    exit_day: np.ndarray,
    district: np.ndarray,
    areas: list[list[int] | None],
    month_ends: list[tuple[str, float]],
) -> list[dict[str, float]]:
    """For each area (a list of districts; None for all), KPI name -> value at every month
    end: ``incomplete_wait_median_weeks.<date>`` and ``incomplete_wait_p92_weeks.<date>``.
    Each district may belong to at most one area of each size class (district, team,
    county), as in the KPI tables."""
    if not month_ends:
        return [{} for _ in areas]
    listed = [d for districts in areas if districts for d in districts]
    n_districts = max([*listed, int(district.max()) if district.size else -1]) + 1
    member = _membership(areas, n_districts)
    exits = np.where(np.isnan(exit_day), np.inf, exit_day)
    order = np.argsort(-referral_day, kind="stable")
    ref = referral_day[order]
    at = np.array([t for _, t in month_ends])
    first_at = np.searchsorted(at, ref, side="left")
    stop_at = np.maximum(np.searchsorted(at, exits[order], side="left"), first_at)
    area = member[district[order].astype(np.int64)]
    n_areas, n_at = len(areas) + 1, at.size
    # open children per area and month end: +1 where each child's months start, -1 after
    size = n_areas * (n_at + 1)
    starts = np.bincount((area * (n_at + 1) + first_at[:, None]).ravel(), minlength=size)
    stops = np.bincount((area * (n_at + 1) + stop_at[:, None]).ravel(), minlength=size)
    count = np.cumsum((starts - stops).reshape(n_areas, n_at + 1), axis=1)[:, :n_at]
    qs = np.array(QUANTILES)
    virtual = (count[:, :, None] - 1) * qs  # numpy's linear method, rank by rank
    low = np.floor(virtual).astype(np.int64)
    from nd_sim.results.compiled import ranked_waits  # numba: loaded only when needed

    ranked = ranked_waits(ref, first_at, stop_at, area, at, low)
    below, above, frac = ranked[..., 0], ranked[..., 1], virtual - low
    diff = above - below
    values = np.where(frac >= 0.5, above - diff * (1 - frac), below + diff * frac)
    values = np.where(low >= count[:, :, None] - 1, below, values)
    values[count == 0] = np.nan
    names = [  # in the order each month end's pair was always given
        name
        for date, _ in month_ends
        for name in (f"incomplete_wait_median_weeks.{date}", f"incomplete_wait_p92_weeks.{date}")
    ]
    flat = values[: len(areas), :, :2].reshape(len(areas), -1).tolist()
    return [dict(zip(names, row, strict=True)) for row in flat]


def _membership(areas: list[list[int] | None], n_districts: int) -> np.ndarray:
    """Row d: the areas district d belongs to, one column per layer of areas (a district
    in fewer layers points the spare columns at a dummy area, index len(areas))."""
    layers: list[list[int]] = [[] for _ in range(n_districts)]
    for g, districts in enumerate(areas):
        for d in range(n_districts) if districts is None else districts:
            layers[d].append(g)
    width = max((len(x) for x in layers), default=1)
    member = np.full((n_districts, width), len(areas), np.int64)
    for d, groups in enumerate(layers):
        member[d, : len(groups)] = groups
    return member
