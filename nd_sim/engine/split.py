"""One replication split by team across processes, merged to a serial run's rows.

Teams share nothing but outsourced blocks (which take children from all their teams) and
pooled new-patient lists; teams so linked form one group, and a part is a set of whole
groups. Each part simulates only its own districts' children, drawn from the same named
streams, while every team's weekly timetable still runs (an empty team's week costs next to
nothing): so every event keeps the number it has in a serial run, and the part's children
meet exactly the same fate. (The kernel breaks ties by child number only between children
of one team, whose relative order a part keeps.)

The merge puts the rows in the serial run's order: today's list and the referrals by
(referral day, source, row), as `draw_cohort` sorts them; returning children by the event
they came back in (`State.born`), withdrawals first in the order of their parents' exits
(as the kernel takes them), then the event's own returns in the part's order (an event
belongs to one team, or to one block, so to one part).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import list_teams, outsourced_cost_gbp, raw_results, simulated
from nd_sim.inputs.model import Model


@dataclass(frozen=True)
class Part:
    """What a part sends back: its rows (numbered within the part) and what the merge
    needs to number them as a serial run does."""

    districts: list[int]  # the part's districts (its teams', whole)
    raw: RawResults
    source: np.ndarray  # per cohort row: 0 today's list, 1 + d district d's referrals
    source_row: np.ndarray  # its row within that source
    born: np.ndarray  # per returning row: `State.born`
    blocks_taken: np.ndarray  # children each outsourced block took


def team_groups(model: Model) -> list[list[int]]:
    """Teams that must run together: linked by a pooled list or an outsourced block."""
    leader = list(range(len(model.teams)))

    def find(t: int) -> int:
        while leader[t] != t:
            leader[t] = leader[leader[t]]
            t = leader[t]
        return t

    for t, first in enumerate(list_teams(model.scenario, model.teams).tolist()):
        leader[find(t)] = find(first)  # a pooled list: each team with the pool's first
    for block in model.capacity.outsourcing:
        teams = [model.team_of_district[d] for d in block.districts]
        for t in teams[1:]:
            leader[find(t)] = find(teams[0])
    groups: dict[int, list[int]] = {}
    for t in range(len(model.teams)):
        groups.setdefault(find(t), []).append(t)
    return list(groups.values())


def plan_parts(model: Model, n_parts: int) -> list[list[int]]:
    """Up to `n_parts` sets of districts (ascending), whole groups each, balanced by their
    expected referrals: the largest groups first, each to the lightest part so far."""
    weight = [float(rates.sum()) for rates in model.rates_per_day]
    districts_of = [[] for _ in model.teams]
    for d, t in enumerate(model.team_of_district):
        districts_of[t].append(d)
    groups = [sorted(d for t in g for d in districts_of[t]) for g in team_groups(model)]
    groups.sort(key=lambda ds: -sum(weight[d] for d in ds))
    parts: list[list[int]] = [[] for _ in range(max(1, min(n_parts, len(groups))))]
    load = [0.0] * len(parts)
    for ds in groups:
        k = load.index(min(load))
        parts[k] += ds
        load[k] += sum(weight[d] for d in ds)
    return [sorted(p) for p in parts if p]


def run_part(model: Model, replication: int, seed: int, districts: list[int]) -> Part:
    """Simulate one part of a replication (in a worker); `model` is already drawn."""
    cohort, state, start = simulated(model, replication, seed, districts)
    raw = raw_results(model, cohort, state, start, replication)
    n0, n = state.n_initial, raw.n_children
    born = state.born[n0:n].copy()
    return Part(list(districts), raw, cohort.source, cohort.source_row, born, state.ob_count)


def merge(model: Model, parts: list[Part]) -> RawResults:
    """The parts' rows, numbered and ordered as the serial run numbers them."""
    cohort_keys = [np.concatenate([getattr(p, k) for p in parts]) for k in ("source_row", "source")]
    day = np.concatenate([p.raw.referral_day[: p.source.size] for p in parts])
    cohort_order = np.lexsort((*cohort_keys, day))
    n0 = day.size
    rank = np.empty(n0, np.int64)
    rank[cohort_order] = np.arange(n0)
    # each part's rows: cohort then returning; global numbers, cohort first
    local_to_global = []
    offset = 0
    for p in parts:
        k = p.source.size
        local_to_global.append(
            np.concatenate([rank[offset : offset + k], np.zeros(p.born.size, np.int64)])
        )
        offset += k
    returning = _returning_order(parts, local_to_global, n0)
    for (p_index, local), g in zip(returning, range(n0, n0 + len(returning)), strict=True):
        local_to_global[p_index][local] = g
    return _gathered(model, parts, local_to_global, n0 + len(returning))


def _returning_order(
    parts: list[Part], local_to_global: list[np.ndarray], n0: int
) -> list[tuple[int, int]]:
    """(part, local row) of every returning child in the serial run's order: by event,
    withdrawals first by their exit day, then each part's own order."""
    born, exit_day, part, local, parent = [], [], [], [], []
    for k, p in enumerate(parts):
        m = p.source.size
        rows = np.arange(m, m + p.born.size)
        mother = p.raw.parent[rows].astype(np.int64)
        withdrawal = p.born % 2 == 0
        born.append(p.born)
        exit_day.append(np.where(withdrawal, p.raw.exit_day[mother], 0.0))
        part.append(np.full(rows.size, k))
        local.append(rows)
        parent.append(mother)
    keys = [np.concatenate(x) if x else np.empty(0) for x in (born, exit_day, part, local, parent)]
    order = np.lexsort((keys[3], keys[2], keys[1], keys[0]))
    rows = list(zip(*(key[order].tolist() for key in keys), strict=True))
    # exact ties of one withdrawal event's exit days across parts: the kernel takes them
    # by the parents' numbers (a parent always comes back before its own returns)
    b, e = keys[0][order], keys[1][order]
    tied = (b[1:] == b[:-1]) & (e[1:] == e[:-1]) & (b[1:] % 2 == 0)
    if tied.any():
        _resolve_ties(rows, local_to_global, n0)
    return [(int(k), int(j)) for _, _, k, j, _ in rows]


def _resolve_ties(rows: list, local_to_global: list[np.ndarray], n0: int) -> None:
    """Reorder runs of withdrawals with the same event and exit day from more than one
    part by their parents' serial numbers (numbering the rows before each run first)."""
    k = 0
    while k < len(rows):
        end = k + 1
        while end < len(rows) and rows[end][:2] == rows[k][:2] and rows[k][0] % 2 == 0:
            end += 1
        if end - k > 1 and len({r[2] for r in rows[k:end]}) > 1:
            for g, (_, _, part, local, _) in enumerate(rows[:k]):
                local_to_global[part][local] = n0 + g
            rows[k:end] = sorted(rows[k:end], key=lambda r: int(local_to_global[r[2]][r[4]]))
        k = end


def _gathered(
    model: Model, parts: list[Part], local_to_global: list[np.ndarray], n: int
) -> RawResults:
    """One RawResults: each part's per-child arrays written at their global rows."""
    first = parts[0].raw
    where = np.concatenate(local_to_global)
    fields = {}
    for name in (
        "referral_day", "district", "pathway", "priority", "start_stage", "triage_day",
        "triage_result", "more_information", "first_day", "outcome_day", "exit_day",
        "exit_code", "outcome", "dna", "workshops", "outsourced", "start_step",
    ):  # fmt: skip
        column = np.empty(n, getattr(first, name).dtype)
        column[where] = np.concatenate([getattr(p.raw, name) for p in parts])
        fields[name] = column
    parent = np.full(n, -1, first.parent.dtype)
    for p, mapping in zip(parts, local_to_global, strict=True):
        has = p.raw.parent >= 0
        parent[mapping[has]] = mapping[p.raw.parent[has]]
    step_day = np.empty((first.step_day.shape[0], n))
    step_day[:, where] = np.concatenate([p.raw.step_day for p in parts], axis=1)
    taken = sum(p.blocks_taken for p in parts)
    ids = _starting_ids(parts, local_to_global)
    return replace(
        first,
        **fields,
        parent=parent,
        step_day=step_day,
        hours_used=_own_teams(model, parts, [p.raw.hours_used for p in parts]),
        outsourced_cost_gbp=outsourced_cost_gbp(model, taken),
        appointments=sum(p.raw.appointments for p in parts),
        starting_ids=ids,
    )


def _own_teams(model: Model, parts: list[Part], values: list[np.ndarray]) -> np.ndarray:
    """Per-team arrays (teams first), each team's from the part that runs it (a team with
    no children of its own may still book its pool's; and an empty team's diary is not
    exactly zero: its hours are split and added back)."""
    out = values[0].copy()
    for p, v in zip(parts, values, strict=True):
        teams = sorted({model.team_of_district[d] for d in p.districts})
        out[teams] = v[teams]
    return out


def _starting_ids(parts: list[Part], local_to_global: list[np.ndarray]) -> tuple[str, ...]:
    """Today's list's ids in the serial order (each part lists its own in its order)."""
    numbered = []
    for p, mapping in zip(parts, local_to_global, strict=True):
        listed = np.flatnonzero(p.source == 0)
        numbered += zip(mapping[listed].tolist(), p.raw.starting_ids, strict=True)
    return tuple(child_id for _, child_id in sorted(numbered))


def run_split(
    model: Model,
    replication: int,
    seed: int,
    n_parts: int,
    run_parts: Callable[[list[list[int]]], Iterable[Part]] | None = None,
) -> RawResults:
    """One replication as `n_parts` parts (fewer if the teams form fewer groups), run by
    `run_parts` (in order: here, one after another), merged. `model` is already drawn."""
    plan = plan_parts(model, n_parts)
    if run_parts is None:
        parts = [run_part(model, replication, seed, districts) for districts in plan]
    else:
        parts = list(run_parts(plan))
    return merge(model, parts)
