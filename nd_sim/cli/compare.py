"""`nd-sim compare`: scenarios on common random numbers, paired with the first."""

from __future__ import annotations

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
    ChildRows,
    Dask,
    Force,
    Jobs,
    ObjectiveKpi,
    Out,
    ParameterUncertainty,
    Replications,
    Resume,
    Seed,
    SplitTeams,
    child_rows_count,
)
from nd_sim.cli.report import write_report_into
from nd_sim.errors import ScenarioError
from nd_sim.experiments import compare as compare_mod
from nd_sim.experiments.ranking import objective_for
from nd_sim.inputs.model import compile_model
from nd_sim.report import terminal
from nd_sim.scenario import load_scenario
from nd_sim.scenario.variants import with_parameter_uncertainty


def compare(
    scenarios: list[Path] = typer.Argument(..., help="The base scenario first, then the options."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    objective: ObjectiveKpi = None,
    area: Area = None,
    report: bool = typer.Option(False, "--report", help="Also write report.html and figures."),
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
    children_rows: ChildRows = None,
    split_teams: SplitTeams = False,
) -> None:
    """Run scenarios on the same random numbers and compare them with the first (the base)."""
    try:
        models = [
            compile_model(with_parameter_uncertainty(load_scenario(path), parameter_uncertainty))
            for path in scenarios
        ]
        compare_mod.check_comparable(models, scenarios)
        base = models[0].scenario
        settings = run_settings(
            base.run, f"compare-{base.name}", "compare", replications, seed, out, jobs, dask,
            resume, force, child_rows_count(children_rows), split_teams,
        )  # fmt: skip
        check_size(models, settings, allow_large)
        goal = objective_for(objective, area, models[0].districts, models[0].teams)
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{len(models)} scenarios[/] (base: {escape(base.name)}), "
        f"{settings.replications} replications each on common random numbers, seed "
        f"{settings.seed}, {settings.describe()}"
    )
    say_bands(base)
    result = with_progress(
        settings.replications * len(models),
        lambda done: compare_mod.compare_to_folder(models, scenarios, settings, done, goal),
        settings=settings,
    )
    terminal.print_comparison(console, result)
    if report:
        write_report_into(result.out)
