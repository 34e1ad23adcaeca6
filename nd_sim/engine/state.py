"""The compiled engine's state: what one replication reads and writes, and its numba type.

`State` gathers the arrays in Python (`engine.py` fills it). Each field is annotated with
its numba type: arrays are C-contiguous, of one dimension (``F1``: float64, ``I1``: int64,
``B1``: bool) or more (``F2``, ``I3``, ...). The kernel's functions take the state as a
numba StructRef, by reference (one pointer per call), not as a tuple of ~100 arrays passed
by value: that keeps both the compile (15–20 s, once; numba caches it on disk) and
each call cheap.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import numba
from numba.core import types
from numba.experimental import structref

B1, B2 = types.boolean[::1], types.boolean[:, ::1]
F1, F2, F3 = types.float64[::1], types.float64[:, ::1], types.float64[:, :, ::1]
I1, I2, I3 = types.int64[::1], types.int64[:, ::1], types.int64[:, :, ::1]
_SCALARS = {"int": types.int64, "float": types.float64, "bool": types.boolean}


class State(NamedTuple):
    """Everything one replication reads and writes, as arrays (and a few constants)."""

    # per child (rows 0..n_initial-1: the cohort; then returning children as they come)
    ref_t: F1
    dist: I1
    team: I1
    prio: I1
    wd_t: F1
    dna_left: I2  # (steps, children)
    delay: F1
    decision: I1
    again: I1
    u_tri: F1
    u_tri2: F1
    outcome_of: I1
    returns: B1
    met_mask: I1
    wanted: I1
    parent: I1
    born: I1  # a returning child: 2 x the event it came back in, + 1 unless a withdrawal
    start_place: I1  # today's list: its first queue's step; -1: an arrival
    start_ready: F1  # today's list inside the assessment: ready day for that step
    # outputs per child
    tri_t: F1
    tri_res: I1
    first_t: F1
    out_t: F1
    exit_t: F1
    exit_code: I1
    outcome: I1
    n_dna: I1
    ws_mask: I1
    outsourced: B1
    more_info: B1
    step_day: F2  # (steps, children)
    # re-referral habits, drawn ahead per district: (districts, rows)
    pool_wd: F2
    pool_delay: F2
    pool_decision: I2
    pool_again: I2
    pool_u_tri: F2
    pool_u_tri2: F2
    pool_outcome_of: I2
    pool_returns: B2
    pool_met: I2
    pool_wanted: I2
    pool_dna: I3  # (districts, rows, steps)
    pool_next: I1
    pool_len: I1  # rows drawn for each district (the rest of its row is padding)
    # queues
    arr_ids: I1  # arrivals: cohort children by team, in referral order
    arr_days: F1
    arr_ptr: I1  # (teams,) next arrival
    arr_end: I1  # (teams,)
    heap_day: F1  # every heap's entries, heap h's from heap_off[h] (`kernel.h_new`...)
    heap_child: I1
    heap_off: I1  # (heaps,)
    heap_size: I1
    wd_day: F1  # the heap of withdrawals added during the run
    wd_child: I1
    wd_off: I1  # (1,): zero
    wd_size: I1
    wd_times: F1  # withdrawals known at the start, in (day, child) order
    wd_ids: I1
    tq: I1  # triage queues, a ring buffer per team from tq_off[team], of tq_cap[team] places
    tq_off: I1
    tq_cap: I1
    tq_head: I1
    tq_len: I1
    wq: I1  # workshop sign-ups in order, per (team, workshop) from wq_off[team * workshops + k]
    wq_off: I1
    wq_head: I1
    wq_tail: I1
    buf: I2  # (6, capacity): scratch lists of children
    outsourced_ids: I1
    counters: I1
    ob_count: I1  # (blocks,): children each outsourced block took
    credit: F2  # (teams, classes)
    list_team: I1  # (teams,): whose new-patient list each team books from (pools share one)
    # capacity
    avail: F3  # (teams, weeks, professions)
    used: F3
    hours_left: F2  # (3, professions): a clinic week's scratch (no allocation a team-week)
    triage_prof: I1
    triage_h: F1
    step_prof: I2  # (steps, k)
    step_h: F2
    step_nk: I1
    gap_days: F1
    accept_mult: F2  # (districts, days + 1)
    slot_shares: F1
    ws_every: I1
    ws_places: I1
    ws_order: I1  # (teams * workshops,): sessions in the order SimPy resumes same-time ones
    ob_per_week: I2  # (blocks, weeks)
    ob_allowed: B2  # (blocks, districts)
    ob_teams: B2  # (blocks, teams)
    ob_price: F1
    ob_weeks: F1
    reref_ok: B1  # by exit code; ASSESSED means "assessed, no ND"
    # constants
    n_initial: int
    n_teams: int
    n_classes: int
    n_steps: int
    n_workshops: int
    days: int
    weeks: int
    triage_on: bool
    panel_every: int
    fixed: bool
    p_accept: float
    p_more: float
    more_delay: float
    triage_share: float
    lead_days: float
    new_share: float
    discharge_after: int
    queue_order: int
    pool_overhead: float  # extra share of first-appointment hours for another team's child


@structref.register
class _StateType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


def _numba_type(code: object) -> types.Type:
    name = getattr(code, "__forward_arg__", code)  # NamedTuple keeps annotations as refs
    return _SCALARS.get(name) or globals()[name]


STATE_TYPE = _StateType([(name, _numba_type(code)) for name, code in State.__annotations__.items()])


class CompiledState(structref.StructRefProxy):
    """The kernel's state as Python holds it: only ever passed to `kernel.simulate`."""


structref.define_boxing(_StateType, CompiledState)


def kernel_state(t: State) -> CompiledState:
    """The state the kernel runs on: a StructRef when compiled; with numba's JIT switched
    off (``NUMBA_DISABLE_JIT=1``: the pure-Python path, for coverage and debugging) a plain
    namespace with the same fields, since a StructRef cannot be made outside compiled code."""
    if numba.config.DISABLE_JIT:
        return SimpleNamespace(**t._asdict())
    return compiled_state(t)


@numba.njit(cache=True)
def compiled_state(t: State) -> CompiledState:
    """The kernel's state over the arrays `t` holds (shared: the kernel writes its outputs
    into them). Numba needs each field by name: one line per field of `State`, in order,
    written by `generate()` from `State` itself (a test checks they agree)."""
    s = structref.new(STATE_TYPE)
    # generated from `State` by `python -m nd_sim.engine.state`: do not edit by hand
    s.ref_t = t.ref_t
    s.dist = t.dist
    s.team = t.team
    s.prio = t.prio
    s.wd_t = t.wd_t
    s.dna_left = t.dna_left
    s.delay = t.delay
    s.decision = t.decision
    s.again = t.again
    s.u_tri = t.u_tri
    s.u_tri2 = t.u_tri2
    s.outcome_of = t.outcome_of
    s.returns = t.returns
    s.met_mask = t.met_mask
    s.wanted = t.wanted
    s.parent = t.parent
    s.born = t.born
    s.start_place = t.start_place
    s.start_ready = t.start_ready
    s.tri_t = t.tri_t
    s.tri_res = t.tri_res
    s.first_t = t.first_t
    s.out_t = t.out_t
    s.exit_t = t.exit_t
    s.exit_code = t.exit_code
    s.outcome = t.outcome
    s.n_dna = t.n_dna
    s.ws_mask = t.ws_mask
    s.outsourced = t.outsourced
    s.more_info = t.more_info
    s.step_day = t.step_day
    s.pool_wd = t.pool_wd
    s.pool_delay = t.pool_delay
    s.pool_decision = t.pool_decision
    s.pool_again = t.pool_again
    s.pool_u_tri = t.pool_u_tri
    s.pool_u_tri2 = t.pool_u_tri2
    s.pool_outcome_of = t.pool_outcome_of
    s.pool_returns = t.pool_returns
    s.pool_met = t.pool_met
    s.pool_wanted = t.pool_wanted
    s.pool_dna = t.pool_dna
    s.pool_next = t.pool_next
    s.pool_len = t.pool_len
    s.arr_ids = t.arr_ids
    s.arr_days = t.arr_days
    s.arr_ptr = t.arr_ptr
    s.arr_end = t.arr_end
    s.heap_day = t.heap_day
    s.heap_child = t.heap_child
    s.heap_off = t.heap_off
    s.heap_size = t.heap_size
    s.wd_day = t.wd_day
    s.wd_child = t.wd_child
    s.wd_off = t.wd_off
    s.wd_size = t.wd_size
    s.wd_times = t.wd_times
    s.wd_ids = t.wd_ids
    s.tq = t.tq
    s.tq_off = t.tq_off
    s.tq_cap = t.tq_cap
    s.tq_head = t.tq_head
    s.tq_len = t.tq_len
    s.wq = t.wq
    s.wq_off = t.wq_off
    s.wq_head = t.wq_head
    s.wq_tail = t.wq_tail
    s.buf = t.buf
    s.outsourced_ids = t.outsourced_ids
    s.counters = t.counters
    s.ob_count = t.ob_count
    s.credit = t.credit
    s.list_team = t.list_team
    s.avail = t.avail
    s.used = t.used
    s.hours_left = t.hours_left
    s.triage_prof = t.triage_prof
    s.triage_h = t.triage_h
    s.step_prof = t.step_prof
    s.step_h = t.step_h
    s.step_nk = t.step_nk
    s.gap_days = t.gap_days
    s.accept_mult = t.accept_mult
    s.slot_shares = t.slot_shares
    s.ws_every = t.ws_every
    s.ws_places = t.ws_places
    s.ws_order = t.ws_order
    s.ob_per_week = t.ob_per_week
    s.ob_allowed = t.ob_allowed
    s.ob_teams = t.ob_teams
    s.ob_price = t.ob_price
    s.ob_weeks = t.ob_weeks
    s.reref_ok = t.reref_ok
    s.n_initial = t.n_initial
    s.n_teams = t.n_teams
    s.n_classes = t.n_classes
    s.n_steps = t.n_steps
    s.n_workshops = t.n_workshops
    s.days = t.days
    s.weeks = t.weeks
    s.triage_on = t.triage_on
    s.panel_every = t.panel_every
    s.fixed = t.fixed
    s.p_accept = t.p_accept
    s.p_more = t.p_more
    s.more_delay = t.more_delay
    s.triage_share = t.triage_share
    s.lead_days = t.lead_days
    s.new_share = t.new_share
    s.discharge_after = t.discharge_after
    s.queue_order = t.queue_order
    s.pool_overhead = t.pool_overhead
    # end of generated lines
    return s


GENERATED_START = (
    "    # generated from `State` by `python -m nd_sim.engine.state`: do not edit by hand\n"
)
GENERATED_END = "    # end of generated lines\n"


def generated_lines() -> str:
    """The body of `compiled_state`: one assignment per field of `State`, in order."""
    return "".join(f"    s.{name} = t.{name}\n" for name in State._fields)


def generate(path: Path = Path(__file__)) -> bool:
    """Rewrite `compiled_state`'s generated lines in this file; True if they changed."""
    text = path.read_text()
    start = text.index(GENERATED_START) + len(GENERATED_START)
    end = text.index(GENERATED_END, start)
    new = text[:start] + generated_lines() + text[end:]
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":
    generate()
