"""The reference engine: the pathway model written plainly, the yardstick of the compiled one.

Runs use `engine.run_replication` (the same model, compiled: `kernel.py`), whose results
must equal this module's child for child (tests/test_kernel_validation.py). Change the model
here and in the kernel together. One replication is a pure function of (model,
replication, seed).

SimPy schedules what really happens in a service: triage panels, the weekly clinic
diary, outsourced assessments, workshop sessions. Children are rows in plain lists;
queues are ordered by (key, child) (heaps, or sorted deques where children become ready
in time order) with children who have left skipped lazily when they reach the front.
Times are in days from the scenario's start date; week w is
[7w, 7w + 7). Within a week: panel (day 0.0), outsourcing (0.1), booking (0.2),
appointments (2.5, mid-week), workshops (3.5); weeks start on the weekday of the start date.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import math
from collections import deque

import numpy as np
import simpy

from nd_sim.engine.cohort import NEW_REFERRAL, attributes, draw_cohort
from nd_sim.engine.habits import ACCEPT, HABIT_COLUMNS, MORE, first_look, habits, second_look
from nd_sim.engine.raw import RawResults, fill_days, packed, return_roots
from nd_sim.engine.replication import list_teams
from nd_sim.inputs.model import Model

from .queues import BatchQueue

WAITING, ASSESSED, SIGNPOSTED, WITHDRAWN, MET_BY_WORKSHOP = range(5)
NO_ND = 4  # index of "no_nd" in model.OUTCOMES
APPOINTMENT_DAY = 2.5
WORKSHOP_DAY = 3.5
EPS = 1e-9
REFERRAL_POOL = 256
INF = math.inf
NAN = math.nan


def run_replication(model: Model, replication: int, seed: int) -> RawResults:
    """Simulate one replication and return its compact per-child and per-week arrays.

    The cyclic garbage collector is paused meanwhile (and restored after): the state is
    flat lists and tuples without reference cycles, and the collections that its many
    small allocations trigger would otherwise scan all of it again and again (10-15% of
    the time, measured).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        sim = _Simulation(model, replication, seed)
        env = simpy.Environment()
        sim.start(env)
        env.run(until=model.days)
        sim.finish()
        return sim.results(replication)
    finally:
        if collecting:
            gc.enable()


class _Simulation:
    """The state of one replication; its methods are the events of the pathway."""

    def __init__(self, model: Model, replication: int, seed: int) -> None:
        self.model = model
        self.seed = seed
        self.replication = replication
        sc = model.scenario
        cohort = draw_cohort(model, seed, replication)
        self.cohort = cohort
        n = len(cohort)
        self.n_initial = n
        t_count, n_class, n_steps = len(model.teams), len(model.priority_shares), model.n_steps
        self.ref_t = cohort.referral_day.tolist()
        self.dist = cohort.district.tolist()
        team_of = np.asarray(model.team_of_district, np.int64)[cohort.district]
        self.team = team_of.tolist()
        self.prio = cohort.priority.tolist()
        self.wd_t = cohort.withdraw_day.tolist()
        self.dna_left = cohort.dna_counts.T.tolist()
        self.delay_start = cohort.rereferral_delay_days  # read only for those who return
        self.delay_back: list[float] = []  # of returning children
        self.start_stage = cohort.start_stage.copy()  # returning children: NEW_REFERRAL
        self.parent: list[int] = []  # of each returning child, in order
        # outputs
        self.tri_t: list[float] = []  # triage day and result: today's list in _place_initial
        self.tri_res: list[int] = []
        self.first_t = [NAN] * n
        self.out_t = [NAN] * n
        self.exit_t = [NAN] * n
        self.exit_code = [WAITING] * n
        self.outcome = [-1] * n
        self.n_dna = [0] * n
        self.ws_mask = [0] * n
        self.outsourced = [False] * n
        self.more_info = [False] * n
        # day each step was attended, as (day, children) batches: nothing reads it before
        # the end, when one array write per step replaces a list write per appointment
        self.step_log: list[list[tuple[float, tuple[int, ...]]]] = [[] for _ in range(n_steps)]
        self.last_step = n_steps - 1
        self.gap_days = [max(7.0, g) for g in model.step_gap_days]  # a later week at least
        # parameters
        tri = sc.pathway.triage
        self.triage_on = tri.enabled
        self.p_accept, self.p_signpost, self.p_more = tri.accept, tri.signpost, tri.more_information
        self.more_delay = tri.more_information_delay_weeks * 7.0
        self.triage_share = tri.max_share_of_hours
        self.lead_days = sc.booking.lead_time_weeks * 7.0
        self.new_share = sc.booking.new_patient_share
        self.discharge_after = sc.pathway.dna.discharge_after
        reref = sc.pathway.rereferral
        self.reref_after = set(reref.after)
        self.workshops = sc.pathway.workshops
        self.pools: list[dict[str, list]] = [{} for _ in model.districts]
        self.pool_next = [0] * len(model.districts)
        # queues, per team
        self.arrivals: list[list[int]] = [[] for _ in range(t_count)]
        self.arr_ptr = [0] * t_count
        self.arrival_days: list[list[float]] = []  # of `arrivals`, for a bisection without a key
        self.reref_heap: list[list] = [[] for _ in range(t_count)]
        self.triage_q: list[deque] = [deque() for _ in range(t_count)]
        self.more_heap: list[list] = [[] for _ in range(t_count)]
        self.staging = [BatchQueue() for _ in range(t_count)]
        # new-patient lists in (referral day, child) order: children of the cohort sit in
        # int heaps (their index order is that order, and ints compare far more cheaply than
        # tuples); returning children, whose index does not follow the day, sit beside them
        self.new_q: list[list[list[int]]] = [[[] for _ in range(n_class)] for _ in range(t_count)]
        self.back_q: list[list[list[tuple[float, int]]]] = [
            [[] for _ in range(n_class)] for _ in range(t_count)
        ]
        for t, first in enumerate(list_teams(model.scenario, model.teams).tolist()):
            self.new_q[t], self.back_q[t] = self.new_q[first], self.back_q[first]  # a pool
        self.pooled = [sum(x is q for x in self.new_q) > 1 for q in self.new_q]
        self.credit = [[0.0] * n_class for _ in range(t_count)]
        self.follow_q = [[BatchQueue() for _ in range(n_steps)] for _ in range(t_count)]
        self.ws_q = [[deque() for _ in self.workshops] for _ in range(t_count)]
        cap = model.capacity
        self.avail = np.transpose(cap.hours, (0, 2, 1)).tolist()  # [team][week][prof]
        self.used = np.zeros_like(np.transpose(cap.hours, (0, 2, 1))).tolist()
        self.appointments = 0
        self.fixed_probs = None
        if not sc.demand.criteria_changes:
            self.fixed_probs = self._triage_probabilities(0.0)
        drawn = {k: getattr(cohort, k) for k in HABIT_COLUMNS}
        habit = {
            k: v.tolist()
            for k, v in habits(model, self.fixed_probs, drawn, cohort.district).items()
        }
        self.decision: list[int] | None = habit.get("decision")  # when chances never change
        self.again: list[int] = habit.get("again", [])
        self.u_tri: list[float] = habit.get("u_triage", [])  # when they do change
        self.u_tri2: list[float] = habit.get("u_triage_again", [])
        self.outcome_of: list[int] = habit["outcome_of"]
        self.returns: list[bool] = habit["returns"]
        self.met_mask: list[int] = habit["met_mask"]
        self.ws_wanted: list[int] = habit["wanted"]
        self.outsourced_cost_gbp = 0.0
        self.outsourced_ids: list[int] = []
        self._place_initial(team_of)
        self._at_risk()

    # ------------------------------------------------------------------ set-up
    def _place_initial(self, team_of: np.ndarray) -> None:
        """Put every child in its first queue: arrivals, or where today's list has them.

        Whole groups at once (by team, class, step and workshop), each in index order: the
        same queues as placing the children one by one, without a Python call per child.
        """
        stage = self.start_stage
        arriving = (stage == NEW_REFERRAL) | (stage == 0)
        for team, arrivals in enumerate(self.arrivals):
            ids = np.flatnonzero(arriving & (team_of == team))
            arrivals.extend(ids.tolist())
            self.arrival_days.append(self.cohort.referral_day[ids].tolist())
        listed = np.flatnonzero(~arriving)  # today's list, in index order
        triage_day = np.full(len(stage), NAN)
        triage_day[listed] = self.cohort.referral_day[listed]
        self.tri_t = triage_day.tolist()
        self.tri_res = np.where(~arriving, 0, -1).tolist()
        steps = np.where(stage[listed] == 1, 0, self.cohort.start_step[listed])
        new = listed[steps == 0]  # a one-appointment pathway has no 'in assessment' stage
        stage[new] = 1
        self.start_step = np.full(len(stage), -1)  # the step each child inside waits for
        self.start_step[listed[steps > 0]] = steps[steps > 0]
        wanted = np.asarray(self.ws_wanted, np.int64)[new]
        prio, teams = self.cohort.priority[new], team_of[new]
        later = self.cohort.start_ready_day[new] > 0  # accepted within the lead time
        for team in range(len(self.arrivals)):
            here = teams == team
            staged = new[here & later]
            for day in np.unique(self.cohort.start_ready_day[staged]).tolist():
                same = staged[self.cohort.start_ready_day[staged] == day]
                self.staging[team].push(day, same.tolist())
            for c, heap in enumerate(self.new_q[team]):  # ascending: already a heap
                heap.extend(new[here & ~later & (prio == c)].tolist())
                heapq.heapify(heap)  # a pool's list: the second team's children after the first's
            for k, queue in enumerate(self.ws_q[team]):
                queue.extend(new[here & (wanted >> k & 1 == 1)].tolist())
        later = listed[steps > 0]  # inside the assessment: each ready on its own day
        ready = self.cohort.start_ready_day
        for (team, step), ids in _groups(later, team_of[later], steps[steps > 0]):
            days = ready[ids]
            for day in np.unique(days).tolist():
                self.follow_q[team][step].push(day, np.asarray(ids)[days == day].tolist())

    def _at_risk(self) -> None:
        """Withdrawal times of every child who can leave unseen within the horizon.

        Those known at the start are sorted once and read in order (no heap operations);
        the few added later (rebooked or returning children) go in a heap beside them.
        """
        wd = self.cohort.withdraw_day
        at_risk = np.flatnonzero((wd < self.model.days) & (self.start_stage != 2))
        order = at_risk[np.argsort(wd[at_risk], kind="stable")]  # ties by child, as (t, i)
        self.wd_times: list[float] = wd[order].tolist()
        self.wd_ids: list[int] = order.tolist()
        self.wd_next = 0
        self.wd_heap: list[tuple[float, int]] = []

    def withdrawals_due(self, now: float) -> None:
        """Families whose patience ran out by `now` leave, dated when it ran out.

        Done eagerly (not when the child reaches the front of a queue) so that a family's
        return as a re-referral is timed by its own leaving, whatever the queue. Entries
        are taken in (time, child) order from the sorted list and the heap together.
        """
        times, ids, heap = self.wd_times, self.wd_ids, self.wd_heap
        ptr = self.wd_next
        if (ptr >= len(times) or times[ptr] > now) and (not heap or heap[0][0] > now):
            return  # nobody due (most calls)
        stop = bisect.bisect_right(times, now, ptr)
        wd_t, exit_code, first_t = self.wd_t, self.exit_code, self.first_t
        if not heap or heap[0][0] > now:  # nobody in the heap is due: read the list straight
            while ptr < stop:
                t, i = times[ptr], ids[ptr]
                ptr += 1
                if wd_t[i] == t and exit_code[i] == WAITING and first_t[i] != first_t[i]:
                    self.leave(i, t, WITHDRAWN)
                    if heap and heap[0][0] <= now:
                        break  # a family who left came back and is due too: merge below
        while True:
            if ptr < stop:
                t, i = times[ptr], ids[ptr]
                if heap and heap[0] < (t, i):
                    t, i = heapq.heappop(heap)
                else:
                    ptr += 1
            elif heap and heap[0][0] <= now:
                t, i = heapq.heappop(heap)
            else:
                break
            if wd_t[i] == t and exit_code[i] == WAITING and first_t[i] != first_t[i]:
                self.leave(i, t, WITHDRAWN)
        self.wd_next = ptr

    def start(self, env: simpy.Environment) -> None:
        """Schedule the recurring events of the service."""
        sc = self.model.scenario
        teams = range(len(self.model.teams))
        # Every team's panels meet on the same days, and its clinic weeks start on the same
        # days, at times no other event shares: one process each walks the teams in order,
        # the order separate processes would run in, with a quarter of the scheduling.
        if self.triage_on:
            env.process(self._panels(env, teams, sc.pathway.triage.panel_every_weeks))
        env.process(self._clinic_weeks(env, teams))
        for team in teams:
            for k, workshop in enumerate(self.workshops):
                env.process(self._workshop_sessions(env, team, k, workshop.every_weeks))
        if self.model.capacity.outsourcing:
            env.process(self._outsourcing_weeks(env))

    # ------------------------------------------------------------------ processes
    def _panels(self, env: simpy.Environment, teams: range, every: int):
        for week in range(0, self.model.weeks, every):
            yield env.timeout(7.0 * week - env.now)
            for team in teams:
                self.triage_panel(team, week)

    def _clinic_weeks(self, env: simpy.Environment, teams: range):
        for week in range(self.model.weeks):
            yield env.timeout(7.0 * week + 0.2 - env.now)
            for team in teams:
                self.clinic_week(team, week)

    def _workshop_sessions(self, env: simpy.Environment, team: int, k: int, every: int):
        for week in range(0, self.model.weeks, every):
            yield env.timeout(7.0 * week + WORKSHOP_DAY - env.now)
            self.workshop_session(team, k, week)

    def _outsourcing_weeks(self, env: simpy.Environment):
        for week in range(self.model.weeks):
            yield env.timeout(7.0 * week + 0.1 - env.now)
            for block in self.model.capacity.outsourcing:
                if block.per_week[week]:
                    self.outsource(block, week)

    # ------------------------------------------------------------------ referrals
    def _arrived(self, team: int, cutoff: float) -> list[int]:
        """Referrals (new and returning) made before the cutoff and not yet taken in."""
        arrivals = self.arrivals[team]
        start = self.arr_ptr[team]  # arrivals are cohort children: in referral order
        ptr = bisect.bisect_left(self.arrival_days[team], cutoff, start)
        self.arr_ptr[team] = ptr
        out = arrivals[start:ptr]
        heap = self.reref_heap[team]
        if heap and heap[0][0] < cutoff:
            while heap and heap[0][0] < cutoff:
                out.append(heapq.heappop(heap)[1])
            out.sort(key=self.ref_t.__getitem__)  # returning families in referral order too
        return out

    def accept(self, i: int, t: float) -> None:
        """Accepted at triage: join the appointment list after the booking lead time."""
        team = self.team[i]
        self.tri_t[i] = t
        if self.tri_res[i] < 0:
            self.tri_res[i] = 0
        self.staging[team].push(t + self.lead_days, [i])
        self._sign_up(i, team)

    def _sign_up(self, i: int, team: int) -> None:
        wanted = self.ws_wanted[i]
        if wanted:
            queues = self.ws_q[team]
            for k in range(len(queues)):
                if wanted >> k & 1:
                    queues[k].append(i)

    # ------------------------------------------------------------------ triage
    def triage_panel(self, team: int, week: int) -> None:
        """The panel decides on referrals in arrival order while its hours last."""
        now = 7.0 * week
        self.withdrawals_due(now)
        queue = self.triage_q[team]
        queue.extend(self._arrived(team, now))
        more = self.more_heap[team]
        returned = []
        while more and more[0][0] <= now:
            returned.append(heapq.heappop(more)[1])
        if returned:
            queue.extendleft(reversed(returned))
        need = self.model.triage_hours
        used = self.used[team][week]
        cap = self.triage_share
        left = [min(a - u, cap * a) for a, u in zip(self.avail[team][week], used, strict=True)]
        room = _room(left, need)
        probs = self.fixed_probs or self._triage_probabilities(now)
        decision, again = self.decision, self.again
        wd_t, more_info = self.wd_t, self.more_info
        exit_code, tri_t, tri_res, wanted = self.exit_code, self.tri_t, self.tri_res, self.ws_wanted
        sign_up = [(1 << k, q) for k, q in enumerate(self.ws_q[team])]
        accepted = []
        decided = 0
        while queue and decided < room:
            i = queue.popleft()
            if exit_code[i] != WAITING or wd_t[i] <= now:
                if exit_code[i] == WAITING:
                    self.leave(i, wd_t[i], WITHDRAWN)
                continue
            decided += 1
            answer = decision[i] if decision is not None else self._decide(i, probs)
            if answer != ACCEPT:
                if answer == MORE:
                    more_info[i] = True
                    if decision is not None:
                        decision[i] = again[i]
                    heapq.heappush(self.more_heap[team], (now + self.more_delay, i))
                else:
                    self.signpost(i, now)  # sets the triage day
                continue
            tri_t[i] = now
            tri_res[i] = 0  # a first decision: listed children never come to triage
            accepted.append(i)
            if wanted[i]:  # the workshops the family wants, as in `_sign_up`
                for bit, ws_queue in sign_up:
                    if wanted[i] & bit:
                        ws_queue.append(i)
        _spend(used, need, -decided)
        if accepted:  # they join the appointment list after the booking lead time
            self.staging[team].push(now + self.lead_days, accepted)

    def _decide(self, i: int, probs: list[tuple[float, float]]) -> int:
        """Triage's answer for one child under today's chances."""
        p_acc, p_sign = probs[self.dist[i]]
        if self.more_info[i]:
            return second_look(self.u_tri2[i], p_acc, p_sign)
        return first_look(self.u_tri[i], p_acc, p_sign)

    def _triage_probabilities(self, now: float) -> list[tuple[float, float]]:
        """Accept and signpost probabilities per district today (criteria changes apply)."""
        day = min(int(now), self.model.days)
        out = []
        for scale in self.model.accept_multiplier:
            p_acc = min(1.0, self.p_accept * float(scale[day]))
            p_more = min(self.p_more, 1.0 - p_acc)
            out.append((p_acc, max(0.0, 1.0 - p_acc - p_more)))
        return out

    def signpost(self, i: int, now: float) -> None:
        """Triage sends the family elsewhere."""
        self.tri_t[i] = now
        self.tri_res[i] = 1
        self.leave(i, now, SIGNPOSTED)

    # ------------------------------------------------------------------ booking
    def clinic_week(self, team: int, week: int) -> None:
        """Fill this week's diary in queue order, then hold the appointments."""
        now = 7.0 * week
        self.withdrawals_due(now)
        if not self.triage_on:
            for i in self._arrived(team, now):
                self.accept(i, self.ref_t[i])
        self._staging_to_list(team, now)
        used = self.used[team][week]
        left = [a - u for a, u in zip(self.avail[team][week], used, strict=True)]
        start = list(left)
        share = self.new_share
        follow_left = [x * (1.0 - share) for x in left]
        new_left = [x * share for x in left]
        self._book_follow_ups(team, now, follow_left)
        self._book_new(team, now, new_left)
        pooled = [a + b for a, b in zip(follow_left, new_left, strict=True)]
        self._book_follow_ups(team, now, pooled)
        self._book_new(team, now, pooled)
        for p, (s, e) in enumerate(zip(start, pooled, strict=True)):
            used[p] += s - e

    def _staging_to_list(self, team: int, now: float) -> None:
        """Children accepted long enough ago join the new-patient list of their class."""
        staging = self.staging[team]
        if not staging.batches or staging.batches[0][0] > now:
            return
        new_q, prio, push, n = self.new_q[team], self.prio, heapq.heappush, self.n_initial
        for i in staging.take(now, 1 << 62):
            if i < n:
                push(new_q[prio[i]], i)
            else:
                push(self.back_q[team][prio[i]], (self.ref_t[i], i))

    def _book_follow_ups(self, team: int, now: float, left: list[float]) -> None:
        """Later appointments first (finish what is started), each step in ready order."""
        queues = self.follow_q[team]
        for step in range(len(queues) - 1, 0, -1):
            queue = queues[step]
            batches = queue.batches
            if not batches or batches[0][0] > now:
                continue
            need = self.model.step_hours[step]
            taken = queue.take(now, _room(left, need))
            if taken:
                _spend(left, need, len(taken))
                self.hold(taken, step, now + APPOINTMENT_DAY)

    def _book_new(self, team: int, now: float, left: list[float]) -> None:
        """Initial appointments, in the order the booking policy sets."""
        room = _room(left, self.model.step_hours[0])
        if room <= 0:
            return
        overhead = self.model.scenario.booking.pool_travel_overhead_share
        if overhead > 0 and self.pooled[team]:
            self._book_new_pooled(team, now, left, overhead)
            return
        if self.model.queue_order == 1 or len(self.new_q[team]) == 1:
            taken = self._take_by_priority(team, now, room)
        else:
            taken = []
            while room > 0:
                i = self.pop_next(team, now)
                if i < 0:
                    break
                taken.append(i)
                room -= 1
        if taken:
            _spend(left, self.model.step_hours[0], len(taken))
            self.hold(taken, 0, now + APPOINTMENT_DAY)

    def _book_new_pooled(self, team: int, now: float, left: list[float], overhead: float) -> None:
        """A pool's list in queue order, one child at a time; another team's child costs the
        travel overhead too. The first who does not fit goes back, and the diary closes."""
        need = self.model.step_hours[0]
        taken = []
        while True:
            saved = list(self.credit[team])
            i = self.pop_next(team, now)
            if i < 0:
                break
            factor = 1.0 + overhead if self.team[i] != team else 1.0
            if any(left[p] + EPS < h * factor for p, h in need):
                if i < self.n_initial:
                    heapq.heappush(self.new_q[team][self.prio[i]], i)
                else:
                    heapq.heappush(self.back_q[team][self.prio[i]], (self.ref_t[i], i))
                self.credit[team][:] = saved
                break
            for p, h in need:
                left[p] -= h * factor
            taken.append(i)
        if taken:
            self.hold(taken, 0, now + APPOINTMENT_DAY)

    def _take_by_priority(self, team: int, now: float, room: int) -> list[int]:
        """`pop_next` under strict priority, `room` times, in one loop: each class's list is
        read front first (cohort heap and returning children merged), children who left are
        dropped on the way, exactly as `_clean_head` would drop them before each pop."""
        heaps, backs = self.new_q[team], self.back_q[team]
        for heap, back in zip(heaps, backs, strict=True):
            self._clean_head(heap, back, now)
        taken = []
        ref_t, pop, exit_code, wd_t = self.ref_t, heapq.heappop, self.exit_code, self.wd_t
        for heap, back in zip(heaps, backs, strict=True):
            while heap or back:
                if back and (not heap or back[0] < (ref_t[heap[0]], heap[0])):
                    i = pop(back)[1]
                else:
                    i = pop(heap)
                if exit_code[i] != WAITING:
                    continue
                if wd_t[i] <= now:
                    self.leave(i, wd_t[i], WITHDRAWN)
                    continue
                taken.append(i)
                room -= 1
                if room <= 0:
                    return taken
        return taken

    def _clean_head(self, heap: list[int], back: list[tuple[float, int]], now: float) -> None:
        """Drop children who left from the front of a class's list, in list order."""
        wd_t, exit_code, ref_t, pop = self.wd_t, self.exit_code, self.ref_t, heapq.heappop
        while heap and not back:  # the usual case: no returning children waiting
            i = heap[0]
            if exit_code[i] != WAITING:
                pop(heap)
            elif wd_t[i] <= now:
                pop(heap)
                self.leave(i, wd_t[i], WITHDRAWN)
            else:
                return
        while True:
            if back and (not heap or back[0] < (ref_t[heap[0]], heap[0])):
                i, source = back[0][1], back
            elif heap:
                i, source = heap[0], heap
            else:
                return
            if exit_code[i] != WAITING:
                pop(source)
            elif wd_t[i] <= now:
                pop(source)
                self.leave(i, wd_t[i], WITHDRAWN)
            else:
                return

    def _head(self, c: int, heaps: list[list[int]], backs: list[list]) -> tuple[float, int]:
        """The (referral day, child) key at the front of a class's list (INF when empty)."""
        heap, back = heaps[c], backs[c]
        key = (self.ref_t[heap[0]], heap[0]) if heap else (INF, -1)
        return back[0] if back and back[0] < key else key

    def pop_next(self, team: int, now: float) -> int:
        """The next child to offer a new-patient slot to (children who left are dropped)."""
        heaps, backs = self.new_q[team], self.back_q[team]
        for heap, back in zip(heaps, backs, strict=True):  # so the choice is between real children
            self._clean_head(heap, back, now)
        c = self._choose_class(team, heaps, backs)
        if c < 0:
            return -1
        key = self._head(c, heaps, backs)
        if backs[c] and backs[c][0] is key:
            return heapq.heappop(backs[c])[1]
        return heapq.heappop(heaps[c])

    def _choose_class(self, team: int, heaps: list[list[int]], backs: list[list]) -> int:
        order = self.model.queue_order
        if len(heaps) == 1:
            return 0 if heaps[0] or backs[0] else -1
        if order == 0:  # referral date, whatever the class
            best, best_key = -1, INF
            for c in range(len(heaps)):
                day = self._head(c, heaps, backs)[0]
                if day < best_key:
                    best, best_key = c, day
            return best
        if order == 1:  # strict priority
            for c, heap in enumerate(heaps):
                if heap or backs[c]:
                    return c
            return -1
        return self._share_class(team, [h or b for h, b in zip(heaps, backs, strict=True)])

    def _share_class(self, team: int, heaps: list[list]) -> int:
        """Deficit round robin: each slot, every class with children waiting earns its share
        of a slot in credit; the class with most credit gets the slot and pays for it. Credit
        runs on across rounds and weeks, so even one slot a week honours the shares over
        time; a class with nobody waiting keeps no credit (no burst when children arrive)."""
        credit, shares = self.credit[team], self.model.slot_shares
        waiting = [c for c, heap in enumerate(heaps) if heap]
        if not waiting:
            return -1
        total = sum(shares[c] for c in waiting) or float(len(waiting))
        best, best_credit = -1, -INF
        for c in range(len(heaps)):
            if not heaps[c]:
                credit[c] = 0.0
                continue
            credit[c] += (shares[c] or 0.0) / total if total else 1.0 / len(waiting)
            if credit[c] > best_credit:
                best, best_credit = c, credit[c]
        credit[best] -= 1.0
        return best

    def hold(self, children: list[int], step: int, t: float) -> None:
        """Appointments take place: attended (move on) or DNA (slot lost, rebook).

        Before the last step nothing an attender does touches a child who missed, so the
        two groups are handled apart, and attenders join the next queue as one batch.
        """
        self.appointments += len(children)
        if step == self.last_step:
            self._hold_last(children, step, t)
            return
        dna_left = self.dna_left[step]
        missed = [i for i in children if dna_left[i] > 0]
        attended = children
        if missed:
            attended = [i for i in children if dna_left[i] <= 0]
            self._missed(missed, step, t)
            if not attended:
                return
        self.step_log[step].append((t, tuple(attended)))
        if step == 0:
            first_t = self.first_t
            for i in attended:
                first_t[i] = t
        # next appointment: a later week, and at least the gap after this one's week starts
        ready = t - APPOINTMENT_DAY + self.gap_days[step]
        for team, group in self._by_team(attended):  # a pool books other teams' children
            self.follow_q[team][step + 1].push(ready, group)

    def _by_team(self, children: list[int]) -> list[tuple[int, list[int]]]:
        """The children grouped by their own team, in order."""
        groups: dict[int, list[int]] = {}
        for i in children:
            groups.setdefault(self.team[i], []).append(i)
        return list(groups.items())

    def _hold_last(self, children: list[int], step: int, t: float) -> None:
        """The last appointment: outcomes and DNAs in diary order (both can cause returns)."""
        dna_left, first_t, first = self.dna_left[step], self.first_t, step == 0
        outcome_of, outcome, out_t = self.outcome_of, self.outcome, self.out_t
        exit_code, exit_t, returns = self.exit_code, self.exit_t, self.returns
        done = []
        for i in children:
            if dna_left[i] > 0:
                self._missed([i], step, t)
                continue
            if first:  # a one-appointment pathway
                first_t[i] = t
            done.append(i)
            outcome[i] = outcome_of[i]
            out_t[i] = t
            exit_code[i] = ASSESSED
            exit_t[i] = t
            if returns[i]:
                self._may_return(i, t, ASSESSED)
        if done:
            self.step_log[step].append((t, tuple(done)))

    def _missed(self, children: list[int], step: int, t: float) -> None:
        """DNA: discharged after too many, else rebooked (patience stopped while booked)."""
        dna_left, n_dna, discharge = self.dna_left[step], self.n_dna, self.discharge_after
        rebook = []
        for i in children:
            dna_left[i] -= 1
            n_dna[i] += 1
            if discharge and n_dna[i] >= discharge:
                self.leave(i, t, WITHDRAWN)
                continue
            rebook.append(i)
            if step == 0:  # back on the list; patience did not run while booked
                self.wd_t[i] += APPOINTMENT_DAY
                if self.wd_t[i] < self.model.days:
                    heapq.heappush(self.wd_heap, (self.wd_t[i], i))
        for team, group in self._by_team(rebook):
            if step == 0:
                self.staging[team].push(t + self.lead_days, group)
            else:
                self.follow_q[team][step].push(t, group)

    def complete(self, i: int, t: float) -> None:
        """The last appointment gives the outcome."""
        self.outcome[i] = self.outcome_of[i]
        self.out_t[i] = t
        self.leave(i, t, ASSESSED)

    # ------------------------------------------------------------------ workshops
    def workshop_session(self, team: int, k: int, week: int) -> None:
        """Families who signed up attend in order; some find their need met and leave."""
        t = 7.0 * week + WORKSHOP_DAY
        self.withdrawals_due(t)
        workshop = self.workshops[k]
        queue = self.ws_q[team][k]
        places = workshop.places_per_session
        met_mask, bit = self.met_mask, 1 << k
        first_t, exit_code, wd_t, ws_mask = self.first_t, self.exit_code, self.wd_t, self.ws_mask
        while places > 0 and queue:
            i = queue.popleft()
            if exit_code[i] != WAITING:
                continue
            unseen = first_t[i] != first_t[i]  # NaN: not yet had a first appointment
            if unseen and wd_t[i] <= t:
                self.leave(i, wd_t[i], WITHDRAWN)
                continue
            places -= 1
            ws_mask[i] |= bit
            if unseen and met_mask[i] & bit:
                self.leave(i, t, MET_BY_WORKSHOP)

    # ------------------------------------------------------------------ outsourcing
    def outsource(self, block, week: int) -> None:
        """The provider takes the next children in queue order from the districts it covers."""
        now = 7.0 * week
        self.withdrawals_due(now)
        allowed = set(block.districts)
        teams = sorted({self.model.team_of_district[d] for d in block.districts})
        for team in teams:  # children accepted long enough ago are on the list
            self._staging_to_list(team, now)
        for _ in range(block.per_week[week]):
            i = self._pop_for_block(teams, allowed, now)
            if i < 0:
                return
            t = now + APPOINTMENT_DAY
            self.first_t[i] = t
            self.outsourced[i] = True
            self.outsourced_ids.append(i)
            self.outsourced_cost_gbp += block.price_gbp_each
            self.complete(i, t + 7.0 * block.weeks_to_outcome)

    def _pop_for_block(self, teams: list[int], allowed: set[int], now: float) -> int:
        strict = self.model.queue_order != 0
        while True:
            best, best_key = None, (INF, INF)
            for team in teams:
                for c, heap in enumerate(self.new_q[team]):
                    key = self._first_allowed(heap, self.back_q[team][c], allowed)
                    if key is not None:
                        rank = (c if strict else 0, key[0])
                        if rank < best_key:
                            best, best_key = (team, c, key), rank
            if best is None:
                return -1
            team, c, key = best
            i = key[1]
            if i < self.n_initial:
                heap = self.new_q[team][c]
                heap.remove(i)
            else:
                heap = self.back_q[team][c]
                heap.remove(key)
            heapq.heapify(heap)
            if self.exit_code[i] != WAITING:
                continue
            if self.wd_t[i] <= now:
                self.leave(i, self.wd_t[i], WITHDRAWN)
                continue
            return i

    def _first_allowed(self, heap: list[int], back: list, allowed: set[int]) -> tuple | None:
        """Earliest (referral day, child) of a class from an allowed district (children who
        left are dropped from the fronts)."""
        exit_code, dist, ref_t = self.exit_code, self.dist, self.ref_t
        while heap and exit_code[heap[0]] != WAITING:
            heapq.heappop(heap)
        while back and exit_code[back[0][1]] != WAITING:
            heapq.heappop(back)
        keys = [(ref_t[heap[0]], heap[0])] if heap else []
        keys += back[:1]
        if keys and dist[min(keys)[1]] in allowed:
            return min(keys)
        candidates = [(ref_t[i], i) for i in heap if dist[i] in allowed and exit_code[i] == 0]
        candidates += [e for e in back if dist[e[1]] in allowed and exit_code[e[1]] == 0]
        return min(candidates) if candidates else None

    # ------------------------------------------------------------------ exits
    def leave(self, i: int, t: float, reason: int) -> None:
        """A child leaves the pathway; some come back later as a new referral."""
        self.exit_code[i] = reason
        self.exit_t[i] = t
        if self.returns[i]:
            self._may_return(i, t, reason)

    def _may_return(self, i: int, t: float, reason: int) -> None:
        """A family drawn to come back does so if its way of leaving allows and in time."""
        label = _REREFERRAL_LABEL.get(reason)
        if reason == ASSESSED:
            label = "no_nd" if self.outcome[i] == NO_ND else None
        if label not in self.reref_after:
            return
        n = self.n_initial
        when = t + (float(self.delay_start[i]) if i < n else self.delay_back[i - n])
        if when < self.model.days:
            self._rereferral(i, when)

    def _rereferral(self, parent: int, when: float) -> None:
        j = len(self.ref_t)
        pool, k = self._pool_row(self.dist[parent])
        self.ref_t.append(when)
        for name in ("dist", "team", "prio"):
            values = getattr(self, name)
            values.append(values[parent])
        self.wd_t.append(when + pool["withdraw_day"][k])
        if self.decision is not None:
            self.decision.append(pool["decision"][k])
            self.again.append(pool["again"][k])
        else:
            self.u_tri.append(pool["u_triage"][k])
            self.u_tri2.append(pool["u_triage_again"][k])
        self.outcome_of.append(pool["outcome_of"][k])
        self.returns.append(pool["returns"][k])
        self.delay_back.append(pool["rereferral_delay_days"][k])
        self.met_mask.append(pool["met_mask"][k])
        self.ws_wanted.append(pool["wanted"][k])
        for col, values in enumerate(self.dna_left):
            values.append(pool["dna_counts"][k][col])
        self.parent.append(parent)
        for name, blank in _OUTPUT_BLANKS:
            getattr(self, name).append(blank)
        heapq.heappush(self.reref_heap[self.team[j]], (when, j))
        if self.wd_t[j] < self.model.days:
            heapq.heappush(self.wd_heap, (self.wd_t[j], j))

    def _pool_row(self, district: int) -> tuple[dict[str, list], int]:
        """Random habits for returning children, drawn in blocks from a stream per district
        (so that a shock in one team never changes the children of another)."""
        pool = self.pools[district]
        k = self.pool_next[district]
        if k >= len(pool.get("withdraw_day", ())):
            name = f"rereferrals/{self.model.districts[district]}/{k // REFERRAL_POOL}"
            zeros = np.zeros(REFERRAL_POOL)
            rows = attributes(self.model, REFERRAL_POOL, name, self.seed, self.replication, zeros)
            here = np.full(REFERRAL_POOL, district)
            habit = {
                k: v.tolist() for k, v in habits(self.model, self.fixed_probs, rows, here).items()
            }
            for key in ("withdraw_day", "rereferral_delay_days", "dna_counts"):
                habit[key] = rows[key].tolist()
            for key, values in habit.items():
                pool.setdefault(key, []).extend(values)
        self.pool_next[district] = k + 1
        return pool, k

    def finish(self) -> None:
        """At the horizon: the last withdrawals (and the returns they cause) are resolved in
        time order, and outsourced outcomes due after the horizon are undone."""
        self.withdrawals_due(self.model.days - EPS)
        days = self.model.days
        exit_code, exit_t = self.exit_code, self.exit_t
        # only outsourced outcomes can fall due at or after the horizon: every other exit
        # happens at an event (or a withdrawal dated before it), and events stop before it
        for i in self.outsourced_ids:
            if exit_code[i] != WAITING and exit_t[i] >= days:  # outcome after the horizon
                exit_code[i], exit_t[i], self.out_t[i] = WAITING, NAN, NAN
                self.outcome[i] = -1

    def _step_days(self) -> np.ndarray:
        days = np.full((len(self.step_log), len(self.ref_t)), NAN)
        for step, log in enumerate(self.step_log):
            fill_days(log, days[step])
        return days

    def results(self, replication: int) -> RawResults:
        """Compact arrays: nothing in here refers back to the simulation."""
        f = packed
        cohort, n = self.cohort, self.n_initial
        parent = np.array(self.parent, np.int64)
        root = return_roots(parent, n)

        def with_returns(values: np.ndarray, dtype: type) -> np.ndarray:
            return np.concatenate([values, values[root]]).astype(dtype)

        returning = np.full(parent.size, NEW_REFERRAL)
        return RawResults(
            replication=replication,
            referral_day=np.concatenate([cohort.referral_day, self.ref_t[n:]]).astype(float),
            district=with_returns(cohort.district, np.int16),
            pathway=with_returns(cohort.pathway, np.int8),
            priority=with_returns(cohort.priority, np.int8),
            start_stage=np.concatenate([self.start_stage, returning]).astype(np.int8),
            parent=np.concatenate([np.full(n, -1), parent]).astype(np.int32),
            triage_day=f(self.tri_t, "d", float),
            triage_result=f(self.tri_res, "b", np.int8),
            more_information=f(self.more_info, "?", bool),
            first_day=f(self.first_t, "d", float),
            outcome_day=f(self.out_t, "d", float),
            exit_day=f(self.exit_t, "d", float),
            exit_code=f(self.exit_code, "b", np.int8),
            outcome=f(self.outcome, "b", np.int8),
            dna=f(self.n_dna, "h", np.int16),
            workshops=f(self.ws_mask, "h", np.int16),
            outsourced=f(self.outsourced, "?", bool),
            step_day=self._step_days(),
            hours_available=self.model.capacity.hours,  # the schedule: no randomness
            hours_used=np.transpose(np.asarray(self.used, float), (0, 2, 1)),
            outsourced_cost_gbp=self.outsourced_cost_gbp,
            appointments=self.appointments,
            starting_ids=self.cohort.starting_ids,
            start_step=np.concatenate([self.start_step, returning]).astype(np.int8),
        )


def _groups(ids: np.ndarray, *keys: np.ndarray) -> list[tuple[tuple[int, ...], list[int]]]:
    """`ids` grouped by the distinct combinations of `keys`, each group in `ids` order."""
    if not ids.size:
        return []
    combos, which = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)
    which = which.reshape(-1)
    return [(tuple(combo.tolist()), ids[which == g].tolist()) for g, combo in enumerate(combos)]


def _room(left: list[float], need: tuple[tuple[int, float], ...]) -> int:
    """How many appointments needing these profession-hours still fit."""
    room = float(1 << 30)  # also the answer when nothing is needed
    for p, h in need:
        fit = (left[p] + EPS) // h
        if fit < room:
            room = fit
    return int(room)


def _spend(left: list[float], need: tuple[tuple[int, float], ...], count: int) -> None:
    for p, h in need:
        left[p] -= h * count


_REREFERRAL_LABEL = {
    SIGNPOSTED: "signposted",
    WITHDRAWN: "withdrawn",
    MET_BY_WORKSHOP: "met_by_workshop",
}
_OUTPUT_BLANKS = (
    ("tri_t", NAN),
    ("tri_res", -1),
    ("first_t", NAN),
    ("out_t", NAN),
    ("exit_t", NAN),
    ("exit_code", WAITING),
    ("outcome", -1),
    ("n_dna", 0),
    ("ws_mask", 0),
    ("outsourced", False),
    ("more_info", False),
)
