"""Per-step detail: the list waiting for each appointment (weekly.parquet) and the date of
every appointment (children.parquet) agree with the stage counts and milestones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nd_sim.engine.codes import IN_ASSESSMENT
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import Model
from nd_sim.results.children import APPOINTMENT_DATE_PREFIX, child_columns, to_arrow
from nd_sim.results.weekly import STEP_PREFIX, appointment_names, weekly_counts

SEED = 20260401


@pytest.fixture(scope="module", params=["lancashire", "small"])
def model(request, lancashire_model: Model, small_model: Model) -> Model:
    return lancashire_model if request.param == "lancashire" else small_model


def test_step_lists_add_up_to_in_assessment_functional(model: Model) -> None:
    """Every week and district, the lists waiting for each appointment after the first,
    with the children an outsourced provider has seen, are exactly `in_assessment`."""
    names = appointment_names(model)
    for replication in (0, 1):
        raw = run_replication(model, replication, SEED)
        weekly = weekly_counts(raw, len(model.districts), model.weeks, names)
        steps = [STEP_PREFIX + name for name in names[1:]]
        assert [k for k in weekly if k.startswith(STEP_PREFIX)] == steps
        total = sum(weekly[k] for k in steps) + weekly["waiting_outsourced"]
        np.testing.assert_array_equal(total, weekly["in_assessment"])
        assert min(weekly[k].min() for k in steps) >= 0
        inside = raw.start_stage == IN_ASSESSMENT
        assert np.all(raw.start_step[inside] >= 1) and np.all(raw.start_step[~inside] == -1)


def test_small_fixture_has_outsourced_children_inside_functional(small_model: Model) -> None:
    """The fixture exercises the outsourced part of the sum (else the test above is weaker)."""
    raw = run_replication(small_model, 0, SEED)
    weekly = weekly_counts(raw, len(small_model.districts), small_model.weeks)
    assert weekly["waiting_outsourced"].sum() > 0
    assert "waiting_step.1" in weekly  # without names, steps are named by number


def _children(model: Model, replication: int) -> pd.DataFrame:
    raw = run_replication(model, replication, SEED)
    return to_arrow(child_columns(raw, model), model).to_pandas()


def test_appointment_dates_match_the_milestones_functional(model: Model) -> None:
    """The first appointment's date is `first_appointment_date` for every child the service
    saw first during the run; the last is `outcome_date` for every child it assessed; an
    outsourced child has no service appointment; dates never go backwards."""
    names = appointment_names(model)
    frame = _children(model, 0)
    columns = [APPOINTMENT_DATE_PREFIX + name for name in names]
    dates = frame[columns]
    first, last = dates[columns[0]], dates[columns[-1]]
    outsourced = frame.outsourced.to_numpy()
    seen = frame.first_appointment_date.notna().to_numpy()
    in_house = seen & ~outsourced
    assert in_house.sum() > 100
    assert (first[in_house] == frame.first_appointment_date[in_house]).all()
    assert first[~seen].isna().all()
    assessed = (frame.exit_reason == "assessed").to_numpy()
    assert (assessed & ~outsourced).sum() > 100
    done = assessed & ~outsourced
    assert (last[done] == frame.outcome_date[done]).all()
    assert last[~assessed].isna().all()
    assert dates[outsourced].isna().all().all()
    inside = (frame.start_stage == "in_assessment").to_numpy()
    assert first[inside].isna().all()
    days = dates.apply(lambda c: pd.to_datetime(c)).to_numpy(dtype="datetime64[D]")
    for a, b in zip(days.T[:-1], days.T[1:], strict=True):
        both = ~np.isnat(a) & ~np.isnat(b)
        assert np.all(b[both] > a[both])
        assert not np.any(~np.isnat(b) & np.isnat(a) & ~inside)  # a gap only at the start
