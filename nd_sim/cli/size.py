"""`nd-sim size`: the smallest lever value that meets a target by a date."""

from __future__ import annotations

from pathlib import Path

import typer

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
from nd_sim.inputs.model import compile_model
from nd_sim.scenario import load_scenario
from nd_sim.scenario.bounds import MAX_GBP, MAX_WEEKS
from nd_sim.scenario.variants import with_parameter_uncertainty


def size(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    target: str = typer.Option(
        None, "--target", "-t", help='e.g. "first_within_13w_pct >= 90" (see docs/sizing.md).'
    ),
    by: str = typer.Option(None, "--by", help="Date the target must hold by, YYYY-MM-DD."),
    lever: str = typer.Option(
        None,
        "--lever",
        "-l",
        help='Professions "a,b" (extra WTE, fixed mix), outsourced_per_month, workshop_uptake '
        "or funding_gbp[:a,b]. With --optimise-mix: the professions to mix (default: all).",
    ),
    each: bool = typer.Option(False, "--each", help="Size each listed profession on its own."),
    optimise_mix: bool = typer.Option(
        False,
        "--optimise-mix",
        help="Find the least-cost mix of the professions (see docs/sizing.md, 'Which staff').",
    ),
    by_team: bool = typer.Option(
        False, "--by-team", help="With --optimise-mix: a mix for each team, not one shared."
    ),
    budget_gbp: float = typer.Option(
        None,
        "--budget-gbp",
        callback=bounded(0, MAX_GBP, above_low=True),
        help="With --optimise-mix: the best mix for this money (no --target).",
    ),
    over_months: float = typer.Option(
        None,
        "--over-months",
        callback=bounded(0, MAX_WEEKS, above_low=True),
        help="With --budget-gbp: months the fixed-term posts are paid for.",
    ),
    objective: ObjectiveKpi = None,
    confidence: float = typer.Option(
        0.8,
        "--confidence",
        callback=bounded(0, 1, above_low=True),
        help="Share of replications that must meet the target.",
    ),
    replications: Replications = None,
    seed: Seed = None,
    jobs: Jobs = 1,
    out: Out = None,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    cap: float = typer.Option(
        None,
        "--cap",
        callback=bounded(0, MAX_GBP),
        help="Most of the lever to try (default per lever).",
    ),
    step: float = typer.Option(
        None,
        "--step",
        callback=bounded(0, MAX_GBP),
        help="Grid step of the lever (default per lever).",
    ),
    area: str = typer.Option("county", "--area", help="county, a district or a team."),
    lag: float = typer.Option(
        None,
        "--recruitment-lag-weeks",
        callback=bounded(0, MAX_WEEKS),
        help="Default: the scenario's funding's, else 12.",
    ),
    ramp: float = typer.Option(
        0.0,
        "--ramp-up-weeks",
        callback=bounded(0, MAX_WEEKS),
        help="Weeks to full productivity.",
    ),
    price: float = typer.Option(
        1500.0,
        "--price-gbp-each",
        callback=bounded(0, MAX_GBP, above_low=True),
        help="Price of an outsourced assessment.",
    ),
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
) -> None:
    """Find the smallest lever value that meets a target by a date (on the simulation)."""
    from nd_sim.experiments.sizing import terminal as size_terminal
    from nd_sim.experiments.sizing.run import expected_replications, prepare, size_to_folder

    path = scenario or default_scenario()
    mix_only = {"--by-team": by_team, "--budget-gbp": budget_gbp, "--over-months": over_months}
    mix_only["--objective"] = objective
    if optimise_mix and each:
        rule = "sizes each profession alone; --optimise-mix searches their mix: choose one"
        raise fail(ScenarioError("nd-sim size", [Problem("--each", True, rule)]))
    if optimise_mix or any(v not in (None, False) for v in mix_only.values()):
        _optimise_mix(
            path, optimise_mix, mix_only, target, by, lever, area, confidence, replications,
            seed, jobs, out, force, dask, resume, cap, step, lag, ramp, allow_large,
            parameter_uncertainty,
        )  # fmt: skip
        return
    try:
        sc = with_parameter_uncertainty(load_scenario(path), parameter_uncertainty)
        _required(target=target, by=by, lever=lever)
        request = prepare(
            sc, target, by, lever, each=each, cap=cap, step=step, lag_weeks=lag,
            ramp_weeks=ramp, price_gbp_each=price, area=area, confidence=confidence,
            replications=replications, seed=seed, jobs=jobs,
        )  # fmt: skip
        runs = expected_replications(request)
        settings = _checked_settings(
            sc, f"size-{sc.name}", request, runs, out, jobs, dask, resume, force, allow_large
        )
    except ScenarioError as exc:
        raise fail(exc) from None
    size_terminal.print_request(console, request)
    say_bands(sc)
    result = _run(runs, lambda done: size_to_folder(request, settings, done), settings)
    size_terminal.print_size(console, result, request)


def _required(**given: str | None) -> None:
    """--target, --by and --lever are needed unless the mix's budget form is asked."""
    missing = [k for k, v in given.items() if v is None]
    if missing:
        rule = "is needed (or use --optimise-mix with --budget-gbp for the best mix for money)"
        raise ScenarioError("nd-sim size", [Problem(f"--{k}", None, rule) for k in missing])


def _optimise_mix(
    path, optimise_mix, mix_only, target, by, lever, area, confidence, replications, seed,
    jobs, out, force, dask, resume, cap, step, lag, ramp, allow_large, parameter_uncertainty,
) -> None:  # fmt: skip
    """The least-cost mix (or the best mix for a budget): `size --optimise-mix`."""
    from nd_sim.experiments.sizing import terminal as size_terminal
    from nd_sim.experiments.sizing.mix_run import (
        expected_replications,
        optimise_to_folder,
        prepare_mix,
    )

    try:
        if not optimise_mix:
            used = [k for k, v in mix_only.items() if v not in (None, False)]
            rule = "only goes with --optimise-mix"
            raise ScenarioError("nd-sim size", [Problem(k, mix_only[k], rule) for k in used])
        sc = with_parameter_uncertainty(load_scenario(path), parameter_uncertainty)
        request = prepare_mix(
            sc, target=target, by=by, lever=lever, by_team=mix_only["--by-team"],
            budget_gbp=mix_only["--budget-gbp"], over_months=mix_only["--over-months"],
            objective=mix_only["--objective"], area=area, confidence=confidence,
            replications=replications, seed=seed, jobs=jobs, step=step, cap=cap,
            lag_weeks=lag, ramp_weeks=ramp,
        )  # fmt: skip
        runs = expected_replications(request)
        settings = _checked_settings(
            sc, f"mix-{sc.name}", request, runs, out, jobs, dask, resume, force, allow_large
        )
    except ScenarioError as exc:
        raise fail(exc) from None
    size_terminal.print_mix_request(console, request)
    say_bands(sc)
    result = _run(runs, lambda done: optimise_to_folder(request, settings, done), settings)
    size_terminal.print_mix(console, result, request)


def _run(runs: int, work, settings):
    """The search under a progress bar; a problem found on the way exits with code 2."""
    try:
        return with_progress(runs, work, settings=settings)
    except ScenarioError as exc:
        raise fail(exc) from None


def _checked_settings(
    sc, name, request, runs, out, jobs, dask, resume, force, allow_large
):  # fmt: skip
    """Run settings for a size run, refused before any work if it would be too large."""
    settings = run_settings(
        sc.run, name, "size", request.replications, request.seed, out, jobs, dask, resume, force
    )
    check_size([compile_model(sc)], settings, allow_large, False, replications=runs)
    return settings
