"""Regression tests for bugs a review found; each names what it guards."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from nd_sim.engine.replication import WITHDRAWN, run_replication
from nd_sim.inputs.capacity import build_capacity
from nd_sim.inputs.model import compile_model
from nd_sim.results.kpis import replication_kpis
from nd_sim.results.weekly import weekly_counts
from nd_sim.scenario.models import Scenario


def scenario(**changes) -> Scenario:
    base = {
        "name": "r",
        "start_date": "2026-01-05",
        "horizon_weeks": 52,
        "professions": {
            "p": {"hours_per_wte_week": 10.0, "clinical_share": 1.0, "leave_fraction": 0.0}
        },
        "teams": {"t1": {"staff": {"p": {"wte": 1.0}}}},
        "districts": {"A": {"team": "t1", "referrals_per_week": 10.0}},
        "pathway": {
            "triage": {"enabled": False},
            "appointments": [{"name": "initial", "hours": {"p": 1.0}}],
        },
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return Scenario.model_validate(base)


@pytest.mark.parametrize("wte", [0.0, 0.5, 100.0])
def test_every_withdrawal_can_return_whatever_the_staffing_functional(wte: float) -> None:
    """Re-referrals after withdrawal were lost at the horizon and delayed by queue position."""
    sc = scenario(
        teams={"t1": {"staff": {"p": {"wte": wte}}}},
        pathway={
            "triage": {"enabled": True, "accept": 1.0, "signpost": 0.0, "more_information": 0.0},
            "appointments": [{"name": "initial", "hours": {"p": 1.0}}],
            "withdrawal": {"weekly_hazard": 0.1},
            "rereferral": {"probability": 1.0, "after": ["withdrawn"], "delay_weeks_mean": 2.0},
        },
    )
    raw = run_replication(compile_model(sc), 0, 1)
    withdrawn = raw.exit_code == WITHDRAWN
    returned = np.zeros(raw.n_children, bool)
    returned[raw.parent[raw.parent >= 0]] = True
    early = withdrawn & (raw.exit_day < raw.hours_used.shape[2] * 7 - 8 * 7)
    assert returned[early].mean() > 0.95  # nearly all who left 8+ weeks before the end returned
    back = raw.parent >= 0
    waited = raw.triage_day[back] - raw.referral_day[back]
    assert np.nanmax(waited) <= 7.0  # a returning family reaches the next weekly panel


def test_priority_shares_hold_with_one_slot_a_week_functional() -> None:
    """Shares were restarted every booking round, so a lone weekly slot went to one class."""
    sc = scenario(
        teams={"t1": {"staff": {"p": {"wte": 0.1}}}},
        districts={"A": {"team": "t1", "referrals_per_week": 20.0}},
        horizon_weeks=104,
        booking={
            "queue_order": "priority_shares",
            "new_patient_share": 1.0,
            "priority_classes": [
                {"name": "urgent", "share_of_referrals": 0.5, "share_of_new_slots": 0.3},
                {"name": "routine", "share_of_referrals": 0.5, "share_of_new_slots": 0.7},
            ],
        },
    )
    raw = run_replication(compile_model(sc), 0, 1)
    seen = ~np.isnan(raw.first_day)
    assert seen.sum() >= 100
    assert abs((raw.priority[seen] == 0).mean() - 0.3) < 0.02


def test_profile_in_assessment_on_a_one_appointment_pathway_functional() -> None:
    """This crashed with an IndexError."""
    sc = scenario(
        starting_list={
            "profile": [
                {
                    "district": "A",
                    "stage": "in_assessment",
                    "weeks_waiting_min": 0,
                    "weeks_waiting_max": 10,
                    "count": 20,
                }
            ]
        }
    )
    raw = run_replication(compile_model(sc), 0, 1)
    assert np.count_nonzero(raw.start_stage >= 0) == 20


def test_dna_probability_one_is_refused_unit() -> None:
    """p = 1 used to mean nobody ever missed an appointment."""
    with pytest.raises(ValidationError):
        scenario(
            pathway={
                "appointments": [{"name": "i", "hours": {"p": 1.0}}],
                "dna": {"probability": 1.0},
            }
        )


def test_fixed_term_funding_costs_exactly_its_budget_unit() -> None:
    """Whole weeks were paid, so 12 months could cost 53 weeks."""
    sc = scenario(
        professions={
            "p": {
                "hours_per_wte_week": 10.0,
                "clinical_share": 1.0,
                "leave_fraction": 0.0,
                "cost_gbp_per_wte_year": 52000,
            }
        },
        interventions=[
            {
                "kind": "funding",
                "budget_gbp": 52000,
                "from": dt.date(2026, 1, 5),
                "over_months": 12,
                "spend_on": {"p": 1.0},
                "recruitment_lag_weeks": 0,
                "ramp_up_weeks": 0,
            }
        ],
        horizon_weeks=104,
    )
    cap = build_capacity(sc, {"t1": 1.0})
    assert abs(cap.added_cost_gbp() - 52000) < 1.0


def test_wait_bands_agree_at_the_horizon_functional(tmp_path) -> None:
    """A child exactly 52 weeks old at the end was in the KPI but not in the last week's stock."""
    start = dt.date(2026, 1, 5)
    rows = [
        f"C{k},A,{start - dt.timedelta(weeks=w)},waiting_first,asd"
        for k, w in enumerate((26, 26, 39, 78, 91, 3))
    ]
    csv = tmp_path / "list.csv"
    csv.write_text("child_id,district,referral_date,stage,pathway\n" + "\n".join(rows) + "\n")
    sc = scenario(
        teams={"t1": {"staff": {"p": {"wte": 0.0}}}},
        horizon_weeks=26,
        starting_list={"csv": str(csv)},
    )
    model = compile_model(sc)
    raw = run_replication(model, 0, 2)
    weekly = weekly_counts(raw, 1, model.weeks)
    kpis = {(a, k): v for a, _, k, v in replication_kpis(raw, model)}
    assert kpis[("county", "open_52w_plus_end")] == 5  # the two referred 26 weeks before start
    for band in (13, 52, 104):
        assert weekly[f"open_{band}w_plus"][0, -1] == kpis[("county", f"open_{band}w_plus_end")]
