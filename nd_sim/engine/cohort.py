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
from nd_sim.engine.rng import stream, streams
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
    starting = backlog.concat(
        model.starting, backlog.profile_children(model.scenario, seed, replication)
    )
    which = list(range(len(model.districts))) if districts is None else list(districts)
    if which != sorted(set(which)):
        raise ValueError(f"districts must be ascending and distinct, not {which}")
    names = [f"children/{model.districts[d]}" for d in which]
    rates = [model.rates_per_day[d] for d in which]
    times = demand.referral_times_many(
        rates, seed, replication, [model.districts[d] for d in which]
    )
    n0 = len(starting)
    parts = [("starting", np.zeros(n0)), *zip(names, times, strict=True)]
    columns = attributes_of(model, parts, seed, replication)
    first = _starting_part(model, starting, seed, replication)
    first["source"] = np.zeros(n0, np.int64)  # where each row came from, for a merge
    first["source_row"] = np.arange(n0, dtype=np.int64)
    new = _new_children(model, times, which, names, seed, replication)
    for key in first:
        columns[key] = np.concatenate([first[key], new[key]])
    mine = np.ones(columns["referral_day"].size, bool)
    if districts is not None:
        mine[:n0] = np.isin(starting.district, which)
    kept = np.flatnonzero(mine)
    order = kept[np.argsort(columns["referral_day"][kept], kind="stable")]
    return Cohort(**{k: v[order] for k, v in columns.items()}, starting_ids=_ids(starting, order))


def _ids(starting: backlog.StartingChildren, order: np.ndarray) -> tuple[str, ...]:
    """Starting ids in the sorted order (new referrals have no id from outside)."""
    ids = starting.ids
    return tuple(ids[i] for i in order[order < len(starting)].tolist())


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
    model: Model, times: list[np.ndarray], which: list[int], names: list[str], seed: int, rep: int
) -> dict[str, np.ndarray]:
    """Every district's new referrals, district after district: pathway and priority drawn
    from each district's own streams, picked through its own mix in one pass."""
    sizes = [t.size for t in times]
    n = sum(sizes)
    district = np.repeat(np.array(which, np.int64), sizes)

    def draws(what: str) -> np.ndarray:
        gens = streams(seed, rep, [f"{name}/{what}" for name in names])
        return np.concatenate([g.random(k) for g, k in zip(gens, sizes, strict=True)] or [[]])

    mixes = np.array([np.cumsum(model.mix_by_district[d]) for d in which], float)
    shares = np.cumsum(model.priority_shares)
    return dict(
        referral_day=np.concatenate(times) if times else np.empty(0),
        district=district,
        pathway=_pick_rows(draws("pathway"), mixes, np.repeat(np.arange(len(which)), sizes)),
        priority=_pick(draws("priority"), shares),
        start_stage=np.full(n, NEW_REFERRAL, np.int64),
        start_step=np.zeros(n, np.int64),
        start_ready_day=np.zeros(n),
        source=district + 1,
        source_row=np.concatenate([np.arange(k, dtype=np.int64) for k in sizes] or [[]]).astype(
            np.int64
        ),
    )


def _pick_rows(u: np.ndarray, cdfs: np.ndarray, row: np.ndarray) -> np.ndarray:
    """`_pick` with each child's own cdf, row `row[i]` of `cdfs`: the count of the
    normalised cdf's values at or below u is what searchsorted(side="right") gives."""
    normalised = cdfs / cdfs[:, -1:]
    k = (normalised[row] <= u[:, None]).sum(axis=1)
    return np.minimum(k, cdfs.shape[1] - 1).astype(np.int64)


def _pick(u: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), cdf.size - 1).astype(
        np.int64
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
    hazard = pathway.withdrawal.weekly_hazard
    leaves = hazard > 1e-12  # below that, nobody leaves within any horizon
    suffixes = ["withdrawal"] * leaves + [f"workshop/{kind}" for kind in kinds]
    suffixes += ["dna", "triage", "rereferral", "outcome"]
    # every stream of every group seeded in one batch, then taken in this order
    gens = streams(seed, rep, [f"{name}/{suffix}" for suffix in suffixes for name, _ in parts])

    def draws(width: int | None = None) -> np.ndarray:
        out = [next(gens).random(d.size if width is None else (d.size, width)) for _, d in parts]
        return np.concatenate(out) if out else np.empty(0 if width is None else (0, width))

    start_day = np.concatenate([d for _, d in parts]) if parts else np.empty(0)
    n = start_day.size
    if leaves:
        rate_per_day = -np.log1p(-min(hazard, 1 - 1e-12)) / 7.0
        patience = [next(gens).exponential(1.0 / rate_per_day, d.size) for _, d in parts]
        withdraw = np.maximum(start_day, 0.0) + np.concatenate(patience)
    else:
        withdraw = np.full(n, np.inf)
    workshop_u = np.empty((n, len(kinds)))
    workshop_met = np.empty((n, len(kinds)))
    for k in range(len(kinds)):
        pair = draws(2)
        workshop_u[:, k], workshop_met[:, k] = pair[:, 0], pair[:, 1]
    p_dna = pathway.dna.probability
    dna_u = 1.0 - draws(model.n_steps)
    if p_dna > 0:
        dna = np.floor(np.log(dna_u) / np.log(p_dna)).astype(np.int64)
    else:
        dna = np.zeros((n, model.n_steps), np.int64)
    triage = draws(2)
    reref = draws(2)
    delay_days = -np.log1p(-reref[:, 1]) * pathway.rereferral.delay_weeks_mean * 7.0
    u_outcome = draws()
    return {
        "withdraw_day": withdraw,
        "u_triage": triage[:, 0],
        "u_triage_again": triage[:, 1],
        "u_outcome": u_outcome,
        "u_rereferral": reref[:, 0],
        "rereferral_delay_days": delay_days,
        "workshop_u": workshop_u,
        "workshop_met_u": workshop_met,
        "dna_counts": dna,
    }
