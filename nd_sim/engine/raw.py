"""What one replication returns: compact arrays, no DataFrames, cheap to pickle."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from itertools import chain

import numpy as np


@dataclass(frozen=True)
class RawResults:
    """Per-child milestones (days from the start; NaN = not reached) and per-week staff hours.

    ``hours_available`` and ``hours_used`` have shape (teams, professions, weeks).
    ``start_step`` is, for a child on today's list who starts inside the assessment, the
    appointment step it is waiting for at the start (-1 for everyone else), so that the
    list waiting for each step can be counted from day 0 (left out, as in results built by
    hand, it is -1 for everyone).
    """

    replication: int
    referral_day: np.ndarray
    district: np.ndarray
    pathway: np.ndarray
    priority: np.ndarray
    start_stage: np.ndarray
    parent: np.ndarray
    triage_day: np.ndarray
    triage_result: np.ndarray
    more_information: np.ndarray
    first_day: np.ndarray
    outcome_day: np.ndarray
    exit_day: np.ndarray
    exit_code: np.ndarray
    outcome: np.ndarray
    dna: np.ndarray
    workshops: np.ndarray
    outsourced: np.ndarray
    step_day: np.ndarray  # (appointment steps, children): day attended, NaN if never
    hours_available: np.ndarray
    hours_used: np.ndarray
    outsourced_cost_gbp: float
    appointments: int
    starting_ids: tuple[str, ...]
    start_step: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.start_step is None:  # results built by hand: nobody starts inside
            object.__setattr__(self, "start_step", np.full(self.referral_day.size, -1, np.int8))

    @property
    def n_children(self) -> int:
        """Children simulated: today's list, new referrals and returning referrals."""
        return int(self.referral_day.size)


def fill_days(log: list[tuple[float, tuple[int, ...]]], out: np.ndarray) -> None:
    """Write each batch's day at its children's places (each child attends a step once)."""
    if log:
        ids = packed(list(chain.from_iterable(kids for _, kids in log)), "q", np.int64)
        out[ids] = np.repeat([day for day, _ in log], [len(kids) for _, kids in log])


def packed(values: list, code: str, dtype: type) -> np.ndarray:
    """A flat list as an array, packed by `struct` with the dtype's C type `code`: some
    80 instructions an element against some 200 for np.fromiter or np.asarray."""
    data = struct.pack(f"{len(values)}{code}", *values)
    return np.frombuffer(data, dtype).copy()


def return_roots(parent: np.ndarray, n_initial: int) -> np.ndarray:
    """For each returning child (`parent` lists theirs, in order, ids from `n_initial`),
    the child on today's list or first referral its chain of returns starts from."""
    root = parent.copy()
    deep = root >= n_initial
    while deep.any():
        root[deep] = parent[root[deep] - n_initial]
        deep = root >= n_initial
    return root
