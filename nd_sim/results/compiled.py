"""The results' compiled passes over every child, in one file loaded on first use.

Kept apart so that importing the results (as every command's parent process does) does not
load numba (60 MB and a few tenths of a second); only the processes that work out a
replication's outputs do. Self-contained: numba's on-disk cache of a function sees changes
to its own file only.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def ranked_waits(
    referral_day: np.ndarray,
    first_at: np.ndarray,
    stop_at: np.ndarray,
    district: np.ndarray,
    member: np.ndarray,
    at_days: np.ndarray,
    low: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled (checked against numpy by a test)
    """The waits (weeks so far) at ranks low[g, a, k] and low[g, a, k] + 1 among the children
    of area g open at month end a: shape (areas, month ends, quantiles, 2).

    Child i is open at month ends first_at[i] .. stop_at[i] - 1 and belongs to the areas in
    row district[i] of `member`. Children come newest first, so each area's waits arrive in
    ascending order and each rank is met as it passes: nothing is stored or sorted. The
    next rank wanted of each (area, month end) is kept: a child's month costs one test.
    """
    n_areas, n_at, n_q = low.shape
    out = np.full((n_areas, n_at, n_q, 2), np.nan)
    seen = np.zeros((n_areas, n_at), np.int64)
    wanted = np.empty((n_areas, n_at), np.int64)
    for g in range(n_areas):
        for a in range(n_at):
            wanted[g, a] = _next_rank(low[g, a], -1)
    for i in range(referral_day.size):
        r = referral_day[i]
        d = district[i]
        for j in range(member.shape[1]):  # an area at a time: its month ends lie in a row
            g = member[d, j]
            for a in range(first_at[i], stop_at[i]):
                rank = seen[g, a]
                seen[g, a] = rank + 1
                if rank == wanted[g, a]:
                    wait = (at_days[a] - r) / 7.0
                    for k in range(n_q):
                        step = rank - low[g, a, k]
                        if step == 0 or step == 1:
                            out[g, a, k, step] = wait
                    wanted[g, a] = _next_rank(low[g, a], rank)
    return out


@numba.njit(cache=True, nogil=True)
def open_spans(
    referral_day: np.ndarray,
    exit_day: np.ndarray,
    district: np.ndarray,
    member: np.ndarray,
    at_days: np.ndarray,
    n_areas: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tested)
    """The month ends each child is open at, first_at[i] .. stop_at[i] - 1 (referred
    before, leaving after; NaN: never leaves), and how many children of each area are
    open at each month end: shape (areas, month ends). `at_days` are whole days above 0,
    ascending (`incomplete.month_end_days`), so a table by day stands in for a search."""
    n, n_at = referral_day.size, at_days.size
    first_at = np.empty(n, np.int64)
    stop_at = np.empty(n, np.int64)
    change = np.zeros((n_areas, n_at + 1), np.int64)
    after = _month_ends_after(at_days)
    for i in range(n):
        first = _searchsorted(after, referral_day[i], n_at)
        stop = max(_searchsorted(after, exit_day[i], n_at), first)  # NaN: never leaves
        first_at[i], stop_at[i] = first, stop
        for j in range(member.shape[1]):
            g = member[district[i], j]
            change[g, first] += 1
            change[g, stop] -= 1
    return first_at, stop_at, _running_totals(change, n_at)


@numba.njit(cache=True, nogil=True)
def _month_ends_after(at_days: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """For each whole day d from 0 to the last month end + 1, how many month ends fall
    before it: `np.searchsorted(at_days, d)`."""
    top = int(at_days[-1]) + 1 if at_days.size else 0
    out = np.empty(top + 1, np.int64)
    a = 0
    for d in range(top + 1):
        while a < at_days.size and at_days[a] < d:
            a += 1
        out[d] = a
    return out


@numba.njit(cache=True, nogil=True)
def _searchsorted(after: np.ndarray, day: float, n_at: int) -> int:  # pragma: no cover
    """`np.searchsorted(at_days, day)`, from `_month_ends_after` (month ends whole and
    above 0: those before `day` are those before its ceiling; NaN sorts after them all)."""
    if day != day:
        return n_at
    if not day > 0.0:
        return 0
    if day >= after.size - 1:
        return n_at
    return after[int(np.ceil(day))]


@numba.njit(cache=True, nogil=True)
def _next_rank(low: np.ndarray, after: int) -> int:  # pragma: no cover - compiled
    """The smallest rank above `after` among low[k] and low[k] + 1 (-1 when none is)."""
    best = -1
    for k in range(low.size):
        for rank in (low[k], low[k] + 1):
            if rank > after and (best < 0 or rank < best):
                best = rank
    return best


# the rows of `child_tallies`' counts, by district
TALLY_REFERRALS, TALLY_COHORT, TALLY_IN_TIME, TALLY_NOT_SEEN, TALLY_IN_ASSESSMENT = range(5)
TALLY_OUTSOURCED = 5
N_TALLIES = 6
# its samples: waits to a first appointment, to an outcome, from the first appointment to
# the outcome, and of the children still waiting at the end
SAMPLE_FIRST, SAMPLE_OUTCOME, SAMPLE_TO_OUTCOME, SAMPLE_OPEN = range(4)
N_SAMPLES = 4


@numba.njit(cache=True, nogil=True)
def child_tallies(
    district: np.ndarray,
    referral_day: np.ndarray,
    first_day: np.ndarray,
    outcome_day: np.ndarray,
    exit_code: np.ndarray,
    start_stage: np.ndarray,
    triage_result: np.ndarray,
    outsourced: np.ndarray,
    horizon_day: float,
    in_time_weeks: float,
    codes: np.ndarray,
    first_limits: np.ndarray,
    open_limits: np.ndarray,
    n_districts: int,
) -> tuple:  # pragma: no cover - compiled (tests compare it with numpy)
    """A replication's per-district tallies in one pass over its children, in child order.

    `codes`: the exit codes ASSESSED and WAITING, the start stage IN_ASSESSMENT, the
    triage result SIGNPOSTED, and the number of exit codes. Returns:
    - counts (`N_TALLIES`, districts): new referrals; the cohort referred by
      `in_time_weeks` before the horizon, not signposted; those of it first seen within
      `in_time_weeks`; the open not yet seen; the open in the assessment; the outsourced;
    - exits (exit codes, districts);
    - every sample's waits in weeks and their districts, one sample after another (sample
      s from starts[s] to starts[s + 1]); and per district their number and sum (summed in
      child order, as `numpy.bincount` with weights sums);
    - per district, the first waits at most each of `first_limits` weeks, and the open
      waits at least each of `open_limits`.
    The samples are counted first, so that their arrays are made at their size: arrays of
    a sample's room for every child made the C library fault in fresh pages, 2 ms a
    replication.
    """
    assessed, waiting, in_assessment, signposted = codes[0], codes[1], codes[2], codes[3]
    n_exits = codes[4]
    n = district.size
    which = np.zeros(n, np.uint8)  # the samples each child is in, one bit a sample
    size_by = np.zeros((N_SAMPLES, n_districts), np.int64)
    for i in range(n):
        first, code = first_day[i], exit_code[i]
        if code < 0 or code >= n_exits:
            raise ValueError("child_tallies: an exit code outside 0 .. n_exits - 1")
        bits = 0
        if first == first and start_stage[i] != in_assessment and first >= 0:
            bits |= 1 << SAMPLE_FIRST
        if code == assessed and outcome_day[i] >= 0:
            bits |= 1 << SAMPLE_OUTCOME
            if first == first:
                bits |= 1 << SAMPLE_TO_OUTCOME
        if code == waiting:
            bits |= 1 << SAMPLE_OPEN
        which[i] = bits
        for s in range(N_SAMPLES):
            if bits & (1 << s):
                size_by[s, district[i]] += 1
    starts = np.zeros(N_SAMPLES + 1, np.int64)
    for s in range(N_SAMPLES):
        starts[s + 1] = starts[s] + size_by[s].sum()
    values = np.empty(starts[-1])
    where = np.empty(starts[-1], np.int64)
    filled = starts[:-1].copy()
    sums = np.zeros((N_SAMPLES, n_districts))
    counts = np.zeros((N_TALLIES, n_districts), np.int64)
    exits = np.zeros((n_exits, n_districts), np.int64)
    first_within = np.zeros((first_limits.size, n_districts), np.int64)
    open_over = np.zeros((open_limits.size, n_districts), np.int64)
    cohort_last_day = horizon_day - 7.0 * in_time_weeks
    for i in range(n):
        d, bits = district[i], which[i]
        ref, first, out = referral_day[i], first_day[i], outcome_day[i]
        exits[exit_code[i], d] += 1
        first_wait = (first - ref) / 7.0
        if bits & (1 << SAMPLE_FIRST):
            _sample_add(values, where, filled, sums, SAMPLE_FIRST, first_wait, d)
            for k in range(first_limits.size):
                if first_wait <= first_limits[k]:
                    first_within[k, d] += 1
        if bits & (1 << SAMPLE_OUTCOME):
            _sample_add(values, where, filled, sums, SAMPLE_OUTCOME, (out - ref) / 7.0, d)
        if bits & (1 << SAMPLE_TO_OUTCOME):
            _sample_add(values, where, filled, sums, SAMPLE_TO_OUTCOME, (out - first) / 7.0, d)
        if bits & (1 << SAMPLE_OPEN):
            open_wait = (horizon_day - ref) / 7.0
            _sample_add(values, where, filled, sums, SAMPLE_OPEN, open_wait, d)
            for k in range(open_limits.size):
                if open_wait >= open_limits[k]:
                    open_over[k, d] += 1
            if first == first or start_stage[i] == in_assessment:
                counts[TALLY_IN_ASSESSMENT, d] += 1
            else:
                counts[TALLY_NOT_SEEN, d] += 1
        if start_stage[i] < 0:
            counts[TALLY_REFERRALS, d] += 1
            if ref <= cohort_last_day and triage_result[i] != signposted:
                counts[TALLY_COHORT, d] += 1
                if first_wait <= in_time_weeks:  # NaN (never seen) is not
                    counts[TALLY_IN_TIME, d] += 1
        if outsourced[i]:
            counts[TALLY_OUTSOURCED, d] += 1
    return counts, exits, values, where, starts, size_by, sums, first_within, open_over


@numba.njit(cache=True, nogil=True)
def _sample_add(
    values: np.ndarray,
    where: np.ndarray,
    filled: np.ndarray,
    sums: np.ndarray,
    s: int,
    value: float,
    d: int,
) -> None:  # pragma: no cover - compiled
    """Append a value of district d to sample s."""
    values[filled[s]] = value
    where[filled[s]] = d
    filled[s] += 1
    sums[s, d] += value


@numba.njit(cache=True, nogil=True)
def in_stay_at(
    district: np.ndarray, start: np.ndarray, end: np.ndarray, day: float, n_districts: int
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy)
    """Children of each district in a stay at `day` (start <= day < end), one pass."""
    out = np.zeros(n_districts, np.int64)
    for i in range(district.size):
        if start[i] <= day and end[i] > day:
            out[district[i]] += 1
    return out


@numba.njit(cache=True, nogil=True)
def week_counts(
    district: np.ndarray,
    days: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    n_districts: int,
    weeks: int,
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy's binning)
    """Events per group, district and week of each time, one pass (group -1: not counted):
    shape (groups, districts, weeks + 1), the last column for times never reached (NaN)
    or after the horizon (`_weeks`), dropped later."""
    out = np.zeros((n_groups, n_districts, weeks + 1), np.int64)
    week = _weeks(days, weeks)
    for i in range(days.size):
        if group[i] >= 0:
            out[group[i], district[i], week[i]] += 1
    return out


@numba.njit(cache=True, nogil=True)
def week_stock(
    district: np.ndarray, start: np.ndarray, end: np.ndarray, n_districts: int, weeks: int
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy's binning)
    """How many children per district are in [start, end) at the end of each week: those
    begun by then less those ended, binned as `week_counts` bins them, in one pass."""
    change = np.zeros((n_districts, weeks + 1), np.int64)
    begun, ended = _weeks(start, weeks), _weeks(end, weeks)  # vectorised loops
    for i in range(start.size):
        change[district[i], begun[i]] += 1
        change[district[i], ended[i]] -= 1
    return _running_totals(change, weeks)


@numba.njit(cache=True, nogil=True)
def _running_totals(change: np.ndarray, width: int) -> np.ndarray:  # pragma: no cover
    """Each row's running sum of its first `width` changes: how many are in, column by
    column, of those that came in (+1) and went (-1)."""
    out = np.empty((change.shape[0], width), np.int64)
    for row in range(change.shape[0]):
        total = 0
        for col in range(width):
            total += change[row, col]
            out[row, col] = total
    return out


@numba.njit(cache=True, nogil=True)
def _weeks(days: np.ndarray, weeks: int) -> np.ndarray:  # pragma: no cover - compiled
    """Each time's week, floor(day / 7): before the start -> 0, never (NaN) or after the
    horizon -> `weeks` (a column dropped later). A loop of its own vectorises: binning as
    it goes took a third longer."""
    top = float(weeks)
    out = np.empty(days.size, np.int64)
    for i in range(days.size):
        f = np.floor(days[i] / 7.0)
        out[i] = weeks if not f <= top else (0 if f < 0 else int(f))  # NaN: not <= top
    return out


@numba.njit(cache=True, nogil=True)
def ranked_values(
    values: np.ndarray, district: np.ndarray, member: np.ndarray, low: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled (checked against numpy by a test)
    """The values at ranks low[g, k] and low[g, k] + 1 among area g's values: shape
    (areas, quantiles, 2), NaN where the area has no such rank.

    `values` are ascending; value i belongs to the areas in row district[i] of `member`
    (one area a layer: its district, its team, the county). One pass serves every area,
    so no area is sorted on its own.
    """
    n_areas, n_q = low.shape
    out = np.full((n_areas, n_q, 2), np.nan)
    seen = np.zeros(n_areas, np.int64)
    for i in range(values.size):
        v = values[i]
        d = district[i]
        for j in range(member.shape[1]):
            g = member[d, j]
            rank = seen[g]
            seen[g] = rank + 1
            for k in range(n_q):
                step = rank - low[g, k]
                if step == 0 or step == 1:
                    out[g, k, step] = v
    return out


_BUCKETS = 512  # value ranges a selection splits the values into


@numba.njit(cache=True, nogil=True)
def selected_values(
    values: np.ndarray, district: np.ndarray, member: np.ndarray, low: np.ndarray
) -> tuple[np.ndarray, bool]:  # pragma: no cover - compiled (checked against numpy by a test)
    """What `ranked_values` gives for `values` in any order, without sorting them all; and
    False (nothing selected) when a value is not finite or is -0.0, for the caller to sort
    instead.

    A quantile needs a few order statistics of each area, not a sorted list. The values'
    range is cut into `_BUCKETS` equal parts: the part of a value never decreases as the
    value grows (a difference and a product by a positive number round monotonically), so
    every value of a lower part is smaller. Per area, counts by part show which part holds
    each wanted rank; only those parts' values are gathered and sorted.
    """
    n_areas, n_q = low.shape
    out = np.full((n_areas, n_q, 2), np.nan)
    if values.size == 0:
        return out, True
    least, most = values[0], values[0]
    for v in values:
        if not np.isfinite(v) or (v == 0.0 and math.copysign(1.0, v) < 0.0):
            return out, False  # -0.0: its sign at a rank depends on the order of ties
        least, most = min(least, v), max(most, v)
    scale = (_BUCKETS - 1) / (most - least) if most > least else 0.0
    part = np.empty(values.size, np.int64)
    for i in range(values.size):
        x = (values[i] - least) * scale
        part[i] = int(x) if x < _BUCKETS - 1 else _BUCKETS - 1  # x is never below 0
    by_district = np.zeros((member.shape[0], _BUCKETS), np.int64)
    for i in range(values.size):
        by_district[district[i], part[i]] += 1
    counts = np.zeros((n_areas, _BUCKETS), np.int64)
    for d in range(member.shape[0]):
        for j in range(member.shape[1]):
            for b in range(_BUCKETS):  # loops, not array expressions: quicker to compile
                counts[member[d, j], b] += by_district[d, b]
    slot, where, sizes, n_slots = _rank_places(counts, low)
    starts = np.zeros(n_slots + 1, np.int64)
    for k in range(n_slots):
        starts[k + 1] = starts[k] + sizes[k]
    gathered = np.empty(starts[-1])
    filled = starts[:-1].copy()
    wanted = np.zeros((member.shape[0], _BUCKETS), np.bool_)  # by district: any area's
    for d in range(member.shape[0]):
        for j in range(member.shape[1]):
            for b in range(_BUCKETS):
                wanted[d, b] |= slot[member[d, j], b] >= 0
    for i in range(values.size):
        if not wanted[district[i], part[i]]:
            continue
        for j in range(member.shape[1]):
            k = slot[member[district[i], j], part[i]]
            if k >= 0:
                gathered[filled[k]] = values[i]
                filled[k] += 1
    for k in range(n_slots):
        _heap_sort(gathered, starts[k], starts[k + 1])
    for g in range(n_areas):
        for k in range(n_q):
            for step in range(2):
                if where[g, k, step, 0] >= 0:
                    out[g, k, step] = gathered[starts[where[g, k, step, 0]] + where[g, k, step, 1]]
    return out, True


@numba.njit(cache=True, nogil=True)
def _rank_places(
    counts: np.ndarray, low: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover - compiled
    """Where each wanted rank (low[g, k] and low[g, k] + 1) of each area lies, from the
    area's counts by value range: the ranges to gather, numbered (`slot`, -1: not needed),
    each rank's slot and its place in the slot (`where`), each slot's size, and how many."""
    n_areas, n_q = low.shape
    slot = np.full((n_areas, _BUCKETS), -1, np.int64)
    where = np.full((n_areas, n_q, 2, 2), -1, np.int64)
    sizes = np.zeros(n_areas * n_q * 2, np.int64)
    n_slots = 0
    for g in range(n_areas):
        total = 0
        for b in range(_BUCKETS):
            total += counts[g, b]
        for k in range(n_q):
            for step in range(2):
                rank = low[g, k] + step
                if rank < 0 or rank >= total:
                    continue
                b, before = 0, 0
                while before + counts[g, b] <= rank:
                    before += counts[g, b]
                    b += 1
                if slot[g, b] < 0:
                    slot[g, b] = n_slots
                    sizes[n_slots] = counts[g, b]
                    n_slots += 1
                where[g, k, step, 0] = slot[g, b]
                where[g, k, step, 1] = rank - before
    return slot, where, sizes, n_slots


@numba.njit(cache=True, nogil=True)
def _heap_sort(values: np.ndarray, lo: int, hi: int) -> None:  # pragma: no cover - compiled
    """values[lo:hi] in ascending order, in place (numba's own np.sort took a second more
    to compile). Equal values may change places, which is harmless where no two equal
    values differ in their bits (no -0.0 beside 0.0: `selected_values` sorts those)."""
    n = hi - lo
    for start in range(n // 2 - 1, -1, -1):
        _sift(values, lo, start, n)
    for end in range(n - 1, 0, -1):
        values[lo], values[lo + end] = values[lo + end], values[lo]
        _sift(values, lo, 0, end)


@numba.njit(cache=True, nogil=True)
def _sift(values: np.ndarray, lo: int, pos: int, n: int) -> None:  # pragma: no cover
    """Move values[lo + pos] down its max-heap (of n values from lo) to its place."""
    item = values[lo + pos]
    while True:
        child = 2 * pos + 1
        if child >= n:
            break
        if child + 1 < n and values[lo + child + 1] > values[lo + child]:
            child += 1
        if not values[lo + child] > item:
            break
        values[lo + pos] = values[lo + child]
        pos = child
    values[lo + pos] = item


@numba.njit(cache=True, nogil=True)
def pathway_waits(
    referral_day: np.ndarray,
    outcome_day: np.ndarray,
    exit_day: np.ndarray,
    start_stage: np.ndarray,
    triage_result: np.ndarray,
    exit_code: np.ndarray,
    district: np.ndarray,
    horizon_day: float,
    codes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled (tests: numpy)
    """Each child referred during the run and not signposted at triage, in child order:
    weeks from referral to an outcome (assessed, `done`), to leaving (censored) or to the
    horizon (still waiting, censored), and its district; children with no such time left
    out. `codes`: the triage code for signposted, the exit codes for assessed and waiting."""
    signposted, assessed, waiting = codes[0], codes[1], codes[2]
    n = referral_day.size
    weeks = np.empty(n)
    done = np.empty(n, np.bool_)
    where = np.empty(n, np.int64)
    k = 0
    for i in range(n):
        if start_stage[i] >= 0 or triage_result[i] == signposted:
            continue
        assessed_now = exit_code[i] == assessed and outcome_day[i] >= 0
        end = outcome_day[i] if assessed_now else exit_day[i]
        if exit_code[i] == waiting:
            end = horizon_day
        wait = (end - referral_day[i]) / 7.0
        if wait != wait:  # NaN: no time to count
            continue
        weeks[k], done[k], where[k] = wait, assessed_now, district[i]
        k += 1
    return weeks[:k], done[:k], where[:k]


@numba.njit(cache=True, nogil=True)
def quarter_tallies(
    district: np.ndarray,
    referral_day: np.ndarray,
    outcome_day: np.ndarray,
    start_stage: np.ndarray,
    triage_result: np.ndarray,
    exit_code: np.ndarray,
    bounds: np.ndarray,
    horizon_day: float,
    within_days: np.ndarray,
    codes: np.ndarray,
    n_districts: int,
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy)
    """Per district and calendar quarter of referral (`bounds`: each quarter's first day,
    the first 0), the children referred during the run and not signposted at triage, then
    of them those assessed within each of `within_days` of referral: shape
    (1 + len(within_days), districts, quarters), in one pass. `codes`: the triage code
    for signposted, the exit code for assessed."""
    signposted, assessed = codes[0], codes[1]
    n_q = bounds.size
    out = np.zeros((1 + within_days.size, n_districts, n_q), np.int64)
    for i in range(referral_day.size):
        ref = referral_day[i]
        if start_stage[i] >= 0 or triage_result[i] == signposted:
            continue
        if not (ref >= 0.0 and ref < horizon_day):
            continue
        q = 0  # the last quarter begun by the referral (searchsorted's side="right", - 1)
        while q + 1 < n_q and bounds[q + 1] <= ref:
            q += 1
        d = district[i]
        out[0, d, q] += 1
        if exit_code[i] == assessed:
            wait = outcome_day[i] - ref
            for j in range(within_days.size):
                if wait <= within_days[j]:
                    out[1 + j, d, q] += 1
    return out


@numba.njit(cache=True, nogil=True)
def km_crossings(
    t: np.ndarray,
    event: np.ndarray,
    district: np.ndarray,
    member: np.ndarray,
    n_areas: int,
    threshold: float,
) -> np.ndarray:  # pragma: no cover - compiled (checked against km.km_quantile by a test)
    """Per area, the first event time at which its Kaplan–Meier survival falls to
    `threshold` or below; where it never does, the area's longest time (NaN: no children).

    `t` ascending (ties in any order); child i belongs to the areas in row district[i] of
    `member`. Each area's curve is the product, over its distinct event times in order, of
    1 - events / at risk: the arithmetic of `km._sorted_curve`, for every area in one pass.
    """
    size = np.zeros(n_areas, np.int64)
    for i in range(t.size):
        for j in range(member.shape[1]):
            size[member[district[i], j]] += 1
    passed = np.zeros(n_areas, np.int64)
    count = np.zeros(n_areas, np.int64)
    events = np.zeros(n_areas, np.int64)
    survival = np.ones(n_areas)
    out = np.full(n_areas, np.nan)
    done = np.zeros(n_areas, np.bool_)
    touched = np.empty(n_areas, np.int64)
    i = 0
    while i < t.size:
        n_touched = 0
        j = i
        while j < t.size and t[j] == t[i]:
            for layer in range(member.shape[1]):
                g = member[district[j], layer]
                if count[g] == 0:
                    touched[n_touched] = g
                    n_touched += 1
                count[g] += 1
                events[g] += 1 if event[j] else 0
            j += 1
        for x in range(n_touched):
            g = touched[x]
            if not done[g]:
                if events[g] > 0:
                    survival[g] *= 1.0 - events[g] / (size[g] - passed[g])
                    if survival[g] <= threshold:
                        done[g] = True
                out[g] = t[i]  # the crossing, or so far the longest time
            passed[g] += count[g]
            count[g] = 0
            events[g] = 0
        i = j
    return out


@numba.njit(cache=True, nogil=True)
def stays(
    referral_day: np.ndarray,
    triage_day: np.ndarray,
    accepted: np.ndarray,
    first_day: np.ndarray,
    exit_day: np.ndarray,
    starts_inside: np.ndarray,
    start_step: np.ndarray,
    step_day: np.ndarray,
    outsourced: np.ndarray,
    band_days: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy)
    """Start and end (days; inf: never, or still there) of each child's stay in each
    waiting stage, one pass: rows 2k and 2k + 1 of the result are stay k's starts and
    ends, in the order `weekly.intervals_of` names them (waiting for triage, for a first
    appointment, in the assessment, open; open at least each of `band_days` less a
    nanosecond; waiting for each appointment after the first; for an outsourced
    provider's outcome)."""
    n, n_steps, n_bands = referral_day.size, step_day.shape[0], band_days.size
    out = np.empty((2 * (4 + n_bands + n_steps), n))
    inf = np.inf
    for i in range(n):
        ref, first = referral_day[i], first_day[i]
        gone = inf if np.isnan(exit_day[i]) else exit_day[i]
        seen = not np.isnan(first)
        inside = starts_inside[i]
        out[0, i] = ref  # waiting for triage
        out[1, i] = gone if np.isnan(triage_day[i]) else triage_day[i]
        start = triage_day[i] if accepted[i] and not inside else inf  # for a first appointment
        out[2, i] = start
        out[3, i] = inf if np.isinf(start) else (first if seen else gone)
        start = -inf if inside else (first if seen else inf)  # in the assessment
        out[4, i] = start
        out[5, i] = inf if start == inf else gone
        out[6, i], out[7, i] = ref, gone  # open
        for b in range(n_bands):  # open and waiting at least this long
            start = ref + band_days[b] - 1e-9  # exactly N weeks counts as N weeks
            out[8 + 2 * b, i] = start
            out[9 + 2 * b, i] = np.nan if np.isnan(start) else max(gone, start)
        row = 8 + 2 * n_bands
        for k in range(1, n_steps):  # waiting for step k, from attending step k - 1
            before, this = step_day[k - 1, i], step_day[k, i]
            start = -inf if start_step[i] == k else (inf if np.isnan(before) else before)
            out[row, i] = start
            out[row + 1, i] = inf if start == inf else (gone if np.isnan(this) else this)
            row += 2
        taken = outsourced[i] and seen  # waiting for the provider's outcome
        out[row, i] = first if taken else inf
        out[row + 1, i] = gone if taken else inf
    return out


@numba.njit(cache=True, nogil=True)
def stay_weeks(
    district: np.ndarray, start: np.ndarray, end: np.ndarray, horizon_day: float, n_districts: int
) -> np.ndarray:  # pragma: no cover - compiled (tests compare it with numpy)
    """Weeks each district's children spent in a stay inside [0, horizon], summed in child
    order (as `numpy.bincount` with weights sums): max(clip(end) - clip(start), 0) / 7."""
    out = np.zeros(n_districts)
    for i in range(start.size):
        inside = _clip(end[i], horizon_day) - _clip(start[i], horizon_day)
        out[district[i]] += (inside if inside >= 0.0 or inside != inside else 0.0) / 7.0
    return out


@numba.njit(cache=True, nogil=True)
def _clip(day: float, horizon_day: float) -> float:  # pragma: no cover - compiled
    """`numpy.clip(day, 0, horizon_day)`, NaN kept."""
    if day != day:
        return day
    return min(max(day, 0.0), horizon_day)
