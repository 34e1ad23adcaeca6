"""`nd-sim run`: replications of one scenario into a results folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    check_size,
    console,
    default_scenario,
    fail,
    run_settings,
    say_bands,
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    ChildRows,
    Dask,
    Force,
    Jobs,
    KpisCsv,
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
from nd_sim.inputs.model import compile_model
from nd_sim.report import terminal
from nd_sim.run.runner import run_to_folder
from nd_sim.scenario import load_scenario
from nd_sim.scenario.variants import with_parameter_uncertainty


def run(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    report: bool = typer.Option(False, "--report", help="Also write report.html and figures."),
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
    children_rows: ChildRows = None,
    split_teams: SplitTeams = False,
    kpis_csv: KpisCsv = False,
) -> None:
    """Run replications of a scenario and write a results folder.

    Per-child and weekly rows stream to Parquet as replications finish, so memory stays flat;
    an interrupted run is kept aside and `--resume` finishes it.
    """
    path = scenario or default_scenario()
    try:
        model = compile_model(
            with_parameter_uncertainty(load_scenario(path), parameter_uncertainty)
        )
        sc = model.scenario
        settings = run_settings(
            sc.run, sc.name, "run", replications, seed, out, jobs, dask, resume, force,
            child_rows_count(children_rows), split_teams, kpis_csv,
        )  # fmt: skip
        check_size([model], settings, allow_large)
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{escape(sc.name)}[/]: {settings.replications} replications x "
        f"{sc.horizon_weeks} weeks from {sc.start_date}, seed {settings.seed}, "
        f"{settings.describe()}"
    )
    say_bands(sc)
    result = with_progress(
        settings.replications,
        lambda done: run_to_folder(model, settings, done),
        settings=settings,
    )
    terminal.print_run(console, result, sc)
    if report:
        write_report_into(result.out)
