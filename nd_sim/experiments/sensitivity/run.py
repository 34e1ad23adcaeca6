"""`nd-sim sensitivity`: run the design and the tornado, and write the results folder.

Every point is a scenario at fixed values of the uncertain inputs, run on the same
replications and seed, through the same staged, resumable stage as every other command:
an interrupted analysis keeps the points it finished and `--resume` goes on from there.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.ranking import Objective
from nd_sim.experiments.sensitivity.analyse import (
    Swing,
    indices,
    paragraph,
    with_swings,
)
from nd_sim.experiments.sensitivity.design import Design, make_design, uncertain_inputs
from nd_sim.experiments.sensitivity.evaluate import PointRunner
from nd_sim.inputs.model import Model
from nd_sim.results import registry
from nd_sim.run.pipeline import staged
from nd_sim.run.runner import package_versions
from nd_sim.run.settings import RunSettings
from nd_sim.scenario.variants import with_parameter_uncertainty


@dataclass(frozen=True)
class SensitivityResult:
    """What the terminal shows and the tests read."""

    out: Path
    table: pd.DataFrame
    text: str
    points: int
    wall_seconds: float


def runs_needed(design: Design, replications: int) -> int:
    """Replications the whole analysis runs: the design, the base and two per input."""
    return (len(design.quantiles) + 1 + 2 * len(design.inputs)) * replications


def prepare(base: Model, method: str, trajectories: int, source: str) -> tuple[Model, Design]:
    """The base at fixed inputs (no draws: each point sets them) and the design."""
    scenario = with_parameter_uncertainty(base.scenario, False)
    fixed = dataclasses.replace(base, scenario=scenario)
    inputs = uncertain_inputs(scenario, source)
    if method == "sobol" and trajectories & (trajectories - 1):
        rule = (
            "must be a power of 2 for --method sobol (e.g. 32, 64, 128): Sobol's sequence needs it"
        )
        raise ScenarioError(source, [Problem("--trajectories", trajectories, rule)])
    return fixed, make_design(inputs, method, trajectories)


def sensitivity_to_folder(
    base: Model,
    design: Design,
    objective: Objective,
    settings: RunSettings,
    on_done: Callable[[int], None] | None = None,
) -> SensitivityResult:
    """Run every point and the one-at-a-time ends, then write the folder atomically."""
    started = time.perf_counter()
    asked = {
        "method": design.method,
        "trajectories": design.trajectories,
        "objective": objective.as_dict(),
        "inputs": [i.path for i in design.inputs],
    }
    what = objective.describe()
    with staged(settings, "sensitivity", [base], runs=settings.replications, **asked) as stage:
        runner = PointRunner(base, objective, stage, on_done)
        y = np.array([runner.mean(design.values(p), "point") for p in range(len(design.quantiles))])
        if not np.isfinite(y).all():
            rule = (
                "is undefined at some points (nobody reached it there): choose another KPI or area"
            )
            raise ScenarioError("sensitivity", [Problem("--kpi", objective.kpi, rule)])
        at_value = runner.mean({}, "base")
        swings = [
            Swing(
                i,
                runner.mean(i.end("low"), "end"),
                runner.mean(i.end("high"), "end"),
            )
            for i in design.inputs
        ]
        table = with_swings(indices(design, y), swings, at_value)
        text = paragraph(table, design.method, what, objective.kpi, settings.replications)
        folder = stage.folder
        folder.write_csv("sensitivity.csv", table)
        folder.write_csv("points.csv", _points_frame(design, y))
        folder.write_text("sensitivity.md", _markdown(text, table, design, what, settings))
        _save_tornado(folder, table, what, objective.kpi, settings.replications)
        wall = time.perf_counter() - started
        folder.write_json(
            "manifest.json",
            {
                "kind": "sensitivity",
                "scenario_name": base.scenario.name,
                "command": " ".join(sys.argv),
                "replications": settings.replications,
                "seed": settings.seed,
                **asked,
                "points": len(design.quantiles),
                "wall_seconds": round(wall, 3),
                "versions": package_versions(),
            },
        )
    return SensitivityResult(settings.out, table, text, len(design.quantiles), wall)


def _points_frame(design: Design, y: np.ndarray) -> pd.DataFrame:
    rows = []
    for p in range(len(design.quantiles)):
        rows.append({"point": p, **design.values(p), "kpi_mean": float(y[p])})
    return pd.DataFrame(rows)


def _save_tornado(folder, table: pd.DataFrame, what: str, kpi: str, replications: int) -> None:
    from nd_sim.experiments.sensitivity.figure import tornado_figure
    from nd_sim.report.figures.style import save

    figure = tornado_figure(table, what, registry.unit(kpi), replications)
    save(figure, folder.path("tornado.png").parent, "tornado")


def _markdown(
    text: str, table: pd.DataFrame, design: Design, what: str, settings: RunSettings
) -> str:
    method = (
        f"Morris elementary effects, {design.trajectories} trajectories"
        if design.method == "morris"
        else f"Sobol indices (Saltelli sample, N = {design.trajectories})"
    )
    key = ["mu_star", "mu_star_ci95", "sigma"] if design.method == "morris" else [
        "S1", "S1_ci95", "ST", "ST_ci95"
    ]  # fmt: skip
    shown = table[["rank", "input", "low", "value", "high", *key, "swing"]]
    lines = [
        f"# Sensitivity of {what}",
        "",
        text,
        "",
        f"Method: {method}, {len(design.quantiles)} points, each the mean of "
        f"{settings.replications} replications on common random numbers (seed {settings.seed}). "
        "Inputs move over their own distributions (quantile space), so μ* is the KPI's mean "
        "absolute change for a step across the input's range. The tornado (tornado.png) "
        "moves one input to each end of its range with the others at their values.",
        "",
        *_table_lines(shown),
        "",
    ]
    return "\n".join(lines)


def _table_lines(frame: pd.DataFrame) -> list[str]:
    """A markdown table, numbers to 4 significant figures."""

    def cell(v) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return [head, rule, *body]
