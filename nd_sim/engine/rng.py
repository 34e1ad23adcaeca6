"""Named random streams keyed by (base seed, replication, stream name).

Keying by name, not by position, gives common random numbers: replication k of two
scenarios draws the same referrals from ``referrals/Preston`` whatever else differs,
and adding a district or a workshop leaves every other stream untouched.

A stream is numpy's PCG64 seeded by ``SeedSequence([seed, replication, key(name)])``.
Making one that way costs about 12 µs, and a footprint of 500 districts makes 10,000 a
replication; `streams` gives the very same generators for many names at a fraction of the
cost, by working out the seed sequences for all of them at once, compiled
(`bulk.seed_words`), and `uniforms` draws the uniforms of many streams in one compiled
pass (`bulk.uniforms`, PCG64 itself), with no generator made at all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence

import numpy as np

_MASK32 = 0xFFFFFFFF
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341
_MASK128 = (1 << 128) - 1


@functools.lru_cache(maxsize=1 << 16)  # a memo of a pure function: the same names recur
def stream_key(name: str) -> int:  # in every replication, and hashing them cost 0.4 ms each
    """A stable 64-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replication."""
    sequence = np.random.SeedSequence(entropy=[seed, replication, stream_key(name)])
    return np.random.Generator(np.random.PCG64(sequence))


def streams(seed: int, replication: int, names: Sequence[str]) -> Iterator[np.random.Generator]:
    """The generators `stream` gives for each name, in order, made cheaply. They share one
    bit generator: each is valid only until the next is taken (draw, then move on)."""
    bits = np.random.PCG64(0)
    generator = np.random.Generator(bits)
    for state, inc in _pcg_states(seed, replication, [stream_key(n) for n in names]):
        bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        yield generator


def uniforms(
    seed: int, replication: int, names: Sequence[str], counts: Sequence[int] | np.ndarray
) -> np.ndarray:
    """The first counts[i] uniforms of each named stream, one stream after another: the
    values ``stream(seed, replication, name).random(count)`` gives, in one compiled pass
    (a few hundred streams cost a few µs each through numpy's generators)."""
    from nd_sim.engine.bulk import COMPILED
    from nd_sim.engine.bulk import uniforms as compiled_uniforms

    counts = np.asarray(counts, np.int64).reshape(-1)
    if counts.size != len(names):
        raise ValueError(f"{len(names)} streams but {counts.size} counts")
    if not COMPILED:  # numba's JIT switched off: numpy's own generators, as fast as ever
        drawn = [
            g.random(k)
            for g, k in zip(streams(seed, replication, names), counts.tolist(), strict=True)
        ]
        return np.concatenate(drawn) if drawn else np.empty(0)
    keys = [stream_key(n) for n in names]
    return compiled_uniforms(_seed_words(seed, replication, keys), counts)


def _words(n: int) -> list[int]:
    """An int as SeedSequence takes it: 32-bit words, least significant first."""
    out = [n & _MASK32]
    n >>= 32
    while n:
        out.append(n & _MASK32)
        n >>= 32
    return out


def _pcg_states(seed: int, replication: int, keys: Sequence[int]) -> list[tuple[int, int]]:
    """PCG64's (state, inc) after seeding from ``SeedSequence([seed, replication, key])``,
    for every key at once (SeedSequence's mixing is compiled, `bulk.seed_words`)."""
    w0, w1, w2, w3 = (column.tolist() for column in _seed_words(seed, replication, keys).T)
    return [
        _pcg_seeded((a << 64) + b, (c << 64) + d) for a, b, c, d in zip(w0, w1, w2, w3, strict=True)
    ]


def _seed_words(seed: int, replication: int, keys: Sequence[int]) -> np.ndarray:
    """The (keys, 4) words that ``SeedSequence([seed, replication, key])`` gives PCG64."""
    from nd_sim.engine.bulk import seed_words  # compiled: workers only, never the parent

    if seed < 0 or replication < 0:
        raise ValueError("seeds and replications are never negative")
    head = np.array(_words(seed) + _words(replication), np.uint64)
    return seed_words(head, np.array(keys, np.uint64).reshape(-1))


def _pcg_seeded(initstate: int, initseq: int) -> tuple[int, int]:
    """PCG64's srandom: (state, inc) from a 128-bit seed and stream."""
    inc = ((initseq << 1) | 1) & _MASK128
    state = inc  # 0 * mult + inc
    state = (state + initstate) & _MASK128
    state = (state * _PCG_MULT + inc) & _MASK128
    return state, inc
