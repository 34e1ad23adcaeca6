"""One replication's outputs, and replications mapped in order over the executor seam.

Each replication is independent and keyed only by (seed, replication), so the same seed
gives the same results whatever the number of processes; results are always yielded in
replication order. Post-processing (KPIs, weekly counts, the per-child columns) runs in
the worker, so the parent only writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import Model
from nd_sim.results.children import child_columns
from nd_sim.results.kpis import replication_kpis
from nd_sim.results.weekly import weekly_counts
from nd_sim.run.executors import Task, make_executor

TASKS_PER_WORKER = 4
T = TypeVar("T")


@dataclass(frozen=True)
class ReplicationOutput:
    """What the parent process keeps of one replication."""

    replication: int
    kpis: list[tuple[str, str, str, float]]
    weekly: dict[str, np.ndarray]
    hours_available: np.ndarray
    hours_used: np.ndarray
    children: dict[str, np.ndarray] | None
    n_children: int
    n_appointments: int


def run_one(
    model: Model, replication: int, seed: int, keep_children: bool = True
) -> ReplicationOutput:
    """Simulate and post-process one replication."""
    raw = run_replication(model, replication, seed)
    return ReplicationOutput(
        replication=replication,
        kpis=replication_kpis(raw, model),
        weekly=weekly_counts(raw, len(model.districts), model.weeks),
        hours_available=raw.hours_available,
        hours_used=raw.hours_used,
        children=child_columns(raw, model) if keep_children else None,
        n_children=raw.n_children,
        n_appointments=raw.appointments,
    )


def _run_chunk(model: Model, work: Callable, reps: list[int], seed: int) -> list:
    return [work(model, r, seed) for r in reps]


def chunks(replications: int, jobs: int) -> list[list[int]]:
    """Replications split into contiguous chunks, a few per worker to balance load."""
    n_chunks = max(1, min(replications, jobs * TASKS_PER_WORKER))
    bounds = np.linspace(0, replications, n_chunks + 1).round().astype(int)
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds) if b > a]


def map_replications(
    work: Callable[[Model, int, int], T],
    model: Model,
    replications: int,
    seed: int,
    jobs: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[T]:
    """Yield `work(model, replication, seed)` for every replication, in replication order.

    `work` must be a module-level function (it is pickled to the worker processes). For
    callers that need every replication's result in memory and in order (sizing, family
    projections); runs that write to disk use `nd_sim.run.chunks` instead.
    """
    parts = chunks(replications, jobs)
    tasks = [Task(0, (work, reps, seed)) for reps in parts]
    executor = make_executor(jobs)
    try:
        finished: dict[int, list] = {}
        next_k = 0
        for k, results in executor.run(_run_chunk, [model], tasks):
            if on_done:
                on_done(len(results))
            finished[k] = results
            while next_k in finished:  # hold early chunks back until their turn
                yield from finished.pop(next_k)
                next_k += 1
    finally:
        executor.close()
