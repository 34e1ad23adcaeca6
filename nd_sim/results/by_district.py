"""Children grouped by district, sorted within each: the order every area's figures share.

An area (a district, a team, the county) is then a few slices of one array, and its sorted
values a merge of sorted runs; nothing is masked or sorted once per area, so the cost grows
with the children, not with children x areas.
"""

from __future__ import annotations

import numpy as np


def district_order(
    values: np.ndarray, district: np.ndarray, n_districts: int
) -> tuple[np.ndarray, list[int]]:
    """The permutation that sorts children by district, then by value, and where each
    district's run starts (``bounds[d]:bounds[d + 1]``). Ties in value keep no particular
    order: callers use only the sorted values, or counts per distinct value."""
    small = np.int16 if n_districts < 2**15 else np.int64  # a stable int16 sort is a radix sort
    order = np.argsort(district.astype(small), kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(district, minlength=n_districts))])
    grouped = values[order]
    bounds_list = bounds.tolist()
    for d in range(n_districts):
        lo, hi = bounds_list[d], bounds_list[d + 1]
        if hi - lo > 1:
            order[lo:hi] = order[lo:hi][np.argsort(grouped[lo:hi])]
    return order, bounds_list
