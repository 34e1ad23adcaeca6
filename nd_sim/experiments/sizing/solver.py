"""The search: the smallest lever value that meets the target by the date, on the simulation.

The lever is searched on the grid of its step (0.5 WTE, 25 assessments a month, ...). A value
**meets the target** when the share of replications in which the KPI meets the threshold is at
least the confidence asked (0.8 by default: 16 of 20 replications). Not the CI of the mean: a
manager asking for "90% within 13 weeks" wants it to happen in most futures, not on average.

1. Evaluate 0 (nothing added): if it already meets the target, the answer is 0.
2. Evaluate the analytic first guess (`nd_sim.experiments.sizing.guess`), then gallop from it
   (steps of 1, 2, 4, ... grid points) down while it meets, or up while it misses, to bracket
   the answer between a value that misses and one that meets (up to the cap).
3. Bisect the bracket until the two ends are one step apart: both are then evaluated.
4. The KPI is noisy and only roughly monotone in the lever, so the answer is the smallest
   evaluated value that meets the target while the value one step below was evaluated and
   missed.

If even the cap misses, the cap is kept on (to the end of the horizon) and the earliest week
end at which it meets the target is searched; or the horizon ends first, which is said too.
Finally a few more values are evaluated for the marginal-gain table (about eight steps up to
the answer and two beyond), reusing every value already run.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from nd_sim.experiments.sizing.evaluate import Evaluation, Evaluator
from nd_sim.experiments.sizing.guess import Guess
from nd_sim.experiments.sizing.levers import Lever

MARGINAL_ROWS = 8
BEYOND = 2


@dataclass(frozen=True)
class EarliestDate:
    """When the lever at its cap first meets the target (None: not within the horizon)."""

    date: dt.date | None
    n_met: int  # replications meeting it then (or at the horizon's end when never)
    horizon_end: dt.date


@dataclass(frozen=True)
class Solution:
    """What the search found for one lever."""

    lever: Lever
    guess: Guess
    zero: Evaluation
    answer: Evaluation | None  # None: not met even at the cap
    below: Evaluation | None  # one step below the answer (None when the answer is 0)
    cap: Evaluation | None  # evaluated when the search reached it
    earliest: EarliestDate | None  # only when the cap misses
    marginal: tuple[float, ...]  # lever values of the marginal-gain table, ascending
    noisy: tuple[Evaluation, ...]  # values below the answer that met it (non-monotone noise)

    @property
    def feasible(self) -> bool:
        """The target is met at some value up to the cap."""
        return self.answer is not None


def solve(
    evaluator: Evaluator,
    lever: Lever,
    guess: Guess,
    confidence: float,
    marginal_rows: int = MARGINAL_ROWS,
) -> Solution:
    """Search one lever (see the module docstring for the steps)."""
    top = math.floor(lever.cap / lever.step + 1e-9)

    def meets(i: int) -> bool:
        return evaluator.at(lever, i).share_met >= confidence - 1e-12

    feasible = meets(0) or _bracket_and_bisect(meets, guess, lever, top)
    answer = below = earliest = None
    if feasible:
        index = _smallest_confirmed(evaluator, lever, confidence)
        answer = evaluator.at(lever, index)
        below = evaluator.at(lever, index - 1) if index > 0 else None
        limit = index
    else:
        earliest = _earliest_date(evaluator, lever, top, confidence)
        limit = top
    marginal = _marginal_points(limit, top, feasible, marginal_rows)
    for i in marginal:
        evaluator.at(lever, i)
    mine = sorted((e for (n, _), e in evaluator.cache.items() if n == lever.name), key=_x)
    noisy = tuple(
        e
        for e in mine
        if answer is not None and e.x < answer.x and e.share_met >= confidence - 1e-12
    )
    return Solution(
        lever=lever,
        guess=guess,
        zero=evaluator.at(lever, 0),
        answer=answer,
        below=below,
        cap=evaluator.cache.get((lever.name, top)),
        earliest=earliest,
        marginal=tuple(evaluator.at(lever, i).x for i in marginal),
        noisy=noisy,
    )


def _x(evaluation: Evaluation) -> float:
    return evaluation.x


def _bracket_and_bisect(meets, guess: Guess, lever: Lever, top: int) -> bool:
    """Bracket from the guess by galloping, then bisect; False if the cap misses."""
    low, high = 0, None  # low misses (0 was evaluated and missed)
    start = top  # no fluid reading (workshop uptake): start from the cap
    if guess.value is not None:
        start = int(min(max(round(guess.value / lever.step), 1), top))
    if meets(start):
        high, jump = start, 1
        while high - jump > low:
            if not meets(high - jump):
                low = high - jump
                break
            high, jump = high - jump, jump * 2
    else:
        low, jump = start, 1
        while high is None:
            probe = min(low + jump, top)
            if probe <= low:
                return False
            if meets(probe):
                high = probe
            elif probe == top:
                return False
            else:
                low, jump = probe, jump * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if meets(mid) else (mid, high)
    return True


def _smallest_confirmed(evaluator: Evaluator, lever: Lever, confidence: float) -> int:
    """Smallest evaluated index that meets the target with the one below evaluated and missing."""
    done = {i: e for (name, i), e in evaluator.cache.items() if name == lever.name}
    ok = {i for i, e in done.items() if e.share_met >= confidence - 1e-12}
    confirmed = [i for i in ok if i == 0 or (i - 1 in done and i - 1 not in ok)]
    return min(confirmed)


def _earliest_date(evaluator: Evaluator, lever: Lever, top: int, confidence: float) -> EarliestDate:
    """First week end after --by at which the cap, kept on, meets the target."""
    scenario = evaluator.scenario
    days = scenario.horizon_weeks * 7
    horizon_end = scenario.start_date + dt.timedelta(days=days - 1)
    ends = week_ends_after(scenario.horizon_weeks, evaluator.window.end_day)
    if ends.size == 0:
        return EarliestDate(None, 0, horizon_end)
    x = top * lever.step
    values = evaluator.series(lever, x, scenario.start_date + dt.timedelta(days=days), ends)
    met = evaluator.target.met(values)  # replications x ends
    share = met.mean(axis=0)
    hits = np.nonzero(share >= confidence - 1e-12)[0]
    if hits.size == 0:
        return EarliestDate(None, int(met[:, -1].sum()), horizon_end)
    end = int(ends[hits[0]])
    date = scenario.start_date + dt.timedelta(days=end - 1)
    return EarliestDate(date, int(met[:, hits[0]].sum()), horizon_end)


def week_ends_after(horizon_weeks: int, end_day: int) -> np.ndarray:
    """Week ends (days 7, 14, ...) strictly after the window's end, up to the horizon."""
    ends = 7 * np.arange(1, horizon_weeks + 1)
    return ends[ends > end_day]


def _marginal_points(limit: int, top: int, feasible: bool, rows: int) -> list[int]:
    """Grid indices for the marginal-gain table: about `rows` steps up to `limit`, a few beyond."""
    if rows <= 0:
        return []
    unit = max(1, math.ceil(limit / rows))
    points = set(range(0, limit + 1, unit)) | {limit}
    if feasible and limit > 0:
        points.add(limit - 1)
    points |= {limit + k * unit for k in range(1, BEYOND + 1) if limit + k * unit <= top}
    return sorted(points)


__all__ = ["EarliestDate", "Solution", "solve", "week_ends_after"]
