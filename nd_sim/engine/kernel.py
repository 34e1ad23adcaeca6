"""The pathway's weekly timetable, compiled: one replication in one call.

This is `reference.py`'s model, event for event: the same events at the same times of the
week, in the same order, taking children from the same queues in the same order, with the
same floating-point arithmetic. Its results are identical to the reference, child for
child (tests/test_kernel_validation.py checks it on many scenario variants). What differs
is only how the state is held: children are rows of arrays, queues are array heaps (below)
and ring buffers, and the week's events are a loop, not SimPy processes. The state is one
numba StructRef (`state.py`), built by `state.compiled_state`, passed to `simulate`.

Within a week: triage panels (day 0.0), outsourcing (0.1), booking and the week's clinics
(0.2; appointments are held on day 2.5) and workshop sessions (3.5).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from nd_sim.engine.state import State

# The exit codes and counters of `codes.py`, copied here because numba freezes them into
# this file's cache, which sees changes to this file only (tests check the copies agree).
# Numpy ints, not Python ints: numba would compile a function again for each literal value.
WAITING, ASSESSED, SIGNPOSTED, WITHDRAWN, MET_BY_WORKSHOP = np.arange(5, dtype=np.int64)
N_CHILDREN, APPOINTMENTS, WD_NEXT, N_OUTSOURCED, POOL_SHORT, WEEKS_RUN, EVENTS, IN_WD = range(8)
ACCEPT, SIGNPOST, MORE = np.arange(3, dtype=np.int64)
NOT_TRIAGED, TRIAGE_ACCEPTED, TRIAGE_SIGNPOSTED = np.arange(-1, 2, dtype=np.int64)
# the scratch rows of `State.buf`, each a list of children one event builds (rows are
# reused by events that never run at once); SCRATCH_ROWS of them
BACK, ACCEPTED, EXTRA, MISSED, ATTENDED, REBOOK = range(6)
TAKEN, SINGLE = BACK, MISSED
SCRATCH_ROWS = 6
NO_ND = np.int64(4)
FIRST, WD_HEAP, ONE, NONE = np.int64(0), np.int64(0), np.int64(1), np.int64(-1)
APPOINTMENT_DAY = 2.5
WORKSHOP_DAY = 3.5
EPS = 1e-9
NO_LIMIT = float(1 << 30)
ROOT = np.int64(0)  # a heap's top, typed as the positions are

# Everything compiled lives in this one file on purpose: numba's on-disk cache of a
# function is keyed on its own file only, so compiled code that called into another file
# would go stale, silently, when only that other file changed. (`NUMBA_BOUNDSCHECK=1` is
# not part of the cache key either: check bounds with a fresh `NUMBA_CACHE_DIR`.)
jit = numba.njit(cache=True, nogil=True)
# The heaps' own functions are inlined into their callers in numba's IR: reading a State's
# array counts a reference (a call to numba's runtime, and an atomic add), and numba drops
# such counts in pairs only where no call separates them. Inlined, a pop counts 2
# references, not 4 and the callee's own; the loop runs 10-13% faster (measured on
# Lancashire). Inlining the small wrappers below too made it slower (more code, more
# counts left); a 4- or 8-ary heap, or arrays without a reference count, changed nothing.
inline = numba.njit(cache=True, nogil=True, inline="always")


# ---------------------------------------------------------------------- array heaps
# Many heaps share two flat arrays: heap h's entries are ``day[b:b + size[h]]`` and
# ``child[b:b + size[h]]`` with ``b = off[h]``, each heap with room for the children who can
# be in it (`engine.queues`), so that memory grows with the children, not with children x
# heaps. Keys are compared as Python compares (day, child) tuples. Every key in a heap is
# distinct (a child is in a queue once at a time), so the order in which children leave a
# heap depends only on what is in it, exactly as with `heapq`.
@jit
def before(day_a: float, child_a: int, day_b: float, child_b: int) -> bool:
    """(day_a, child_a) < (day_b, child_b)."""
    return day_a < day_b or (day_a == day_b and child_a < child_b)


@inline
def heap_push(
    day: np.ndarray, child: np.ndarray, size: np.ndarray, off: np.ndarray, h: int, d: float, i: int
) -> None:
    """Add (d, i) to heap h."""
    pos = size[h]
    size[h] = pos + 1
    _sift_up(day, child, off[h], pos, d, i)


@inline
def _sift_up(day: np.ndarray, child: np.ndarray, b: int, pos: int, d: float, i: int) -> None:
    """Put (d, i) at `pos` or above, moving larger parents down (the heap starts at b)."""
    while pos > 0:
        up = (pos - 1) >> 1
        if not before(d, i, day[b + up], child[b + up]):
            break
        day[b + pos] = day[b + up]
        child[b + pos] = child[b + up]
        pos = up
    day[b + pos] = d
    child[b + pos] = i


@inline
def _sift_down(day: np.ndarray, child: np.ndarray, b: int, pos: int, n: int) -> None:
    d, i = day[b + pos], child[b + pos]
    while True:
        low = 2 * pos + 1
        if low >= n:
            break
        right = low + 1
        if right < n and before(day[b + right], child[b + right], day[b + low], child[b + low]):
            low = right
        if not before(day[b + low], child[b + low], d, i):
            break
        day[b + pos] = day[b + low]
        child[b + pos] = child[b + low]
        pos = low
    day[b + pos] = d
    child[b + pos] = i


@inline
def heap_pop(day: np.ndarray, child: np.ndarray, size: np.ndarray, off: np.ndarray, h: int) -> int:
    """Remove the smallest key of heap h (which must not be empty); return its child."""
    b = off[h]
    top = child[b]
    n = size[h] - 1
    size[h] = n
    if n > 0:
        day[b] = day[b + n]
        child[b] = child[b + n]
        _sift_down(day, child, b, ROOT, n)
    return top


@inline
def heap_remove_at(
    day: np.ndarray, child: np.ndarray, size: np.ndarray, off: np.ndarray, h: int, pos: int
) -> None:
    """Remove the entry at position `pos` of heap h (keeping it a heap)."""
    b = off[h]
    n = size[h] - 1
    size[h] = n
    if pos == n:
        return
    d, i = day[b + n], child[b + n]  # the last entry fills the hole, going up or down
    up = (pos - 1) >> 1
    if pos > 0 and before(d, i, day[b + up], child[b + up]):
        _sift_up(day, child, b, pos, d, i)
    else:
        day[b + pos] = d
        child[b + pos] = i
        _sift_down(day, child, b, pos, n)


# the state's queue heaps and its withdrawal heap, by number
@jit
def push(s: State, h: int, d: float, i: int) -> None:
    heap_push(s.heap_day, s.heap_child, s.heap_size, s.heap_off, h, d, i)


@jit
def pop(s: State, h: int) -> int:
    return heap_pop(s.heap_day, s.heap_child, s.heap_size, s.heap_off, h)


@jit
def top_day(s: State, h: int) -> float:
    return s.heap_day[s.heap_off[h]]


@jit
def child_at(s: State, h: int, pos: int) -> int:
    return s.heap_child[s.heap_off[h] + pos]


@jit
def wd_push(s: State, d: float, i: int) -> None:
    heap_push(s.wd_day, s.wd_child, s.wd_size, s.wd_off, WD_HEAP, d, i)


@jit
def wd_pop(s: State) -> int:
    return heap_pop(s.wd_day, s.wd_child, s.wd_size, s.wd_off, WD_HEAP)


# heap numbers: new-patient lists (cohort, by child), returning children's lists (by
# referral day), re-referrals, more-information returns, staging, follow-ups
@jit
def h_new(s: State, team: int, c: int) -> int:
    return s.list_team[team] * s.n_classes + c  # pooled teams share their first's list


@jit
def h_back(s: State, team: int, c: int) -> int:
    return (s.n_teams + s.list_team[team]) * s.n_classes + c


@jit
def h_reref(s: State, team: int) -> int:
    return 2 * s.n_teams * s.n_classes + team


@jit
def h_more(s: State, team: int) -> int:
    return 2 * s.n_teams * s.n_classes + s.n_teams + team


@jit
def h_staging(s: State, team: int) -> int:
    return 2 * s.n_teams * s.n_classes + 2 * s.n_teams + team


@jit
def h_follow(s: State, team: int, step: int) -> int:
    return 2 * s.n_teams * s.n_classes + 3 * s.n_teams + team * s.n_steps + step


# ---------------------------------------------------------------------- the timetable
@jit
def simulate(s: State) -> None:
    """Run every week of the horizon, then resolve what is left at the horizon.

    The order of events within a week is declared here and nowhere else (the reference
    model in tests/ follows it): 1. each team's triage panel, every `panel_every` weeks;
    2. outsourced providers take their children; 3. each team's clinic week, booking and
    holding appointments (on day `APPOINTMENT_DAY` of the week); 4. workshop sessions (day
    `WORKSHOP_DAY`), in the order their sessions last ran. Withdrawals happen between events,
    at each family's own time.
    """
    place_initial(s)
    n_ws = s.n_teams * s.n_workshops
    for week in range(s.weeks):
        if s.triage_on and week % s.panel_every == 0:
            for team in range(s.n_teams):
                triage_panel(s, team, week)
        for b in range(s.ob_per_week.shape[0]):
            if s.ob_per_week[b, week]:
                outsource(s, b, week)
        for team in range(s.n_teams):
            clinic_week(s, team, week)
        # sessions due this week, in the order SimPy resumes them: the order in which
        # each was rescheduled when it last ran (creation order at the start). Those that
        # run move, in their order, behind those that do not: `ws_order` stays sorted.
        due = np.empty(n_ws, np.int64)
        n_due = n_kept = 0
        for k in range(n_ws):
            p = s.ws_order[k]
            if week % s.ws_every[p % s.n_workshops] == 0:
                due[n_due] = p
                n_due += 1
            else:
                s.ws_order[n_kept] = p
                n_kept += 1
        for k in range(n_due):
            p = due[k]
            workshop_session(s, p // s.n_workshops, p % s.n_workshops, week)
            s.ws_order[n_kept + k] = p
        s.counters[WEEKS_RUN] = week + 1
        if s.counters[POOL_SHORT]:
            return  # the run will be repeated with more habits: no need to go on
    finish(s)


@jit
def place_initial(s: State) -> None:
    """Today's list into its queues, in child order (new referrals are arrivals)."""
    for i in range(s.n_initial):
        step = s.start_place[i]
        if step < 0:
            continue
        team = s.team[i]
        if step == 0:
            if s.start_ready[i] > 0.0:  # accepted within the lead time: not bookable yet
                h = h_staging(s, team)
                push(s, h, s.start_ready[i], i)
            else:
                push(s, h_new(s, team, s.prio[i]), 0.0, i)
            sign_up(s, i, team)
        else:  # inside the assessment: ready for its step on its own day
            h = h_follow(s, team, step)
            push(s, h, s.start_ready[i], i)


@jit
def sign_up(s: State, i: int, team: int) -> None:
    wanted = s.wanted[i]
    if wanted:
        for k in range(s.n_workshops):
            if wanted >> k & 1:
                q = team * s.n_workshops + k
                s.wq[s.wq_off[q] + s.wq_tail[q]] = i
                s.wq_tail[q] += 1


# ---------------------------------------------------------------------- withdrawals
@jit
def withdrawals_due(s: State, now: float) -> None:
    """Families whose patience ran out by `now` leave, dated when it ran out, in (day,
    child) order across the start's sorted list and the heap of later additions."""
    times, ids = s.wd_times, s.wd_ids
    s.counters[EVENTS] += 1  # every event starts here: its number, the same in a split run
    s.counters[IN_WD] = 1
    ptr = s.counters[WD_NEXT]
    n = times.size
    while True:
        in_list = ptr < n and times[ptr] <= now
        in_heap = s.wd_size[0] > 0 and s.wd_day[0] <= now
        if in_list:
            t, i = times[ptr], ids[ptr]
            if in_heap and before(s.wd_day[0], s.wd_child[0], t, i):
                t = s.wd_day[0]
                i = wd_pop(s)
            else:
                ptr += 1
        elif in_heap:
            t = s.wd_day[0]
            i = wd_pop(s)
        else:
            break
        if s.wd_t[i] == t and s.exit_code[i] == WAITING and math.isnan(s.first_t[i]):
            s.counters[WD_NEXT] = ptr
            leave(s, i, t, WITHDRAWN)
    s.counters[WD_NEXT] = ptr
    s.counters[IN_WD] = 0


# ---------------------------------------------------------------------- triage
@jit
def triage_panel(s: State, team: int, week: int) -> None:
    """The panel decides on referrals in arrival order while its hours last."""
    now = 7.0 * week
    withdrawals_due(s, now)
    arrived_to_triage(s, team, now)
    hm = h_more(s, team)
    n_back = 0
    back = s.buf[BACK]
    while s.heap_size[hm] and top_day(s, hm) <= now:
        back[n_back] = pop(s, hm)
        n_back += 1
    cap, base = s.tq_cap[team], s.tq_off[team]
    for k in range(n_back - 1, -1, -1):  # to the front, in the order they came back
        s.tq_head[team] = (s.tq_head[team] - 1) % cap
        s.tq[base + s.tq_head[team]] = back[k]
        s.tq_len[team] += 1
    used = s.used[team, week]
    avail = s.avail[team, week]
    room = NO_LIMIT
    for k in range(s.triage_prof.size):
        p = s.triage_prof[k]
        left = min(avail[p] - used[p], s.triage_share * avail[p])
        fit = (left + EPS) // s.triage_h[k]
        if fit < room:
            room = fit
    room_n = int(room)
    day = min(int(now), s.days)
    accepted = s.buf[ACCEPTED]
    n_acc = 0
    decided = 0
    while s.tq_len[team] and decided < room_n:
        i = s.tq[base + s.tq_head[team]]
        s.tq_head[team] = (s.tq_head[team] + 1) % cap
        s.tq_len[team] -= 1
        if s.exit_code[i] != WAITING or s.wd_t[i] <= now:
            if s.exit_code[i] == WAITING:
                leave(s, i, s.wd_t[i], WITHDRAWN)
            continue
        decided += 1
        answer = s.decision[i] if s.fixed else decide(s, i, day)
        if answer != ACCEPT:
            if answer == MORE:
                s.more_info[i] = True
                if s.fixed:
                    s.decision[i] = s.again[i]
                push(s, hm, now + s.more_delay, i)
            else:
                s.tri_t[i] = now
                s.tri_res[i] = TRIAGE_SIGNPOSTED
                leave(s, i, now, SIGNPOSTED)
            continue
        s.tri_t[i] = now
        s.tri_res[i] = TRIAGE_ACCEPTED
        accepted[n_acc] = i
        n_acc += 1
        sign_up(s, i, team)
    for k in range(s.triage_prof.size):
        p = s.triage_prof[k]
        used[p] += s.triage_h[k] * decided
    hs = h_staging(s, team)
    ready = now + s.lead_days
    for k in range(n_acc):
        push(s, hs, ready, accepted[k])


@jit
def decide(s: State, i: int, day: int) -> int:
    """Triage's answer for one child under today's chances (criteria changes apply)."""
    p_acc = min(1.0, s.p_accept * s.accept_mult[s.dist[i], day])
    p_more = min(s.p_more, 1.0 - p_acc)
    p_sign = max(0.0, 1.0 - p_acc - p_more)
    if s.more_info[i]:
        total = p_acc + p_sign
        return ACCEPT if total > 0 and s.u_tri2[i] * total < p_acc else SIGNPOST
    u = s.u_tri[i]
    if u < p_acc:
        return ACCEPT
    return MORE if u >= p_acc + p_sign else SIGNPOST


@jit
def arrived_to_triage(s: State, team: int, cutoff: float) -> None:
    """Referrals made before the cutoff join the triage queue in referral order (cohort
    children first on equal days, then returning children by (day, child))."""
    hr = h_reref(s, team)
    extra = s.buf[EXTRA]
    n_extra = 0
    while s.heap_size[hr] and top_day(s, hr) < cutoff:
        extra[n_extra] = pop(s, hr)
        n_extra += 1
    ptr, end = s.arr_ptr[team], s.arr_end[team]
    cap, base = s.tq_cap[team], s.tq_off[team]
    k = 0
    while True:
        cohort_due = ptr < end and s.arr_days[ptr] < cutoff
        if k < n_extra and (not cohort_due or s.ref_t[extra[k]] < s.arr_days[ptr]):
            i = extra[k]
            k += 1
        elif cohort_due:
            i = s.arr_ids[ptr]
            ptr += 1
        else:
            break
        s.tq[base + (s.tq_head[team] + s.tq_len[team]) % cap] = i
        s.tq_len[team] += 1
    s.arr_ptr[team] = ptr


@jit
def accept_all_arrived(s: State, team: int, now: float) -> None:
    """Without triage every referral is accepted on its referral day."""
    arrived_to_triage(s, team, now)
    cap, base = s.tq_cap[team], s.tq_off[team]
    hs = h_staging(s, team)
    while s.tq_len[team]:
        i = s.tq[base + s.tq_head[team]]
        s.tq_head[team] = (s.tq_head[team] + 1) % cap
        s.tq_len[team] -= 1
        s.tri_t[i] = s.ref_t[i]
        if s.tri_res[i] == NOT_TRIAGED:
            s.tri_res[i] = TRIAGE_ACCEPTED
        push(s, hs, s.ref_t[i] + s.lead_days, i)
        sign_up(s, i, team)


# ---------------------------------------------------------------------- booking
@jit
def clinic_week(s: State, team: int, week: int) -> None:
    """Fill this week's diary in queue order, then hold the appointments."""
    now = 7.0 * week
    withdrawals_due(s, now)
    if not s.triage_on:
        accept_all_arrived(s, team, now)
    staging_to_list(s, team, now)
    used = s.used[team, week]
    avail = s.avail[team, week]
    n_prof = used.size
    start, follow_left, new_left = s.hours_left[0], s.hours_left[1], s.hours_left[2]
    for p in range(n_prof):
        left = avail[p] - used[p]
        start[p] = left
        follow_left[p] = left * (1.0 - s.new_share)
        new_left[p] = left * s.new_share
    book_follow_ups(s, team, now, follow_left)
    book_new(s, team, now, new_left)
    for p in range(n_prof):
        follow_left[p] = follow_left[p] + new_left[p]
    book_follow_ups(s, team, now, follow_left)
    book_new(s, team, now, follow_left)
    for p in range(n_prof):
        used[p] += start[p] - follow_left[p]


@jit
def room_for(s: State, left: np.ndarray, step: int) -> int:
    """How many appointments of this step still fit in the hours left."""
    room = NO_LIMIT
    for k in range(s.step_nk[step]):
        fit = (left[s.step_prof[step, k]] + EPS) // s.step_h[step, k]
        if fit < room:
            room = fit
    return int(room)


@jit
def spend(s: State, left: np.ndarray, step: int, count: int) -> None:
    for k in range(s.step_nk[step]):
        left[s.step_prof[step, k]] -= s.step_h[step, k] * count


@jit
def staging_to_list(s: State, team: int, now: float) -> None:
    """Children accepted long enough ago join the new-patient list of their class."""
    hs = h_staging(s, team)
    while s.heap_size[hs] and top_day(s, hs) <= now:
        i = pop(s, hs)
        if i < s.n_initial:
            push(s, h_new(s, team, s.prio[i]), 0.0, i)
        else:
            h = h_back(s, team, s.prio[i])
            push(s, h, s.ref_t[i], i)


@jit
def book_follow_ups(s: State, team: int, now: float, left: np.ndarray) -> None:
    """Later appointments first (finish what is started), each step in ready order."""
    taken = s.buf[TAKEN]
    for step in range(s.n_steps - 1, 0, -1):
        h = h_follow(s, team, step)
        if not s.heap_size[h] or top_day(s, h) > now:
            continue
        room = room_for(s, left, step)
        n = 0
        while n < room and s.heap_size[h] and top_day(s, h) <= now:
            taken[n] = pop(s, h)
            n += 1
        if n:
            spend(s, left, step, n)
            hold(s, taken, n, step, now + APPOINTMENT_DAY)


@jit
def book_new(s: State, team: int, now: float, left: np.ndarray) -> None:
    """Initial appointments, in the order the booking policy sets."""
    room = room_for(s, left, FIRST)
    if room <= 0:
        return
    if s.pool_overhead > 0.0 and pooled(s, team):
        book_new_pooled(s, team, now, left)
        return
    taken = s.buf[TAKEN]
    if s.queue_order == 1 or s.n_classes == 1:
        n = take_by_priority(s, team, now, room, taken)
    else:
        n = 0
        while room > 0:
            i = pop_next(s, team, now)
            if i < 0:
                break
            taken[n] = i
            n += 1
            room -= 1
    if n:
        spend(s, left, FIRST, n)
        hold(s, taken, n, FIRST, now + APPOINTMENT_DAY)


@jit
def pooled(s: State, team: int) -> bool:
    """Whether another team books from this team's new-patient list."""
    for other in range(s.n_teams):
        if other != team and s.list_team[other] == s.list_team[team]:
            return True
    return False


@jit
def fits(s: State, left: np.ndarray, step: int, factor: float) -> bool:
    for k in range(s.step_nk[step]):
        if left[s.step_prof[step, k]] + EPS < s.step_h[step, k] * factor:
            return False
    return True


@jit
def book_new_pooled(s: State, team: int, now: float, left: np.ndarray) -> None:
    """A pool's list in queue order, one child at a time: another team's child costs the
    travel overhead on top of the appointment's hours. The first child who no longer fits
    goes back where it was (a heap's order depends only on what is in it), the class
    credit as it was, and the diary closes."""
    taken = s.buf[TAKEN]
    saved = s.credit[team].copy()
    n = 0
    while True:
        saved[:] = s.credit[team]
        i = pop_next(s, team, now)
        if i < 0:
            break
        factor = 1.0 + s.pool_overhead if s.team[i] != team else 1.0
        if not fits(s, left, FIRST, factor):
            if i < s.n_initial:
                h, key = h_new(s, s.team[i], s.prio[i]), 0.0
            else:
                h, key = h_back(s, s.team[i], s.prio[i]), s.ref_t[i]
            push(s, h, key, i)
            s.credit[team][:] = saved
            break
        for k in range(s.step_nk[FIRST]):
            left[s.step_prof[FIRST, k]] -= s.step_h[FIRST, k] * factor
        taken[n] = i
        n += 1
    if n:
        hold(s, taken, n, FIRST, now + APPOINTMENT_DAY)


@jit
def front(s: State, team: int, c: int) -> int:
    """The heap (cohort or returning children) holding class c's first child; -1: empty."""
    hn, hb = h_new(s, team, c), h_back(s, team, c)
    if s.heap_size[hb]:
        if not s.heap_size[hn]:
            return hb
        i = child_at(s, hn, ROOT)
        if before(top_day(s, hb), child_at(s, hb, ROOT), s.ref_t[i], i):
            return hb
    return hn if s.heap_size[hn] else -1


@jit
def clean_head(s: State, team: int, c: int, now: float) -> None:
    """Drop children who left from the front of a class's list, in list order."""
    while True:
        h = front(s, team, c)
        if h < 0:
            return
        i = child_at(s, h, ROOT)
        if s.exit_code[i] != WAITING:
            pop(s, h)
        elif s.wd_t[i] <= now:
            pop(s, h)
            leave(s, i, s.wd_t[i], WITHDRAWN)
        else:
            return


@jit
def take_by_priority(s: State, team: int, now: float, room: int, taken: np.ndarray) -> int:
    """Strict priority: each class's list front first, children who left dropped."""
    for c in range(s.n_classes):
        clean_head(s, team, c, now)
    n = 0
    for c in range(s.n_classes):
        while True:
            h = front(s, team, c)
            if h < 0:
                break
            i = pop(s, h)
            if s.exit_code[i] != WAITING:
                continue
            if s.wd_t[i] <= now:
                leave(s, i, s.wd_t[i], WITHDRAWN)
                continue
            taken[n] = i
            n += 1
            room -= 1
            if room <= 0:
                return n
    return n


@jit
def pop_next(s: State, team: int, now: float) -> int:
    """The next child to offer a new-patient slot to (children who left are dropped)."""
    for c in range(s.n_classes):
        clean_head(s, team, c, now)
    c = choose_class(s, team)
    if c < 0:
        return -1
    return pop(s, front(s, team, c))


@jit
def head_day(s: State, team: int, c: int) -> float:
    h = front(s, team, c)
    if h < 0:
        return np.inf
    return top_day(s, h) if h == h_back(s, team, c) else s.ref_t[child_at(s, h, ROOT)]


@jit
def choose_class(s: State, team: int) -> int:
    if s.n_classes == 1:
        return 0 if front(s, team, FIRST) >= 0 else -1
    if s.queue_order == 0:  # referral date, whatever the class
        best, best_key = -1, np.inf
        for c in range(s.n_classes):
            day = head_day(s, team, c)
            if day < best_key:
                best, best_key = c, day
        return best
    if s.queue_order == 1:
        for c in range(s.n_classes):
            if front(s, team, c) >= 0:
                return c
        return -1
    return share_class(s, team)


@jit
def share_class(s: State, team: int) -> int:
    """Deficit round robin over the classes with children waiting (see reference.py)."""
    credit, shares = s.credit[team], s.slot_shares
    n_waiting = 0
    total = 0.0
    for c in range(s.n_classes):
        if front(s, team, c) >= 0:
            n_waiting += 1
            total += shares[c]
    if not n_waiting:
        return -1
    if total == 0.0:
        total = float(n_waiting)
    best, best_credit = -1, -np.inf
    for c in range(s.n_classes):
        if front(s, team, c) < 0:
            credit[c] = 0.0
            continue
        credit[c] += shares[c] / total
        if credit[c] > best_credit:
            best, best_credit = c, credit[c]
    credit[best] -= 1.0
    return best


# ---------------------------------------------------------------------- appointments
@jit
def hold(s: State, children: np.ndarray, n: int, step: int, t: float) -> None:
    """Appointments take place: attended (move on) or DNA (slot lost, rebook)."""
    s.counters[APPOINTMENTS] += n
    if step == s.n_steps - 1:
        hold_last(s, children, n, step, t)
        return
    missed, attended = s.buf[MISSED], s.buf[ATTENDED]
    n_missed = n_attended = 0
    for k in range(n):
        i = children[k]
        if s.dna_left[step, i] > 0:
            missed[n_missed] = i
            n_missed += 1
        else:
            attended[n_attended] = i
            n_attended += 1
    if n_missed:
        missed_them(s, missed, n_missed, step, t)
    if not n_attended:
        return
    # the next appointment: a later week, and at least the gap after this one's week starts;
    # with its own team (a pool's first appointments may be another team's)
    ready = t - APPOINTMENT_DAY + s.gap_days[step]
    for k in range(n_attended):
        i = attended[k]
        s.step_day[step, i] = t
        if step == 0:
            s.first_t[i] = t
        h = h_follow(s, s.team[i], step + 1)
        push(s, h, ready, i)


@jit
def hold_last(s: State, children: np.ndarray, n: int, step: int, t: float) -> None:
    """The last appointment: outcomes and DNAs in diary order (both can cause returns)."""
    one = s.buf[SINGLE]
    for k in range(n):
        i = children[k]
        if s.dna_left[step, i] > 0:
            one[0] = i
            missed_them(s, one, ONE, step, t)
            continue
        if step == 0:  # a one-appointment pathway
            s.first_t[i] = t
        s.step_day[step, i] = t
        s.outcome[i] = s.outcome_of[i]
        s.out_t[i] = t
        s.exit_code[i] = ASSESSED
        s.exit_t[i] = t
        if s.returns[i]:
            may_return(s, i, t, ASSESSED)


@jit
def missed_them(s: State, children: np.ndarray, n: int, step: int, t: float) -> None:
    """DNA: discharged after too many, else rebooked (patience stopped while booked)."""
    rebook = s.buf[REBOOK]
    n_rebook = 0
    for k in range(n):
        i = children[k]
        s.dna_left[step, i] -= 1
        s.n_dna[i] += 1
        if s.discharge_after and s.n_dna[i] >= s.discharge_after:
            leave(s, i, t, WITHDRAWN)
            continue
        rebook[n_rebook] = i
        n_rebook += 1
        if step == 0:
            s.wd_t[i] += APPOINTMENT_DAY
            if s.wd_t[i] < s.days:
                wd_push(s, s.wd_t[i], i)
    for k in range(n_rebook):
        i = rebook[k]
        if step == 0:  # each with its own team
            h, ready = h_staging(s, s.team[i]), t + s.lead_days
        else:
            h, ready = h_follow(s, s.team[i], step), t
        push(s, h, ready, i)


# ---------------------------------------------------------------------- workshops
@jit
def workshop_session(s: State, team: int, k: int, week: int) -> None:
    """Families who signed up attend in order; some find their need met and leave."""
    t = 7.0 * week + WORKSHOP_DAY
    withdrawals_due(s, t)
    q = team * s.n_workshops + k
    places = s.ws_places[k]
    bit = 1 << k
    while places > 0 and s.wq_head[q] < s.wq_tail[q]:
        i = s.wq[s.wq_off[q] + s.wq_head[q]]
        s.wq_head[q] += 1
        if s.exit_code[i] != WAITING:
            continue
        unseen = math.isnan(s.first_t[i])
        if unseen and s.wd_t[i] <= t:
            leave(s, i, s.wd_t[i], WITHDRAWN)
            continue
        places -= 1
        s.ws_mask[i] |= bit
        if unseen and s.met_mask[i] & bit:
            leave(s, i, t, MET_BY_WORKSHOP)


# ---------------------------------------------------------------------- outsourcing
@jit
def outsource(s: State, b: int, week: int) -> None:
    """The provider takes the next children in queue order from the districts it covers."""
    now = 7.0 * week
    withdrawals_due(s, now)
    for team in range(s.n_teams):
        if s.ob_teams[b, team]:
            staging_to_list(s, team, now)
    for _ in range(s.ob_per_week[b, week]):
        i = pop_for_block(s, b, now)
        if i < 0:
            return
        t = now + APPOINTMENT_DAY
        s.first_t[i] = t
        s.outsourced[i] = True
        s.outsourced_ids[s.counters[N_OUTSOURCED]] = i
        s.counters[N_OUTSOURCED] += 1
        s.ob_count[b] += 1
        done = t + 7.0 * s.ob_weeks[b]
        s.outcome[i] = s.outcome_of[i]
        s.out_t[i] = done
        leave(s, i, done, ASSESSED)


@jit
def pop_for_block(s: State, b: int, now: float) -> int:
    """The first child (by class under strict orders, then referral day) the block may take."""
    allowed = s.ob_allowed[b]
    while True:
        best_h, best_pos, best_c, best_day = NONE, NONE, FIRST, np.inf
        for team in range(s.n_teams):
            if not s.ob_teams[b, team]:
                continue
            for c in range(s.n_classes):
                h, pos, day = first_allowed(s, team, c, allowed)
                if h < 0:
                    continue
                rank_c = c if s.queue_order != 0 else 0
                if best_h < 0 or rank_c < best_c or (rank_c == best_c and day < best_day):
                    best_h, best_pos, best_c, best_day = h, pos, rank_c, day
        if best_h < 0:
            return -1
        i = child_at(s, best_h, best_pos)
        heap_remove_at(s.heap_day, s.heap_child, s.heap_size, s.heap_off, best_h, best_pos)
        if s.exit_code[i] != WAITING:
            continue
        if s.wd_t[i] <= now:
            leave(s, i, s.wd_t[i], WITHDRAWN)
            continue
        return i


@jit
def first_allowed(s: State, team: int, c: int, allowed: np.ndarray) -> tuple[int, int, float]:
    """Heap, position and referral day of a class's earliest waiting child from an allowed
    district (children who left are dropped from the fronts first)."""
    hn, hb = h_new(s, team, c), h_back(s, team, c)
    for h in (hn, hb):
        while s.heap_size[h] and s.exit_code[child_at(s, h, ROOT)] != WAITING:
            pop(s, h)
    best_h, best_pos, best_day, best_i = NONE, NONE, np.inf, NONE
    for h in (hn, hb):
        for pos in range(s.heap_size[h]):
            i = child_at(s, h, pos)
            if not allowed[s.dist[i]] or s.exit_code[i] != WAITING:
                continue
            day = s.ref_t[i]
            if best_h < 0 or before(day, i, best_day, best_i):
                best_h, best_pos, best_day, best_i = h, pos, day, i
    return best_h, best_pos, best_day


# ---------------------------------------------------------------------- exits
@jit
def leave(s: State, i: int, t: float, reason: int) -> None:
    """A child leaves the pathway; some come back later as a new referral."""
    s.exit_code[i] = reason
    s.exit_t[i] = t
    if s.returns[i]:
        may_return(s, i, t, reason)


@jit
def may_return(s: State, i: int, t: float, reason: int) -> None:
    """A family drawn to come back does so if its way of leaving allows, and in time."""
    if reason == ASSESSED and s.outcome[i] != NO_ND:
        return
    if not s.reref_ok[reason]:
        return
    when = t + s.delay[i]
    if when < s.days:
        rereferral(s, i, when)


@jit
def rereferral(s: State, parent: int, when: float) -> None:
    """A returning family is a new child, with habits from its district's next pool row."""
    d = s.dist[parent]
    k = s.pool_next[d]
    if k >= s.pool_len[d]:  # this district's drawn rows are used up: the caller draws
        s.pool_next[d] = k + 1  # more for every district marked so, and runs again
        s.counters[POOL_SHORT] = 1
        return
    s.pool_next[d] = k + 1
    j = s.counters[N_CHILDREN]
    s.counters[N_CHILDREN] = j + 1
    s.ref_t[j] = when
    s.dist[j] = d
    s.team[j] = s.team[parent]
    s.prio[j] = s.prio[parent]
    s.wd_t[j] = when + s.pool_wd[d, k]
    s.decision[j] = s.pool_decision[d, k]
    s.again[j] = s.pool_again[d, k]
    s.u_tri[j] = s.pool_u_tri[d, k]
    s.u_tri2[j] = s.pool_u_tri2[d, k]
    s.outcome_of[j] = s.pool_outcome_of[d, k]
    s.returns[j] = s.pool_returns[d, k]
    s.delay[j] = s.pool_delay[d, k]
    s.met_mask[j] = s.pool_met[d, k]
    s.wanted[j] = s.pool_wanted[d, k]
    for step in range(s.n_steps):
        s.dna_left[step, j] = s.pool_dna[d, k, step]
    s.parent[j] = parent
    # when it came back, as a split run can merge it: the event (withdrawals first, in
    # the order of the parents' exits, then the event's own business)
    s.born[j] = 2 * s.counters[EVENTS] + (1 - s.counters[IN_WD])
    push(s, h_reref(s, s.team[j]), when, j)
    if s.wd_t[j] < s.days:
        wd_push(s, s.wd_t[j], j)


@jit
def finish(s: State) -> None:
    """At the horizon: the last withdrawals are resolved in time order, and outsourced
    outcomes due after the horizon are undone."""
    withdrawals_due(s, s.days - EPS)
    for k in range(s.counters[N_OUTSOURCED]):
        i = s.outsourced_ids[k]
        if s.exit_code[i] != WAITING and s.exit_t[i] >= s.days:
            s.exit_code[i] = WAITING
            s.exit_t[i] = np.nan
            s.out_t[i] = np.nan
            s.outcome[i] = -1
