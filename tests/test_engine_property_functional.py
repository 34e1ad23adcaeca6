"""Property tests: whatever the parameters, every child is counted once and no team ever
uses more hours than it has."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nd_sim.engine.replication import WAITING, run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.results.weekly import weekly_counts
from nd_sim.scenario.models import Scenario

probability = st.floats(0.0, 0.3)
workshop_weeks = st.lists(st.sampled_from([1, 2, 3, 5]), max_size=3)
CLASSES = (
    [{"name": "all", "share_of_referrals": 1.0}],
    [
        {"name": "urgent", "share_of_referrals": 0.2, "share_of_new_slots": 0.4},
        {"name": "routine", "share_of_referrals": 0.8, "share_of_new_slots": 0.6},
    ],
    [
        {"name": "urgent", "share_of_referrals": 0.1, "share_of_new_slots": 0.3},
        {"name": "soon", "share_of_referrals": 0.3, "share_of_new_slots": 0.2},
        {"name": "routine", "share_of_referrals": 0.6, "share_of_new_slots": 0.5},
    ],
)


@st.composite
def scenarios(draw) -> Scenario:
    accept = draw(st.floats(0.3, 1.0))
    more = draw(st.floats(0.0, 1.0 - accept))
    order = draw(
        st.sampled_from(["referral_date", "priority_then_referral_date", "priority_shares"])
    )
    return Scenario.model_validate(
        {
            "name": "prop",
            "start_date": "2026-04-01",
            "horizon_weeks": draw(st.integers(4, 40)),
            "professions": {"p": {}, "q": {}},
            "teams": {
                "t1": {"staff": {"p": {"wte": draw(st.floats(0.0, 3.0))}, "q": {"wte": 1.0}}},
                "t2": {"staff": {"p": {"wte": draw(st.floats(0.1, 3.0))}, "q": {"wte": 0.5}}},
            },
            "districts": {
                "A": {"team": "t1", "referrals_per_week": draw(st.floats(0.0, 25.0))},
                "B": {"team": "t2", "referrals_per_week": draw(st.floats(0.0, 25.0))},
            },
            "demand": {"growth_per_year": draw(st.floats(-0.2, 0.5))},
            "pathway": {
                "triage": {
                    "enabled": draw(st.booleans()),
                    "panel_every_weeks": draw(st.integers(1, 3)),
                    "hours_per_referral": {"q": draw(st.floats(0.0, 0.5))},
                    "accept": accept,
                    "more_information": more,
                    "signpost": 1.0 - accept - more,
                },
                "workshops": [
                    {
                        "kind": f"w{k}",
                        "every_weeks": every,  # sessions of different kinds meet on some weeks
                        "places_per_session": 5,
                        "uptake": draw(probability),
                        "need_met_share": draw(probability),
                    }
                    for k, every in enumerate(draw(workshop_weeks))
                ],
                "appointments": [
                    {"name": "a", "hours": {"p": 1.0}, "gap_weeks_to_next": draw(st.floats(0, 3))},
                    {"name": "b", "hours": {"p": 0.5, "q": 1.0}},
                ],
                "dna": {
                    "probability": draw(probability),
                    "discharge_after": draw(st.integers(0, 3)),
                },
                "withdrawal": {"weekly_hazard": draw(st.floats(0.0, 0.05))},
                "rereferral": {
                    "probability": draw(probability),
                    "delay_weeks_mean": 4.0,
                    "after": ["signposted", "withdrawn", "no_nd", "met_by_workshop"],
                },
            },
            "booking": {
                "queue_order": order,
                "lead_time_weeks": draw(st.integers(0, 3)),
                "new_patient_share": draw(st.floats(0.0, 1.0)),
                "priority_classes": draw(st.sampled_from(CLASSES)),
            },
            "interventions": [
                {
                    "kind": "outsourced_assessments",
                    "assessments": draw(st.integers(0, 30)),
                    "price_gbp_each": 1000,
                    "from": "2026-05-01",
                    "until": "2026-08-01",
                }
            ],
            "starting_list": {
                "profile": [
                    {
                        "district": "A",
                        "stage": draw(
                            st.sampled_from(["triage", "waiting_first", "in_assessment"])
                        ),
                        "weeks_waiting_min": 0,
                        "weeks_waiting_max": 30,
                        "count": draw(st.integers(0, 40)),
                    }
                ]
            },
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 3))
def test_books_always_balance_functional(scenario: Scenario, rep: int) -> None:
    model = compile_model(scenario)
    raw = run_replication(model, rep, 17)
    assert np.all(raw.hours_used <= raw.hours_available + 1e-6)
    codes = np.bincount(raw.exit_code, minlength=5)
    assert codes.sum() == raw.n_children
    weekly = weekly_counts(raw, 2, model.weeks)
    assert weekly["open_referrals"][:, -1].sum() == codes[WAITING]
    for stock in ("waiting_triage", "waiting_first", "in_assessment", "open_referrals"):
        assert weekly[stock].min() >= 0, stock
    exited = raw.exit_code != WAITING
    assert np.all(raw.exit_day[exited] >= raw.referral_day[exited])
    assert np.all(raw.exit_day[exited] < model.days)
