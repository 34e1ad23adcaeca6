"""The compiled weekly binning and stocks count as numpy's floor, clip and bincount did."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.results.weekly import _per_week, _stock


def _numpy(district: np.ndarray, days: np.ndarray, n: int, weeks: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        k = np.floor(days / 7.0)
    k[np.isnan(k)] = weeks
    k = np.clip(k, 0, weeks).astype(np.int64)
    counts = np.bincount(district * (weeks + 1) + k, minlength=n * (weeks + 1))
    return counts.reshape(n, weeks + 1)[:, :weeks]


days = st.one_of(
    st.floats(-100.0, 1000.0),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 6.999999, 7.0, 699.0, 700.0]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), days), max_size=60), st.integers(1, 100))
def test_compiled_binning_matches_numpy_unit(rows: list, weeks: int) -> None:
    district = np.array([d for d, _ in rows], np.int64)
    when = np.array([t for _, t in rows], np.float64)
    assert np.array_equal(_per_week(district, when, 3, weeks), _numpy(district, when, 3, weeks))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), days, days), max_size=60), st.integers(1, 100))
def test_compiled_stock_matches_numpy_unit(rows: list, weeks: int) -> None:
    """In [start, end) at each week's end: those begun by then less those ended."""
    district = np.array([d for d, _, _ in rows], np.int64)
    start = np.array([t for _, t, _ in rows], np.float64)
    end = np.array([t for _, _, t in rows], np.float64)
    begun = np.cumsum(_numpy(district, start, 3, weeks), axis=1)
    ended = np.cumsum(_numpy(district, end, 3, weeks), axis=1)
    assert np.array_equal(_stock(district, start, end, 3, weeks), begun - ended)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), days, st.integers(-1, 1)), max_size=60))
def test_grouped_binning_counts_each_group_unit(rows: list) -> None:
    """Children of group -1 are not counted; the others are binned in their own group."""
    district = np.array([d for d, _, _ in rows], np.int64)
    when = np.array([t for _, t, _ in rows], np.float64)
    group = np.array([g for _, _, g in rows], np.int64)
    got = _per_week(district, when, 3, 52, group, 2)
    for g in (0, 1):
        mine = group == g
        assert np.array_equal(got[g], _numpy(district[mine], when[mine], 3, 52))
