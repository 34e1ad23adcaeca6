"""The children of one replication and everything random about each of them.

Each attribute comes from its own named stream, drawn in bulk, so that replication k of
two scenarios gives the same child the same pathway, triage result, DNA habits and
patience, whatever the staffing. The engine then only reads plain lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.engine.placement import assessment_places
from nd_sim.engine.rng import stream
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
    starting_ids: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.referral_day.size)


def draw_cohort(model: Model, seed: int, replication: int) -> Cohort:
    """All children of a replication: today's list plus every referral over the horizon."""
    starting = backlog.concat(
        model.starting, backlog.profile_children(model.scenario, seed, replication)
    )
    parts = [_starting_part(model, starting, seed, replication)]
    for d, name in enumerate(model.districts):
        times = demand.referral_times(model.rates_per_day[d], seed, replication, name)
        parts.append(_new_part(model, d, times, seed, replication))
    order = np.argsort(np.concatenate([p["referral_day"] for p in parts]), kind="stable")
    return Cohort(**_in_order(parts, order), starting_ids=_ids(starting, order))


def _in_order(parts: list[dict[str, np.ndarray]], order: np.ndarray) -> dict[str, np.ndarray]:
    """The parts' rows, concatenated, then taken in `order`: each part written straight to
    its places (no concatenated copy first; 2-d columns included)."""
    where = np.empty_like(order)
    where[order] = np.arange(order.size)
    bounds = np.cumsum([0] + [p["referral_day"].shape[0] for p in parts]).tolist()
    out = {}
    for key, first in parts[0].items():
        dtype = np.result_type(*(part[key] for part in parts))  # as np.concatenate would
        column = np.empty((order.size, *first.shape[1:]), dtype)
        for part, lo, hi in zip(parts, bounds[:-1], bounds[1:], strict=True):
            column[where[lo:hi]] = part[key]
        out[key] = column
    return out


def _ids(starting: backlog.StartingChildren, order: np.ndarray) -> tuple[str, ...]:
    """Starting ids in the sorted order (new referrals have no id from outside)."""
    ids = starting.ids
    return tuple(ids[i] for i in order[order < len(starting)].tolist())


def _starting_part(model: Model, starting: backlog.StartingChildren, seed: int, rep: int) -> dict:
    n = len(starting)
    part = attributes(model, n, "starting", seed, rep, start_day=np.zeros(n))
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
    part.update(
        referral_day=referral_day,
        district=starting.district,
        pathway=starting.pathway,
        priority=starting.priority,
        start_stage=starting.stage,
        start_step=np.where(inside, step, 0),
        start_ready_day=np.where(inside, ready, bookable),
    )
    return part


def _new_part(model: Model, d: int, times: np.ndarray, seed: int, rep: int) -> dict:
    n = times.size
    name = f"children/{model.districts[d]}"
    part = attributes(model, n, name, seed, rep, start_day=times)
    mix = np.cumsum(model.mix_by_district[d])
    shares = np.cumsum(model.priority_shares)
    part.update(
        referral_day=times,
        district=np.full(n, d, np.int64),
        pathway=_pick(stream(seed, rep, f"{name}/pathway").random(n), mix),
        priority=_pick(stream(seed, rep, f"{name}/priority").random(n), shares),
        start_stage=np.full(n, NEW_REFERRAL, np.int64),
        start_step=np.zeros(n, np.int64),
        start_ready_day=np.zeros(n),
    )
    return part


def _pick(u: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), cdf.size - 1).astype(
        np.int64
    )


def attributes(
    model: Model, n: int, name: str, seed: int, rep: int, start_day: np.ndarray
) -> dict[str, np.ndarray]:
    """The random habits of n children, each from a stream of its own name."""
    pathway = model.scenario.pathway
    hazard = pathway.withdrawal.weekly_hazard
    if hazard > 1e-12:  # below that, nobody leaves within any horizon
        rate_per_day = -np.log1p(-min(hazard, 1 - 1e-12)) / 7.0
        patience = stream(seed, rep, f"{name}/withdrawal").exponential(1.0 / rate_per_day, n)
        withdraw = np.maximum(start_day, 0.0) + patience
    else:
        withdraw = np.full(n, np.inf)
    kinds = [w.kind for w in pathway.workshops]
    workshop_u = np.empty((n, len(kinds)))
    workshop_met = np.empty((n, len(kinds)))
    for k, kind in enumerate(kinds):
        pair = stream(seed, rep, f"{name}/workshop/{kind}").random((n, 2))
        workshop_u[:, k], workshop_met[:, k] = pair[:, 0], pair[:, 1]
    p_dna = pathway.dna.probability
    dna_u = 1.0 - stream(seed, rep, f"{name}/dna").random((n, model.n_steps))
    if p_dna > 0:
        dna = np.floor(np.log(dna_u) / np.log(p_dna)).astype(np.int64)
    else:
        dna = np.zeros((n, model.n_steps), np.int64)
    triage = stream(seed, rep, f"{name}/triage").random((n, 2))
    reref = stream(seed, rep, f"{name}/rereferral").random((n, 2))
    delay_days = -np.log1p(-reref[:, 1]) * pathway.rereferral.delay_weeks_mean * 7.0
    return {
        "withdraw_day": withdraw,
        "u_triage": triage[:, 0],
        "u_triage_again": triage[:, 1],
        "u_outcome": stream(seed, rep, f"{name}/outcome").random(n),
        "u_rereferral": reref[:, 0],
        "rereferral_delay_days": delay_days,
        "workshop_u": workshop_u,
        "workshop_met_u": workshop_met,
        "dna_counts": dna,
    }
