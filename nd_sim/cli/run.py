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
    latest_or_new_run_dir,
    where,
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    Dask,
    Force,
    Jobs,
    Out,
    Replications,
    Resume,
    Seed,
)
from nd_sim.cli.report import write_report_into
from nd_sim.errors import ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.report import terminal
from nd_sim.run.folder import check_destination, staging_dir
from nd_sim.run.runner import run_to_folder
from nd_sim.scenario import load_scenario


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
) -> None:
    """Run replications of a scenario and write a results folder.

    Per-child and weekly rows stream to Parquet as replications finish, so memory stays flat;
    an interrupted run is kept aside and `--resume` finishes it.
    """
    path = scenario or default_scenario()
    try:
        model = compile_model(load_scenario(path))
        sc = model.scenario
        reps = replications or sc.run.replications
        base_seed = sc.run.seed if seed is None else seed
        dest = out or latest_or_new_run_dir(sc.name, resume)
        check_destination(dest, force)
        check_size([model], reps, jobs, dask, dest, allow_large)
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{escape(sc.name)}[/]: {reps} replications x {sc.horizon_weeks} weeks from "
        f"{sc.start_date}, seed {base_seed}, {where(jobs, dask)}"
    )
    result = with_progress(
        reps,
        lambda done: run_to_folder(
            model, dest, reps, base_seed, jobs, force, done, dask=dask, resume=resume
        ),
        staged=staging_dir(dest),
    )
    terminal.print_run(console, result, sc)
    if report:
        write_report_into(result.out)
