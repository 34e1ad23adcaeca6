"""`nd-sim sensitivity`: which uncertain input moves a KPI most (Morris or Sobol)."""

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
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    Area,
    Dask,
    Force,
    Jobs,
    Out,
    Replications,
    Resume,
    Seed,
    bounded,
)
from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario

MAX_TRAJECTORIES = 4096
DEFAULT_TRAJECTORIES = {"morris": 10, "sobol": 64}


def sensitivity(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    kpi: str = typer.Option(
        None,
        "--kpi",
        help="The KPI to explain (docs/outputs.md; default: child_weeks_waiting).",
    ),
    area: Area = None,
    method: str = typer.Option(
        "morris", "--method", help="morris (elementary effects) or sobol (variance shares)."
    ),
    trajectories: int = typer.Option(
        None,
        "--trajectories",
        "-t",
        callback=bounded(2, MAX_TRAJECTORIES),
        help="Morris trajectories (default 10) or Sobol base samples, a power of 2 (default 64).",
    ),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    allow_large: AllowLarge = False,
) -> None:
    """Rank the scenario's uncertain inputs by how much they move a KPI (SALib), with a
    tornado chart: where better data is worth paying for."""
    from nd_sim.experiments.ranking import measure_for
    from nd_sim.experiments.sensitivity.run import (
        prepare,
        runs_needed,
        sensitivity_to_folder,
    )

    path = scenario or default_scenario()
    try:
        chosen = method.strip().lower()
        if chosen not in DEFAULT_TRAJECTORIES:
            raise ScenarioError(
                "sensitivity", [Problem("--method", method, "must be morris or sobol")]
            )
        _salib_or_fail()
        model = compile_model(load_scenario(path))
        goal = measure_for(kpi, area, model.districts, model.teams, option="--kpi", ranked=False)
        base, design = prepare(
            model, chosen, trajectories or DEFAULT_TRAJECTORIES[chosen], str(path)
        )
        sc = base.scenario
        settings = run_settings(
            sc.run, f"sensitivity-{sc.name}", "sensitivity", replications, seed, out, jobs, dask,
            resume, force,
        )  # fmt: skip
        total = runs_needed(design, settings.replications)
        check_size([base], settings, allow_large, children_rows=False, replications=total)
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[bold]{escape(sc.name)}[/]: sensitivity of {escape(goal.describe())} to "
        f"{len(design.inputs)} uncertain inputs, {design.method} with {len(design.quantiles)} "
        f"points + {2 * len(design.inputs) + 1} for the tornado, {settings.replications} "
        f"replications each on common random numbers, seed {settings.seed}, "
        f"{settings.describe()}",
        highlight=False,
    )
    result = with_progress(
        total,
        lambda done: sensitivity_to_folder(base, design, goal, settings, done),
        settings=settings,
    )
    console.print(escape(result.text), highlight=False)
    console.print(f"results: {escape(str(result.out))}", highlight=False)


def _salib_or_fail() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        rule = 'needs SALib: pip install -e ".[sensitivity]" (or ".[dev]")'
        raise ScenarioError("sensitivity", [Problem("SALib", "not installed", rule)]) from None
