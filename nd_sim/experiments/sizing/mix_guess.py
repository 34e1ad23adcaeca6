"""The analytic side of the mix search: bottlenecks, the first guess, the balanced move and
the pruning, all from fluid hours (no randomness).

Per team, each profession allows (its spare hours) / (its hours per completed assessment,
DNAs included) assessments a week; the fewest decides the team's capacity and names its
bottleneck (as the analytic panel does). Adding only the bottleneck profession helps until
the next one binds, and then nothing, so:

* the **first guess** raises *every* profession of every team to the capacity the fluid
  arithmetic says the target needs (`guess.first_guess`'s per-team need), so that no
  profession is left as a lone bottleneck;
* the **balanced move** adds one grid step to every cell (of one team, by team) whose
  profession is within `CO_BINDING` of its team's bottleneck, the move that helps when
  two professions bind together and a step of either alone does nothing;
* **pruning** leaves out of the search the cells whose profession has more than
  `PRUNE_RATIO` times its team's bottleneck capacity, since the simulation would only
  confirm that a step there changes nothing.
"""

from __future__ import annotations

import math

import numpy as np

from nd_sim.experiments.sizing.guess import TeamNeed, hours_per_assessment, spare_hours
from nd_sim.experiments.sizing.mix import Mix, MixSpace
from nd_sim.inputs.analytic import team_panels
from nd_sim.inputs.capacity import hours_per_wte
from nd_sim.inputs.model import Model

CO_BINDING = 1.10  # within 10% of the team's bottleneck: binds with it
PRUNE_RATIO = 1.35  # more than 35% above the bottleneck: a step there is not tried


def added_wte(model: Model, space: MixSpace, mix: Mix) -> np.ndarray:
    """WTE the mix adds, by team and profession (the referral split for whole-area cells)."""
    out = np.zeros((len(model.teams), len(model.professions)))
    weights = dict(space.weights)
    for cell, wte in zip(space.cells, space.wte(mix), strict=True):
        p = model.professions.index(cell.profession)
        if cell.team:
            out[model.teams.index(cell.team), p] += wte
        else:
            for t, team in enumerate(model.teams):
                out[t, p] += wte * weights[team]
    return out


def capacities(model: Model, space: MixSpace, mix: Mix) -> np.ndarray:
    """Assessments a week each profession allows in each team with the mix at full
    strength (inf for a profession no appointment uses)."""
    need = hours_per_assessment(model)
    extra = added_wte(model, space, mix)
    out = np.full((len(model.teams), len(model.professions)), np.inf)
    for t, panel in enumerate(team_panels(model)):
        per_wte = np.array(
            [hours_per_wte(model.scenario, panel.team, p) for p in model.professions]
        )
        hours = spare_hours(model, t, panel.referrals_per_week) + extra[t] * per_wte
        used = need > 0
        out[t, used] = np.maximum(hours[used], 0.0) / need[used]
    return out


def bottlenecks(model: Model, space: MixSpace, mix: Mix) -> dict[str, tuple[str, ...]]:
    """Each team's bottleneck profession with the mix added, then those binding with it
    (within `CO_BINDING`), tightest first."""
    caps = capacities(model, space, mix)
    out = {}
    for t, team in enumerate(model.teams):
        order = np.argsort(caps[t], kind="stable")
        limit = CO_BINDING * caps[t, order[0]]
        out[team] = tuple(model.professions[p] for p in order if caps[t, p] <= limit)
    return out


def first_mix_guess(model: Model, space: MixSpace, needs: tuple[TeamNeed, ...]) -> Mix:
    """Every profession of every team raised to the capacity its team needs (rounded to the
    grid, within the caps); nothing where the fluid arithmetic has no answer."""
    goals = [n.capacity_per_week + n.extra_per_week for n in needs]
    if not needs or not all(math.isfinite(g) for g in goals):
        return space.zero()
    need = hours_per_assessment(model)
    caps = capacities(model, space, space.zero())
    wte = np.zeros_like(caps)
    for t, team in enumerate(model.teams):
        for p, prof in enumerate(model.professions):
            if need[p] > 0 and caps[t, p] < goals[t]:
                per_wte = hours_per_wte(model.scenario, team, prof)
                wte[t, p] = (goals[t] - caps[t, p]) * need[p] / per_wte if per_wte > 0 else 0.0
    steps = []
    for cell, top in zip(space.cells, space.max_steps, strict=True):
        p = model.professions.index(cell.profession)
        total = wte[model.teams.index(cell.team), p] if cell.team else wte[:, p].sum()
        steps.append(min(round(total / space.step_wte), top))
    return tuple(steps)


def balanced_moves(model: Model, space: MixSpace, mix: Mix) -> list[Mix]:
    """Steps for every cell whose profession binds with its team's bottleneck, so many of
    each that every one of their capacities rises by about the same (the most one step of
    any of them adds): one move for the whole area, or one per team with team cells (none
    where a single cell binds: the single steps already cover it)."""
    caps = capacities(model, space, mix)
    binding = caps <= CO_BINDING * caps.min(axis=1, keepdims=True)
    flags = [_cell_flag(model, cell, binding) for cell in space.cells]
    gains = _step_gains(model, space, mix, caps)
    moves = []
    for team in dict.fromkeys(cell.team for cell in space.cells):
        mine = [
            i for i, c in enumerate(space.cells) if c.team == team and flags[i] and gains[i] > 0
        ]
        if len(mine) < 2:
            continue
        widest = max(gains[i] for i in mine)
        move = [0] * len(space.cells)
        for i in mine:
            move[i] = math.ceil(widest / gains[i] - 1e-9)
        moves.append(tuple(move))
    return moves


def _step_gains(model: Model, space: MixSpace, mix: Mix, caps: np.ndarray) -> list[float]:
    """Per cell: the assessments a week one more step of it adds to its profession's
    capacity (summed over the teams it serves)."""
    out = []
    for i, cell in enumerate(space.cells):
        unit = tuple(int(j == i) for j in range(len(space.cells)))
        after = capacities(model, space, space.plus(mix, unit))
        p = model.professions.index(cell.profession)
        rows = [model.teams.index(cell.team)] if cell.team else range(len(model.teams))
        out.append(float(sum(after[t, p] - caps[t, p] for t in rows)))
    return out


def worth_trying(model: Model, space: MixSpace, mix: Mix) -> tuple[bool, ...]:
    """Per cell: is a step there worth simulating (its profession near a bottleneck)?"""
    caps = capacities(model, space, mix)
    near = caps <= PRUNE_RATIO * caps.min(axis=1, keepdims=True)
    return tuple(_cell_flag(model, cell, near) for cell in space.cells)


def _cell_flag(model: Model, cell, flags: np.ndarray) -> bool:
    """A team's flag for a team's cell; any team's for a whole-area cell."""
    p = model.professions.index(cell.profession)
    if cell.team:
        return bool(flags[model.teams.index(cell.team), p])
    return bool(flags[:, p].any())
