"""The one-pass tallies of a replication's KPIs (`compiled.child_tallies`, `in_stay_at`)
against the numpy masks they replace, value for value, on children with every kind of
missing day and edge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.codes import IN_ASSESSMENT, TRIAGE_SIGNPOSTED
from nd_sim.engine.replication import ASSESSED, WAITING
from nd_sim.results import compiled as c

N_EXITS = 5
HORIZON = 700.0
DAYS = st.one_of(st.just(np.nan), st.just(0.0), st.just(-3.0), st.floats(-50.0, 800.0))
CHILD = st.tuples(
    st.integers(0, 3),  # district (3 has nobody in some draws)
    st.floats(-200.0, HORIZON),  # referral day
    DAYS,  # first appointment
    DAYS,  # outcome
    st.integers(0, N_EXITS - 1),  # exit code
    st.sampled_from([-1, 0, 1, int(IN_ASSESSMENT)]),  # start stage
    st.sampled_from([-1, 0, int(TRIAGE_SIGNPOSTED)]),  # triage result
    st.booleans(),  # outsourced
)


def _arrays(children: list[tuple]) -> dict[str, np.ndarray]:
    columns = list(zip(*children, strict=True)) if children else [()] * 8
    return {
        "district": np.array(columns[0], np.int64),
        "referral_day": np.array(columns[1], np.float64),
        "first_day": np.array(columns[2], np.float64),
        "outcome_day": np.array(columns[3], np.float64),
        "exit_code": np.array(columns[4], np.int8),
        "start_stage": np.array(columns[5], np.int8),
        "triage_result": np.array(columns[6], np.int8),
        "outsourced": np.array(columns[7], np.bool_),
    }


def _tallies(a: dict[str, np.ndarray], n_d: int = 4) -> tuple:
    codes = np.array([ASSESSED, WAITING, IN_ASSESSMENT, TRIAGE_SIGNPOSTED, N_EXITS], np.int64)
    return c.child_tallies(
        a["district"], a["referral_day"], a["first_day"], a["outcome_day"], a["exit_code"],
        a["start_stage"], a["triage_result"], a["outsourced"], HORIZON, 13.0, codes,
        np.array([13.0, 18.0]), np.array([13.0, 18.0, 52.0, 104.0]), n_d,
    )  # fmt: skip


def _by_district(district: np.ndarray, flags: np.ndarray, n_d: int = 4) -> np.ndarray:
    return np.bincount(district[flags], minlength=n_d)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHILD, max_size=60))
def test_tallies_are_the_numpy_masks_unit(children: list[tuple]) -> None:
    a = _arrays(children)
    counts, exits, values, where, starts, size_by, sums, first_within, open_over = _tallies(a)
    d, first, ref, out = a["district"], a["first_day"], a["referral_day"], a["outcome_day"]
    with np.errstate(invalid="ignore"):
        seen = ~np.isnan(first) & (a["start_stage"] != IN_ASSESSMENT) & (first >= 0)
        done = (a["exit_code"] == ASSESSED) & (out >= 0)
        is_open = a["exit_code"] == WAITING
        first_wait = (first - ref) / 7.0
        samples = [
            (first_wait, seen),
            ((out - ref) / 7.0, done),
            ((out - first) / 7.0, done & ~np.isnan(first)),
            ((HORIZON - ref) / 7.0, is_open),
        ]
        new = a["start_stage"] < 0
        cohort = new & (ref <= HORIZON - 7.0 * 13) & (a["triage_result"] != TRIAGE_SIGNPOSTED)
        expected = [
            new,
            cohort,
            cohort & (first_wait <= 13),
            is_open & np.isnan(first) & (a["start_stage"] != IN_ASSESSMENT),
            is_open & (~np.isnan(first) | (a["start_stage"] == IN_ASSESSMENT)),
            a["outsourced"],
        ]
    for row, flags in enumerate(expected):
        assert counts[row].tolist() == _by_district(d, flags).tolist(), row
    want_exits = np.bincount(d * N_EXITS + a["exit_code"], minlength=4 * N_EXITS)
    assert exits.tolist() == want_exits.reshape(4, N_EXITS).T.tolist()
    for s, (wait, flags) in enumerate(samples):
        part = slice(starts[s], starts[s + 1])
        assert values[part].tobytes() == wait[flags].tobytes(), s  # the same bits, in order
        assert where[part].tolist() == d[flags].tolist()
        assert size_by[s].tolist() == _by_district(d, flags).tolist()
        want = np.bincount(d[flags], weights=wait[flags], minlength=4)
        assert sums[s].tobytes() == want.tobytes()
    first_values, first_district = samples[0][0][seen], d[seen]
    for k, limit in enumerate((13, 18)):
        flags = first_values <= limit
        assert first_within[k].tolist() == np.bincount(first_district[flags], minlength=4).tolist()
    open_values, open_district = samples[3][0][is_open], d[is_open]
    for k, limit in enumerate((13, 18, 52, 104)):
        flags = open_values >= limit
        assert open_over[k].tolist() == np.bincount(open_district[flags], minlength=4).tolist()


@pytest.mark.parametrize("code", [-1, N_EXITS])
def test_tallies_refuse_an_exit_code_out_of_range_unit(code: int) -> None:
    a = _arrays([(0, 1.0, 2.0, 3.0, 0, -1, 0, False)])
    a["exit_code"] = np.array([code], np.int8)
    with pytest.raises(ValueError, match="exit code"):
        _tallies(a)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), DAYS, DAYS), max_size=60), st.floats(0, 700))
def test_in_stay_at_is_numpys_count_unit(rows: list[tuple], day: float) -> None:
    district = np.array([r[0] for r in rows], np.int64)
    start = np.array([r[1] for r in rows], np.float64)
    end = np.array([r[2] for r in rows], np.float64)
    with np.errstate(invalid="ignore"):
        flags = (start <= day) & (end > day)
    got = c.in_stay_at(district, start, end, day, 3)
    assert got.tolist() == np.bincount(district[flags], minlength=3).tolist()


QUARTER_STARTS = np.array([0.0, 61.0, 152.0, 244.0, 335.0, 425.0, 517.0, 609.0])
WITHIN = 7.0 * np.array([18.0, 52.0])


EDGE_REFERRALS = st.sampled_from(
    [np.nan, 0.0, -0.0, -1e-9, HORIZON, HORIZON - 1e-9, np.inf, -np.inf, *QUARTER_STARTS]
)
OUTCOME_AT_LIMIT = st.sampled_from([0.0, *WITHIN, *(WITHIN + 1e-9), np.nan])


EDGE_ROWS = st.tuples(CHILD, st.none() | EDGE_REFERRALS, st.none() | OUTCOME_AT_LIMIT)


@settings(max_examples=300, deadline=None)
@given(st.lists(EDGE_ROWS, max_size=60))
def test_quarter_tallies_are_the_numpy_counts_unit(rows: list[tuple]) -> None:
    """`compiled.quarter_tallies` against the masks, searchsorted and bincount it replaced
    (`kpis._quarter_cohorts`), with referrals on the quarters' and the horizon's edges
    (and NaN) and outcomes exactly 18 or 52 weeks after referral."""
    children = []
    for child, referral, wait in rows:
        child = list(child)
        if referral is not None:
            child[1] = referral
        if wait is not None:
            child[3] = child[1] + wait
        children.append(tuple(child))
    a = _arrays(children)
    codes = np.array([TRIAGE_SIGNPOSTED, ASSESSED], np.int64)
    got = c.quarter_tallies(
        a["district"], a["referral_day"], a["outcome_day"], a["start_stage"],
        a["triage_result"], a["exit_code"], QUARTER_STARTS, HORIZON, WITHIN, codes, 4,
    )  # fmt: skip
    ref = a["referral_day"]
    new = (a["start_stage"] < 0) & (a["triage_result"] != TRIAGE_SIGNPOSTED)
    new &= (ref >= 0) & (ref < HORIZON)
    quarter = np.searchsorted(QUARTER_STARTS, ref, side="right") - 1
    n_q = QUARTER_STARTS.size

    def counts(flags: np.ndarray) -> np.ndarray:
        index = a["district"] * n_q + quarter
        return np.bincount(index[flags], minlength=4 * n_q).reshape(4, n_q)

    with np.errstate(invalid="ignore"):
        wait = a["outcome_day"] - ref
        want = [counts(new)]
        want += [counts(new & (a["exit_code"] == ASSESSED) & (wait <= w)) for w in WITHIN]
    assert np.array_equal(got, np.stack(want))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(CHILD, DAYS), max_size=60))
def test_pathway_waits_are_the_numpy_masks_unit(rows: list[tuple]) -> None:
    """`compiled.pathway_waits` against the masks it replaced (`equity.pathway_wait_medians`),
    bit for bit and in child order."""
    a = _arrays([child for child, _ in rows])
    exit_day = np.array([day for _, day in rows], np.float64)
    codes = np.array([TRIAGE_SIGNPOSTED, ASSESSED, WAITING], np.int64)
    weeks, done, district = c.pathway_waits(
        a["referral_day"], a["outcome_day"], exit_day, a["start_stage"], a["triage_result"],
        a["exit_code"], a["district"].astype(np.int16), HORIZON, codes,
    )  # fmt: skip
    new = (a["start_stage"] < 0) & (a["triage_result"] != TRIAGE_SIGNPOSTED)
    finished = (a["exit_code"] == ASSESSED) & (a["outcome_day"] >= 0)
    end = np.where(finished, a["outcome_day"], exit_day)
    end = np.where(a["exit_code"] == WAITING, HORIZON, end)
    want_weeks = (end - a["referral_day"]) / 7.0
    usable = new & ~np.isnan(want_weeks)
    assert np.array_equal(weeks.view(np.int64), want_weeks[usable].view(np.int64))
    assert np.array_equal(done, finished[usable])
    assert np.array_equal(district, a["district"][usable])
