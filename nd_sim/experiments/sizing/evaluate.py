"""Replications of the scenario at one lever value, kept so that no value is run twice.

Every value runs the same replications 0..R-1 with the same seed, so replication k of every
value sees the same children (common random numbers): differences between values are paired,
and the curve of the KPI against the lever is much smoother than independent runs would give.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nd_sim.engine.replication import run_replication
from nd_sim.experiments.sizing.levers import Lever
from nd_sim.experiments.sizing.target import Target
from nd_sim.experiments.sizing.window import Children, Window, area_mask
from nd_sim.inputs.model import Model, compile_model
from nd_sim.results.statistics import t_interval, within_unit_range
from nd_sim.run.pipeline import Stage
from nd_sim.scenario.models import Scenario


@dataclass(frozen=True)
class Evaluation:
    """The target KPI in every replication at one lever value, and what the value costs."""

    lever: str
    x: float
    values: np.ndarray  # KPI per replication (NaN: undefined, e.g. nobody seen in the window)
    met: np.ndarray  # the target met, per replication
    outsourced_cost_gbp: np.ndarray  # per replication, whole run (the lever's block ends at --by)
    staff_cost_to_by_gbp: float  # added staff of the variant, paid up to the --by date
    cost_per_year_gbp: float  # the lever's running cost a year (analytic)
    unit: str = ""  # the KPI's: its interval stops at 0 (and at 100 for a percentage)

    @property
    def n_met(self) -> int:
        """Replications that met the target."""
        return int(np.count_nonzero(self.met))

    @property
    def share_met(self) -> float:
        """Share of replications that met the target: the solver's confidence rule."""
        return self.n_met / self.met.size

    @property
    def interval(self) -> tuple[float, float, float]:
        """Mean KPI and its t-based 95% CI over replications, cut to the KPI's range."""
        mean, low, high = t_interval(self.values)
        return (mean, *within_unit_range(self.unit, mean, low, high))


def measure(
    model: Model,
    replication: int,
    seed: int,
    *,
    kpi: str,
    area: tuple,
    ends: tuple[float, ...],
    offset: int = 0,
) -> tuple[np.ndarray, float]:
    """One replication: the KPI at each window end, and the outsourced cost (module level, so
    it can be sent to worker processes). `offset` shifts the replication number, for a check
    on fresh replications that the search never saw."""
    raw = run_replication(model, replication + offset, seed)
    children = Children(raw, area_mask(raw, model, area))
    return np.array([children.value(kpi, end) for end in ends]), raw.outsourced_cost_gbp


class Evaluator:
    """Runs and remembers lever values on the grid of each lever's step."""

    def __init__(
        self,
        scenario: Scenario,
        target: Target,
        window: Window,
        area: tuple,
        stage: Stage,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.target = target
        self.window = window
        self.area = area
        self.stage = stage
        self.on_done = on_done
        self.cache: dict[tuple[str, int], Evaluation] = {}
        self.order: list[Evaluation] = []  # in the order they were run

    def at(self, lever: Lever, index: int) -> Evaluation:
        """The lever at `index` steps (x = index x step), run once and remembered."""
        x = round(index * lever.step, 10)
        return self.variant(
            (lever.name, index),
            lever.name,
            x,
            lambda: lever.apply(self.scenario, x),
            lever.cost_per_year(self.scenario, x),
        )

    def variant(
        self,
        key: tuple,
        name: str,
        x: float,
        make: Callable[[], Scenario],
        cost_per_year_gbp: float,
    ) -> Evaluation:
        """Any variant of the scenario (`make()` builds it), run once under `key` and
        remembered: the mix search evaluates mixes of professions this way."""
        if key not in self.cache:
            model = compile_model(make())
            values, costs = self._run(model, (float(self.window.end_day),))
            values = values[:, 0]
            evaluation = Evaluation(
                lever=name,
                x=x,
                values=values,
                met=self.target.met(values),
                outsourced_cost_gbp=costs,
                staff_cost_to_by_gbp=staff_cost_to(model, self.window.end_day),
                cost_per_year_gbp=cost_per_year_gbp,
                unit=self.target.kpi.unit,
            )
            self.cache[key] = evaluation
            self.order.append(evaluation)
        return self.cache[key]

    def series(self, lever: Lever, x: float, until: dt.date, ends: np.ndarray) -> np.ndarray:
        """The KPI at many window ends (replications x ends), the lever kept at x to `until`."""
        model = compile_model(lever.apply(self.scenario, x, until))
        values, _ = self._run(model, tuple(float(e) for e in ends))
        return values

    @property
    def runs(self) -> int:
        """Lever values run so far."""
        return len(self.order)

    def fresh(self, scenario: Scenario) -> np.ndarray:
        """The target met or not, per replication, on replications R..2R-1 (seen by no
        search): how often an answer meets the target in futures it was not chosen on."""
        values, _ = self._run(compile_model(scenario), (float(self.window.end_day),), offset=1)
        return self.target.met(values[:, 0])

    def _run(
        self, model: Model, ends: tuple[float, ...], offset: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        shift = offset * self.stage.settings.replications
        work = functools.partial(
            measure, kpi=self.target.kpi.name, area=self.area, ends=ends, offset=shift
        )
        out = self.stage.map(work, model, self.on_done, key="size")
        return np.vstack([v for v, _ in out]), np.array([c for _, c in out])


def staff_cost_to(model: Model, end_day: float) -> float:
    """Cost of the WTE interventions add, paid before `end_day` (part weeks pro rata)."""
    cap = model.capacity
    weeks = np.arange(model.weeks, dtype=float)
    inside = np.clip(end_day / 7.0 - weeks, 0.0, 1.0)
    per_week = (cap.added_employed_wte * cap.cost_gbp_per_wte_week[None, :, None]).sum(axis=(0, 1))
    return float((per_week * inside).sum())
