"""Where a child already inside the assessment on today's list starts: the appointment it
waits for, and the day it may first be booked for it.

A snapshot says that a child has been seen, and at most which appointment comes next, not
when. Placing every such child as due for its next appointment on day 0 puts them all at
one step, so the hours of the later steps sit idle for weeks and go to first appointments
instead: a start-up surge of first appointments that steady state never has. Each child is
instead given a place on the pathway's own timetable, as if it had been going through the
assessment at the nominal pace (each appointment the whole weeks of `gap_weeks_to_next`
after the one before: the soonest the engine books it), at a point drawn uniformly over
the time that timetable spends inside the assessment, and no earlier than its referral.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def whole_week_gaps(gap_days: Sequence[float]) -> np.ndarray:
    """Whole weeks from each appointment to the next at the soonest (the engine books the
    next one at the first week start at least `gap_days` (and a week) after the week of
    this one), for every appointment but the last."""
    gaps = np.maximum(7.0, np.asarray(gap_days, np.float64)[:-1])
    return np.ceil(gaps / 7.0).astype(np.int64)


def assessment_places(
    gap_days: Sequence[float], next_step: np.ndarray, referral_day: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each child's appointment step and ready day (days from the start; negative: overdue).

    `next_step` is the step the list gives (below 1 when not given); `u` one uniform
    per child. A child is put `e` whole weeks after its first appointment, e uniform over
    the weeks the nominal timetable spends between the first and the last appointment (for
    a known step, over the weeks it spends waiting for that step), but at most the weeks
    since its referral. It then waits for the step that timetable reaches after e weeks,
    and is ready when that step is due: the week start of its last appointment plus the
    gap, exactly as if the engine had held that appointment.
    """
    n = next_step.size
    if len(gap_days) < 2:  # a one-appointment pathway: waiting for that appointment
        return np.zeros(n, np.int64), np.zeros(n)
    gaps = whole_week_gaps(gap_days)
    ends = np.cumsum(gaps)  # weeks after the first appointment at which each step is due
    starts = ends - gaps
    since_referral = np.maximum(1, np.ceil(-referral_day / 7.0)).astype(np.int64)
    given = next_step > 0
    step_of_given = np.clip(next_step, 1, gaps.size) - 1  # index into gaps
    low = np.where(given, starts[step_of_given], 0)
    high = np.where(given, ends[step_of_given], ends[-1])
    span = np.clip(np.minimum(high, since_referral) - low, 1, high - low)
    weeks_in = low + 1 + np.minimum(np.floor(u * span).astype(np.int64), span - 1)
    k = np.searchsorted(ends, weeks_in, side="left")  # index into gaps: step k + 1
    gap = np.maximum(7.0, np.asarray(gap_days, np.float64)[:-1])
    ready = 7.0 * (starts[k] - weeks_in) + gap[k]
    return (k + 1).astype(np.int64), ready
