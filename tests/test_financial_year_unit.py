"""Financial years: the calendar, cutting weekly series into years, and costs by week."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from nd_sim.inputs.capacity import OutsourcingBlock
from nd_sim.inputs.model import Model
from nd_sim.results.financial_year import (
    cut,
    financial_years,
    fixed_term_ends,
    fy_name,
    fy_of,
    outsourced_cost_by_week_gbp,
    paired_intervals,
    staff_cost_by_week_gbp,
    year_starts,
)
from nd_sim.results.statistics import t_interval


def _covers_every_week_once(years, weeks: int) -> None:
    assert years[0].first_week == 0 and years[-1].end_week == weeks
    for a, b in itertools.pairwise(years):
        assert a.end_week == b.first_week and a.fy_end + dt.timedelta(days=1) == b.fy_start


def test_fy_of_and_name_unit() -> None:
    assert fy_of(dt.date(2026, 3, 31)) == 2025
    assert fy_of(dt.date(2026, 4, 1)) == 2026
    assert fy_name(2026) == "2026/27" and fy_name(2099) == "2099/00"


def test_whole_years_from_1_april_unit() -> None:
    years = financial_years(dt.date(2026, 4, 1), 104)
    _covers_every_week_once(years, 104)
    assert [y.label for y in years] == ["2026/27", "2027/28 (to 28 Mar)"]
    assert [(y.first_week, y.end_week) for y in years] == [(0, 52), (52, 104)]
    assert years[0].fy_start == dt.date(2026, 4, 1) and years[0].fy_end == dt.date(2027, 3, 30)
    assert years[1].fy_end == dt.date(2028, 3, 28)  # the horizon's last day


def test_lancashire_five_years_unit() -> None:
    """260 weeks from 1 April 2026: the fourth-day rule gives one year 53 weeks, and the last
    year stops six days short of 31 March."""
    years = financial_years(dt.date(2026, 4, 1), 260)
    _covers_every_week_once(years, 260)
    assert [y.label for y in years] == [
        "2026/27",
        "2027/28",
        "2028/29",
        "2029/30",
        "2030/31 (to 25 Mar)",
    ]
    assert [y.end_week - y.first_week for y in years] == [52, 52, 53, 52, 51]
    for y in years:  # every year's span is within three days of 1 April
        assert abs((y.fy_start - dt.date(fy_of(y.fy_start + dt.timedelta(3)), 4, 1)).days) <= 3


def test_partial_years_are_labelled_unit() -> None:
    years = financial_years(dt.date(2026, 6, 1), 52)
    _covers_every_week_once(years, 52)
    assert [y.label for y in years] == ["2026/27 (from 1 Jun)", "2027/28 (to 30 May)"]
    assert years[0].fy_start == dt.date(2026, 6, 1)
    (only,) = financial_years(dt.date(2026, 6, 1), 10)
    assert only.label == "2026/27 (1 Jun to 9 Aug)"
    # a start just before 1 April: its first days are counted in the year that holds the week
    years = financial_years(dt.date(2026, 3, 30), 53)
    assert years[0].label == "2026/27" and years[0].fy_start == dt.date(2026, 3, 30)


def test_year_starts_unit() -> None:
    assert year_starts(dt.date(2026, 4, 1), 104) == [dt.date(2027, 4, 1)]
    assert year_starts(dt.date(2026, 6, 1), 52) == [dt.date(2027, 4, 1)]
    assert year_starts(dt.date(2026, 6, 1), 10) == []


def test_cut_flows_and_stocks_unit() -> None:
    years = financial_years(dt.date(2026, 6, 1), 52)
    rng = np.random.default_rng(1)
    series = rng.integers(0, 50, size=(3, 52))
    flows = cut(series, years, stock=False)
    np.testing.assert_array_equal(flows.sum(axis=1), series.sum(axis=1))
    stocks = cut(series, years, stock=True)
    for i, y in enumerate(years):
        np.testing.assert_array_equal(stocks[:, i], series[:, y.end_week - 1])
    np.testing.assert_array_equal(stocks[:, -1], series[:, -1])


def test_staff_cost_by_week_adds_up_unit(small_model: Model) -> None:
    weekly = staff_cost_by_week_gbp(small_model.capacity)
    assert weekly.shape == (small_model.weeks,)
    assert weekly.sum() == pytest.approx(small_model.capacity.added_cost_gbp(), abs=0.005)
    assert weekly[0] == 0.0  # the funding's staff start after its recruitment lag


def _block(districts: tuple[int, ...], per_week: list[int], price: float) -> OutsourcingBlock:
    return OutsourcingBlock("b", districts, tuple(per_week), price, 8.0)


def test_outsourced_cost_by_week_unit() -> None:
    taken = np.zeros((2, 3, 4), np.int64)
    taken[0, 0, 1] = 2  # district 0: block A (£100)
    taken[0, 1, 1] = 3  # district 1: block B (£1,000)
    taken[1, 2, 3] = 1  # district 2: block B
    blocks = [_block((0,), [0, 5, 5, 0], 100.0), _block((1, 2), [0, 5, 0, 5], 1000.0)]
    cost = outsourced_cost_by_week_gbp(taken, blocks)
    np.testing.assert_array_equal(cost, [[0, 3200, 0, 0], [0, 0, 0, 1000]])


def test_outsourced_overlapping_blocks_follow_block_order_unit() -> None:
    """Blocks take children in their order, each up to its weekly number."""
    taken = np.zeros((1, 2, 1), np.int64)
    taken[0, 0, 0] = 3
    blocks = [_block((0, 1), [2], 100.0), _block((0,), [4], 1000.0)]
    assert outsourced_cost_by_week_gbp(taken, blocks)[0, 0] == 2 * 100.0 + 1 * 1000.0


def test_fixed_term_ends_unit(small_model: Model) -> None:
    # small.toml: funding from 1 Jul 2026 after a 6-week lag, for 12 months; outsourcing
    # until 1 Mar 2027; a post lost from 1 Jun 2027 (a loss is not money that ends)
    ends = fixed_term_ends(small_model.scenario)
    assert ends == [dt.date(2027, 3, 1), dt.date(2027, 8, 12)]


def test_paired_intervals_match_t_interval_unit() -> None:
    values = np.random.default_rng(3).normal(size=(7, 4))
    mean, low, high = paired_intervals(values)
    for j in range(4):
        np.testing.assert_allclose((mean[j], low[j], high[j]), t_interval(values[:, j]))
    zero = paired_intervals(values - values)
    assert all((part == 0.0).all() for part in zero)
    _, low1, _ = paired_intervals(values[:1])
    assert np.isnan(low1).all()
