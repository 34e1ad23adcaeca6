"""The results' compiled passes over every child, in one file loaded on first use.

Kept apart so that importing the results (as every command's parent process does) does not
load numba (60 MB and a few tenths of a second); only the processes that work out a
replication's outputs do. Self-contained: numba's on-disk cache of a function sees changes
to its own file only.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def ranked_waits(
    referral_day: np.ndarray,
    first_at: np.ndarray,
    stop_at: np.ndarray,
    area: np.ndarray,
    at_days: np.ndarray,
    low: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled (checked against numpy by a test)
    """The waits (weeks so far) at ranks low[g, a, k] and low[g, a, k] + 1 among the children
    of area g open at month end a: shape (areas, month ends, quantiles, 2).

    Child i is open at month ends first_at[i] .. stop_at[i] - 1 and belongs to the areas in
    row i of `area`. Children come newest first, so each area's waits arrive in ascending
    order and each rank is met as it passes: nothing is stored or sorted.
    """
    n_areas, n_at, n_q = low.shape
    out = np.full((n_areas, n_at, n_q, 2), np.nan)
    seen = np.zeros((n_areas, n_at), np.int64)
    for i in range(referral_day.size):
        r = referral_day[i]
        for a in range(first_at[i], stop_at[i]):
            wait = (at_days[a] - r) / 7.0
            for j in range(area.shape[1]):
                g = area[i, j]
                rank = seen[g, a]
                seen[g, a] = rank + 1
                for k in range(n_q):
                    step = rank - low[g, a, k]
                    if step == 0 or step == 1:
                        out[g, a, k, step] = wait
    return out


@numba.njit(cache=True, nogil=True)
def week_counts(
    district: np.ndarray, days: np.ndarray, n_districts: int, weeks: int
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy's binning)
    """Events per district and week of each time, one pass: week floor(day / 7), before
    the start -> 0, never (NaN) or after the horizon -> `weeks` (a column dropped later)."""
    out = np.zeros((n_districts, weeks + 1), np.int64)
    for i in range(days.size):
        d = days[i]
        if np.isnan(d):
            k = weeks
        else:
            f = np.floor(d / 7.0)
            k = 0 if f < 0 else (weeks if f > weeks else int(f))
        out[district[i], k] += 1
    return out
