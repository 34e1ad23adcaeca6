"""The solver against answers known exactly, on the textbook single-stage queue.

One team, one profession of 1 clinical hour per WTE-week, one 1-hour appointment, no triage,
DNAs, withdrawals, workshops or re-referrals: each week's diary (day 7n + 0.2) books
min(queue, c) children referred before day 7n, with c = base WTE + the lever's WTE (the grid
step is 1 WTE, as fractions of an appointment are never booked). A backlog of B children,
all referred before day 0, is served first. So, with L_n the queue left after booking week n,
L_0 = max(B - c, 0), L_n = max(L_(n-1) + A_(n-1) - c, 0) with A ~ Poisson(lambda), and the
open list at the end of week W - 1 (day 7W) is L_(W-1) + A_(W-1), whose distribution is exact
from the Markov chain. Its fluid (average) reading is B + lambda W - c W, so the fluid answer
to "open_end <= k at day 7W" is c = lambda + (B - k) / W.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
from scipy.stats import norm, poisson

from nd_sim.experiments.sizing.run import prepare, settings_for, size_to_folder

from .test_sizing_unit import textbook

LAM, BASE, BACKLOG, WEEKS, K = 10, 10, 300, 30, 25
REPS, CONFIDENCE = 20, 0.8


def p_open_at_most(lam: float, c: int, backlog: int, weeks: int, k: int, m: int = 1500) -> float:
    """P(open list at day 7 W <= k) with c appointments a week, exactly (truncated at m)."""
    arrivals = np.arange(m + c + 1)
    pmf = poisson.pmf(arrivals, lam)
    dist = np.zeros(m + 1)
    dist[max(backlog - c, 0)] = 1.0
    for _ in range(weeks - 1):
        new = np.zeros(m + 1)
        for q in np.nonzero(dist > 1e-14)[0]:
            np.add.at(new, np.clip(q + arrivals - c, 0, m), dist[q] * pmf)
        dist = new
    return float(sum(dist[q] * poisson.cdf(k - q, lam) for q in range(min(k, m) + 1)))


def _solve(tmp_path: Path, target: str, weeks: int, base: int, ages=(1.0, 20.0), **kw):
    sc = textbook(lam=LAM, wte=base, weeks=40, backlog=BACKLOG, backlog_weeks=ages)
    by = sc.start_date + dt.timedelta(days=7 * weeks - 1)  # the window ends at day 7 W
    request = prepare(
        sc, target, by.isoformat(), "x", step=1.0, lag_weeks=0.0, replications=REPS, seed=11,
        confidence=CONFIDENCE, marginal_rows=0, **kw,
    )  # fmt: skip
    return size_to_folder(request, settings_for(request, tmp_path / "size")).solutions[0]


def test_open_list_target_matches_the_exact_queue_and_the_fluid_answer_validation(
    tmp_path: Path,
) -> None:
    """open_end <= 25 at week 30 from a backlog of 300, 10 referrals a week, 10 WTE.

    Exact: the smallest c with P(open <= 25) >= 0.8 is 20 (P = 0.93; c = 19 gives 0.40), so
    10 more WTE. Fluid: c = 10 + (300 - 25) / 30 = 19.17, so 9.17 more. The solver estimates
    P from 20 replications, so it may land one step either side of the exact answer; beside
    the fluid one, queue randomness adds z(0.8) sd(arrivals over W weeks) / W =
    0.84 x sqrt(10 x 29) / 30 = 0.48 WTE (the fluid reading ignores it).
    """
    solution = _solve(tmp_path, f"open_end <= {K}", WEEKS, BASE)
    exact = min(c for c in range(BASE, 60) if p_open_at_most(LAM, c, BACKLOG, WEEKS, K) >= 0.8)
    assert exact == 20
    assert abs(solution.answer.x - (exact - BASE)) <= 1.0
    fluid = LAM + (BACKLOG - K) / WEEKS - BASE
    allowance = norm.ppf(CONFIDENCE) * math.sqrt(LAM * (WEEKS - 1)) / WEEKS
    assert fluid - 1.0 <= solution.answer.x <= fluid + 1.0 + allowance
    assert abs(solution.guess.value - fluid) < 1e-6  # the guess is the fluid answer
    # The evaluations agree with the exact probabilities within binomial noise (4 sd).
    for evaluation in (solution.answer, solution.below):
        p = p_open_at_most(LAM, BASE + round(evaluation.x), BACKLOG, WEEKS, K)
        assert abs(evaluation.share_met - p) <= 4 * math.sqrt(p * (1 - p) / REPS) + 1e-9


def test_list_cleared_is_exact_validation(tmp_path: Path) -> None:
    """Today's list is served first, so it is cleared by the end of week 29 (30 diaries)
    exactly when 30 c >= 300: c = 10, 5 more than the base 5, in every replication; with 4
    more, 30 children are left, in every replication."""
    solution = _solve(tmp_path, "list_cleared", WEEKS, base=5)
    assert solution.answer.x == 5.0 and solution.answer.n_met == REPS
    assert solution.below.x == 4.0 and solution.below.n_met == 0
    assert np.all(solution.below.values == BACKLOG - 30 * 9)


def test_too_early_date_reports_the_earliest_feasible_date_validation(tmp_path: Path) -> None:
    """90% of first appointments within 13 weeks by the end of week 9, when today's 300
    children have all waited 20 to 40 weeks and are served first. At the cap (20 more WTE,
    c = 30) they fill the diaries of weeks 0-9, and every one of them is late, so the target
    is missed at the date. New referrals queue behind them and are seen within about 10
    weeks. A 13-week window that still holds week 9's 30 late appointments (day 65.5) holds
    only about 12 weeks x (10 + catch-up) = 210 new ones: 87.5% < 90%. So the earliest
    window is the first to start after day 65.5: it ends at day 161 (the end of week 22)."""
    solution = _solve(
        tmp_path, "first_within_13w_pct >= 90", weeks=10, base=10, ages=(20.0, 40.0), cap=20.0
    )
    assert not solution.feasible and solution.cap.x == 20.0
    start = dt.date(2026, 1, 5)
    assert solution.earliest.date == start + dt.timedelta(days=160)
    assert solution.earliest.n_met >= math.ceil(CONFIDENCE * REPS)
