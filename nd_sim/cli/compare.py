"""`nd-sim compare`: scenarios on common random numbers, paired with the first."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import (
    check_size,
    console,
    fail,
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    Force,
    Jobs,
    Out,
    Replications,
    Seed,
)
from nd_sim.cli.report import write_report_into
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments import compare as compare_mod
from nd_sim.inputs.model import compile_model
from nd_sim.report import terminal
from nd_sim.results import kpis
from nd_sim.run.folder import check_destination, default_run_dir
from nd_sim.scenario import load_scenario


def compare(
    scenarios: list[Path] = typer.Argument(..., help="The base scenario first, then the options."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    headline: str = typer.Option(
        compare_mod.HEADLINE, "--headline", help="County KPI to rank the options on."
    ),
    report: bool = typer.Option(False, "--report", help="Also write report.html and figures."),
    allow_large: AllowLarge = False,
) -> None:
    """Run scenarios on the same random numbers and compare them with the first (the base)."""
    try:
        models = [compile_model(load_scenario(path)) for path in scenarios]
        compare_mod.check_comparable(models, scenarios)
        base = models[0].scenario
        reps = replications or base.run.replications
        base_seed = base.run.seed if seed is None else seed
        dest = out or default_run_dir(Path("results"), f"compare-{base.name}")
        check_destination(dest, force)
        check_size(models, reps, jobs, None, dest, allow_large)
        if headline not in kpis.kpi_units():
            known = ", ".join(sorted(kpis.kpi_units()))
            raise ScenarioError("--headline", [Problem("--headline", headline, f"one of {known}")])
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{len(models)} scenarios[/] (base: {escape(base.name)}), {reps} replications "
        f"each on common random numbers, seed {base_seed}"
    )
    result = with_progress(
        reps * len(models),
        lambda done: compare_mod.compare_to_folder(
            models, scenarios, dest, reps, base_seed, jobs, force, done
        ),
    )
    terminal.print_comparison(console, result, headline)
    if report:
        write_report_into(result.out)
