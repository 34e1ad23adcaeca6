"""The children of one replication and everything random about each of them.

Each attribute comes from its own named stream, drawn in bulk, so that replication k of
two scenarios gives the same child the same pathway, triage result, DNA habits and
patience, whatever the staffing. The engine then only reads plain lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nd_sim.engine.placement import assessment_places
from nd_sim.engine.rng import stream, streams, uniforms
from nd_sim.inputs import demand
from nd_sim.inputs import starting_list as backlog
from nd_sim.inputs.model import Model

NEW_REFERRAL = -1


@dataclass(frozen=True)
class Cohort:
    """Per-child arrays, sorted by referral time (the starting list comes first)."""

    referral_day: np.ndarray
    district: np.ndarray
    pathway: np.ndarray
    priority: np.ndarray
    start_stage: np.ndarray
    start_step: np.ndarray  # today's list inside the assessment: the step it waits for
    start_ready_day: np.ndarray  # ... and the day it may be booked for it (0 for the rest)
    withdraw_day: np.ndarray
    u_triage: np.ndarray
    u_triage_again: np.ndarray
    u_outcome: np.ndarray
    u_rereferral: np.ndarray
    rereferral_delay_days: np.ndarray
    workshop_u: np.ndarray
    workshop_met_u: np.ndarray
    dna_counts: np.ndarray
    source: np.ndarray  # 0: today's list; 1 + d: district d's referrals (for a merge)
    source_row: np.ndarray  # the row within its source
    starting_ids: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.referral_day.size)


def draw_cohort(
    model: Model, seed: int, replication: int, districts: Sequence[int] | None = None
) -> Cohort:
    """All children of a replication: today's list plus every referral over the horizon.

    Each part (today's list, each district's referrals) draws from streams of its own
    names; the arithmetic on the draws then runs once over all parts, so that a footprint
    of many districts does not pay numpy's per-call cost for each of them. `districts`
    (ascending) keeps only their children, with exactly the values and the relative order
    they have among all children (a replication split by team, `engine.split`)."""
    from nd_sim.engine.bulk import stable_argsort  # compiled: workers only, never the parent

    starting = backlog.concat(
        model.starting, backlog.profile_children(model.scenario, seed, replication)
    )
    which = list(range(len(model.districts))) if districts is None else list(districts)
    if which != sorted(set(which)):
        raise ValueError(f"districts must be ascending and distinct, not {which}")
    names = [f"children/{model.districts[d]}" for d in which]
    rates = [model.rates_per_day[d] for d in which]
    times, counts = demand.referral_times_flat(
        rates, seed, replication, [model.districts[d] for d in which]
    )
    n0 = len(starting)
    each = np.split(times, np.cumsum(counts)[:-1])  # each district's referrals
    columns = attributes_of(
        model, [("starting", np.zeros(n0)), *zip(names, each, strict=True)], seed, replication
    )
    first = _starting_part(model, starting, seed, replication)
    first["source"] = np.zeros(n0, np.int64)  # where each row came from, for a merge
    first["source_row"] = np.arange(n0, dtype=np.int64)
    new = _new_children(model, times, counts, which, names, seed, replication)
    for key in first:
        columns[key] = np.concatenate([first[key], new[key]])
    order = stable_argsort(columns["referral_day"])  # numpy's stable order, by a radix sort
    if districts is not None:  # today's list of other districts' teams is not theirs
        mine = np.ones(order.size, bool)
        mine[:n0] = np.isin(starting.district, which)
        order = order[mine[order]]
    return Cohort(
        **{k: np.take(v, order, axis=0) for k, v in columns.items()},
        starting_ids=_ids(starting, order),
    )


def _ids(starting: backlog.StartingChildren, order: np.ndarray) -> tuple[str, ...]:
    """Starting ids in the sorted order (new referrals have no id from outside)."""
    kept = order[order < len(starting)]
    if np.array_equal(kept, np.arange(len(starting))):  # today's list was in referral order
        return starting.ids
    return tuple(map(starting.ids.__getitem__, kept.tolist()))


def _starting_part(model: Model, starting: backlog.StartingChildren, seed: int, rep: int) -> dict:
    n = len(starting)
    referral_day = starting.referral_day.astype(float)
    u = stream(seed, rep, "starting/assessment_place").random(n)
    step, ready = assessment_places(model.step_gap_days, starting.next_step, referral_day, u)
    inside = starting.stage == backlog.STAGES.index("in_assessment")
    known = starting.known_ready_day()
    dated = ~np.isnan(known) & (starting.next_step > 0)  # its step and its day both given
    step = np.where(dated, starting.next_step, step)
    ready = np.where(dated, known, ready)
    waiting = starting.stage == backlog.STAGES.index("waiting_first")
    bookable = np.where(waiting & ~np.isnan(known), np.maximum(known, 0.0), 0.0)
    return dict(
        referral_day=referral_day,
        district=starting.district,
        pathway=starting.pathway,
        priority=starting.priority,
        start_stage=starting.stage,
        start_step=np.where(inside, step, 0),
        start_ready_day=np.where(inside, ready, bookable),
    )


def _new_children(
    model: Model,
    times: np.ndarray,
    counts: np.ndarray,
    which: list[int],
    names: list[str],
    seed: int,
    rep: int,
) -> dict[str, np.ndarray]:
    """Every district's new referrals, district after district (`counts` of them each, at
    `times`): pathway and priority drawn from each district's own streams, picked through
    its own mix in one pass."""
    from nd_sim.engine.bulk import pick, pick_rows  # compiled: workers only, never the parent

    n = times.size
    drawn = uniforms(
        seed,
        rep,
        [f"{name}/pathway" for name in names] + [f"{name}/priority" for name in names],
        np.concatenate([counts, counts]),
    )
    district = np.repeat(np.array(which, np.int64), counts)
    mixes = np.array([np.cumsum(model.mix_by_district[d]) for d in which] or [[1.0]], float)
    row = np.repeat(np.arange(len(which)), counts)
    shares = np.cumsum(model.priority_shares)
    return dict(
        referral_day=times,
        district=district,
        pathway=pick_rows(drawn[:n], mixes / mixes[:, -1:], row),
        priority=pick(drawn[n:], shares / shares[-1]),
        start_stage=np.full(n, NEW_REFERRAL, np.int64),
        start_step=np.zeros(n, np.int64),
        start_ready_day=np.zeros(n),
        source=district + 1,
        source_row=np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts),
    )


def attributes(
    model: Model, n: int, name: str, seed: int, rep: int, start_day: np.ndarray
) -> dict[str, np.ndarray]:
    """The random habits of n children, each from a stream of its own name."""
    return attributes_of(model, [(name, start_day)], seed, rep)


def attributes_of(
    model: Model, parts: Sequence[tuple[str, np.ndarray]], seed: int, rep: int
) -> dict[str, np.ndarray]:
    """The random habits of several groups of children, (stream name, start days) each,
    concatenated in that order: each group draws from its own streams, and the arithmetic
    on the draws runs once over all groups (elementwise: the same values as one by one)."""
    pathway = model.scenario.pathway
    kinds = [w.kind for w in pathway.workshops]
    sizes = [d.size for _, d in parts]
    start_day = np.concatenate([d for _, d in parts]) if parts else np.empty(0)
    n = start_day.size
    suffixes = [f"workshop/{kind}" for kind in kinds] + ["dna", "triage", "rereferral", "outcome"]
    widths = [2] * len(kinds) + [model.n_steps, 2, 2, 1]  # uniforms a child from each
    drawn = uniforms(
        seed,
        rep,
        [f"{name}/{suffix}" for suffix in suffixes for name, _ in parts],
        [width * size for width in widths for size in sizes],
    )  # suffix by suffix, each (children, width)
    ends = np.cumsum([n * width for width in widths]).tolist()
    dna_u, triage, reref, outcome = (
        drawn[end - n * width : end].reshape(n, width)
        for end, width in zip(ends[-4:], widths[-4:], strict=True)
    )
    workshops = drawn[: 2 * n * len(kinds)].reshape(len(kinds), n, 2)  # uptake, need met
    reref_delay = -np.log1p(-reref[:, 1]) * pathway.rereferral.delay_weeks_mean * 7.0
    return {
        "withdraw_day": _withdraw_days(model, parts, start_day, seed, rep),
        "u_triage": triage[:, 0],
        "u_triage_again": triage[:, 1],
        "u_outcome": outcome[:, 0],
        "u_rereferral": reref[:, 0],
        "rereferral_delay_days": reref_delay,
        "workshop_u": _by_child(workshops[:, :, 0]),
        "workshop_met_u": _by_child(workshops[:, :, 1]),
        "dna_counts": _dna_counts(pathway.dna.probability, dna_u),
    }


def _withdraw_days(
    model: Model,
    parts: Sequence[tuple[str, np.ndarray]],
    start_day: np.ndarray,
    seed: int,
    rep: int,
) -> np.ndarray:
    """The day each child would give up waiting: exponential patience, from its own
    `withdrawal` stream, from its start (never for a hazard below 1e-12 a week)."""
    hazard = model.scenario.pathway.withdrawal.weekly_hazard
    if hazard <= 1e-12:  # below that, nobody leaves within any horizon
        return np.full(start_day.size, np.inf)
    rate_per_day = -np.log1p(-min(hazard, 1 - 1e-12)) / 7.0
    gens = streams(seed, rep, [f"{name}/withdrawal" for name, _ in parts])
    patience = [
        g.exponential(1.0 / rate_per_day, d.size) for g, (_, d) in zip(gens, parts, strict=True)
    ]
    return np.maximum(start_day, 0.0) + np.concatenate(patience)


def _by_child(values: np.ndarray) -> np.ndarray:
    """(workshops, children) values as a C-ordered (children, workshops) array (np.stack
    is the quickest way: numpy gathers rows of a strided array slowly)."""
    return np.stack(list(values), axis=1) if len(values) else np.empty((values.shape[1], 0))


def _dna_counts(p_dna: float, u: np.ndarray) -> np.ndarray:
    """Appointments missed before each step is attended: geometric, by inversion."""
    if p_dna <= 0:
        return np.zeros(u.shape, np.int64)
    counts = np.subtract(1.0, u)
    np.log(counts, out=counts)
    counts /= np.log(p_dna)
    return np.floor(counts, out=counts).astype(np.int64)
