"""The compiled per-area passes of the KPIs against plain numpy, area by area: the radix
argsort, the order statistics of every area in one pass, and Kaplan–Meier medians."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.bulk import stable_argsort
from nd_sim.results.areas import areas_of, quantiles, value_order
from nd_sim.results.compiled import km_crossings
from nd_sim.results.km import KM_TOLERANCE, km_quantile

AREAS = [[0], [1], [2], [3], [0, 1], [2, 3], None]  # districts, two teams, the county


def _areas():
    kinds = ["district"] * 4 + ["team"] * 2 + ["county"]
    return areas_of(kinds, [str(k) for k in range(len(AREAS))], AREAS, 4)


def _sample(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.exponential(20.0, n)
    values[: n // 3] = np.round(values[: n // 3])  # ties
    district = rng.integers(0, 4, n)
    district[district == 3] = 2  # district 3 has nobody
    return values, district


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=200, deadline=None)
@given(st.lists(floats, max_size=300))
def test_radix_argsort_is_numpys_stable_argsort_unit(values: list[float]) -> None:
    array = np.array(values, np.float64)
    expected = np.argsort(array, kind="stable")
    assert np.array_equal(stable_argsort(array), expected)
    assert np.array_equal(stable_argsort.py_func(array), expected)  # NUMBA_DISABLE_JIT's path


@pytest.mark.parametrize(
    "spread",
    [
        2.0**-40,  # values sharing their high 32 bits: a long tie, sorted again by every bit
        2.0**-25,  # ties of a few, ordered by insertion
        0.0,  # one value repeated: a tie already in order
    ],
)
def test_radix_argsort_orders_ties_of_its_high_bits_unit(spread: float) -> None:
    rng = np.random.default_rng(7)
    values = 1.0 + rng.permutation(200) * spread
    values = np.concatenate([values, -values, rng.random(50)])
    expected = np.argsort(values, kind="stable")
    assert np.array_equal(stable_argsort(values), expected)
    assert np.array_equal(stable_argsort.py_func(values), expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_of_every_area_are_numpys_unit(seed: int) -> None:
    values, district = _sample(seed, 500)
    areas = _areas()
    n = areas.counts(np.bincount(district, minlength=4))
    got = quantiles(values, district, areas, n, (0.5, 0.9, 0.92))
    for a, chosen in enumerate(AREAS):
        mine = values if chosen is None else values[np.isin(district, chosen)]
        for k, q in enumerate((0.5, 0.9, 0.92)):
            if mine.size:
                assert got[a, k] == np.quantile(mine, q)  # the same bits
            else:
                assert np.isnan(got[a, k])


def test_quantiles_of_one_value_and_of_none_unit() -> None:
    areas = _areas()
    values, district = np.array([4.0]), np.array([1])
    n = areas.counts(np.bincount(district, minlength=4))
    got = quantiles(values, district, areas, n, (0.5,))
    assert got[1, 0] == 4.0 and got[4, 0] == 4.0 and got[6, 0] == 4.0
    assert np.isnan(got[0, 0]) and np.isnan(got[5, 0])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_km_medians_of_every_area_are_the_per_area_estimate_unit(seed: int) -> None:
    values, district = _sample(seed, 400)
    event = np.random.default_rng(seed + 10).random(values.size) < (0.3 if seed == 4 else 0.7)
    areas = _areas()
    order = value_order(values)
    got = km_crossings(
        values[order], event[order], district[order], areas.member, len(AREAS) + 1,
        1.0 - 0.5 + KM_TOLERANCE,
    )  # fmt: skip
    for a, chosen in enumerate(AREAS):
        mine = np.ones(values.size, bool) if chosen is None else np.isin(district, chosen)
        if mine.any():
            assert got[a] == km_quantile(values[mine], event[mine], 0.5)[0]
        else:
            assert np.isnan(got[a])


def test_area_sums_add_in_numpys_order_unit() -> None:
    areas = _areas()
    per_district = np.array([0.1, 0.2, 0.3, 1e16])
    got = areas.sums(per_district)
    assert got[4] == per_district[[0, 1]].sum() and got[6] == per_district.sum()
    assert np.array_equal(areas.counts(np.array([1, 2, 3, 4])), [1, 2, 3, 4, 3, 7, 10])


day_values = st.one_of(
    st.floats(-400.0, 900.0), st.sampled_from([0.0, 31.0, 59.0, 400.0, np.nan, np.inf, -0.0])
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(day_values, day_values, st.integers(0, 3)), max_size=80))
def test_open_spans_are_numpys_search_unit(rows: list[tuple[float, float, int]]) -> None:
    """A child's open month ends by table lookup, as numpy's search finds them (month ends
    are whole days above 0; a NaN sorts after them, as in numpy)."""
    from nd_sim.results.compiled import open_spans

    referral = np.array([r for r, _, _ in rows], np.float64)
    exit_day = np.array([e for _, e, _ in rows], np.float64)
    district = np.array([d for *_, d in rows], np.int64)
    at = np.array([31.0, 59.0, 90.0, 120.0, 151.0, 400.0])
    areas = _areas()
    first, stop, count = open_spans(referral, exit_day, district, areas.member, at, len(AREAS) + 1)
    want_first = np.searchsorted(at, referral)
    want_stop = np.where(np.isnan(exit_day), at.size, np.searchsorted(at, exit_day))
    want_stop = np.maximum(want_stop, want_first)
    assert np.array_equal(first, want_first) and np.array_equal(stop, want_stop)
    for a, chosen in enumerate(AREAS):
        mine = np.ones(district.size, bool) if chosen is None else np.isin(district, chosen)
        for m in range(at.size):
            expected = np.sum(mine & (want_first <= m) & (m < want_stop))
            assert count[a, m] == expected


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
tied = st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-300, 5e-324, -1e308, 1e308])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(finite, tied), st.integers(0, 3)), max_size=120))
def test_selected_quantiles_are_numpys_for_any_finite_values_unit(
    rows: list[tuple[float, int]],
) -> None:
    """The order statistics found by value ranges (no sort) give the bits the sorted pass
    gives (the sign of a zero included), and numpy's quantiles, whatever the spread: ties,
    one value repeated, -0.0 beside 0.0, extremes of the float range."""
    from nd_sim.results.areas import linear
    from nd_sim.results.compiled import ranked_values

    values = np.array([v for v, _ in rows], np.float64)
    district = np.array([d for _, d in rows], np.int64)
    areas = _areas()
    n = areas.counts(np.bincount(district, minlength=4))
    qs = (0.5, 0.9, 0.92)
    with np.errstate(over="ignore", invalid="ignore"):  # numpy's own for ±1e308 at once
        got = quantiles(values, district, areas, n, qs)
        n_all = np.append(n, 0)
        virtual = (n_all[:, None] - 1) * np.asarray(qs)
        low = np.floor(virtual).astype(np.int64)
        order = value_order(values)
        ranked = ranked_values(values[order], district[order], areas.member, low)
        sorted_pass = linear(ranked, virtual, low, n_all)[:-1]
        assert np.array_equal(got.view(np.int64), sorted_pass.view(np.int64))
        for a, chosen in enumerate(AREAS):
            mine = values if chosen is None else values[np.isin(district, chosen)]
            for k, q in enumerate(qs):
                want = np.quantile(mine, q) if mine.size else np.nan
                assert np.array_equal(got[a, k], want, equal_nan=True)


def test_selection_hands_non_finite_values_and_minus_zero_to_the_sort_unit() -> None:
    from nd_sim.results.compiled import selected_values

    values = np.array([1.0, np.inf, 3.0, np.nan])
    district = np.array([0, 1, 2, 0])
    areas = _areas()
    low = np.zeros((len(AREAS) + 1, 1), np.int64)
    assert not selected_values(values, district, areas.member, low)[1]
    zeros = np.array([0.0, -0.0, -0.0])  # numpy's 90th percentile is -0.0: order matters
    assert not selected_values(zeros, district[:3], areas.member, low)[1]
    county = quantiles(zeros, np.zeros(3, np.int64), areas, np.array([3, 0, 0, 0, 3, 0, 3]), (0.9,))
    assert np.signbit(county[-1, 0]) and np.signbit(np.quantile(zeros, 0.9))
    values, district = values[:3], district[:3]
    n = areas.counts(np.bincount(district, minlength=4))
    with np.errstate(invalid="ignore"):  # inf - inf in numpy's interpolation, as numpy
        got = quantiles(values, district, areas, n, (0.25, 0.5))
        want = np.quantile(values, (0.25, 0.5))  # the county's 1, inf, 3, sorted
    assert got[-1, 0] == want[0] == 2.0 and np.isnan(got[-1, 1]) and np.isnan(want[1])
