"""One replication's outputs: simulated, then post-processed in the worker (KPIs, weekly
counts, the per-child columns), so that the parent process only writes.

Each replication is independent and keyed only by (seed, replication), so the same seed
gives the same results whatever runs it (see `nd_sim.run.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from nd_sim.engine.parameters import replication_model
from nd_sim.engine.raw import RawResults
from nd_sim.engine.replication import run_replication
from nd_sim.inputs.model import Model
from nd_sim.results.children import child_columns
from nd_sim.results.kpis import KpiLabels, KpiValues, kpi_values
from nd_sim.results.weekly import appointment_names, intervals_of, weekly_counts

TASKS_PER_WORKER = 4
T = TypeVar("T")


@dataclass(frozen=True)
class ReplicationOutput:
    """What the parent process keeps of one replication."""

    replication: int
    kpis: KpiValues
    weekly: dict[str, np.ndarray]
    hours_available: np.ndarray
    hours_used: np.ndarray
    children: dict[str, np.ndarray] | None
    n_children: int
    n_appointments: int


def run_one(
    model: Model,
    replication: int,
    seed: int,
    keep_children: bool = True,
    simulate: Callable[[Model, int, int], RawResults] = run_replication,
    labels: KpiLabels | None = None,
) -> ReplicationOutput:
    """Simulate and post-process one replication (at its own draw of the uncertain inputs
    under parameter uncertainty, so that its costs follow the staff it drew). `simulate`
    is the engine, or a replication split by team (`run.by_team`); `labels` are the
    model's `kpi_labels`, when the caller has made them for several replications."""
    model = replication_model(model, replication, seed)
    raw = simulate(model, replication, seed)
    names = appointment_names(model)
    intervals = intervals_of(raw, names)  # shared by the KPIs and the weekly counts
    return ReplicationOutput(
        replication=replication,
        kpis=kpi_values(raw, model, intervals, labels),
        weekly=weekly_counts(raw, len(model.districts), model.weeks, names, intervals),
        hours_available=raw.hours_available,
        hours_used=raw.hours_used,
        children=child_columns(raw, model) if keep_children else None,
        n_children=raw.n_children,
        n_appointments=raw.appointments,
    )
