"""The `nd-sim` command line: the only place that talks to the terminal.

Bad input (scenario, CSV, destination) prints every problem and exits with code 2,
without a traceback and without leaving a results folder behind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from nd_sim.errors import ScenarioError
from nd_sim.model import compile_model
from nd_sim.output import check_destination, default_run_dir
from nd_sim.runner import RunResult, run_to_folder
from nd_sim.scenario import Scenario, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="nd-sim: simulate the neurodevelopmental (autism/ADHD) assessment pathway.",
)
console = Console(width=None if Console().is_terminal else 140)
err_console = Console(stderr=True)
DEFAULT_SCENARIO = Path("scenarios") / "lancashire.toml"
BAD_INPUT = 2
HEADLINE = (
    ("first_wait_median_weeks", "median wk to 1st appt"),
    ("first_within_13w_pct", "% 1st appt <=13 wk"),
    ("outcome_wait_median_weeks", "median wk to outcome"),
    ("open_end", "open at end"),
    ("open_wait_median_end_weeks", "open: median wk so far"),
    ("open_52w_plus_end", "open 52+ wk at end"),
)


def default_scenario() -> Path:
    """The shipped Lancashire scenario: from the working folder, else beside the package."""
    here = DEFAULT_SCENARIO
    if here.exists():
        return here
    return Path(__file__).resolve().parents[1] / DEFAULT_SCENARIO


def _fail(exc: ScenarioError) -> typer.Exit:
    err_console.print(f"[bold red]error[/]: {exc.describe()}", highlight=False, soft_wrap=True)
    return typer.Exit(BAD_INPUT)


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario TOML file.")) -> None:
    """Check a scenario (and its starting list); report every problem at once."""
    try:
        model = compile_model(load_scenario(scenario))
    except ScenarioError as exc:
        raise _fail(exc) from None
    sc = model.scenario
    console.print(
        f"[green]ok[/]: {sc.name}: {len(sc.districts)} districts, {len(sc.teams)} teams, "
        f"{len(sc.pathway.appointments)} appointments, {len(sc.interventions)} interventions, "
        f"{len(model.starting)} children on the starting list"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))


@app.command()
def run(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    replications: int = typer.Option(
        None, "--replications", "-n", min=1, help="Default: scenario's."
    ),
    seed: int = typer.Option(None, "--seed", "-s", min=0, help="Base seed (default: scenario's)."),
    out: Path = typer.Option(None, "--out", "-o", help="Results folder (default: results/<time>)."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Processes to run replications on."),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --out folder."),
) -> None:
    """Run replications of a scenario and write a results folder."""
    path = scenario or default_scenario()
    try:
        model = compile_model(load_scenario(path))
        sc = model.scenario
        reps = replications or sc.run.replications
        base_seed = sc.run.seed if seed is None else seed
        dest = out or default_run_dir(Path("results"), sc.name)
        check_destination(dest, force)
    except ScenarioError as exc:
        raise _fail(exc) from None
    console.print(
        f"[bold]{sc.name}[/]: {reps} replications x {sc.horizon_weeks} weeks from "
        f"{sc.start_date}, seed {base_seed}, {jobs} process{'es' if jobs > 1 else ''}"
    )
    try:
        result = _run_with_progress(model, dest, reps, base_seed, jobs, force)
    except ScenarioError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: no results folder was written")
        raise typer.Exit(130) from None
    _report(result, sc)


def _run_with_progress(
    model, dest: Path, reps: int, seed: int, jobs: int, force: bool
) -> RunResult:
    columns = (
        TextColumn("replications"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("run", total=reps)
        return run_to_folder(
            model, dest, reps, seed, jobs, force, on_done=lambda n: progress.advance(task, n)
        )


def _fmt(mean: float, low: float, high: float) -> str:
    """Mean and the half-width of its 95% CI, compact enough for 12 districts."""
    if math.isnan(mean):
        return "-"
    digits = 0 if abs(mean) >= 100 else 1
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ±{(high - low) / 2:.{digits}f}"


def _report(result: RunResult, sc: Scenario) -> None:
    summary = result.summary
    table = Table(
        title=f"{sc.name}: headline KPIs over {sc.horizon_weeks} weeks "
        f"(mean ± 95% CI half-width over replications)"
    )
    table.add_column("area")
    for _, label in HEADLINE:
        table.add_column(label, justify="right")
    areas = summary[summary.area_type.isin(["district", "county"])][["area_type", "area"]]
    for area_type, area in areas.drop_duplicates().itertuples(index=False):
        rows = summary[(summary.area_type == area_type) & (summary.area == area)].set_index("kpi")
        cells = [
            _fmt(*rows.loc[k, ["mean", "ci95_low", "ci95_high"]]) if k in rows.index else "-"
            for k, _ in HEADLINE
        ]
        table.add_row(f"[bold]{area}[/]" if area_type == "county" else area, *cells)
    console.print(table)
    _print_panel(result.panel)
    rate = result.children / result.wall_seconds if result.wall_seconds > 0 else float("nan")
    console.print(
        f"{result.children:,} children simulated in {result.wall_seconds:.1f} s "
        f"({rate:,.0f} children/s, {result.appointments:,} appointments)"
    )
    console.print(f"results: [bold]{result.out}[/]")


def _print_panel(panel: pd.DataFrame) -> None:
    table = Table(
        title="Analytic panel (fluid rules, no variability), per team; rates are children a week",
        caption="load = demand / capacity over the first 13 weeks; peak = highest 13-week load; "
        "clears = backlog / (capacity - demand); relief = Fong/Walton capacity to reach a "
        "13-week target list in a year",
    )
    headers = ("team", "demand", "capacity", "load", "bottleneck", "peak", "at peak")
    for name in (*headers, "backlog", "leavers", "clears (wk)", "relief"):
        table.add_column(name, justify="right", overflow="fold")
    for row in panel.itertuples(index=False):
        table.add_row(
            row.team,
            f"{row.demand_per_week:.1f}",
            f"{row.capacity_per_week:.1f}",
            f"{row.load_start:.2f}",
            row.bottleneck,
            f"{row.load_peak:.2f}",
            row.peak_bottleneck,
            f"{row.backlog_start:,}",
            f"{row.leavers_per_week_start:.1f}",
            "never" if math.isinf(row.clearance_weeks) else f"{row.clearance_weeks:.0f}",
            f"{row.relief_capacity_per_week:.1f}",
        )
    console.print(table)
    for row in panel.itertuples(index=False):
        if row.load_start >= 1 or row.load_peak >= 1:
            console.print(
                f"[yellow]warning[/]: team {row.team}: load reaches {row.load_peak:.2f} (>= 1) "
                f"in the 13 weeks from week {row.peak_week}: demand exceeds capacity, so the "
                f"list grows unless enough families leave it (about "
                f"{row.leavers_per_week_start:.0f} a week leave today's list)."
            )
