"""Named random streams keyed by (base seed, replication, stream name).

Keying by name, not by position, gives common random numbers: replication k of two
scenarios draws the same referrals from ``referrals/Preston`` whatever else differs,
and adding a district or a workshop leaves every other stream untouched.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replication."""
    sequence = np.random.SeedSequence(entropy=[seed, replication, stream_key(name)])
    return np.random.Generator(np.random.PCG64(sequence))
