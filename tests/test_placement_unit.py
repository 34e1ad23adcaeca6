"""Where children already inside the assessment start: a step and a ready day on the
pathway's own timetable, a known next appointment kept, never before their referral."""

from __future__ import annotations

import dataclasses

import numpy as np

from nd_sim.engine.cohort import draw_cohort
from nd_sim.engine.placement import assessment_places, whole_week_gaps
from nd_sim.inputs.model import Model
from nd_sim.inputs.starting_list import NEXT_STEP_NOT_GIVEN

GAPS_DAYS = (42.0, 28.0, 14.0, 0.0)  # the Lancashire pathway: 6, 4 and 2 weeks
N = 60_000


def _places(next_step: int, referral_day: float = -700.0, gaps=GAPS_DAYS):
    u = np.random.default_rng(1).random(N)
    steps = np.full(N, next_step)
    return assessment_places(gaps, steps, np.full(N, referral_day), u)


def test_whole_week_gaps_round_up_and_last_a_week_at_least_unit() -> None:
    assert whole_week_gaps((42.0, 10.5, 0.0, 0.0)).tolist() == [6, 2, 1]


def test_blank_steps_spread_in_proportion_to_the_gaps_unit() -> None:
    step, ready = _places(NEXT_STEP_NOT_GIVEN)
    shares = np.bincount(step, minlength=4)[1:] / N
    np.testing.assert_allclose(shares, [6 / 12, 4 / 12, 2 / 12], atol=0.01)
    for k, weeks in ((1, 6), (2, 4), (3, 2)):  # ready at a week start, once each week
        days = np.unique(ready[step == k])
        assert days.tolist() == [7.0 * w for w in range(weeks)]


def test_a_known_step_is_kept_and_its_ready_day_spread_over_its_gap_unit() -> None:
    step, ready = _places(2)
    assert np.all(step == 2)
    assert np.unique(ready).tolist() == [0.0, 7.0, 14.0, 21.0]


def test_never_placed_before_the_referral_unit() -> None:
    """Referred 10 days ago: at most two weeks since the first appointment, so waiting for
    the second, due in four or five weeks."""
    step, ready = _places(NEXT_STEP_NOT_GIVEN, referral_day=-10.0)
    assert np.all(step == 1) and np.unique(ready).tolist() == [28.0, 35.0]
    step, ready = _places(3, referral_day=-10.0)  # a known step wins: due in a week at most
    assert np.all(step == 3) and set(np.unique(ready)) <= {0.0, 7.0}


def test_fractional_gaps_give_ready_days_as_the_engine_would_unit() -> None:
    """After an appointment in week w the engine has the child ready on 7w + gap."""
    step, ready = _places(NEXT_STEP_NOT_GIVEN, gaps=(10.5, 0.0))
    assert np.all(step == 1) and np.unique(ready).tolist() == [-3.5, 3.5]


def test_one_appointment_pathway_waits_for_it_unit() -> None:
    step, ready = _places(NEXT_STEP_NOT_GIVEN, gaps=(0.0,))
    assert np.all(step == 0) and np.all(ready == 0.0)


def test_places_come_from_their_own_stream_unit(lancashire_model: Model) -> None:
    """Common random numbers: the same places whatever the staffing, and the other draws
    of today's list are those of a list with no one inside the assessment."""
    a = draw_cohort(lancashire_model, 5, 0)
    fewer_hours = dataclasses.replace(
        lancashire_model,
        capacity=dataclasses.replace(
            lancashire_model.capacity, hours=lancashire_model.capacity.hours * 0.5
        ),
    )
    b = draw_cohort(fewer_hours, 5, 0)
    np.testing.assert_array_equal(a.start_step, b.start_step)
    np.testing.assert_array_equal(a.start_ready_day, b.start_ready_day)
    inside = a.start_stage == 2
    assert inside.sum() == np.count_nonzero(lancashire_model.starting.stage == 2) > 0
    assert set(np.unique(a.start_step[inside])) == {1, 2, 3}
    assert np.all(a.start_ready_day[~inside] == 0.0)
    nobody_inside = dataclasses.replace(
        lancashire_model.starting, stage=np.minimum(lancashire_model.starting.stage, 1)
    )
    c = draw_cohort(dataclasses.replace(lancashire_model, starting=nobody_inside), 5, 0)
    np.testing.assert_array_equal(a.withdraw_day, c.withdraw_day)
    np.testing.assert_array_equal(a.dna_counts, c.dna_counts)
