"""`nd-sim options`: the ways to spend a budget, simulated and ranked."""

from __future__ import annotations

from pathlib import Path

import typer

from nd_sim.cli.app import (
    check_size,
    console,
    default_scenario,
    fail,
    parse_date,
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
    bounded,
)
from nd_sim.errors import Problem, ScenarioError
from nd_sim.experiments.options import (
    Settings,
    check_settings,
    custom_option,
    options_to_folder,
    plan_options,
)
from nd_sim.experiments.ranking import objective_for
from nd_sim.report import terminal
from nd_sim.scenario import load_scenario
from nd_sim.scenario.bounds import MAX_GBP, MAX_WTE
from nd_sim.scenario.models import Scenario
from nd_sim.scenario.variants import with_parameter_uncertainty


def options(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    budget_gbp: float = typer.Option(
        ...,
        "--budget-gbp",
        callback=bounded(0, MAX_GBP, above_low=True),
        help="The money, in £.",
    ),
    over_months: float = typer.Option(
        12, "--over-months", callback=bounded(1, 240), help="Months it pays for."
    ),
    start: str = typer.Option(
        None, "--from", help="When the money starts, inside the horizon (default: the start)."
    ),
    max_recruits_wte: float = typer.Option(
        8.0, "--max-recruits-wte", callback=bounded(0, MAX_WTE), help="Cap per profession."
    ),
    price_gbp_each: float = typer.Option(
        1500.0,
        "--price-gbp-each",
        callback=bounded(0, MAX_GBP, above_low=True),
        help="Outsourced assessment.",
    ),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    option: list[Path] = typer.Option(
        None, "--option", help="Your own option: a scenario file extending the base (repeatable)."
    ),
    objective: ObjectiveKpi = None,
    area: Area = None,
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
) -> None:
    """Cost and simulate every way the scenario can spend a budget, against doing nothing,
    ranked on the objective (default: the county's child-weeks waiting) with trade-offs."""
    path = scenario or default_scenario()
    try:
        sc = with_parameter_uncertainty(load_scenario(path), parameter_uncertainty)
        when = parse_date(start, "--from") if start is not None else sc.start_date
        budget = Settings(
            budget_gbp=budget_gbp,
            over_months=over_months,
            start=when,
            max_recruits_wte=max_recruits_wte,
            price_gbp_each=price_gbp_each,
        )
        check_settings(sc, budget)
        own = tuple(
            custom_option(
                sc,
                with_parameter_uncertainty(_load_option(p), parameter_uncertainty),
                f"own-{p.stem}",
                budget,
                source=p,
            )
            for p in option or []
        )
        # every option built and checked (comparable with the base) before anything is staged
        plan = plan_options(sc, budget, own, base_path=path)
        settings = run_settings(
            sc.run, f"options-{sc.name}", "options", replications, seed, out, jobs, dask,
            resume, force,
        )  # fmt: skip
        check_size(plan.models, settings, allow_large)
        goal = objective_for(objective, area, plan.models[0].districts, plan.models[0].teams)
    except ScenarioError as exc:
        raise fail(exc) from None
    say_bands(sc)
    result, ranked, refused = with_progress(
        settings.replications * len(plan.models),
        lambda done: options_to_folder(sc, budget, settings, done, own, plan=plan, objective=goal),
        settings=settings,
    )
    terminal.print_options(console, ranked, budget, refused, result.objective, settings.out)


def _load_option(path: Path) -> Scenario:
    """An option file, its problems named under `--option` (the setting it came from)."""
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        problems = [
            Problem(f"--option {path}" + (f": {p.path}" if p.path else ""), p.value, p.rule)
            for p in exc.problems
        ]
        raise ScenarioError(exc.source, problems) from None
