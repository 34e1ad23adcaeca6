"""Staff time, funding and outsourcing turned into hours per week."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nd_sim.inputs.capacity import (
    WEEKS_PER_MONTH,
    affordable_wte,
    build_capacity,
    spread_over_weeks,
)
from nd_sim.scenario.models import Scenario

START = dt.date(2026, 1, 1)


def scenario(interventions=()) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "t",
            "start_date": START,
            "horizon_weeks": 104,
            "professions": {
                "psych": {
                    "hours_per_wte_week": 37.5,
                    "clinical_share": 0.6,
                    "leave_fraction": 0.2,
                    "cost_gbp_per_wte_year": 60000,
                },
            },
            "teams": {
                "a": {"staff": {"psych": {"wte": 2.0}}},
                "b": {"staff": {"psych": {"wte": 1.0, "clinical_share": 0.5}}},
            },
            "districts": {
                "A": {"team": "a", "referrals_per_week": 3.0},
                "B": {"team": "b", "referrals_per_week": 1.0},
            },
            "pathway": {"appointments": [{"name": "initial", "hours": {"psych": 1.0}}]},
            "interventions": list(interventions),
        }
    )


def test_hours_are_wte_times_hours_share_and_leave_unit() -> None:
    cap = build_capacity(scenario(), {"a": 3.0, "b": 1.0})
    assert np.allclose(cap.hours[0, 0], 2.0 * 37.5 * 0.6 * 0.8)
    assert np.allclose(cap.hours[1, 0], 1.0 * 37.5 * 0.5 * 0.8)  # team override
    assert np.isclose(cap.staff_cost_gbp(), 3.0 * 60000 * 104 / (365.25 / 7))


def test_staff_change_lag_and_ramp_unit() -> None:
    change = {
        "kind": "staff_change",
        "team": "a",
        "profession": "psych",
        "wte": 1.0,
        "from": START + dt.timedelta(weeks=10),
        "recruitment_lag_weeks": 5,
        "ramp_up_weeks": 4,
    }
    cap = build_capacity(scenario([change]), {"a": 3.0, "b": 1.0})
    wte = cap.wte[0, 0]
    assert wte[14] == 2.0 and np.isclose(wte[15], 2.25) and np.isclose(wte[18], 3.0)
    assert wte[-1] == 3.0
    assert cap.employed_wte[0, 0, 15] == 3.0  # paid in full while still ramping up


def test_funding_buys_capped_fixed_term_posts_unit() -> None:
    funding = {
        "kind": "funding",
        "budget_gbp": 120000,
        "from": START,
        "over_months": 12,
        "spend_on": {"psych": 1.0},
        "recruitment_lag_weeks": 0,
        "ramp_up_weeks": 0,
    }
    sc = scenario([funding])
    assert np.isclose(affordable_wte(sc, sc.interventions[0])["psych"], 2.0)
    cap = build_capacity(sc, {"a": 3.0, "b": 1.0})
    added = cap.added_employed_wte[:, 0, :]
    assert np.isclose(added[:, 0].sum(), 2.0) and np.isclose(added[0, 0], 1.5)  # split 3:1
    end = int(np.ceil(12 * WEEKS_PER_MONTH))
    assert added[:, end + 1].sum() == 0.0
    assert abs(cap.added_cost_gbp() - 120000) < 0.02 * 120000  # whole weeks round the term
    capped = {**funding, "max_recruits_wte": {"psych": 0.5}}
    sc2 = scenario([capped])
    assert np.isclose(affordable_wte(sc2, sc2.interventions[0])["psych"], 0.5)
    cap2 = build_capacity(sc2, {"a": 3.0, "b": 1.0})
    assert np.isclose(cap2.funding_budget_gbp - cap2.funding_committed_gbp, 90000)


@given(st.integers(0, 5000), st.floats(-10, 50), st.floats(0.5, 80))
def test_outsourcing_spread_sums_exactly_unit(total: int, start: float, length: float) -> None:
    per_week = spread_over_weeks(total, start, start + length, 200)
    assert all(k >= 0 for k in per_week)
    inside = max(min(200.0, start + length) - max(0.0, start), 0.0) / length  # share in horizon
    assert abs(sum(per_week) - total * inside) <= 1.0 + 1e-6 * total
    if start >= 0 and start + length <= 200:
        assert sum(per_week) == total
