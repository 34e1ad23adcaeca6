"""Command-line options every simulating command shares, declared once."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from nd_sim.scenario.bounds import MAX_REPLICATIONS, MAX_SEED

MAX_JOBS = 256


def finite(value: float | None) -> float | None:
    """Refuse NaN and infinities, which pass click's range checks (every comparison with
    NaN is false) and would reach the arithmetic as a traceback."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value


def bounded(low: float, high: float, *, above_low: bool = False) -> Callable[[Any], Any]:
    """A callback refusing a number outside [low, high] (or (low, high]), naming the value.

    Used instead of typer's ``min``/``max``, whose message leaves out the value given and
    which let NaN through.
    """

    def check(value: Any) -> Any:
        if value is None:
            return value
        finite(float(value))
        too_low = value <= low if above_low else value < low
        if too_low or value > high:
            bracket = "(" if above_low else "["
            raise typer.BadParameter(f"{value} is not in the range {bracket}{low:g}, {high:g}]")
        return value

    return check


Replications = Annotated[
    int | None,
    typer.Option(
        "--replications",
        "-n",
        callback=bounded(1, MAX_REPLICATIONS),
        help="Replications (default: the scenario's).",
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        "--seed", "-s", callback=bounded(0, MAX_SEED), help="Base seed (default: the scenario's)."
    ),
]
Out = Annotated[
    Path | None, typer.Option("--out", "-o", help="Results folder (default: results/<time>).")
]
Jobs = Annotated[
    int,
    typer.Option(
        "--jobs", "-j", callback=bounded(1, MAX_JOBS), help="Processes to run replications on."
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Replace a non-empty --out folder.")]


def dask_address(value: str | None) -> str | None:
    """An empty address is a mistake, not a request for no cluster."""
    if value is not None and not value.strip():
        raise typer.BadParameter("must be a scheduler address (tcp://host:8786) or 'local'")
    return value.strip() if value else value


Dask = Annotated[
    str | None,
    typer.Option(
        "--dask",
        callback=dask_address,
        help='Run on a Dask cluster: a scheduler address (tcp://host:8786) or "local" to start '
        'one here with --jobs workers. Needs pip install "nd-sim[dask]".',
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume", help="Finish an interrupted run of the same command: completed work is kept."
    ),
]
AllowLarge = Annotated[
    bool,
    typer.Option(
        "--allow-large",
        help="Run even if the estimated memory, disk or children exceed the limits "
        "(docs/scale.md).",
    ),
]
ObjectiveKpi = Annotated[
    str | None,
    typer.Option(
        "--objective",
        help="KPI to rank on (any KPI with a better direction in docs/outputs.md; default: "
        "child_weeks_waiting, the whole pathway's waiting).",
    ),
]
Area = Annotated[
    str | None,
    typer.Option(
        "--area",
        help='Where the objective is measured: "county" (default), a team or a district '
        '("team:NAME" or "district:NAME" if a name is both).',
    ),
]
ParameterUncertainty = Annotated[
    bool | None,
    typer.Option(
        "--parameter-uncertainty/--no-parameter-uncertainty",
        help="Draw every uncertain input (a number given with low and high) once per "
        "replication, so that the bands include uncertainty in the assumptions (default: "
        "the scenario's [run] parameter_uncertainty).",
    ),
]


def _child_rows(value: str | None) -> str | None:
    """'all', or a whole number of replications from 0 (checked here: exit 2 otherwise)."""
    if value is None or value.strip().lower() == "all":
        return value
    try:
        count = int(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a whole number or 'all'") from None
    if not 0 <= count <= MAX_REPLICATIONS:
        raise typer.BadParameter(f"{count} is not in the range [0, {MAX_REPLICATIONS}]")
    return value


def child_rows_count(value: str | None) -> int | None:
    """The replications whose per-child rows are written: the default, a count, or None
    for all."""
    from nd_sim.run.settings import DEFAULT_CHILD_ROWS

    if value is None:
        return DEFAULT_CHILD_ROWS
    return None if value.strip().lower() == "all" else int(value)


ChildRows = Annotated[
    str | None,
    typer.Option(
        "--children-rows",
        callback=_child_rows,
        help="How many replications (the first ones) write a row per child to "
        "children.parquet: a number, or 'all' (default 50). KPIs and weekly counts always "
        "cover every replication.",
    ),
]

KpisCsv = Annotated[
    bool,
    typer.Option(
        "--kpis-csv",
        help="Write the KPIs by replication as kpis_by_replication.csv however many rows "
        "they fill. By default a run with more rows than a spreadsheet opens (1,048,575) "
        "writes the same rows as kpis_by_replication.parquet instead.",
    ),
]

SplitTeams = Annotated[
    bool,
    typer.Option(
        "--split-teams",
        help="Run each replication split by team across the --jobs workers (or --dask), "
        "merged to the same rows as a serial run: for a few replications of many teams, such "
        "as England as one scenario. With many replications, leave it off.",
    ),
]
