"""A KPI's interval stays within the values the KPI can take (no "1, -1 to 2" children)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from nd_sim.results import registry
from nd_sim.results.statistics import KEYS, Groups, kpi_range, summarise_groups, within_range


def test_ranges_follow_the_units_unit() -> None:
    assert kpi_range("open_104w_plus_end") == (0.0, np.inf)
    assert kpi_range("first_within_13w_pct") == (0.0, 100.0)
    assert kpi_range("utilisation_pct.paediatrician") == (0.0, 100.0)  # a family member
    assert kpi_range("incomplete_wait_median_weeks.2027-03-31") == (0.0, np.inf)
    assert kpi_range("staff_cost_gbp") == (-np.inf, np.inf)  # money: a saving is negative
    assert kpi_range("not_a_kpi") == (-np.inf, np.inf)


def test_within_range_cuts_only_what_lies_outside_unit() -> None:
    kpis = ["open_end", "first_within_13w_pct", "staff_cost_gbp", "open_end", "weeks_x"]
    mean = np.array([0.5, 99.0, -3.0, np.nan, -1.0])
    low = np.array([-1.0, 98.0, -5.0, np.nan, -2.0])
    high = np.array([2.0, 101.0, 0.0, np.nan, 0.0])
    units = [registry.unit(k) for k in kpis]  # children, %, GBP, children, (none)
    cut_low, cut_high = within_range(units, mean, low, high)
    np.testing.assert_array_equal(cut_low, [0.0, 98.0, -5.0, np.nan, -2.0])
    np.testing.assert_array_equal(cut_high, [2.0, 100.0, 0.0, np.nan, 0.0])


def test_a_bound_the_mean_passes_is_not_applied_unit() -> None:
    low, high = within_range(["children"], np.array([-0.5]), np.array([-1.0]), np.array([0.0]))
    assert (low[0], high[0]) == (-1.0, 0.0)


@given(
    st.lists(st.integers(0, 3), min_size=2, max_size=8),
    st.lists(st.floats(0, 100), min_size=2, max_size=8),
)
def test_summary_intervals_of_counts_and_shares_stay_in_range_unit(counts, shares) -> None:
    """Few replications of a count that is nearly always 0, and of a percentage near 0 or
    100: the t interval of the mean leaves the range; the summary's does not, and its
    mean is the plain mean."""
    n = min(len(counts), len(shares))
    rows = [
        (r, "district", "A", kpi, float(v))
        for r in range(n)
        for kpi, v in (("open_104w_plus_end", counts[r]), ("first_within_13w_pct", shares[r]))
    ]
    frame = pd.DataFrame(rows, columns=["replication", *KEYS, "value"])
    summary = summarise_groups(Groups.of(frame, KEYS), frame["value"].to_numpy(float))
    for kpi, values in (("open_104w_plus_end", counts[:n]), ("first_within_13w_pct", shares[:n])):
        row = summary.set_index("kpi").loc[kpi]
        assert row["mean"] == np.mean(np.array(values, float))
        floor, ceiling = kpi_range(kpi)
        assert floor <= row["ci95_low"] <= row["mean"] <= row["ci95_high"] <= ceiling


def test_the_terminal_shows_a_cut_interval_by_its_ends_unit() -> None:
    from nd_sim.report.terminal import _fmt

    assert _fmt(1.0, 0.0, 4.18) == "1.0 (0.0–4.2)"  # not "1.0 ±2.1", read as -1.1 to 3.1
    assert _fmt(97.5, 89.5, 100.0) == "97.5 (89.5–100.0)"  # not "±5.2", read as 102.7%
    assert _fmt(50.0, 45.0, 55.0) == "50.0 ±5.0"
    assert _fmt(-2.0, -3.0, -1.0) == "-2.0 ±1.0"  # a difference is never cut


def test_a_size_target_interval_is_cut_by_its_unit_unit() -> None:
    from nd_sim.experiments.sizing.evaluate import Evaluation

    values = np.array([0.0, 0.0, 0.0, 4.0])
    for unit, low in (("children", 0.0), ("", None)):
        e = Evaluation("paediatrician", 1.0, values, values > 0, values, 0.0, 0.0, unit=unit)
        mean, cut_low, high = e.interval
        assert mean == 1.0 and high > 4.0
        assert cut_low == low if low is not None else cut_low < 0
