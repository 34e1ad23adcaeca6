"""A queue of children ordered by (ready day, child), stored as batches.

Children become ready in batches that share one day (everyone attending one clinic, or
accepted at one panel), nearly always later than everyone already queued. Keeping one
sorted list per ready day, rather than one (day, child) tuple per child, makes a batch one
append and a take one slice: no tuple per child, no per-child pops. The pop order is
exactly that of a heap of (day, child) tuples.
"""

from __future__ import annotations

import bisect
from collections import deque


class BatchQueue:
    """Children by (ready day, child): a deque of [day, sorted children], days increasing."""

    __slots__ = ("batches",)

    def __init__(self) -> None:
        self.batches: deque[list] = deque()

    def __bool__(self) -> bool:
        return bool(self.batches)

    def first_day(self) -> float:
        """The ready day at the front (the queue must not be empty)."""
        return self.batches[0][0]

    def push(self, day: float, children: list[int]) -> None:
        """Add children who all become ready on `day` (sorts `children` in place)."""
        children.sort()
        batches = self.batches
        if not batches or day > batches[-1][0]:
            batches.append([day, children])
            return
        if day == batches[-1][0]:
            _merge(batches[-1][1], children)
            return
        days = [b[0] for b in batches]
        at = bisect.bisect_left(days, day)
        if days[at] == day:  # same day (at < len: day <= the last day): merge
            _merge(batches[at][1], children)
        else:
            batches.insert(at, [day, children])

    def take(self, now: float, limit: int) -> list[int]:
        """Up to `limit` children ready by `now`, in queue order, removed from the queue."""
        batches = self.batches
        if not batches or batches[0][0] > now or limit <= 0:
            return []
        first = batches[0][1]
        if len(first) > limit:
            out = first[:limit]
            del first[:limit]
            return out
        batches.popleft()
        out = first
        while batches and batches[0][0] <= now:
            room = limit - len(out)
            if room <= 0:
                break
            kids = batches[0][1]
            if len(kids) > room:
                out = out + kids[:room]
                del kids[:room]
                break
            batches.popleft()
            out = out + kids
        return out


def _merge(into: list[int], children: list[int]) -> None:
    """Merge sorted `children` into the sorted list `into`."""
    late = children[0] > into[-1]
    into.extend(children)
    if not late:
        into.sort()
