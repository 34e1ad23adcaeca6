"""The KPI at one point of the design: the mean of R replications on common random numbers.

Every point runs replications 0..R-1 with the same seed and the inputs held at the point's
values (parameter uncertainty off), so two points differ only by their inputs: the children,
their habits and the play of chance are the same, and an input that does not touch the KPI
gives exactly the same KPI at every value.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from nd_sim.engine.parameters import model_at
from nd_sim.engine.replication import run_replication
from nd_sim.experiments.ranking import Objective
from nd_sim.inputs.model import Model
from nd_sim.results.kpis import replication_kpis
from nd_sim.run.pipeline import Stage


def kpi_in_replication(
    model: Model, replication: int, seed: int, *, kpi: str, area_type: str, area: str
) -> float:
    """One replication's value of the KPI in the area (NaN if it is undefined there); module
    level, so that it can be sent to worker processes."""
    raw = run_replication(model, replication, seed)
    for a_type, name, key, value in replication_kpis(raw, model):
        if key == kpi and a_type == area_type and name == area:
            return float(value)
    return float("nan")


class PointRunner:
    """Runs the base model at any values of its uncertain inputs, through one stage."""

    def __init__(self, base: Model, objective: Objective, stage: Stage, on_done=None) -> None:
        self.base = base
        self.stage = stage
        self.on_done = on_done
        self.work = functools.partial(
            kpi_in_replication,
            kpi=objective.kpi,
            area_type=objective.area_type,
            area=objective.area,
        )

    def mean(self, values: dict[str, float], key: str) -> float:
        """The KPI's mean over the replications at `values` (NaN if undefined in all)."""
        model = model_at(self.base, values)
        out = np.array(self.stage.map(self.work, model, self.on_done, key=key), float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: said by the caller
            return float(np.nanmean(out))
