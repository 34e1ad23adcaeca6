"""Compiled passes over every child of a replication at once, for `rng`, `cohort`, `habits`.

numpy's per-call cost (a few µs) dominates when a replication's random draws come from a
few hundred small named streams, and elementwise arithmetic over all children builds a
temporary array per operation. Here each is one compiled loop.

`uniforms` gives exactly what numpy's PCG64 gives for the same seeds (its algorithm, its
128-bit state in two 64-bit halves, stepped as one 128-bit number); `seed_words` is numpy's
SeedSequence. Only integer arithmetic, comparisons and IEEE sums and products are done
here, never `log` or `exp` (numpy's own vectorised versions may round differently from the
C library's).

Like `kernel.py`, everything compiled is in this one file: numba's on-disk cache of a
function is keyed on its own file only. It is imported where children are drawn (inside
functions), never by the command line's parent process: loading numba costs 0.3 s.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir as llvm_ir
from numba import types
from numba.extending import intrinsic

COMPILED = not numba.config.DISABLE_JIT  # False: plain Python, for a debugger

jit = numba.njit(cache=True, nogil=True)
inline = numba.njit(cache=True, nogil=True, inline="always")  # into its caller, in numba's IR

# numpy's SeedSequence constants (numpy/random/bit_generator.pyx); its words are 32-bit,
# held here in uint64 so that no product of two words overflows (as in plain Python too)
_INIT_A, _MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
_INIT_B, _MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
_MIX_L, _MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
_MASK32, _TWO32, _SHIFT16 = np.uint64(0xFFFFFFFF), np.uint64(1 << 32), np.uint64(16)
_POOL = 4
# PCG64's multiplier (numpy/random/src/pcg64/pcg64.h), high and low halves
_PCG_MULT_HI, _PCG_MULT_LO = np.uint64(2549297995355413924), np.uint64(4865540595714422341)
_PCG_MULT = (int(_PCG_MULT_HI) << 64) | int(_PCG_MULT_LO)  # the whole 128-bit multiplier
_ONE, _U11, _U32, _U58, _U63, _U64 = (np.uint64(k) for k in (1, 11, 32, 58, 63, 64))
_DOUBLE_UNIT = 1.0 / 9007199254740992.0  # 2**-53
# triage's answers, as `habits` numbers them (copied: numba freezes them into this file's cache)
ACCEPT, SIGNPOST, MORE = np.arange(3, dtype=np.int64)


# ---------------------------------------------------------------------- SeedSequence
@jit
def _hashmix(
    value: np.uint64, hash_const: np.uint64, mult: np.uint64
) -> tuple[np.uint64, np.uint64]:
    """SeedSequence's hashmix (`mult`: its A or B multiplier): the mixed value, the next
    constant."""
    value = value ^ hash_const
    hash_const = (hash_const * mult) & _MASK32
    value = (value * hash_const) & _MASK32
    return value ^ (value >> _SHIFT16), hash_const


@jit
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:
    """SeedSequence's mix: (L x - R y) mod 2**32, written so that nothing wraps."""
    result = (((_MIX_L * x) & _MASK32) + _TWO32 - ((_MIX_R * y) & _MASK32)) & _MASK32
    return result ^ (result >> _SHIFT16)


@jit
def _seed_one(entropy: np.ndarray, out: np.ndarray) -> None:
    """`SeedSequence(entropy).generate_state(4, np.uint64)` into `out` (entropy: 32-bit
    words, as SeedSequence assembles them)."""
    pool = np.zeros(_POOL, np.uint64)
    hash_const = _INIT_A
    for i in range(_POOL):
        word = entropy[i] if i < entropy.size else np.uint64(0)
        pool[i], hash_const = _hashmix(word, hash_const, _MULT_A)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                mixed, hash_const = _hashmix(pool[src], hash_const, _MULT_A)
                pool[dst] = _mix(pool[dst], mixed)
    for src in range(_POOL, entropy.size):
        for dst in range(_POOL):
            mixed, hash_const = _hashmix(entropy[src], hash_const, _MULT_A)
            pool[dst] = _mix(pool[dst], mixed)
    hash_const = _INIT_B
    for j in range(2 * _POOL):  # 8 words of 32 bits, paired little-endian into 4 of 64
        value, hash_const = _hashmix(pool[j % _POOL], hash_const, _MULT_B)
        if j % 2 == 0:
            out[j // 2] = value
        else:
            out[j // 2] |= value << _U32


@jit
def seed_words(head: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each key, the 4 words SeedSequence([*head, key]) gives PCG64 (`head`: the
    32-bit words of the seed and the replication; a key is one word below 2**32, else two)."""
    out = np.zeros((keys.size, 4), np.uint64)
    entropy = np.zeros(head.size + 2, np.uint64)
    entropy[: head.size] = head
    for r in range(keys.size):
        entropy[head.size] = keys[r] & _MASK32
        entropy[head.size + 1] = keys[r] >> _U32
        used = head.size + (2 if keys[r] >> _U32 else 1)
        _seed_one(entropy[:used], out[r])
    return out


# ---------------------------------------------------------------------- PCG64
@intrinsic
def _step_wide(typingctx, hi, lo, inc_hi, inc_lo):
    """PCG64's LCG step, state x multiplier + increment (mod 2**128), as one 128-bit
    multiply-add (LLVM's i128; state and increment in 64-bit halves): half the
    multiplications of working on the halves, the same bits."""
    u64 = types.uint64
    signature = types.UniTuple(u64, 2)(u64, u64, u64, u64)

    def codegen(context, builder, sig, args):
        wide, narrow = llvm_ir.IntType(128), llvm_ir.IntType(64)
        shift = llvm_ir.Constant(wide, 64)

        def joined(high, low):  # two 64-bit halves as one 128-bit number
            return builder.or_(
                builder.shl(builder.zext(high, wide), shift), builder.zext(low, wide)
            )

        state = builder.mul(joined(args[0], args[1]), llvm_ir.Constant(wide, _PCG_MULT))
        state = builder.add(state, joined(args[2], args[3]))
        high = builder.trunc(builder.lshr(state, shift), narrow)
        return context.make_tuple(builder, sig.return_type, [high, builder.trunc(state, narrow)])

    return signature, codegen


@inline
def _seeded(seeds: np.ndarray, r: int) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Stream r's state and increment once seeded (pcg64_set_seed: state 0, inc = 2 x
    initseq + 1, step, add initstate, step)."""
    inc_hi = (seeds[r, 2] << _ONE) | (seeds[r, 3] >> _U63)
    inc_lo = (seeds[r, 3] << _ONE) | _ONE
    hi, lo = _step_wide(np.uint64(0), np.uint64(0), inc_hi, inc_lo)
    lo = lo + seeds[r, 1]
    hi = hi + seeds[r, 0] + (_ONE if lo < seeds[r, 1] else np.uint64(0))
    hi, lo = _step_wide(hi, lo, inc_hi, inc_lo)
    return hi, lo, inc_hi, inc_lo


@inline
def _double(hi: np.uint64, lo: np.uint64) -> float:
    """The double of a new state: its XSL-RR output's top 53 bits, as numpy's random()."""
    mixed, rot = hi ^ lo, hi >> _U58
    word = (mixed >> rot) | (mixed << ((_U64 - rot) & _U63))
    return np.float64(word >> _U11) * _DOUBLE_UNIT


@inline
def _fill(
    out: np.ndarray,
    at: int,
    first: int,
    stop: int,
    hi: np.uint64,
    lo: np.uint64,
    inc_hi: np.uint64,
    inc_lo: np.uint64,
) -> None:
    """A stream's doubles `first` .. `stop` - 1 into out[at + first:at + stop], from the
    state before the first of them."""
    for i in range(first, stop):
        hi, lo = _step_wide(hi, lo, inc_hi, inc_lo)
        out[at + i] = _double(hi, lo)


@jit
def uniforms(seeds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Stream r's first counts[r] doubles from PCG64 seeded with row r of `seeds`
    (`seed_words`), every stream's after the one before: numpy's Generator.random.

    A stream's states follow one another, each a multiply away from the last, so one
    stream at a time waits on each multiply; four at a time (the longest together, so
    that they end close) keep the multiplier busy: 25% quicker on a replication's draws.
    """
    n = counts.size
    out = np.empty(counts.sum())
    start = np.zeros(n + 1, np.int64)
    start[1:] = np.cumsum(counts)
    order = np.argsort(-counts, kind="mergesort")
    g = 0
    while g + 4 <= n:
        a, b, c, d = order[g], order[g + 1], order[g + 2], order[g + 3]
        ah, al, aih, ail = _seeded(seeds, a)
        bh, bl, bih, bil = _seeded(seeds, b)
        ch, cl, cih, cil = _seeded(seeds, c)
        dh, dl, dih, dil = _seeded(seeds, d)
        for i in range(counts[d]):  # d's is the shortest of the four
            ah, al = _step_wide(ah, al, aih, ail)
            bh, bl = _step_wide(bh, bl, bih, bil)
            ch, cl = _step_wide(ch, cl, cih, cil)
            dh, dl = _step_wide(dh, dl, dih, dil)
            out[start[a] + i] = _double(ah, al)
            out[start[b] + i] = _double(bh, bl)
            out[start[c] + i] = _double(ch, cl)
            out[start[d] + i] = _double(dh, dl)
        _fill(out, start[a], counts[d], counts[a], ah, al, aih, ail)  # the rest of each
        _fill(out, start[b], counts[d], counts[b], bh, bl, bih, bil)
        _fill(out, start[c], counts[d], counts[c], ch, cl, cih, cil)
        g += 4
    for r in order[g:]:
        hi, lo, inc_hi, inc_lo = _seeded(seeds, r)
        _fill(out, start[r], 0, counts[r], hi, lo, inc_hi, inc_lo)
    return out


# ---------------------------------------------------------------------- referrals
@jit
def poisson_counts(u: np.ndarray, mean: np.ndarray, pmf_zero: np.ndarray) -> np.ndarray:
    """Smallest k with P(X <= k) > u[i] for X ~ Poisson(mean[i]): the pmf summed term by
    term from pmf_zero = exp(-mean) (numpy's exp, given), at most 10,000 terms."""
    out = np.zeros(u.size, np.int64)
    for i in range(u.size):
        pmf = pmf_zero[i]
        cdf = pmf
        k = 0
        while u[i] >= cdf and k < 10_000:
            k += 1
            pmf = pmf * mean[i] / k
            cdf = cdf + pmf
            if pmf <= 0:
                break
        out[i] = k
    return out


@jit
def sort_runs(values: np.ndarray, bounds: np.ndarray) -> None:
    """Sort values[bounds[j]:bounds[j + 1]] in place, for each j, by insertion: fast for
    referral times, which are already in order but for each day's few."""
    for j in range(bounds.size - 1):
        for i in range(bounds[j] + 1, bounds[j + 1]):
            value = values[i]
            k = i
            while k > bounds[j] and values[k - 1] > value:
                values[k] = values[k - 1]
                k -= 1
            values[k] = value


# ---------------------------------------------------------------------- children
@jit
def pick_rows(u: np.ndarray, cdfs: np.ndarray, row: np.ndarray) -> np.ndarray:
    """For each i, how many values of row `row[i]` of `cdfs` (normalised cdfs, one a row)
    are at or below u[i] (searchsorted's side="right"), at most the last index."""
    out = np.empty(u.size, np.int64)
    last = cdfs.shape[1] - 1
    for i in range(u.size):
        k = 0
        for j in range(cdfs.shape[1]):
            k += cdfs[row[i], j] <= u[i]
        out[i] = min(k, last)
    return out


@jit
def pick(u: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """`pick_rows` with one cdf for every child: min(searchsorted(cdf, u, "right"),
    cdf.size - 1), for a non-decreasing cdf (a short one: counted, not bisected)."""
    out = np.empty(u.size, np.int64)
    last = cdf.size - 1
    for i in range(u.size):
        k = 0
        for j in range(cdf.size):
            k += cdf[j] <= u[i]
        out[i] = min(k, last)
    return out


@jit
def triage_answers(
    u: np.ndarray, u_again: np.ndarray, district: np.ndarray, chances: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`habits.first_look` and `habits.second_look` for every child, with its district's
    (accept, signpost) chances, row `district[i]` of `chances`."""
    decision = np.empty(u.size, np.int64)
    again = np.empty(u.size, np.int64)
    for i in range(u.size):
        p_acc, p_sign = chances[district[i], 0], chances[district[i], 1]
        if u[i] < p_acc:
            decision[i] = ACCEPT
        elif u[i] >= p_acc + p_sign:
            decision[i] = MORE
        else:
            decision[i] = SIGNPOST
        total = p_acc + p_sign
        again[i] = ACCEPT if total > 0 and u_again[i] * total < p_acc else SIGNPOST
    return decision, again


@jit
def bits_below(u: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """For each row i, the bit mask of the columns k with u[i, k] < limits[k]."""
    out = np.empty(u.shape[0], np.int64)
    for i in range(u.shape[0]):
        mask = 0
        for k in range(u.shape[1]):
            mask |= np.int64(u[i, k] < limits[k]) << k  # no branch: the draws are random
        out[i] = mask
    return out


# ---------------------------------------------------------------------- queues
@jit
def grouped(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of keys 0, then of keys 1, ..., each group in position order (a
    stable argsort of small non-negative ints, by counting), and each group's size."""
    sizes = np.zeros(n_groups, np.int64)
    for key in keys:
        sizes[key] += 1
    place = np.cumsum(sizes) - sizes
    order = np.empty(keys.size, np.int64)
    for i in range(keys.size):
        order[place[keys[i]]] = i
        place[keys[i]] += 1
    return order, sizes


_DIGIT_BITS = 11
_DIGITS = np.uint64((1 << _DIGIT_BITS) - 1)
_SIGN = np.uint64(1 << 63)


@jit
def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of floats, by a radix sort (numpy's stable
    sort of floats is a merge sort, several times slower): a float's bits, with the sign
    bit flipped (and every bit, for a negative one), order as the float does, and NaN
    comes last; passes from the lowest digit up each keep the order of the pass before.

    The passes sort by the keys' high 32 bits only (sign, exponent and 20 bits of the
    mantissa: half the passes); children whose high halves tie then take their order from
    the whole key, by insertion within the tie. Ties of a few are the rule (equal values,
    or values a millionth apart); a longer tie of unequal keys sorts the whole array
    again by every bit instead."""
    n = values.size
    keys = np.empty(n, np.uint64)
    for i in range(n):
        bits = np.float64(values[i] + 0.0).view(np.uint64)  # + 0.0: -0.0 is 0.0
        keys[i] = ~bits if bits & _SIGN else bits | _SIGN
        if np.isnan(values[i]):
            keys[i] = ~np.uint64(0)
    order = _radix_passes(keys, np.arange(n), 32)
    if _order_ties(keys, order):
        return order
    return _radix_passes(keys, np.arange(n), 0)


@jit
def _radix_passes(keys: np.ndarray, order: np.ndarray, low_bit: int) -> np.ndarray:
    """`order` sorted, stably, by the keys' bits from `low_bit` up, a digit a pass."""
    n = keys.size
    spare = np.empty(n, np.int64)
    place = np.empty((1 << _DIGIT_BITS) + 1, np.int64)
    for shift in range(low_bit, 64, _DIGIT_BITS):
        place[:] = 0
        for i in range(n):
            place[np.int64((keys[i] >> np.uint64(shift)) & _DIGITS) + 1] += 1
        if place.max() == n:  # every key has this digit: nothing moves
            continue
        for d in range(1 << _DIGIT_BITS):
            place[d + 1] += place[d]
        for i in range(n):
            d = np.int64((keys[order[i]] >> np.uint64(shift)) & _DIGITS)
            spare[place[d]] = order[i]
            place[d] += 1
        order, spare = spare, order
    return order


_LONGEST_INSERTION = 32  # a tie of unequal keys longer than this: sort again by every bit


@jit
def _order_ties(keys: np.ndarray, order: np.ndarray) -> bool:
    """Within each run of `order` whose keys share their high 32 bits, put the keys in
    order, stably, by insertion; False (order left part-done) at a run longer than
    `_LONGEST_INSERTION` that is not already in order."""
    n = order.size
    start = 0
    while start < n:
        high = keys[order[start]] >> np.uint64(32)
        end = start + 1
        while end < n and keys[order[end]] >> np.uint64(32) == high:
            end += 1
        for i in range(start + 1, end):
            item = order[i]
            j = i
            while j > start and keys[order[j - 1]] > keys[item]:
                if end - start > _LONGEST_INSERTION:
                    return False
                order[j] = order[j - 1]
                j -= 1
            order[j] = item
        start = end
    return True
