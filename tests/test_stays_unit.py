"""The compiled stays (`weekly.intervals_of`) equal their plain numpy definition, stay by
stay and child by child, on replications of the fixtures and of Lancashire; and so do the
weeks of each stay inside the horizon (`compiled.stay_weeks`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_ACCEPTED
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import compile_model
from nd_sim.results.compiled import stay_weeks
from nd_sim.results.weekly import BANDS_WEEKS, STEP_PREFIX, appointment_names, intervals_of
from nd_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _numpy_stays(raw, names) -> dict:
    """The stays as numpy defines them, one array operation at a time."""
    gone = np.where(np.isnan(raw.exit_day), np.inf, raw.exit_day)
    decided = ~np.isnan(raw.triage_day)
    accepted = raw.triage_result == TRIAGE_ACCEPTED
    seen = ~np.isnan(raw.first_day)
    inside = raw.start_stage == IN_ASSESSMENT
    first_start = np.where(accepted & ~inside, raw.triage_day, np.inf)
    first_end = np.where(seen, raw.first_day, gone)
    assess_start = np.where(inside, -np.inf, np.where(seen, raw.first_day, np.inf))
    out = {
        "waiting_triage": (raw.referral_day, np.where(decided, raw.triage_day, gone)),
        "waiting_first": (first_start, np.where(np.isinf(first_start), np.inf, first_end)),
        "in_assessment": (assess_start, np.where(np.isposinf(assess_start), np.inf, gone)),
        "open_referrals": (raw.referral_day, gone),
    }
    for name, weeks in BANDS_WEEKS.items():
        start = raw.referral_day + 7.0 * weeks - 1e-9
        out[name] = (start, np.maximum(gone, start))
    for k in range(1, raw.step_day.shape[0]):
        before, this = raw.step_day[k - 1], raw.step_day[k]
        start = np.where(raw.start_step == k, -np.inf, np.where(np.isnan(before), np.inf, before))
        end = np.where(np.isnan(this), gone, this)
        out[STEP_PREFIX + names[k]] = (start, np.where(np.isposinf(start), np.inf, end))
    taken = raw.outsourced & seen
    start = np.where(taken, raw.first_day, np.inf)
    out["waiting_outsourced"] = (start, np.where(taken, gone, np.inf))
    return out


@pytest.mark.parametrize(
    "scenario", ["tests/fixtures/small.toml", "tests/fixtures/small_uncertain.toml",
                 "scenarios/lancashire.toml", "scenarios/north_4x_mutual_aid.toml"],
)  # fmt: skip
def test_compiled_stays_are_numpys_unit(scenario: str) -> None:
    model = compile_model(load_scenario(ROOT / scenario))
    names = appointment_names(model)
    for replication in (0, 3):
        raw = run_replication(model, replication, 11)
        got, want = intervals_of(raw, names), _numpy_stays(raw, names)
        assert list(got) == list(want)
        for name, (start, end) in want.items():
            assert np.array_equal(got[name][0], start, equal_nan=True), name
            assert np.array_equal(got[name][1], end, equal_nan=True), name


days = st.one_of(
    st.floats(-100.0, 1000.0),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 700.0, 699.999]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), days, days), max_size=60))
def test_stay_weeks_are_numpys_unit(rows: list) -> None:
    """Weeks inside the horizon per district, as clip, maximum and a weighted bincount."""
    district = np.array([d for d, _, _ in rows], np.int64)
    start = np.array([t for _, t, _ in rows], np.float64)
    end = np.array([t for _, _, t in rows], np.float64)
    inside = np.clip(end, 0.0, 700.0) - np.clip(start, 0.0, 700.0)
    want = np.bincount(district, weights=np.maximum(inside, 0.0) / 7.0, minlength=3)
    got = stay_weeks(district, start, end, 700.0, 3)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))
