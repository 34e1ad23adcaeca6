"""The least-cost mix search, on the simulation with common random numbers.

**Target form.** From the analytic first guess (`mix_guess.first_mix_guess`), while the
mix misses the target: simulate every move worth trying (one grid step of a cell near its
team's bottleneck, and the balanced move when professions bind together) and take the one
with the largest gain per £ a year. The gain is the fall in the target's mean shortfall over
replications (how far each replication is from the threshold, zero where it is met), so a
move counts for the futures that still miss, and every mix is paired with the others on the
same children. When no move gains, the balanced move is taken anyway (at most
`STALLS` times in a row: a plateau of two bottlenecks), then the search gives up. Once the
target is met, each cell is tried one step lower, dearest first, and any removal that still
meets the target is kept, until none does: the guess or an early step may have bought more
than the answer needs.

**Budget form.** From nothing, take the affordable move with the largest gain per £ in the
objective (a whole-run KPI, e.g. child-weeks waiting) while one gains and money is left.

Every mix is evaluated once and remembered, so the path back and forth costs nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nd_sim.experiments.sizing import mix_guess
from nd_sim.experiments.sizing.evaluate import Evaluation, Evaluator
from nd_sim.experiments.sizing.mix import Mix, MixSpace, within_caps
from nd_sim.inputs.model import Model
from nd_sim.scenario.models import Scenario

STALLS = 3
MIX_KEY = "#mix"
START, GUESS, ADD, BALANCED, REMOVE = "start", "guess", "add", "balanced", "remove"


@dataclass(frozen=True)
class PathStep:
    """One accepted step of the search."""

    action: str  # start, guess, add, balanced or remove
    cells: str  # what moved, in words
    mix: Mix
    score: float  # the target's mean shortfall, or the objective's mean (budget form)
    share_met: float  # NaN in the budget form
    mean: float  # the KPI's mean over replications
    tried: int  # mixes simulated to choose this step


@dataclass(frozen=True)
class MixResult:
    """What the search found."""

    space: MixSpace
    guess: Mix
    answer: Mix | None  # None: the target was not met within the caps
    path: tuple[PathStep, ...]
    evaluated: int  # distinct mixes simulated
    started_from: str = "the analytic first guess"


def shortfall(evaluation: Evaluation, threshold: float, higher_is_better: bool) -> float:
    """Mean over replications of how far the KPI is from the threshold (0 where met); an
    undefined KPI (nobody in the window) counts as the worst defined shortfall, or 1."""
    v = evaluation.values
    gap = (threshold - v) if higher_is_better else (v - threshold)
    gap = np.where(evaluation.met, 0.0, np.maximum(gap, 0.0))
    finite = gap[~np.isnan(gap)]
    worst = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return float(np.where(np.isnan(gap), worst, gap).mean())


def _mean(evaluation: Evaluation) -> float:
    values = evaluation.values[~np.isnan(evaluation.values)]
    return float(values.mean()) if values.size else float("nan")


class MixSearch:
    """Evaluates mixes through the size evaluator and walks the search."""

    def __init__(
        self, evaluator: Evaluator | None, scenario: Scenario, model: Model, space: MixSpace
    ) -> None:
        self.evaluator = evaluator
        self.scenario = scenario
        self.model = model
        self.space = space
        self.seen: set[Mix] = set()

    def evaluate(self, mix: Mix) -> Evaluation:
        """The target's KPI at this mix (run once, then remembered; the target form only)."""
        assert self.evaluator is not None, "the budget form has no target to evaluate"
        self.seen.add(mix)
        space = self.space
        return self.evaluator.variant(
            (MIX_KEY, mix),
            "mix",
            space.total_wte(mix),
            lambda: space.apply(self.scenario, mix),
            space.cost_per_year_gbp(mix),
        )

    def moves(self, mix: Mix) -> list[tuple[str, Mix]]:
        """Single steps worth trying, and the balanced move, within the caps."""
        space = self.space
        worth = mix_guess.worth_trying(self.model, space, mix)
        out = []
        for i, ok in enumerate(worth):
            if ok:
                unit = tuple(int(j == i) for j in range(len(space.cells)))
                out.append((ADD, unit))
        for balanced in mix_guess.balanced_moves(self.model, space, mix):
            out.append((BALANCED, balanced))
        return [(a, m) for a, m in out if within_caps(space, space.plus(mix, m))]

    def words(self, move: Mix, sign: int = 1) -> str:
        """ "+0.5 slt, +0.5 ot" for a move."""
        step = self.space.step_wte
        parts = [
            f"{'+' if sign > 0 else '-'}{n * step:g} {cell.words()}"
            for cell, n in zip(self.space.cells, move, strict=True)
            if n
        ]
        return ", ".join(parts)


def search_target(
    search: MixSearch,
    guess: Mix,
    confidence: float,
    threshold: float,
    higher_is_better: bool,
) -> MixResult:
    """The least-cost mix that meets the target (see the module docstring)."""
    space = search.space

    def meets(e: Evaluation) -> bool:
        return e.share_met >= confidence - 1e-12

    def score(e: Evaluation) -> float:
        return shortfall(e, threshold, higher_is_better)

    def step(action: str, cells: str, mix: Mix, tried: int) -> PathStep:
        e = search.evaluate(mix)
        return PathStep(action, cells, mix, score(e), e.share_met, _mean(e), tried)

    state = space.zero()
    path = [step(START, "nothing added", state, 1)]
    if not meets(search.evaluate(state)):
        if guess != state and within_caps(space, guess):
            state = guess
            path.append(step(GUESS, space.describe(guess), guess, 1))
        state, ok = _add_until_met(search, state, path, meets, score, step)
        if not ok:
            return MixResult(space, guess, None, tuple(path), len(search.seen))
    state = _remove_while_met(search, state, path, meets, step)
    return MixResult(space, guess, state, tuple(path), len(search.seen))


def _add_until_met(search, state, path, meets, score, step) -> tuple[Mix, bool]:
    space = search.space
    stalls = 0
    while not meets(search.evaluate(state)):
        moves = search.moves(state)
        if not moves:
            return state, False
        here = score(search.evaluate(state))
        cost_here = space.cost_per_year_gbp(state)
        rated = []
        for action, move in moves:
            nxt = space.plus(state, move)
            gain = here - score(search.evaluate(nxt))
            rated.append((gain / max(space.cost_per_year_gbp(nxt) - cost_here, 1.0), action, move))
        best = max(rated, key=lambda r: r[0])
        if best[0] <= 0:
            balanced = [r for r in rated if r[1] == BALANCED]
            stalls += 1
            if not balanced or stalls > STALLS:
                return state, False
            best = max(balanced, key=lambda r: r[0])
        else:
            stalls = 0
        state = space.plus(state, best[2])
        path.append(step(best[1], search.words(best[2]), state, len(moves)))
    return state, True


def _remove_while_met(search, state: Mix, path, meets, step) -> Mix:
    space = search.space
    while True:
        order = sorted(
            (i for i, n in enumerate(state) if n > 0),
            key=lambda i: -space.cost_gbp_per_wte_year[i],
        )
        for tried, i in enumerate(order, start=1):
            unit = tuple(int(j == i) for j in range(len(space.cells)))
            fewer = tuple(a - b for a, b in zip(state, unit, strict=True))
            if meets(search.evaluate(fewer)):
                state = fewer
                path.append(step(REMOVE, search.words(unit, -1), state, tried))
                break
        else:
            return state


def search_budget(
    search: MixSearch,
    objective: Callable[[Mix], np.ndarray],
    lower_is_better: bool,
    budget_gbp: float,
    months: float,
) -> MixResult:
    """The mix that most improves the objective within the money (see the module docstring).

    `objective(mix)` gives the objective per replication (paired over mixes)."""
    space = search.space
    sign = 1.0 if lower_is_better else -1.0
    means: dict[Mix, float] = {}

    def value(mix: Mix) -> float:
        if mix not in means:
            search.seen.add(mix)
            means[mix] = float(np.nanmean(objective(mix)))
        return means[mix]

    state = space.zero()
    path = [PathStep(START, "nothing added", state, value(state), np.nan, value(state), 1)]
    while True:
        affordable = [
            (a, m)
            for a, m in search.moves(state)
            if space.committed_gbp(space.plus(state, m), months) <= budget_gbp + 1e-6
        ]
        rated = []
        for action, move in affordable:
            nxt = space.plus(state, move)
            gain = sign * (value(state) - value(nxt))
            cost = space.cost_per_year_gbp(nxt) - space.cost_per_year_gbp(state)
            rated.append((gain / max(cost, 1.0), action, move))
        if not rated or max(r[0] for r in rated) <= 0:
            return MixResult(space, space.zero(), state, tuple(path), len(search.seen))
        best = max(rated, key=lambda r: r[0])
        state = space.plus(state, best[2])
        v = value(state)
        path.append(PathStep(best[1], search.words(best[2]), state, v, np.nan, v, len(affordable)))
