"""Referral rates: growth, seasonality, shocks, pauses and the Poisson draw."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from nd_sim.inputs import demand
from nd_sim.scenario.models import Scenario

BASE = {
    "name": "t",
    "start_date": dt.date(2026, 1, 1),
    "horizon_weeks": 104,
    "professions": {"x": {}},
    "teams": {"a": {"staff": {"x": {"wte": 1.0}}}},
    "districts": {
        "A": {"team": "a", "referrals_per_week": 7.0},
        "B": {"team": "a", "referrals_per_week": 14.0},
    },
    "pathway": {"appointments": [{"name": "initial", "hours": {"x": 1.0}}]},
}


def scenario(**demand_table) -> Scenario:
    return Scenario.model_validate({**BASE, "demand": demand_table})


def test_flat_rate_unit() -> None:
    rates = demand.daily_rates(scenario(), 728)
    np.testing.assert_allclose(rates["A"], 1.0)
    np.testing.assert_allclose(rates["B"], 2.0)


def test_growth_compounds_yearly_unit() -> None:
    rates = demand.daily_rates(scenario(growth_per_year=0.10), 728)["A"]
    assert np.isclose(rates[365] / rates[0], 1.10 ** (365 / 365.25))


def test_school_terms_mean_one_and_august_low_unit() -> None:
    season = demand.seasonal_by_day(scenario(seasonality="school_terms"), 365)
    assert abs(season.mean() - 1.0) < 0.02
    august = season[dt.date(2026, 8, 10).timetuple().tm_yday - 1]
    assert august == season.min()


def test_shock_ramp_and_pause_unit() -> None:
    sc = scenario(
        shocks=[
            {"districts": ["A"], "multiplier": 4.0, "from": dt.date(2026, 3, 1), "ramp_weeks": 4},
            {"multiplier": 0.0, "from": dt.date(2027, 2, 2), "until": dt.date(2027, 2, 16)},
        ]
    )
    a = demand.shock_by_day(sc, "A", 728)
    b = demand.shock_by_day(sc, "B", 728)
    day = (dt.date(2026, 3, 1) - dt.date(2026, 1, 1)).days
    assert a[day - 1] == 1.0 and 1.0 < a[day] < 4.0 and a[day + 28] == 4.0
    pause = (dt.date(2027, 2, 2) - dt.date(2026, 1, 1)).days
    assert b[pause] == 0.0 and b[pause + 13] == 0.0 and b[pause + 14] == 1.0
    assert a[pause] == 0.0  # "all" districts
    assert np.all(b[:pause] == 1.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 60.0), st.floats(0.0, 60.0), st.floats(0.0, 0.999999))
def test_poisson_inverse_is_the_quantile_and_monotone_unit(m1: float, m2: float, u: float) -> None:
    lo, hi = sorted((m1, m2))
    uu = np.array([u])
    k_lo = demand.poisson_inverse(uu, np.array([lo]))[0]
    k_hi = demand.poisson_inverse(uu, np.array([hi]))[0]
    assert k_lo <= k_hi  # more demand never gives fewer referrals on the same day
    expected = max(int(poisson.ppf(u, lo)), 0) if lo > 0 else 0  # scipy gives -1 at u = 0
    assert k_lo == expected


def test_poisson_inverse_large_means_unit() -> None:
    u = np.random.default_rng(0).random(1000)
    mean = np.full(1000, 900.0)
    np.testing.assert_array_equal(demand.poisson_inverse(u, mean), poisson.ppf(u, mean))


def test_referral_times_sorted_and_rate_right_unit() -> None:
    rates = np.full(7000, 3.0)
    times = demand.referral_times(rates, 1, 0, "A")
    assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < 7000
    assert abs(times.size - 21000) < 4 * np.sqrt(21000)
