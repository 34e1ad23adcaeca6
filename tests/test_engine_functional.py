"""The engine keeps its books: every child counted once, milestones in order, same seed
same result, and common random numbers across scenarios."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nd_sim.engine.replication import ASSESSED, WAITING, run_replication
from nd_sim.inputs.model import Model, compile_model
from nd_sim.results.weekly import weekly_counts

from .conftest import shipped_model

N_REASONS = 5


def _conservation(raw, model: Model) -> None:
    n_start = int(np.count_nonzero(raw.start_stage >= 0))
    referred = int(np.count_nonzero(raw.start_stage < 0))
    by_reason = np.bincount(raw.exit_code, minlength=N_REASONS)
    assert n_start + referred == raw.n_children == by_reason.sum()
    weekly = weekly_counts(raw, len(model.districts), model.weeks)
    open_end = weekly["open_referrals"][:, -1].sum()
    assert open_end == by_reason[WAITING]
    stages_end = sum(
        weekly[k][:, -1].sum() for k in ("waiting_triage", "waiting_first", "in_assessment")
    )
    assert stages_end == by_reason[WAITING]
    assert weekly["assessments_completed"].sum() == by_reason[ASSESSED]


def _milestones_in_order(raw) -> None:
    new = raw.start_stage < 0
    tri, first, out, exit_ = raw.triage_day, raw.first_day, raw.outcome_day, raw.exit_day
    assert np.all((tri[new] >= raw.referral_day[new]) | np.isnan(tri[new]))
    assert np.all((first >= np.nan_to_num(tri, nan=-np.inf)) | np.isnan(first))
    assert np.all((out >= first) | np.isnan(out) | (raw.start_stage == 2))
    assert np.all(~np.isnan(first[~np.isnan(out) & (raw.start_stage != 2)]))
    assert np.all((exit_ >= raw.referral_day) | np.isnan(exit_))
    exited = raw.exit_code != WAITING
    assert np.all(~np.isnan(exit_[exited]))
    assert np.all(np.isnan(exit_[~exited]))
    assessed = raw.exit_code == ASSESSED
    assert np.all(raw.outcome[assessed] >= 0) and np.all(raw.outcome[~assessed] < 0)
    assert np.all(exit_[exited] < raw.hours_used.shape[2] * 7)


def test_conservation_small_functional(small_model: Model) -> None:
    for rep in range(6):
        raw = run_replication(small_model, rep, 11)
        _conservation(raw, small_model)
        _milestones_in_order(raw)
        assert np.count_nonzero(raw.parent >= 0) > 0, "re-referrals should occur"
        assert raw.outsourced.any() and raw.dna.any() and raw.workshops.any()


@pytest.mark.parametrize("name", ["lancashire.toml", "north_4x.toml", "ep_surge.toml"])
def test_conservation_shipped_functional(name: str) -> None:
    model = shipped_model(name)
    raw = run_replication(model, 0, 5)
    _conservation(raw, model)
    _milestones_in_order(raw)
    assert np.count_nonzero(raw.start_stage >= 0) == len(model.starting)


def test_hours_used_never_exceed_available_functional(small_model: Model) -> None:
    raw = run_replication(small_model, 1, 3)
    assert np.all(raw.hours_used <= raw.hours_available + 1e-6)


def test_same_seed_same_result_functional(small_model: Model) -> None:
    a = run_replication(small_model, 2, 99)
    b = run_replication(small_model, 2, 99)
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y
    c = run_replication(small_model, 3, 99)
    assert c.n_children != a.n_children or not np.array_equal(c.referral_day, a.referral_day)


def _with_more_staff(model: Model, factor: float) -> Model:
    sc = model.scenario
    teams = {
        name: team.model_copy(
            update={
                "staff": {
                    p: g.model_copy(update={"wte": g.wte * factor}) for p, g in team.staff.items()
                }
            }
        )
        for name, team in sc.teams.items()
    }
    return compile_model(sc.model_copy(update={"teams": teams}))


def test_more_staff_same_children_functional(small_model: Model) -> None:
    """Common random numbers: staff change capacity and nothing else about the referrals."""
    richer = _with_more_staff(small_model, 1.5)
    for rep in range(3):
        a = run_replication(small_model, rep, 4)
        b = run_replication(richer, rep, 4)
        new_a, new_b = a.start_stage < 0, b.start_stage < 0
        first_a = new_a & (a.parent < 0)
        first_b = new_b & (b.parent < 0)
        np.testing.assert_array_equal(a.referral_day[first_a], b.referral_day[first_b])
        np.testing.assert_array_equal(a.district[first_a], b.district[first_b])
        np.testing.assert_array_equal(a.pathway[first_a], b.pathway[first_b])


def _horizon(model: Model, weeks: int) -> Model:
    return compile_model(model.scenario.model_copy(update={"horizon_weeks": weeks}))


@pytest.mark.parametrize(
    "name", ["lancashire.toml", "north_4x.toml", "icb_funding.toml", "ep_surge.toml"]
)
def test_more_staff_never_worse_on_average_functional(name: str) -> None:
    """With common random numbers, 20% more staff never lengthens the mean first wait."""
    base = _horizon(shipped_model(name), 104)
    more = _with_more_staff(base, 1.2)
    diffs = []
    for rep in range(4):
        a, b = run_replication(base, rep, 8), run_replication(more, rep, 8)
        wa = np.nanmean(a.first_day - a.referral_day)
        wb = np.nanmean(b.first_day - b.referral_day)
        open_a = np.count_nonzero(a.exit_code == WAITING)
        open_b = np.count_nonzero(b.exit_code == WAITING)
        diffs.append((wb - wa, open_b - open_a))
    diffs = np.array(diffs)
    assert diffs[:, 1].mean() < 0, "more staff should leave a shorter list"
    assert diffs[:, 0].mean() <= 0, "more staff should not lengthen the mean wait"


def test_north_shock_leaves_other_teams_untouched_functional() -> None:
    base, shocked = (
        _horizon(shipped_model("lancashire.toml"), 156),
        _horizon(shipped_model("north_4x.toml"), 156),
    )
    north = [d for d, t in enumerate(base.team_of_district) if base.teams[t] == "north"]
    for rep in range(2):
        a, b = run_replication(base, rep, 21), run_replication(shocked, rep, 21)
        for d in range(len(base.districts)):
            ma, mb = a.district == d, b.district == d
            if d in north:
                assert mb.sum() > 1.5 * ma.sum()
                assert np.count_nonzero(mb & (b.exit_code == WAITING)) > 1.5 * np.count_nonzero(
                    ma & (a.exit_code == WAITING)
                )
            else:
                np.testing.assert_array_equal(a.referral_day[ma], b.referral_day[mb])
                np.testing.assert_array_equal(a.first_day[ma], b.first_day[mb])
                np.testing.assert_array_equal(a.exit_code[ma], b.exit_code[mb])


@pytest.mark.parametrize("gap, days", [(0.0, 7), (1.0, 7), (1.5, 14), (2.0, 14), (6.0, 42)])
def test_gap_to_next_appointment_functional(gap: float, days: int) -> None:
    """The next appointment is in a later week, and at least the gap after this one."""
    from nd_sim.scenario import Scenario

    sc = Scenario.model_validate(
        {
            "name": "gap",
            "start_date": "2026-01-05",
            "horizon_weeks": 30,
            "professions": {
                "x": {"hours_per_wte_week": 1.0, "clinical_share": 1.0, "leave_fraction": 0.0}
            },
            "teams": {"t": {"staff": {"x": {"wte": 1000}}}},
            "districts": {"d": {"team": "t", "referrals_per_week": 5}},
            "pathway": {
                "triage": {"enabled": False},
                "appointments": [
                    {"name": "a", "hours": {"x": 1.0}, "gap_weeks_to_next": gap},
                    {"name": "b", "hours": {"x": 1.0}},
                ],
            },
        }
    )
    raw = run_replication(compile_model(sc), 0, 1)
    between = raw.outcome_day - raw.first_day
    assert set(np.unique(between[~np.isnan(between)])) == {float(days)}
