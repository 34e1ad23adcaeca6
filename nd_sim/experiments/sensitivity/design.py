"""Where the sensitivity analysis runs the scenario: the inputs, and the points to run.

The design is drawn in quantile space (every input from 0 to 1) and each coordinate is
mapped through its input's own distribution, so a Morris step or a Sobol sample covers the
values an input really takes, and effects are "the KPI's change across the input's range"
for every input alike (comparable across inputs with different units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nd_sim.engine.parameters import factor
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario.models import Scenario, UncertainInput
from nd_sim.scenario.paths import get, parse
from nd_sim.scenario.uncertain import quantile

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4  # grid levels per input: SALib's default, and the usual choice
DESIGN_SEED = 20260401  # the design is fixed, so the same command gives the same points


@dataclass(frozen=True)
class Member:
    """One number of the scenario with a range: its path, its value and its range."""

    path: str
    value: float
    spec: UncertainInput


@dataclass(frozen=True)
class Input:
    """One factor of the analysis: an uncertain input, or a group of them that move together
    (the same quantile for every member, as under parameter uncertainty)."""

    path: str  # the input's dotted path, or "group:<name>"
    members: tuple[Member, ...]

    def at(self, u: float) -> dict[str, float]:
        """Every member's value at quantile `u`."""
        return {m.path: quantile(m.spec, m.value, u) for m in self.members}

    def end(self, which: str) -> dict[str, float]:
        """Every member at its low or high end."""
        return {m.path: getattr(m.spec, which) for m in self.members}

    @property
    def low(self) -> float:
        """The first member's low end (a group's range is each member's own)."""
        return self.members[0].spec.low

    @property
    def high(self) -> float:
        """The first member's high end."""
        return self.members[0].spec.high

    @property
    def value(self) -> float:
        """The first member's value."""
        return self.members[0].value

    @property
    def dist(self) -> str:
        """The first member's distribution."""
        return self.members[0].spec.dist


@dataclass(frozen=True)
class Design:
    """The points to run (rows of quantiles, one column per input) for one method."""

    method: str
    inputs: tuple[Input, ...]
    quantiles: np.ndarray  # (points, inputs)
    trajectories: int

    @property
    def problem(self) -> dict:
        """SALib's problem: every input from 0 to 1 (quantile space)."""
        names = [i.path for i in self.inputs]
        return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}

    def values(self, row: int) -> dict[str, float]:
        """The inputs' values at one point, by dotted path."""
        out: dict[str, float] = {}
        for i, u in zip(self.inputs, self.quantiles[row], strict=True):
            out |= i.at(float(u))
        return out


def uncertain_inputs(scenario: Scenario, source: str) -> tuple[Input, ...]:
    """Every input with a range (a sensitivity analysis needs at least one)."""
    raw = scenario.model_dump(by_alias=True)
    factors: dict[str, list[Member]] = {}
    for path, spec in sorted(scenario.uncertain.items()):
        member = Member(path, float(get(raw, parse(path))), spec)
        factors.setdefault(factor(path, spec), []).append(member)
    inputs = tuple(Input(name, tuple(members)) for name, members in factors.items())
    if not inputs:
        rule = (
            "has no uncertain inputs: give the numbers in doubt a range, e.g. "
            "weekly_hazard = { value = 0.003, low = 0.001, high = 0.006 } (docs/uncertainty.md)"
        )
        raise ScenarioError(source, [Problem("scenario", source, rule)])
    return inputs


def make_design(inputs: tuple[Input, ...], method: str, trajectories: int) -> Design:
    """Morris trajectories (T x (k + 1) points) or a Sobol/Saltelli sample (T x (2k + 2))."""
    names = [i.path for i in inputs]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if method == "morris":
        from SALib.sample import morris

        q = morris.sample(problem, trajectories, num_levels=MORRIS_LEVELS, seed=DESIGN_SEED)
    else:
        from SALib.sample import sobol

        q = sobol.sample(problem, trajectories, calc_second_order=False, seed=DESIGN_SEED)
    return Design(method, inputs, np.asarray(q, float), trajectories)


def points(method: str, k: int, trajectories: int) -> int:
    """How many points a design has, before running it (for the progress bar and checks)."""
    return trajectories * (k + 1) if method == "morris" else trajectories * (k + 2)
