"""`nd-sim sweep`: every variant of a grid on common random numbers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    check_size,
    console,
    fail,
    run_settings,
    say_bands,
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    Area,
    Dask,
    Force,
    Jobs,
    ObjectiveKpi,
    Out,
    ParameterUncertainty,
    Replications,
    Resume,
    Seed,
)
from nd_sim.cli.report import write_report_into
from nd_sim.errors import ScenarioError
from nd_sim.experiments.grid import load_grid
from nd_sim.experiments.ranking import objective_for
from nd_sim.experiments.sweep import sweep_to_folder
from nd_sim.inputs.model import compile_model
from nd_sim.report import terminal
from nd_sim.run import resources
from nd_sim.scenario.variants import with_parameter_uncertainty


def sweep(
    scenario: Path = typer.Argument(..., help="The scenario the grid varies."),
    grid: Path = typer.Option(..., "--grid", "-g", help="Grid TOML: keys and their values."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    children: bool = typer.Option(
        False, "--children", help="Also keep every child's row (large: one row per child)."
    ),
    report: bool = typer.Option(
        False, "--report", help="Also draw the headline KPIs across the grid (PNG and SVG)."
    ),
    objective: ObjectiveKpi = None,
    area: Area = None,
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
) -> None:
    """Run every variant of a grid on common random numbers and write one tidy sweep.csv.

    Rows stream to Parquet partitioned by variant, so memory stays flat; an interrupted sweep
    is kept aside and `--resume` finishes it.
    """
    try:
        spec = load_grid(grid, scenario)
        variants = [
            dataclasses.replace(
                v, scenario=with_parameter_uncertainty(v.scenario, parameter_uncertainty)
            )
            for v in spec.variants
        ]
        spec = dataclasses.replace(spec, variants=variants)
        base = spec.variants[0].scenario
        settings = run_settings(
            base.run, f"sweep-{base.name}", "sweep", replications, seed, out, jobs, dask,
            resume, force,
        )  # fmt: skip
        first = compile_model(base)
        sized = [resources.variant_for_estimate(first, v.scenario) for v in spec.variants]
        check_size(sized, settings, allow_large, children_rows=children)
        goal = objective_for(objective, area, first.districts, first.teams)
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{len(spec.variants)} variants[/] of {escape(base.name)} over "
        f"{escape(', '.join(spec.keys)) or 'named variants'}: {settings.replications} "
        f"replications each on common random numbers, seed {settings.seed}, "
        f"{settings.describe()}",
        highlight=False,
    )
    say_bands(base)
    result = with_progress(
        settings.replications * len(spec.variants),
        lambda done: sweep_to_folder(spec, settings, done, children, goal),
        settings=settings,
    )
    terminal.print_sweep(console, result)
    if report:
        write_report_into(result.out)
