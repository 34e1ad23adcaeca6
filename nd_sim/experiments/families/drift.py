"""Is the service keeping to what the last projection expected? The drift check.

Every families run writes `expected.csv`: per district and week ahead, the P10-P90 of how
many children of today's list will still be waiting for a first appointment (and still in
assessment), how many will have had a first appointment, and how many will have left.
Given that folder (`--previous OLD_DIR`), the next run counts what happened to the same
children (by id: who is still waiting on the new list), sets it against the old band at
the weeks that have passed, and says plainly when the service is running behind or ahead:
a shortfall of staff the scenario does not know about shows here first.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.starting_list import STAGES

WAITING_STAGES = (STAGES[0], STAGES[1])
IN_ASSESSMENT = STAGES[2]
MAX_WEEKS_AHEAD = 52
EXPECTED = "expected.csv"
COUNTY = "all districts"
Z_FLAG = 2.0  # a shortfall beyond chance: more than 2 Poisson sd from what was expected
SHARE_FLAG = 0.10  # and large enough to matter: 10% or more of what was expected


def expected_counts(
    rows: pd.DataFrame,
    districts: tuple[str, ...],
    first_day: np.ndarray,
    outcome_day: np.ndarray,
    exit_day: np.ndarray,
    left_unseen: np.ndarray,
    as_of: dt.date,
) -> pd.DataFrame:
    """Per district and week ahead (1 to 52), the bands of the listed children's counts.

    The day arrays are (replications, children), days from the as-of date (NaN: never).
    """
    weeks = np.arange(1, MAX_WEEKS_AHEAD + 1)
    ends = 7.0 * weeks
    stage = rows.stage.to_numpy()
    waiting, inside = np.isin(stage, WAITING_STAGES), stage == IN_ASSESSMENT
    never = np.inf
    seen_at = np.nan_to_num(first_day, nan=never)
    gone_at = np.nan_to_num(exit_day, nan=never)
    done_at = np.nan_to_num(outcome_day, nan=never)
    left_at = np.where(left_unseen, gone_at, never)
    out = []
    for name in districts:
        here = rows.district.to_numpy() == name
        w, a = here & waiting, here & inside
        if not (w.any() or a.any()):
            continue
        still = _counts(np.minimum(seen_at[:, w], gone_at[:, w]), ends, above=True)
        seen = _counts(seen_at[:, w], ends, above=False)
        left = _counts(left_at[:, w], ends, above=False)
        assessing = _counts(np.minimum(done_at[:, a], gone_at[:, a]), ends, above=True)
        for k, week in enumerate(weeks):
            out.append(
                {
                    "district": name,
                    "weeks_ahead": int(week),
                    "date": as_of + dt.timedelta(weeks=int(week)),
                    "waiting_then": int(w.sum()),
                    **_band("still_waiting", still[:, k]),
                    **_band("first_appointments", seen[:, k]),
                    "left_p50": float(np.quantile(left[:, k], 0.5)),
                    "in_assessment_then": int(a.sum()),
                    **_band("still_in_assessment", assessing[:, k]),
                }
            )
    return pd.DataFrame(out)


def _counts(day: np.ndarray, ends: np.ndarray, above: bool) -> np.ndarray:
    """(replications, ends): how many children's day is after (or by) each end."""
    if day.shape[1] == 0:
        return np.zeros((day.shape[0], ends.size))
    by = (day[:, :, None] <= ends[None, None, :]).sum(axis=1)
    return day.shape[1] - by if above else by


def _band(name: str, values: np.ndarray) -> dict[str, float]:
    q = np.quantile(values, [0.1, 0.5, 0.9])
    return {f"{name}_p10": float(q[0]), f"{name}_p50": float(q[1]), f"{name}_p90": float(q[2])}


def read_previous_folder(folder: Path) -> tuple[dt.date, pd.DataFrame]:
    """The earlier run's as-of date and its expected counts."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        as_of = dt.date.fromisoformat(str(manifest["as_of"]))
        expected = pd.read_csv(folder / EXPECTED)
    except (OSError, ValueError, KeyError, TypeError, pd.errors.ParserError) as exc:
        rule = (
            "must be the folder of an earlier nd-sim families run (with manifest.json and "
            f"{EXPECTED}; {type(exc).__name__})"
        )
        raise ScenarioError(str(folder), [Problem("--previous", str(folder), rule)]) from None
    return as_of, expected


def drift_frame(
    before: pd.DataFrame,
    expected: pd.DataFrame,
    then: dt.date,
    rows: pd.DataFrame,
    now: dt.date,
    projections: pd.DataFrame,
) -> pd.DataFrame:
    """Per district: what happened to the earlier list's children since `then`, against
    what the earlier run expected by `now`; `flag` says behind, ahead or on track."""
    weeks = round((now - then).days / 7)
    if weeks < 1 or weeks > MAX_WEEKS_AHEAD:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    stage_now = dict(zip(rows.child_id.astype(str), rows.stage, strict=True))
    moved = _median_moves(before, projections)
    out = []
    at = expected[expected.weeks_ahead == weeks]
    for r in [*at.itertuples(index=False), *_county(at).itertuples(index=False)]:
        old = before if r.district == COUNTY else before[before.district == r.district]
        waiting_ids = old[old.stage.isin(WAITING_STAGES)].child_id.astype(str)
        still = int(sum(stage_now.get(i) in WAITING_STAGES for i in waiting_ids))
        inside_ids = old[old.stage == IN_ASSESSMENT].child_id.astype(str)
        still_inside = int(sum(stage_now.get(i) == IN_ASSESSMENT for i in inside_ids))
        seen_est = max(r.waiting_then - still - r.left_p50, 0.0)
        planned = r.first_appointments_p50
        behind = 1.0 - seen_est / planned if planned else 0.0
        z = (seen_est - planned) / np.sqrt(planned) if planned else 0.0
        flag = "on track"
        if z <= -Z_FLAG and behind >= SHARE_FLAG:
            flag = "behind"
        elif z >= Z_FLAG and -behind >= SHARE_FLAG:
            flag = "ahead"
        out.append(
            {
                "district": r.district,
                "previous_as_of": then,
                "as_of": now,
                "weeks": weeks,
                "waiting_then": int(r.waiting_then),
                "still_waiting": still,
                "still_waiting_p10": r.still_waiting_p10,
                "still_waiting_p50": r.still_waiting_p50,
                "still_waiting_p90": r.still_waiting_p90,
                "first_appointments_estimated": round(seen_est, 1),
                "first_appointments_p50": r.first_appointments_p50,
                "first_appointments_behind_pct": round(100.0 * behind, 1),
                "z": round(float(z), 2),
                "still_in_assessment": still_inside,
                "still_in_assessment_p10": r.still_in_assessment_p10,
                "still_in_assessment_p90": r.still_in_assessment_p90,
                "median_window_move_weeks": moved.get(r.district, np.nan),
                "flag": flag,
            }
        )
    return pd.DataFrame(out, columns=DRIFT_COLUMNS)


DRIFT_COLUMNS = [
    "district", "previous_as_of", "as_of", "weeks", "waiting_then", "still_waiting",
    "still_waiting_p10", "still_waiting_p50", "still_waiting_p90",
    "first_appointments_estimated", "first_appointments_p50", "first_appointments_behind_pct",
    "z",
    "still_in_assessment", "still_in_assessment_p10", "still_in_assessment_p90",
    "median_window_move_weeks", "flag",
]  # fmt: skip


def _county(at: pd.DataFrame) -> pd.DataFrame:
    """Every district together: counts add; bands are not additive, so only the medians
    are summed (the flag uses the medians and a Poisson test, not the bands)."""
    if at.empty:
        return at
    total = at.select_dtypes("number").sum()
    row = {c: (np.nan if c.endswith(("_p10", "_p90")) else total[c]) for c in total.index}
    return pd.DataFrame([{**row, "district": COUNTY, "date": at.date.iloc[0]}])[at.columns]


def _median_moves(before: pd.DataFrame, now: pd.DataFrame) -> dict[str, float]:
    """Per district, the median move of the middle date of the first-appointment window of
    the children still waiting in both runs, in weeks (later is positive)."""
    cols = ["child_id", "district", "first_p50"]
    old = before[before.stage.isin(WAITING_STAGES)][cols]
    new = now[now.stage.isin(WAITING_STAGES)][cols]
    both = old.merge(new, on=["child_id", "district"], suffixes=("_old", "_new")).dropna()
    if both.empty:
        return {}
    delta = [
        (pd.Timestamp(b) - pd.Timestamp(a)).days / 7.0
        for a, b in zip(both.first_p50_old, both.first_p50_new, strict=True)
    ]
    both = both.assign(move=delta)
    out = both.groupby("district").move.median().round(1).to_dict()
    out[COUNTY] = round(float(np.median(delta)), 1)
    return out


def drift_sentence(row) -> str:
    """One district's (or every district's) drift in words, for the top of a staff summary."""
    where = "All districts together" if row.district == COUNTY else row.district
    return f"{where}: " + _verdict(row)


def _verdict(row) -> str:
    since = f"since the projection of {row.previous_as_of:%-d %B %Y}"
    counts = (
        f"of the {row.waiting_then:,} children then waiting, about "
        f"{row.first_appointments_estimated:,.0f} have had a first appointment, where "
        f"{row.first_appointments_p50:,.0f} were expected ({row.still_waiting:,} are still "
        "waiting)"
    )
    move = ""
    if np.isfinite(row.median_window_move_weeks) and abs(row.median_window_move_weeks) >= 1:
        way = "later" if row.median_window_move_weeks > 0 else "earlier"
        move = (
            f"; the windows of children waiting in both runs moved {way} by a median of "
            f"{abs(row.median_window_move_weeks):g} weeks"
        )
    if row.flag == "behind":
        pct = max(row.first_appointments_behind_pct, 0.0)
        return (
            f"**Drift: first appointments are running about {pct:.0f}% behind what was "
            f"projected** {since}: {counts}{move}. The scenario may be over-stating the "
            "staff or the hours; check it before trusting these ranges."
        )
    if row.flag == "ahead":
        ahead = "Drift: first appointments are running ahead of the projection"
        return f"{ahead} {since}: {counts}{move}."
    return f"No clear drift {since} (a gap this size can be chance): {counts}{move}."
