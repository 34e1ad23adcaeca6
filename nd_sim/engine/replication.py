"""The pathway engine: one replication as a pure function of (model, replication, seed).

The children and their random habits are drawn in bulk (`cohort.py`, `habits.py`, with
compiled passes over all children in `bulk.py`); the weekly timetable of the service then
runs compiled (`kernel.py`), and its arrays become a `RawResults`. `reference.py` is the
same model written plainly with SimPy: slower, easier to read, and the yardstick the
compiled engine must match exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nd_sim.engine.codes import (
    APPOINTMENTS,
    ASSESSED,
    IN_ASSESSMENT,
    MET_BY_WORKSHOP,
    N_CHILDREN,
    NOT_TRIAGED,
    POOL_SHORT,
    SCRATCH_ROWS,
    SIGNPOSTED,
    TRIAGE,
    TRIAGE_ACCEPTED,
    WAITING,
    WAITING_FIRST,
    WEEKS_RUN,
    WITHDRAWN,
)
from nd_sim.engine.cohort import NEW_REFERRAL, Cohort, attributes_of, draw_cohort
from nd_sim.engine.habits import HABIT_COLUMNS, habits
from nd_sim.engine.parameters import replication_model
from nd_sim.engine.raw import RawResults, return_roots
from nd_sim.inputs.model import Model

if TYPE_CHECKING:
    from nd_sim.engine.state import State

__all__ = ["ASSESSED", "MET_BY_WORKSHOP", "SIGNPOSTED", "WAITING", "WITHDRAWN", "run_replication"]

POOL_ROWS = 256  # returning children's habits are drawn in blocks of this many per district
_REREFERRAL_REASONS = ("", "no_nd", "signposted", "withdrawn", "met_by_workshop")  # by exit code


def run_replication(model: Model, replication: int, seed: int) -> RawResults:
    """Simulate one replication and return its compact per-child and per-week arrays.

    Under parameter uncertainty the replication runs at its own draw of the uncertain
    inputs (`nd_sim.engine.parameters`); a model already drawn runs as it is.
    """
    model = replication_model(model, replication, seed)
    cohort, state, start = simulated(model, replication, seed)
    return raw_results(model, cohort, state, start, replication)


def simulated(
    model: Model, replication: int, seed: int, districts: list[int] | None = None
) -> tuple[Cohort, State, tuple[np.ndarray, np.ndarray]]:
    """The cohort and the kernel's state after the run, and today's list's stages and
    steps; `districts` simulates only their children (a part of a split replication:
    every team's timetable still runs, so that events keep their numbers)."""
    from nd_sim.engine.kernel import simulate  # here: a parallel run's parent process never
    from nd_sim.engine.state import kernel_state  # simulates; numba costs 60 MB and 0.3 s to load

    cohort = draw_cohort(model, seed, replication, districts)
    returning = model.scenario.pathway.rereferral
    some = int(returning.probability > 0 and bool(returning.after))
    mine = set(range(len(model.districts)) if districts is None else districts)
    blocks = [some if d in mine else 0 for d in range(len(model.districts))]
    drawn: dict[tuple[int, int], dict] = {}
    while True:
        pools = _pools(model, seed, replication, blocks, drawn)
        state, start_stage, start_step = _state(model, cohort, pools)
        simulate(kernel_state(state))
        if not state.counters[POOL_SHORT]:
            return cohort, state, (start_stage, start_step)
        blocks = _more_blocks(blocks, state, model.weeks)


def _more_blocks(blocks: list[int], state: State, weeks: int) -> list[int]:
    """Blocks of habits for another attempt (rare: families come back a lot). The kernel
    stopped at the end of the week a district ran short: each such district gets what its
    pace so far projects to the horizon, with a margin, and at least twice what it had."""
    weeks_run = int(state.counters[WEEKS_RUN])
    out = list(blocks)
    for d in np.flatnonzero(state.pool_next > state.pool_len):
        projected = state.pool_next[d] * weeks / weeks_run * 1.25
        out[d] = max(2 * blocks[d], int(np.ceil(projected / POOL_ROWS)))
    return out


def _fixed_probabilities(model: Model) -> list[tuple[float, float]] | None:
    """Accept and signpost chances per district when they never change (None if they do)."""
    tri = model.scenario.pathway.triage
    if model.scenario.demand.criteria_changes:
        return None
    out = []
    for scale in model.accept_multiplier:
        p_acc = min(1.0, tri.accept * float(scale[0]))
        p_more = min(tri.more_information, 1.0 - p_acc)
        out.append((p_acc, max(0.0, 1.0 - p_acc - p_more)))
    return out


def _habit_columns(
    model: Model, rows: dict[str, np.ndarray], district: np.ndarray, fixed: list | None
) -> dict:
    """Per child: triage answers (or draws), outcome, return, workshops; both triage forms.
    `fixed` is `_fixed_probabilities(model)`, worked out once by the caller."""
    out = habits(model, fixed, rows, district)
    n = district.size
    for key, dtype in (("decision", np.int64), ("again", np.int64)):
        out.setdefault(key, np.zeros(n, dtype))
    for key in ("u_triage", "u_triage_again"):
        out.setdefault(key, np.zeros(n))
    return out


_POOL_FIELDS = {  # the kernel's pool arrays: the habit each holds, and its type
    "pool_wd": ("withdraw_day", np.float64),
    "pool_delay": ("rereferral_delay_days", np.float64),
    "pool_decision": ("decision", np.int64),
    "pool_again": ("again", np.int64),
    "pool_u_tri": ("u_triage", np.float64),
    "pool_u_tri2": ("u_triage_again", np.float64),
    "pool_outcome_of": ("outcome_of", np.int64),
    "pool_returns": ("returns", np.bool_),
    "pool_met": ("met_mask", np.int64),
    "pool_wanted": ("wanted", np.int64),
    "pool_dna": ("dna_counts", np.int64),
}


def _pools(
    model: Model, seed: int, replication: int, blocks: list[int], drawn: dict
) -> dict[str, np.ndarray]:
    """Returning children's habits, `blocks[d]` blocks of rows for district d, as
    (districts, rows) arrays: each block from a stream named by district and block, so
    that a shock in one team never changes another team's returning children. Blocks
    already in `drawn` (from an earlier attempt) are reused, new ones added to it."""
    new = [(d, b) for d in range(len(blocks)) for b in range(blocks[d]) if (d, b) not in drawn]
    drawn.update(_pool_blocks(model, seed, replication, new))
    n_d, n_rows = len(model.districts), POOL_ROWS * max(blocks, default=0)
    used = [(d, b) for d in range(n_d) for b in range(blocks[d])]
    rows = (
        np.array([d * n_rows + b * POOL_ROWS for d, b in used], np.int64)[:, None]
        + np.arange(POOL_ROWS)
    ).ravel()  # where each block's rows go, flattened
    out = {}
    for field, (key, dtype) in _POOL_FIELDS.items():
        width = (model.n_steps,) if key == "dna_counts" else ()
        column = np.zeros((n_d * n_rows, *width), dtype)
        if used:
            column[rows] = np.concatenate([drawn[block][key] for block in used])
        out[field] = column.reshape(n_d, n_rows, *width)
    out["pool_next"] = np.zeros(n_d, np.int64)
    out["pool_len"] = np.array(blocks, np.int64).reshape(n_d) * POOL_ROWS
    return out


def _pool_blocks(
    model: Model, seed: int, replication: int, which: list[tuple[int, int]]
) -> dict[tuple[int, int], dict]:
    """Blocks (district d, block b) of returning families' habits, each from its own
    stream, `rereferrals/<district>/<b>`; the arithmetic runs once over all of them."""
    if not which:
        return {}
    zeros = np.zeros(POOL_ROWS)
    names = [(f"rereferrals/{model.districts[d]}/{b}", zeros) for d, b in which]
    rows = attributes_of(model, names, seed, replication)
    district = np.repeat(np.array([d for d, _ in which], np.int64), POOL_ROWS)
    habit = _habit_columns(model, rows, district, _fixed_probabilities(model))
    for key in ("withdraw_day", "rereferral_delay_days", "dna_counts"):
        habit[key] = rows[key]
    return {
        block: {key: values[k * POOL_ROWS : (k + 1) * POOL_ROWS] for key, values in habit.items()}
        for k, block in enumerate(which)
    }


def _state(model: Model, cohort: Cohort, pools: dict[str, np.ndarray]) -> tuple:
    """The kernel's arrays for one replication, and today's list's stages and, for those
    inside the assessment, steps as placed (-1 for the others)."""
    from nd_sim.engine.state import State

    n0 = len(cohort)
    cap = n0 + pools["pool_wd"].size  # room for every returning child the pools allow
    stage = cohort.start_stage.astype(np.int64)
    arriving = (stage == NEW_REFERRAL) | (stage == TRIAGE)
    steps = np.where(stage == WAITING_FIRST, 0, cohort.start_step).astype(np.int64)
    stage[~arriving & (steps == 0)] = 1  # a one-appointment pathway has no 'in assessment'
    children = _children(model, cohort, cap, arriving)
    children["start_place"] = np.where(arriving, -1, steps)
    children["start_ready"] = _grow(cohort.start_ready_day, cap, np.float64)
    queues = _queues(model, cohort, cap, arriving, stage, children["team"], pools)
    state = State(**children, **pools, **queues, **_schedule(model), n_initial=n0)
    return state, stage, np.where(stage == IN_ASSESSMENT, steps, -1)


def _children(model: Model, cohort: Cohort, cap: int, arriving: np.ndarray) -> dict:
    """Per-child inputs and outputs, `cap` rows: the cohort first, then returning children."""
    n0, n_steps = len(cohort), model.n_steps
    draws = {k: getattr(cohort, k) for k in HABIT_COLUMNS}
    habit = _habit_columns(model, draws, cohort.district, _fixed_probabilities(model))
    dist = _grow(cohort.district, cap, np.int64)
    tri_t = np.full(cap, np.nan)
    tri_t[:n0][~arriving] = cohort.referral_day[~arriving]  # today's list: triaged
    tri_res = np.full(cap, NOT_TRIAGED, np.int64)
    tri_res[:n0][~arriving] = TRIAGE_ACCEPTED
    dna_left = np.zeros((n_steps, cap), np.int64)
    dna_left[:, :n0] = cohort.dna_counts.T
    return {
        "ref_t": _grow(cohort.referral_day, cap, np.float64),
        "dist": dist,
        "team": np.asarray(model.team_of_district, np.int64)[dist],
        "prio": _grow(cohort.priority, cap, np.int64),
        "wd_t": _grow(cohort.withdraw_day, cap, np.float64),
        "dna_left": dna_left,
        "delay": _grow(cohort.rereferral_delay_days, cap, np.float64),
        "decision": _grow(habit["decision"], cap, np.int64),
        "again": _grow(habit["again"], cap, np.int64),
        "u_tri": _grow(habit["u_triage"], cap, np.float64),
        "u_tri2": _grow(habit["u_triage_again"], cap, np.float64),
        "outcome_of": _grow(habit["outcome_of"], cap, np.int64),
        "returns": _grow(habit["returns"], cap, np.bool_),
        "met_mask": _grow(habit["met_mask"], cap, np.int64),
        "wanted": _grow(habit["wanted"], cap, np.int64),
        "parent": np.full(cap, -1, np.int64),
        "born": np.full(cap, -1, np.int64),
        "tri_t": tri_t,
        "tri_res": tri_res,
        "first_t": np.full(cap, np.nan),
        "out_t": np.full(cap, np.nan),
        "exit_t": np.full(cap, np.nan),
        "exit_code": np.full(cap, WAITING, np.int64),
        "outcome": np.full(cap, -1, np.int64),
        "n_dna": np.zeros(cap, np.int64),
        "ws_mask": np.zeros(cap, np.int64),
        "outsourced": np.zeros(cap, np.bool_),
        "more_info": np.zeros(cap, np.bool_),
        "step_day": np.full((n_steps, cap), np.nan),
    }


def _queues(
    model: Model,
    cohort: Cohort,
    cap: int,
    arriving: np.ndarray,
    stage: np.ndarray,
    team: np.ndarray,
    pools: dict[str, np.ndarray],
) -> dict:
    """Arrivals by team, withdrawals in time order, empty heaps and buffers, counters.

    A child is in a queue at most once at a time, and only in its own team's queues (or
    its pool's shared list), so each queue has room for its team's children: the cohort's,
    and as many returning children as its districts' pools allow (`queue_places`). The
    withdrawal heap also holds the stale entries of children whose patience was restarted
    by a missed first appointment, so it has a place for each such DNA as well.
    """
    from nd_sim.engine.bulk import grouped, stable_argsort  # compiled, like the kernel

    n0 = len(cohort)
    n_teams = len(model.teams)
    n_ws = len(model.scenario.pathway.workshops)
    arriving_ids = np.flatnonzero(arriving)  # by team, in child order within a team
    by_team, per_team = grouped(team[arriving_ids], n_teams)
    arrivals = arriving_ids[by_team]
    ends = np.cumsum(per_team)
    wd = cohort.withdraw_day
    at_risk = np.flatnonzero((wd < model.days) & (stage != IN_ASSESSMENT))
    order = at_risk[stable_argsort(wd[at_risk])]  # ties by child
    n_dna_first = int(cohort.dna_counts[:, 0].sum()) + int(pools["pool_dna"][..., 0].sum())
    wd_cap = cap + n_dna_first
    places = queue_places(model, cohort, team[:n0], pools["pool_len"])
    children = places["children"]
    heap_off = _offsets(places["heaps"])
    tq_off, wq_off = _offsets(children), _offsets(np.repeat(children, n_ws))
    return {
        "arr_ids": arrivals,
        "arr_days": cohort.referral_day[arrivals].astype(np.float64),
        "arr_ptr": ends - per_team,
        "arr_end": ends,
        "heap_day": np.empty(heap_off[-1]),
        "heap_child": np.empty(heap_off[-1], np.int64),
        "heap_off": heap_off[:-1].copy(),
        "heap_size": np.zeros(heap_off.size - 1, np.int64),
        "wd_day": np.empty(wd_cap),
        "wd_child": np.empty(wd_cap, np.int64),
        "wd_off": np.zeros(1, np.int64),
        "wd_size": np.zeros(1, np.int64),
        "wd_times": wd[order].astype(np.float64),
        "wd_ids": order.astype(np.int64),
        "tq": np.empty(tq_off[-1], np.int64),
        "tq_off": tq_off[:-1].copy(),
        "tq_cap": np.maximum(children, 1),
        "tq_head": np.zeros(n_teams, np.int64),
        "tq_len": np.zeros(n_teams, np.int64),
        "wq": np.empty(wq_off[-1], np.int64),
        "wq_off": wq_off[:-1].copy(),
        "wq_head": np.zeros(n_teams * n_ws, np.int64),
        "wq_tail": np.zeros(n_teams * n_ws, np.int64),
        "buf": np.empty((SCRATCH_ROWS, cap), np.int64),
        "outsourced_ids": np.empty(cap, np.int64),
        "counters": np.array([n0, 0, 0, 0, 0, 0, 0, 0], np.int64),
        "ob_count": np.zeros(len(model.capacity.outsourcing), np.int64),
        "credit": np.zeros((n_teams, len(model.priority_shares))),
        "used": np.zeros((n_teams, model.weeks, len(model.professions))),
        "hours_left": np.zeros((3, len(model.professions))),
        "ws_order": np.arange(n_teams * n_ws, dtype=np.int64),  # SimPy's order at the start
    }


def queue_places(
    model: Model, cohort: Cohort, team: np.ndarray, pool_len: np.ndarray
) -> dict[str, np.ndarray]:
    """How many children each team and each heap (in `kernel.h_new` ... `h_follow` order)
    can hold at once: a team's cohort children, and the returning children its districts'
    pools allow.
    A new-patient list holds its class's cohort children of every team booking from it; a
    returning children's list, the pool rows of those teams; follow-up heaps start at the
    second step (the first appointment is booked from the lists)."""
    n_teams, n_classes, n_steps = len(model.teams), len(model.priority_shares), model.n_steps
    pairs = team * n_classes + cohort.priority  # (team, class) as one number
    listed = np.bincount(pairs, minlength=n_teams * n_classes).reshape(n_teams, n_classes)
    returning = np.zeros(n_teams, np.int64)
    np.add.at(returning, np.asarray(model.team_of_district, np.int64), pool_len)
    children = listed.sum(axis=1) + returning
    lists = list_teams(model.scenario, model.teams)
    new = np.zeros((n_teams, n_classes), np.int64)
    back = np.zeros((n_teams, n_classes), np.int64)
    np.add.at(new, lists, listed)
    np.add.at(back, lists, returning[:, None] * np.ones(n_classes, np.int64))
    follow = np.repeat(children[:, None], n_steps, axis=1)
    follow[:, 0] = 0
    heaps = np.concatenate(
        [new.ravel(), back.ravel(), returning, children, children, follow.ravel()]
    )
    return {"children": children, "heaps": heaps}


def _offsets(sizes: np.ndarray) -> np.ndarray:
    """Where each of a flat array's parts starts, and (last) the array's length."""
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _schedule(model: Model) -> dict:
    """What the scenario fixes: hours, needs, policies, workshops, outsourced blocks."""
    sc = model.scenario
    n_teams, n_districts = len(model.teams), len(model.districts)
    step_prof, step_h, step_nk = _needs(model.step_hours)
    tri_prof, tri_h, tri_nk = _needs((model.triage_hours,))
    blocks = model.capacity.outsourcing
    tri = sc.pathway.triage
    reref_after = set(sc.pathway.rereferral.after)
    block_teams = [{model.team_of_district[d] for d in b.districts} for b in blocks]
    return {
        "avail": np.ascontiguousarray(np.transpose(model.capacity.hours, (0, 2, 1)), np.float64),
        "triage_prof": tri_prof[0, : tri_nk[0]].copy(),
        "triage_h": tri_h[0, : tri_nk[0]].copy(),
        "step_prof": step_prof,
        "step_h": step_h,
        "step_nk": step_nk,
        "gap_days": np.array([max(7.0, g) for g in model.step_gap_days], np.float64),
        "accept_mult": np.stack([np.asarray(a, np.float64) for a in model.accept_multiplier]),
        "slot_shares": np.array([s or 0.0 for s in model.slot_shares], np.float64),
        "ws_every": np.array([w.every_weeks for w in sc.pathway.workshops], np.int64),
        "ws_places": np.array([w.places_per_session for w in sc.pathway.workshops], np.int64),
        "ob_per_week": np.array([b.per_week for b in blocks], np.int64).reshape(
            len(blocks), model.weeks
        ),
        "ob_allowed": np.array(
            [[d in b.districts for d in range(n_districts)] for b in blocks], np.bool_
        ).reshape(len(blocks), n_districts),
        "ob_teams": np.array(
            [[t in teams for t in range(n_teams)] for teams in block_teams], np.bool_
        ).reshape(len(blocks), n_teams),
        "ob_price": np.array([b.price_gbp_each for b in blocks], np.float64),
        "ob_weeks": np.array([b.weeks_to_outcome for b in blocks], np.float64),
        "reref_ok": np.array([r in reref_after for r in _REREFERRAL_REASONS], np.bool_),
        "n_teams": n_teams,
        "n_classes": len(model.priority_shares),
        "n_steps": model.n_steps,
        "n_workshops": len(sc.pathway.workshops),
        "days": int(model.days),
        "weeks": int(model.weeks),
        "triage_on": bool(tri.enabled),
        "panel_every": int(tri.panel_every_weeks),
        "fixed": not sc.demand.criteria_changes,
        "p_accept": float(tri.accept),
        "p_more": float(tri.more_information),
        "more_delay": float(tri.more_information_delay_weeks * 7.0),
        "triage_share": float(tri.max_share_of_hours),
        "lead_days": float(sc.booking.lead_time_weeks * 7.0),
        "new_share": float(sc.booking.new_patient_share),
        "discharge_after": int(sc.pathway.dna.discharge_after or 0),
        "queue_order": int(model.queue_order),
        "list_team": list_teams(sc, model.teams),
        "pool_overhead": float(sc.booking.pool_travel_overhead_share),
    }


def list_teams(sc, teams: tuple[str, ...]) -> np.ndarray:
    """Each team's new-patient list: its own, or its pool's (that of the pool's first team
    in the scenario's team order)."""
    out = np.arange(len(teams), dtype=np.int64)
    for pool in sc.booking.pools:
        members = sorted(teams.index(t) for t in pool)
        out[members] = members[0]
    return out


def _grow(values: np.ndarray, size: int, dtype: type) -> np.ndarray:
    """`values` at the front of a `size`-long array (the rest is for returning children)."""
    out = np.zeros(size, dtype)
    out[: values.size] = values
    return out


def _needs(table: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profession-hours needs as (rows, k) arrays of professions and hours, and row lengths."""
    width = max((len(row) for row in table), default=0) or 1
    prof = np.zeros((len(table), width), np.int64)
    hours = np.ones((len(table), width), np.float64)
    for r, row in enumerate(table):
        for k, (p, h) in enumerate(row):
            prof[r, k], hours[r, k] = p, h
    return prof, hours, np.array([len(row) for row in table], np.int64)


def outsourced_cost_gbp(model: Model, taken: np.ndarray) -> float:
    """What the outsourced blocks cost: children each took x its price (a sum a split run
    can add up from its parts exactly)."""
    prices = np.array([b.price_gbp_each for b in model.capacity.outsourcing], np.float64)
    return float(np.dot(np.asarray(taken, np.float64), prices))


def raw_results(
    model: Model, cohort: Cohort, s: State, start: tuple[np.ndarray, np.ndarray], replication: int
) -> RawResults:
    """Compact arrays, trimmed to the children there were: views of the arrays the kernel
    has finished with (copying them cost 0.3 ms a replication), copies where the type or
    layout changes; `start` holds today's list's stages and steps."""
    start_stage, start_step = start
    n0, n = s.n_initial, int(s.counters[N_CHILDREN])
    parent = s.parent[n0:n].copy()
    root = return_roots(parent, n0)

    def with_returns(values: np.ndarray, dtype: type) -> np.ndarray:
        return np.concatenate([values, values[root]]).astype(dtype)

    return RawResults(
        replication=replication,
        referral_day=s.ref_t[:n],
        district=with_returns(cohort.district, np.int16),
        pathway=with_returns(cohort.pathway, np.int8),
        priority=with_returns(cohort.priority, np.int8),
        start_stage=np.concatenate([start_stage, np.full(n - n0, NEW_REFERRAL)]).astype(np.int8),
        parent=np.concatenate([np.full(n0, -1), parent]).astype(np.int32),
        triage_day=s.tri_t[:n],
        triage_result=s.tri_res[:n].astype(np.int8),
        more_information=s.more_info[:n],
        first_day=s.first_t[:n],
        outcome_day=s.out_t[:n],
        exit_day=s.exit_t[:n],
        exit_code=s.exit_code[:n].astype(np.int8),
        outcome=s.outcome[:n].astype(np.int8),
        dna=s.n_dna[:n].astype(np.int16),
        workshops=s.ws_mask[:n].astype(np.int16),
        outsourced=s.outsourced[:n],
        step_day=s.step_day[:, :n].copy(),
        hours_available=model.capacity.hours,  # the schedule: no randomness
        hours_used=np.transpose(s.used, (0, 2, 1)),
        outsourced_cost_gbp=outsourced_cost_gbp(model, s.ob_count),
        appointments=int(s.counters[APPOINTMENTS]),
        starting_ids=cohort.starting_ids,
        start_step=np.concatenate([start_step, np.full(n - n0, -1)]).astype(np.int8),
    )
