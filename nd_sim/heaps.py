"""Binary heaps of (day, child) keys in preallocated arrays, for the compiled engine.

Many heaps share two 2-d arrays (one row per heap): ``day[h, :size[h]]`` and
``child[h, :size[h]]``. Keys are compared as Python compares (day, child) tuples. Every
key in a heap is distinct (a child is in a queue once at a time), so the order in which
children leave a heap depends only on what is in it, exactly as with `heapq`.
"""

from __future__ import annotations

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)
ROOT = np.int64(0)  # not a literal 0: numba would compile `_sift_down` again for it


@jit
def before(day_a: float, child_a: int, day_b: float, child_b: int) -> bool:
    """(day_a, child_a) < (day_b, child_b)."""
    return day_a < day_b or (day_a == day_b and child_a < child_b)


@jit
def push(day: np.ndarray, child: np.ndarray, size: np.ndarray, h: int, d: float, i: int) -> None:
    """Add (d, i) to heap h."""
    pos = size[h]
    size[h] = pos + 1
    while pos > 0:
        up = (pos - 1) >> 1
        if not before(d, i, day[h, up], child[h, up]):
            break
        day[h, pos] = day[h, up]
        child[h, pos] = child[h, up]
        pos = up
    day[h, pos] = d
    child[h, pos] = i


@jit
def _sift_down(day: np.ndarray, child: np.ndarray, h: int, pos: int, n: int) -> None:
    d, i = day[h, pos], child[h, pos]
    while True:
        low = 2 * pos + 1
        if low >= n:
            break
        right = low + 1
        if right < n and before(day[h, right], child[h, right], day[h, low], child[h, low]):
            low = right
        if not before(day[h, low], child[h, low], d, i):
            break
        day[h, pos] = day[h, low]
        child[h, pos] = child[h, low]
        pos = low
    day[h, pos] = d
    child[h, pos] = i


@jit
def pop(day: np.ndarray, child: np.ndarray, size: np.ndarray, h: int) -> int:
    """Remove the smallest key of heap h (which must not be empty); return its child."""
    top = child[h, 0]
    n = size[h] - 1
    size[h] = n
    if n > 0:
        day[h, 0] = day[h, n]
        child[h, 0] = child[h, n]
        _sift_down(day, child, h, ROOT, n)
    return top


@jit
def remove_at(day: np.ndarray, child: np.ndarray, size: np.ndarray, h: int, pos: int) -> None:
    """Remove the entry at position `pos` of heap h (keeping it a heap)."""
    n = size[h] - 1
    size[h] = n
    if pos == n:
        return
    d, i = day[h, n], child[h, n]
    day[h, pos] = d
    child[h, pos] = i
    _sift_down(day, child, h, pos, n)
    while pos > 0:  # the moved entry may belong higher up instead
        up = (pos - 1) >> 1
        if not before(day[h, pos], child[h, pos], day[h, up], child[h, up]):
            break
        day[h, pos], day[h, up] = day[h, up], day[h, pos]
        child[h, pos], child[h, up] = child[h, up], child[h, pos]
        pos = up
