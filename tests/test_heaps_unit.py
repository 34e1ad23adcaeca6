"""The compiled engine's array heaps give children back in `heapq`'s order."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nd_sim.engine.kernel import before, heap_pop, heap_push, heap_remove_at

# an operation: push (day, child), pop the smallest, or remove the entry at some position
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.0]), st.integers()),
        st.tuples(st.just("pop"), st.just(0.0), st.just(0)),
        st.tuples(st.just("remove"), st.just(0.0), st.integers(0, 50)),
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_heap_matches_heapq_unit(ops: list[tuple[str, float, int]]) -> None:
    day, child, size = np.empty(400), np.empty(400, np.int64), np.zeros(2, np.int64)
    off = np.array([0, 200], np.int64)  # two heaps in one flat array: the second's is tested
    want: list[tuple[float, int]] = []
    seen: set[tuple[float, int]] = set()
    for op, d, i in ops:
        if op == "push":
            i %= 1000
            if (d, i) in seen:  # keys in a heap are distinct (a child is queued once)
                continue
            seen.add((d, i))
            heap_push(day, child, size, off, 1, d, i)
            heapq.heappush(want, (d, i))
        elif op == "pop" and want:
            assert (day[200], child[200]) == want[0]
            assert heap_pop(day, child, size, off, 1) == heapq.heappop(want)[1]
        elif op == "remove" and want:
            pos = i % int(size[1])
            key = (day[200 + pos], int(child[200 + pos]))
            heap_remove_at(day, child, size, off, 1, pos)
            want.remove(key)
            heapq.heapify(want)
        assert size[1] == len(want) and size[0] == 0  # the other heap is untouched
    drained = [heap_pop(day, child, size, off, 1) for _ in range(int(size[1]))]
    assert drained == [i for _, i in sorted(want)]


def test_before_compares_like_tuples_unit() -> None:
    assert before(1.0, 5, 2.0, 0)
    assert before(1.0, 1, 1.0, 2)
    assert not before(1.0, 2, 1.0, 2)
    assert not before(3.0, 0, 2.0, 9)
