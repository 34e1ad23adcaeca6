"""Named random streams keyed by (base seed, replication, stream name).

Keying by name, not by position, gives common random numbers: replication k of two
scenarios draws the same referrals from ``referrals/Preston`` whatever else differs,
and adding a district or a workshop leaves every other stream untouched.

A stream is numpy's PCG64 seeded by ``SeedSequence([seed, replication, key(name)])``.
Making one that way costs about 12 µs, and a footprint of 500 districts makes 10,000 a
replication; `streams` gives the very same generators for many names at about a quarter
of the cost, by working out the seed sequences for all of them at once (`_pcg_states`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np

# numpy's SeedSequence constants (numpy/random/bit_generator.pyx) and PCG64's multiplier
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF
_POOL = 4
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341
_MASK128 = (1 << 128) - 1


def stream_key(name: str) -> int:
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
    for every key at once: SeedSequence's mixing, vectorised over the keys (its hash
    constants depend only on how many words have been mixed, the same for every key)."""
    if seed < 0 or replication < 0:
        raise ValueError("seeds and replications are never negative")
    head = _words(seed) + _words(replication)
    key_words = np.array([[k & _MASK32, k >> 32] for k in keys], np.uint64).reshape(-1, 2)
    long_key = key_words[:, 1] > 0  # a key below 2**32 is one word, not two
    entropy = [np.full(len(keys), w, np.uint64) for w in head] + [key_words[:, 0], key_words[:, 1]]
    pool = _mix_entropy(entropy)
    w = _generate(pool)  # 8 words of 32 bits: 4 of 64, little-endian
    wide = [(w[2 * j] | (w[2 * j + 1] << np.uint64(32))).tolist() for j in range(4)]
    out = []
    for r, (w0, w1, w2, w3) in enumerate(zip(*wide, strict=True)):
        if not long_key[r]:  # one in four billion names: numpy itself
            seq = np.random.SeedSequence(entropy=[seed, replication, int(keys[r])])
            w0, w1, w2, w3 = (int(x) for x in seq.generate_state(4, np.uint64))
        out.append(_pcg_seeded((w0 << 64) + w1, (w2 << 64) + w3))
    return out


class _Hash:
    """SeedSequence's running hash constant: one sequence for every key of a batch."""

    def __init__(self, start: int, mult: int) -> None:
        self.value, self.mult = start, mult

    def mix(self, values: np.ndarray) -> np.ndarray:
        values = values ^ np.uint64(self.value)
        self.value = (self.value * self.mult) & _MASK32
        values = (values * np.uint64(self.value)) & np.uint64(_MASK32)
        return values ^ (values >> np.uint64(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = (np.uint64(_MIX_L) * x - np.uint64(_MIX_R) * y) & np.uint64(_MASK32)
    return result ^ (result >> np.uint64(16))


def _mix_entropy(entropy: list[np.ndarray]) -> list[np.ndarray]:
    """SeedSequence.mix_entropy over a batch: `entropy` holds each word's column."""
    h = _Hash(_INIT_A, _MULT_A)
    zero = np.zeros_like(entropy[0])
    pool = [h.mix(entropy[i] if i < len(entropy) else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], h.mix(pool[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], h.mix(entropy[src]))
    return pool


def _generate(pool: list[np.ndarray]) -> list[np.ndarray]:
    """SeedSequence.generate_state(4, uint64) as 8 columns of 32-bit words."""
    h = _Hash(_INIT_B, _MULT_B)
    return [h.mix(pool[i % _POOL]) for i in range(2 * _POOL)]


def _pcg_seeded(initstate: int, initseq: int) -> tuple[int, int]:
    """PCG64's srandom: (state, inc) from a 128-bit seed and stream."""
    inc = ((initseq << 1) | 1) & _MASK128
    state = inc  # 0 * mult + inc
    state = (state + initstate) & _MASK128
    state = (state * _PCG_MULT + inc) & _MASK128
    return state, inc
