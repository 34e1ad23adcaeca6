"""Kaplan–Meier survival and quantiles against hand-worked examples and the exact answer."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.results.km import km_quantile, km_survival

# Worked by hand: durations 1, 2, 2+, 2, 3, 5+, 6, 8+ ("+" = censored).
#   t=1: at risk 8, 1 event  -> S = 7/8
#   t=2: at risk 7 (the child censored at 2 counts), 2 events -> S = 7/8 * 5/7 = 5/8
#   t=3: at risk 4, 1 event  -> S = 5/8 * 3/4 = 15/32
#   t=6: at risk 2, 1 event  -> S = 15/32 * 1/2 = 15/64
HAND_T = [1, 2, 2, 2, 3, 5, 6, 8]
HAND_E = [1, 1, 0, 1, 1, 0, 1, 0]


def test_survival_hand_example_unit() -> None:
    times = [0, 0.5, 1, 1.5, 2, 2.9, 3, 5, 5.5, 6, 7, 8, 100]
    expected = [1, 1, 7 / 8, 7 / 8, 5 / 8, 5 / 8, 15 / 32, 15 / 32, 15 / 32, 15 / 64, 15 / 64]
    expected += [15 / 64, 15 / 64]
    np.testing.assert_allclose(km_survival(HAND_T, HAND_E, times), expected)


def test_quantiles_hand_example_unit() -> None:
    assert km_quantile(HAND_T, HAND_E, 0.1) == (1.0, True)  # S(1) = 0.875 <= 0.9
    assert km_quantile(HAND_T, HAND_E, 0.25) == (2.0, True)  # S(1) = 0.875 > 0.75
    assert km_quantile(HAND_T, HAND_E, 0.5) == (3.0, True)  # S(2) = 0.625, S(3) = 0.47
    assert km_quantile(HAND_T, HAND_E, 0.75) == (6.0, True)  # S(6) = 0.234 <= 0.25
    # S never falls to 0.1: the P90 is "at least" the longest follow-up, 8.
    assert km_quantile(HAND_T, HAND_E, 0.9) == (8.0, False)


def test_median_is_at_least_follow_up_when_most_still_wait_unit() -> None:
    # 10 children, 3 seen at 4, 5 and 6 weeks, 7 still waiting after 2 to 9 weeks.
    durations = [4, 5, 6, 2, 3, 7, 8, 9, 9, 9]
    observed = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert km_quantile(durations, observed, 0.5) == (9.0, False)
    # Dropping the censored children would claim a median of 5 weeks.
    assert km_quantile([4, 5, 6], [1, 1, 1], 0.5) == (5.0, True)


def test_censoring_before_events_raises_the_estimate_unit() -> None:
    # Censored children early on leave the risk set: 2 of the remaining 3 seen by week 4.
    # S(3) = 1 - 1/3, S(4) = 2/3 * 1/2 = 1/3 -> median 4.
    assert km_quantile([1, 1, 3, 4, 9], [0, 0, 1, 1, 0], 0.5) == (4.0, True)


def test_edge_cases_unit() -> None:
    value, reached = km_quantile([], [], 0.5)
    assert math.isnan(value) and not reached
    assert np.isnan(km_survival([], [], [1.0, 2.0])).all()
    assert km_quantile([3.0], [True], 0.5) == (3.0, True)
    assert km_quantile([3.0], [False], 0.5) == (3.0, False)
    np.testing.assert_allclose(km_survival([2, 2, 2], [1, 1, 1], [1.9, 2.0]), [1.0, 0.0])
    with pytest.raises(ValueError):
        km_quantile([1, 2], [1], 0.5)
    with pytest.raises(ValueError):
        km_quantile([1, 2], [1, 1], 1.0)
    with pytest.raises(ValueError):
        km_survival([1.0, float("nan")], [1, 1], [1.0])


QUANTILES = [Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(9, 10)]


@pytest.mark.parametrize("q", QUANTILES, ids=str)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 20, 101])
def test_no_censoring_gives_the_empirical_quantile_unit(q: Fraction, n: int) -> None:
    rng = np.random.default_rng(n)
    durations = rng.integers(0, 30, n).astype(float)  # with ties
    # Empirical quantile: the smallest x with F(x) >= q, i.e. the ceil(q n)-th smallest.
    expected = np.sort(durations)[math.ceil(q * n) - 1]
    assert km_quantile(durations, np.ones(n, bool), float(q)) == (expected, True)
    if q.denominator in (2, 4):  # exactly representable: numpy agrees too
        assert expected == np.quantile(durations, float(q), method="inverted_cdf")


@pytest.mark.parametrize("n", [1, 5, 50])
def test_no_censoring_survival_is_one_minus_ecdf_unit(n: int) -> None:
    durations = np.random.default_rng(n).exponential(10.0, n)
    grid = np.linspace(0, 60, 121)
    ecdf = (durations[None, :] <= grid[:, None]).mean(axis=1)
    np.testing.assert_allclose(km_survival(durations, np.ones(n, bool), grid), 1 - ecdf)


samples = st.lists(
    st.tuples(
        st.floats(0, 500, allow_nan=False, allow_infinity=False) | st.integers(0, 20),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(samples, st.floats(0.01, 0.99))
def test_survival_is_a_non_increasing_probability_unit(rows: list, q: float) -> None:
    durations = np.array([float(t) for t, _ in rows])
    observed = np.array([e for _, e in rows])
    grid = np.unique(np.concatenate([durations, np.linspace(0, 520, 53)]))
    s = km_survival(durations, observed, grid)
    assert ((s >= 0) & (s <= 1)).all()
    assert (np.diff(s) <= 1e-12).all()
    value, reached = km_quantile(durations, observed, q)
    if reached:
        # The quantile is an event time where S first falls to 1 - q.
        assert value in durations[observed]
        assert km_survival(durations, observed, [value])[0] <= 1 - q + 1e-9
        earlier = durations[observed & (durations < value)]
        assert (km_survival(durations, observed, earlier) > 1 - q).all()
    else:
        assert value == durations.max()
        assert km_survival(durations, observed, [value])[0] > 1 - q - 1e-9
    if not observed.any():
        assert not reached
