"""The cohort's compiled passes (`engine/bulk.py`) against their plain definitions: picks
as numpy's searchsorted, triage answers as `habits.first_look` and `second_look`, bit masks,
Poisson inversion term by term, sorting within runs, grouping by key; and the copies of
triage's answer codes agree with `habits`'."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine import bulk, habits

unit = st.floats(0.0, 1.0, exclude_max=True)


def test_answer_codes_agree_with_habits_unit() -> None:
    assert (bulk.ACCEPT, bulk.SIGNPOST, bulk.MORE) == (habits.ACCEPT, habits.SIGNPOST, habits.MORE)


@settings(max_examples=100, deadline=None)
@given(st.lists(unit, min_size=1, max_size=40), st.lists(unit, min_size=1, max_size=6))
def test_picks_are_searchsorted_unit(u: list[float], weights: list[float]) -> None:
    cdf = np.cumsum(np.array(weights) + 0.01)
    cdf = cdf / cdf[-1]
    draws = np.array(u)
    want = np.minimum(np.searchsorted(cdf, draws, side="right"), cdf.size - 1)
    assert np.array_equal(bulk.pick(draws, cdf), want)
    cdfs = np.stack([cdf, cdf[::-1].cumsum() / cdf[::-1].sum()])
    row = np.arange(draws.size) % 2
    want_rows = [
        min(np.searchsorted(cdfs[r], x, side="right"), cdf.size - 1)
        for r, x in zip(row, draws, strict=True)
    ]
    assert np.array_equal(bulk.pick_rows(draws, cdfs, row), want_rows)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(unit, unit, st.integers(0, 2)), min_size=1, max_size=40),
       st.lists(st.tuples(unit, unit), min_size=3, max_size=3))  # fmt: skip
def test_triage_answers_are_first_and_second_look_unit(children: list, chances: list) -> None:
    table = np.array([(a, min(s, 1.0 - a)) for a, s in chances])
    u = np.array([c[0] for c in children])
    u_again = np.array([c[1] for c in children])
    district = np.array([c[2] for c in children], np.int64)
    decision, again = bulk.triage_answers(u, u_again, district, table)
    for i, d in enumerate(district):
        p_acc, p_sign = table[d]
        assert decision[i] == habits.first_look(u[i], p_acc, p_sign)
        assert again[i] == habits.second_look(u_again[i], p_acc, p_sign)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(unit, min_size=3, max_size=3), min_size=1, max_size=30),
       st.lists(unit, min_size=3, max_size=3))  # fmt: skip
def test_bits_below_unit(rows: list, limits: list) -> None:
    u, lim = np.array(rows), np.array(limits)
    want = ((u < lim) * (1 << np.arange(3))).sum(axis=1)
    assert np.array_equal(bulk.bits_below(u, lim), want)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(unit, st.floats(0.0, 30.0)), min_size=1, max_size=30))
def test_poisson_counts_invert_the_cdf_unit(cases: list) -> None:
    u = np.array([c[0] for c in cases])
    mean = np.array([c[1] for c in cases])
    got = bulk.poisson_counts(u, mean, np.exp(-mean))
    for i in range(u.size):
        pmf = cdf = np.exp(-mean[i])
        k = 0
        while u[i] >= cdf and k < 10_000 and pmf > 0:
            k += 1
            pmf = pmf * mean[i] / k
            cdf = cdf + pmf
        assert got[i] == k


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-10.0, 10.0), max_size=40), st.integers(1, 4))
def test_sort_runs_and_grouped_unit(values: list, pieces: int) -> None:
    array = np.array(values, np.float64)
    bounds = np.unique(np.linspace(0, array.size, pieces + 1).astype(np.int64))
    runs = [np.sort(array[a:b]) for a, b in itertools.pairwise(bounds)]
    want = np.concatenate(runs) if runs else array
    bulk.sort_runs(array, bounds)
    assert np.array_equal(array, want)
    keys = (np.abs(np.array(values)) * 7).astype(np.int64) % 3
    order, sizes = bulk.grouped(keys, 3)
    assert np.array_equal(order, np.argsort(keys, kind="stable"))
    assert np.array_equal(sizes, np.bincount(keys, minlength=3))
