"""Does meeting the target make another headline measure worse?

A target on one KPI can be met in a way that makes the pathway worse elsewhere: adding
paediatricians meets a first-appointment target while more children wait a year or more
inside the assessment. So once a lever's answer is found, the answer and doing nothing are
run again with every whole-run headline KPI (county), paired replication by replication,
and every headline KPI significantly worse at the answer is reported. The lever's own cost
is the answer itself, so it is not repeated as a trade-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.engine.replication import run_replication
from nd_sim.experiments.ranking import change_words, significantly_worse
from nd_sim.experiments.sizing.solver import Solution
from nd_sim.inputs.model import Model, compile_model
from nd_sim.results import registry
from nd_sim.results.kpis import replication_kpis
from nd_sim.results.statistics import t_interval
from nd_sim.run.pipeline import Stage
from nd_sim.scenario.models import Scenario

CHECKED = tuple(k for k in registry.TRADEOFF_KPIS if k != "intervention_cost_gbp")


@dataclass(frozen=True)
class Worse:
    """One headline KPI clearly worse at a lever's answer than doing nothing."""

    lever: str
    x: float
    kpi: str
    diff: float
    ci95_low: float
    ci95_high: float

    def words(self, end: str | None = None) -> str:
        """ "leaves 1,693 more children waiting a year or more at the end (…)"."""
        return change_words(self.kpi, self.diff, end)


def county_headline(model: Model, replication: int, seed: int) -> np.ndarray:
    """The checked KPIs of one replication, county, whole run (module level: picklable)."""
    raw = run_replication(model, replication, seed)
    values = {k: v for t, _, k, v in replication_kpis(raw, model) if t == "county"}
    return np.array([values.get(k, np.nan) for k in CHECKED])


def worse_at_answer(
    stage: Stage, scenario: Scenario, solution: Solution, target_kpi: str
) -> list[Worse]:
    """Headline KPIs (other than the target's) significantly worse at the answer."""
    if solution.answer is None or solution.answer.x <= 0:
        return []
    lever, x = solution.lever, solution.answer.x
    return worse_than_base(stage, scenario, lever.apply(scenario, x), lever.name, x, target_kpi)


def worse_than_base(
    stage: Stage, scenario: Scenario, variant: Scenario, name: str, x: float, target_kpi: str
) -> list[Worse]:
    """Headline KPIs (other than the target's) significantly worse in `variant` than in
    `scenario`, paired replication by replication."""
    base = np.vstack(stage.map(county_headline, compile_model(scenario), key="tradeoffs"))
    answer = np.vstack(stage.map(county_headline, compile_model(variant), key="tradeoffs"))
    out = []
    for j, kpi in enumerate(CHECKED):
        if kpi == target_kpi:
            continue
        diff, low, high = t_interval(answer[:, j] - base[:, j])
        if significantly_worse(kpi, low, high, diff):
            out.append(Worse(name, x, kpi, diff, low, high))
    return out
