"""Whole-pathway KPIs checked against independent computations and identities.

- child-weeks waiting is the open list integrated over the horizon: checked against an
  event sweep of the open count (exact) and against the weekly stocks (each child's
  weekly rounding error is under one week, so the sums differ by less than the children);
- the stages partition it, and the open list at the end;
- the month-end waits of the children still waiting match numpy's quantiles;
- each quarter's share with an outcome within 18/52 weeks matches a direct count, and is
  empty while the quarter's time has not run out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from nd_sim.engine.codes import TRIAGE_SIGNPOSTED
from nd_sim.engine.replication import ASSESSED, run_replication
from nd_sim.results.areas import membership
from nd_sim.results.incomplete import incomplete_names, incomplete_values, month_end_days
from nd_sim.results.kpis import quarter_bounds, replication_kpis
from nd_sim.results.weekly import weekly_counts

from .conftest import shipped_model

STAGES = ("triage", "first", "assessment")


def _frame(model, raw) -> pd.DataFrame:
    rows = replication_kpis(raw, model)
    return pd.DataFrame(rows, columns=["area_type", "area", "kpi", "value"])


def _county(frame: pd.DataFrame) -> pd.Series:
    return frame[frame.area_type == "county"].set_index("kpi")["value"]


@pytest.fixture(scope="module", params=["small", "lancashire"])
def run(request, small_model):
    model = small_model if request.param == "small" else shipped_model("lancashire.toml")
    raw = run_replication(model, 1, 11)
    return model, raw, _frame(model, raw)


def _sweep_integral(start: np.ndarray, end: np.ndarray, horizon: float) -> float:
    """The open count as a step function over [0, horizon], integrated event by event."""
    a = np.clip(start, 0.0, horizon)
    b = np.clip(np.where(np.isnan(end), np.inf, end), 0.0, horizon)
    keep = b > a
    times = np.concatenate([a[keep], b[keep]])
    steps = np.concatenate([np.ones(keep.sum()), -np.ones(keep.sum())])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(steps[order])
    return float(np.sum(level[:-1] * np.diff(times)) / 7.0)


def test_child_weeks_is_the_integrated_open_list(run) -> None:
    model, raw, frame = run
    county = _county(frame)
    exact = _sweep_integral(raw.referral_day, raw.exit_day, float(model.days))
    assert county["child_weeks_waiting"] == pytest.approx(exact, rel=1e-9)
    stocks = weekly_counts(raw, len(model.districts), model.weeks)["open_referrals"]
    contributing = np.count_nonzero(
        np.where(np.isnan(raw.exit_day), np.inf, raw.exit_day) > np.maximum(raw.referral_day, 0)
    )
    assert abs(stocks.sum() - county["child_weeks_waiting"]) < contributing


def test_stages_partition_the_time_and_the_list(run) -> None:
    _, _, frame = run
    for _, area in frame.groupby(["area_type", "area"]):
        kpi = area.set_index("kpi")["value"]
        parts = sum(kpi[f"child_weeks_waiting_{s}"] for s in STAGES)
        assert parts == pytest.approx(kpi["child_weeks_waiting"], rel=1e-9, abs=1e-9)
        assert kpi["not_yet_seen_end"] + kpi["in_assessment_end"] == kpi["open_end"]


def test_areas_add_up(run) -> None:
    _, _, frame = run
    cw = frame[frame.kpi == "child_weeks_waiting"]
    by_type = cw.groupby("area_type")["value"].sum()
    assert by_type["district"] == pytest.approx(by_type["county"], rel=1e-9)
    assert by_type["team"] == pytest.approx(by_type["county"], rel=1e-9)


def test_first_to_outcome_matches_a_direct_count(run) -> None:
    _, raw, frame = run
    done = (raw.exit_code == ASSESSED) & (raw.outcome_day >= 0) & ~np.isnan(raw.first_day)
    weeks = (raw.outcome_day - raw.first_day)[done] / 7.0
    county = _county(frame)
    assert county["first_to_outcome_median_weeks"] == pytest.approx(np.quantile(weeks, 0.5))
    assert county["first_to_outcome_p90_weeks"] == pytest.approx(np.quantile(weeks, 0.9))


def test_quarter_shares_match_a_direct_count(run) -> None:
    model, raw, frame = run
    county = _county(frame)
    days = float(model.days)
    bounds, labels = quarter_bounds(model.scenario.start_date, days)
    ends = np.append(bounds[1:], days)
    new = (raw.start_stage < 0) & (raw.triage_result != TRIAGE_SIGNPOSTED)
    new &= (raw.referral_day >= 0) & (raw.referral_day < days)
    for weeks in (18, 52):
        for q, label in enumerate(labels):
            value = county[f"quarter_outcome_within_{weeks}w_pct.{label}"]
            if ends[q] + 7 * weeks > days:
                assert np.isnan(value), f"{label} is not {weeks} weeks old: not known yet"
                continue
            cohort = new & (raw.referral_day >= bounds[q]) & (raw.referral_day < ends[q])
            wait = raw.outcome_day[cohort] - raw.referral_day[cohort]
            hit = (raw.exit_code[cohort] == ASSESSED) & (wait <= 7 * weeks)
            assert value == pytest.approx(100 * hit.mean()), label


def test_quarters_cover_the_horizon() -> None:
    bounds, labels = quarter_bounds(dt.date(2026, 5, 15), 400.0)
    assert labels[0] == "2026-Q2" and bounds[0] == 0.0
    assert bounds[1] == (dt.date(2026, 7, 1) - dt.date(2026, 5, 15)).days
    assert labels[-1] == "2027-Q2"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_month_end_waits_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, horizon = 3000, 730.0
    referral = np.round(rng.uniform(-400, horizon, n), 1 if seed == 1 else 6)  # ties too
    exit_day = referral + rng.exponential(200, n)
    exit_day[rng.random(n) < 0.3] = np.nan  # still waiting
    district = rng.integers(0, 5, n)
    district[district == 4] = 3  # district 4 has nobody
    areas = [[0], [1], [2], [3], [4], [0, 1], [2, 3, 4], None]
    months = month_end_days(dt.date(2026, 4, 1), int(horizon))
    values = incomplete_values(
        referral, exit_day, district, membership(areas, 5), len(areas), months
    )
    got = [dict(zip(incomplete_names(months), row, strict=True)) for row in values.tolist()]
    exits = np.where(np.isnan(exit_day), np.inf, exit_day)
    for g, districts in enumerate(areas):
        member = np.ones(n, bool) if districts is None else np.isin(district, districts)
        for date, t in months:
            waits = (t - referral[member & (referral <= t) & (exits > t)]) / 7.0
            for q, name in ((0.5, "median"), (0.92, "p92")):
                value = got[g][f"incomplete_wait_{name}_weeks.{date}"]
                if waits.size:
                    assert value == pytest.approx(np.quantile(waits, q), abs=1e-9)
                else:
                    assert np.isnan(value)


def test_month_ends_are_calendar_month_ends() -> None:
    months = month_end_days(dt.date(2026, 4, 1), 95)
    assert [d for d, _ in months] == ["2026-04-30", "2026-05-31", "2026-06-30"]
    assert [t for _, t in months] == [30.0, 61.0, 91.0]


def test_the_list_inside_the_assessment_by_step_adds_up(run) -> None:
    _, _, frame = run
    for _, area in frame.groupby(["area_type", "area"]):
        kpi = area.set_index("kpi")["value"]
        steps = kpi[[k for k in kpi.index if k.startswith("waiting_step_end.")]]
        assert len(steps) >= 1
        assert steps.sum() + kpi["waiting_outsourced_end"] == kpi["in_assessment_end"]
