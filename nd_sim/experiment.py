"""Replications, mapped over an executor seam: serial or local processes.

Each replication is independent and keyed only by (seed, replication), so the same seed
gives the same results whatever the number of processes; results are always yielded in
replication order. Post-processing (KPIs, weekly counts, the per-child columns) runs in
the worker, so the parent only writes.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nd_sim.children import child_columns
from nd_sim.engine import run_replication
from nd_sim.kpis import replication_kpis
from nd_sim.model import Model
from nd_sim.weekly import weekly_counts

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


def _run_chunk(work: Callable, model: Model, reps: list[int], seed: int) -> list:
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

    `work` must be a module-level function (it is pickled to the worker processes).
    """
    if jobs <= 1:
        for rep in range(replications):
            out = work(model, rep, seed)
            if on_done:
                on_done(1)
            yield out
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
    try:
        futures = []
        for chunk in chunks(replications, jobs):
            future = pool.submit(_run_chunk, work, model, chunk, seed)
            if on_done:
                future.add_done_callback(lambda _, n=len(chunk): on_done(n))
            futures.append(future)
        for future in futures:
            yield from future.result()
    except BaseException:  # Ctrl-C or an error downstream: stop the workers now
        _stop(pool)
        raise
    pool.shutdown()


def iter_replications(
    model: Model,
    replications: int,
    seed: int,
    jobs: int = 1,
    keep_children: bool = True,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[ReplicationOutput]:
    """Every replication's output (KPIs, weekly counts, per-child columns), in order."""
    work = run_one if keep_children else run_one_without_children
    return map_replications(work, model, replications, seed, jobs, on_done)


def run_one_without_children(model: Model, replication: int, seed: int) -> ReplicationOutput:
    """`run_one` without the per-child columns (for callers that only need summaries)."""
    return run_one(model, replication, seed, keep_children=False)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them (no traceback from each)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list(getattr(pool, "_processes", {}).values())  # no public API for this
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
