"""`nd-sim families`: wait projections and letters for the families on a list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.markup import escape

from nd_sim.calibration.history import read_column_map, read_history
from nd_sim.cli.app import (
    check_size,
    console,
    default_scenario,
    err_console,
    fail,
    parse_date,
    run_settings,
    say_bands,
    with_progress,
)
from nd_sim.cli.params import (
    AllowLarge,
    Dask,
    Force,
    Jobs,
    Out,
    ParameterUncertainty,
    Replications,
    Resume,
    Seed,
)
from nd_sim.errors import Problem, ScenarioError
from nd_sim.inputs.model import compile_model
from nd_sim.inputs.personal_data import personal_values
from nd_sim.inputs.starting_list import OPTIONAL, REQUIRED
from nd_sim.report import terminal
from nd_sim.scenario import load_scenario
from nd_sim.scenario.models import StartingList
from nd_sim.scenario.variants import with_parameter_uncertainty

MIN_REPLICATIONS = 40  # fewest runs a window read to a family may come from


def families(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    waiting_list: Path = typer.Option(..., "--waiting-list", "-l", help="Today's list (CSV)."),
    as_of: str = typer.Option(..., "--as-of", help="The list's date, YYYY-MM-DD."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    strict: bool = typer.Option(False, "--strict", help="Refuse the list if any row is bad."),
    previous: Path = typer.Option(
        None,
        "--previous",
        help="An earlier families folder: checks what happened since against what it "
        "expected (drift.csv) and shows whose window moved (its projections.csv alone: moves "
        "only).",
    ),
    contact: str = typer.Option(
        None, "--contact", help="Phone number or email families should use (in every letter)."
    ),
    service_name: str = typer.Option(None, "--service-name", help="Signs the letters."),
    allow_large: AllowLarge = False,
    parameter_uncertainty: ParameterUncertainty = None,
    check_history: Path = typer.Option(
        None,
        "--check-history",
        help="Your service's history extract (docs/history.md): how well windows made the "
        "same way 6 and 12 months ago held what then happened (track_record.csv).",
    ),
    column_map: Path = typer.Option(
        None, "--map", help="Column names: ours = your system's header (TOML)."
    ),
    allow_few: bool = typer.Option(
        False,
        "--allow-few-replications",
        help=f"Run with fewer than {MIN_REPLICATIONS} replications (windows too unsteady to "
        "read to families: for trying things out only).",
    ),
) -> None:
    """Project when each child on today's list will be seen, and write letters for families.

    Parameter uncertainty is on unless --no-parameter-uncertainty: a window read to a
    family must allow for the assumptions being wrong, not only for chance.
    """
    from nd_sim.experiments.families.run import (
        CONTACT_PLACEHOLDER,
        SERVICE_NAME,
        families_to_folder,
    )

    if contact is None:
        err_console.print(
            f"note: no --contact given; letters say {escape(CONTACT_PLACEHOLDER)} for a mail merge"
        )
    path = scenario or default_scenario()
    try:
        when = parse_date(as_of)
        _check_contact(contact)
        on = True if parameter_uncertainty is None else parameter_uncertainty
        sc = with_parameter_uncertainty(load_scenario(path), on)
        replications = _enough(replications, sc.run.replications, allow_few)
        columns = read_column_map(column_map, (*REQUIRED, *OPTIONAL))
        past = read_history(check_history, sc, when, {}) if check_history else None
        settings = run_settings(
            sc.run, f"families-{sc.name}", "families", replications, seed, out, jobs, dask,
            resume, force,
        )  # fmt: skip
        unlisted = sc.model_copy(update={"starting_list": StartingList()})  # the list replaces it
        check_size([compile_model(unlisted)], settings, allow_large, children_rows=False)
        if previous is not None and not previous.exists():
            raise ScenarioError(str(previous), [Problem("--previous", str(previous), "must exist")])
        say_bands(sc)
        result = with_progress(
            settings.replications,
            lambda done: families_to_folder(
                sc,
                waiting_list,
                when,
                settings,
                strict,
                previous,
                done,
                contact or CONTACT_PLACEHOLDER,
                service_name or SERVICE_NAME,
                columns,
                past,
            ),
            settings=settings,
        )
    except ScenarioError as exc:
        raise fail(exc) from None
    terminal.print_families(console, result)
    _say_drift(result.drift)


def _say_drift(drift) -> None:
    """The districts running behind or ahead of the last projection, in a line each."""
    if drift is None:
        return
    if drift.empty:
        console.print("drift: the earlier run is too far back (or too recent) to compare")
        return
    off = drift[drift.flag != "on track"]
    console.print(
        f"drift since {drift.previous_as_of.iloc[0]}: {len(off)} of {len(drift)} rows (the "
        "districts and all districts together) are off the earlier projection (drift.csv; "
        "each staff summary opens with it)",
        highlight=False,
    )
    for r in off.itertuples(index=False):
        console.print(
            f"  {escape(r.district)}: {r.flag}: about {r.first_appointments_estimated:,.0f} "
            f"first appointments where {r.first_appointments_p50:,.0f} were expected "
            f"({-r.first_appointments_behind_pct:+.0f}%)",
            highlight=False,
        )


def _enough(asked: int | None, default: int, allow_few: bool) -> int:
    """At least `MIN_REPLICATIONS` unless asked otherwise: with fewer, the P10 and P90 of a
    child's date come from a handful of runs (with 20 under parameter uncertainty, a
    family's window moved by months from one seed to the next)."""
    if asked is None:
        return max(default, MIN_REPLICATIONS)
    if asked < MIN_REPLICATIONS and not allow_few:
        rule = (
            f"is too few for windows read to families (at least {MIN_REPLICATIONS}: with fewer "
            "the P10 and P90 are too unsteady); --allow-few-replications to try things out"
        )
        raise ScenarioError("nd-sim families", [Problem("--replications", asked, rule)])
    return asked


def _check_contact(contact: str | None) -> None:
    """The service's own phone number or email goes in every letter; an NHS number or a
    postcode there is a slip that would send a child's identifier to every family."""
    if contact is None:
        return
    found = personal_values(pd.Series([contact]))
    for kind in ("nhs", "postcode"):
        if found[kind][0]:
            rule = f"looks like {'an NHS number' if kind == 'nhs' else 'a postcode'}; give the "
            rule += "service's phone number or email"
            raise ScenarioError("--contact", [Problem("--contact", "(withheld)", rule)])
