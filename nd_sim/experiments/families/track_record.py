"""A service's own track record: how well windows made in its past held what then happened.

`--check-history H.csv` (the calibration's history format) rebuilds the list as it stood 6
and 12 months before the as-of date, projects it exactly as today's list is projected, and
scores each child's window against what the history says happened next: a first
appointment for a child then waiting, an outcome for a child then in assessment. So a
service can quote its own figure ("our windows held 8 in 10 of first appointments") rather
than one measured on somebody else's service.

Censoring: a child not yet seen by the as-of date is scored only if its whole window has
passed (then it is late); otherwise nobody knows yet, and it is counted as `unknown`.
Children who left the list unseen are not scored.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from nd_sim.calibration.calibrate import waiting_list
from nd_sim.calibration.history import History
from nd_sim.experiments.families.projection import projection_model, projections_frame, run_paths
from nd_sim.run.pipeline import Stage
from nd_sim.scenario.models import Scenario

MONTHS_BACK = (12, 6)
COLUMNS = ["check_date", "measure", "scored", "inside", "below_p10", "above_p90", "unknown"]


def check_dates(history: History, as_of: dt.date) -> list[dt.date]:
    """The past dates to project from: 12 and 6 months before, inside the history."""
    out = []
    for months in MONTHS_BACK:
        day = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
        if day > history.first_date:
            out.append(day)
    return out


def track_record(
    history: History, scenario: Scenario, as_of: dt.date, stage: Stage
) -> pd.DataFrame:
    """One row per check date and measure: the share of scored children inside their
    window, before it and after it, and how many could not be scored yet."""
    truth = history.rows.set_index(history.rows.referral_id.astype(str))
    out = []
    for day in check_dates(history, as_of):
        rows = waiting_list(history, day)
        if rows.empty:
            continue
        model = projection_model(scenario, rows, day)
        frame = projections_frame(rows, model.scenario, run_paths(stage, model), day)
        for measure, stages, column, what in (
            ("first_appointment", ("triage", "waiting_first"), "first_appointment_date", "first"),
            ("outcome", ("in_assessment",), "outcome_date", "outcome"),
        ):
            chosen = frame[frame.stage.isin(stages)]
            out.append({"check_date": day, "measure": measure,
                        **_score(chosen, truth, column, what, as_of)})  # fmt: skip
    return pd.DataFrame(out, columns=COLUMNS)


def _score(
    frame: pd.DataFrame, truth: pd.DataFrame, column: str, what: str, as_of: dt.date
) -> dict[str, float]:
    inside = below = above = unknown = 0
    for row in frame.itertuples(index=False):
        happened = truth[column].get(str(row.child_id))
        low, high = getattr(row, f"{what}_p10"), getattr(row, f"{what}_p90")
        later = bool(getattr(row, f"{what}_p90_after"))
        if low is None:
            continue
        if happened is None or pd.isna(happened) or happened.date() > as_of:
            left = str(truth["exit_reason"].get(str(row.child_id), "")) not in ("", "nan")
            if left and pd.isna(truth[column].get(str(row.child_id))):
                continue  # left the list unseen: no window to score
            if not later and high < as_of:
                above += 1  # its whole window has passed and it has not happened yet
            else:
                unknown += 1
            continue
        day = happened.date()
        if day < low:
            below += 1
        elif not later and day > high:
            above += 1
        else:
            inside += 1
    scored = inside + below + above
    share = (lambda n: n / scored) if scored else (lambda n: np.nan)
    return {
        "scored": scored,
        "inside": share(inside),
        "below_p10": share(below),
        "above_p90": share(above),
        "unknown": unknown,
    }


def track_words(record: pd.DataFrame) -> str:
    """The service's own figure in a sentence (empty when nothing could be scored)."""
    parts = []
    for measure, words in (("first_appointment", "first appointments"), ("outcome", "outcomes")):
        mine = record[(record.measure == measure) & (record.scored > 0)]
        if mine.empty:
            continue
        n = int(mine.scored.sum())
        held = float((mine.inside * mine.scored).sum() / n)
        parts.append(f"{held:.0%} of {words} ({n:,} children)")
    if not parts:
        return ""
    dates = ", ".join(f"{d:%-d %B %Y}" for d in sorted(set(record.check_date)))
    return (
        f"This service's own track record: windows made the same way from its history on "
        f"{dates} held {' and '.join(parts)} that have happened since."
    )
