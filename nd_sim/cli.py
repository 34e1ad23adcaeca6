"""The `nd-sim` command line: the only place that talks to the terminal.

Bad input (scenario, CSV, destination) prints every problem and exits with code 2,
without a traceback and without leaving a results folder behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nd_sim import compare as compare_mod
from nd_sim import kpis, resources, terminal
from nd_sim.cli_options import (
    AllowLarge,
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
from nd_sim.executors import WorkerLost
from nd_sim.model import compile_model
from nd_sim.output import check_destination, default_run_dir, staging_dir
from nd_sim.runner import run_to_folder
from nd_sim.scenario import Scenario, load_scenario
from nd_sim.scenario.bounds import EARLIEST_DATE, LATEST_DATE, MAX_GBP, MAX_WEEKS
from nd_sim.scenario.models import StartingList
from nd_sim.sweep import sweep_to_folder, write_sweep_figures
from nd_sim.sweep_grid import load_grid

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold a family's row
    help="nd-sim: simulate the neurodevelopmental (autism/ADHD) assessment pathway.",
)
console = Console(width=None if Console().is_terminal else 140)
err_console = Console(stderr=True)
DEFAULT_SCENARIO = Path("scenarios") / "lancashire.toml"
BAD_INPUT = 2
T = TypeVar("T")


def main() -> None:
    """The `nd-sim` entry point: the app, with a last net under it.

    Every expected failure is handled where it happens (bad input exits 2, a lost worker
    or a full disk 1). Anything else is a bug: the user gets one line, not a traceback
    that might hold data from their files; ``ND_SIM_DEBUG=1`` shows the traceback.
    """
    try:
        app(prog_name="nd-sim")
    except MemoryError:
        err_console.print(
            "[bold red]error[/]: out of memory; use fewer --jobs or --replications, or a "
            "smaller scenario (docs/scale.md#limits)"
        )
        raise SystemExit(1) from None
    except Exception as exc:
        if os.environ.get("ND_SIM_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error[/]: {escape(type(exc).__name__)} (a bug in nd-sim, "
            "not in your input); set ND_SIM_DEBUG=1 and run again to see where, and please "
            "report it",
            highlight=False,
        )
        raise SystemExit(1) from None


def default_scenario() -> Path:
    """The shipped Lancashire scenario: from the working folder, else beside the package."""
    here = DEFAULT_SCENARIO
    if here.exists():
        return here
    return Path(__file__).resolve().parents[1] / DEFAULT_SCENARIO


def _fail(exc: ScenarioError) -> typer.Exit:
    message = escape(exc.describe())  # text in [brackets] is not rich markup
    err_console.print(f"[bold red]error[/]: {message}", highlight=False, soft_wrap=True)
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
        f"[green]ok[/]: {escape(sc.name)}: {len(sc.districts)} districts, {len(sc.teams)} teams, "
        f"{len(sc.pathway.appointments)} appointments, {len(sc.interventions)} interventions, "
        f"{len(model.starting) + sum(b.count for b in sc.starting_list.profile):,} children on "
        "the starting list"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    typer.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))


@app.command()
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
        dest = out or _latest_or_new_run_dir(sc.name, resume)
        check_destination(dest, force)
        check_size([model], reps, jobs, dask, dest, allow_large)
    except ScenarioError as exc:
        raise _fail(exc) from None
    console.print(
        f"[bold]{escape(sc.name)}[/]: {reps} replications x {sc.horizon_weeks} weeks from "
        f"{sc.start_date}, seed {base_seed}, {_where(jobs, dask)}"
    )
    result = _with_progress(
        reps,
        lambda done: run_to_folder(
            model, dest, reps, base_seed, jobs, force, done, dask=dask, resume=resume
        ),
        staged=staging_dir(dest),
    )
    terminal.print_run(console, result, sc)
    if report:
        _write_report(result.out)


def check_size(
    models: list,
    replications: int,
    jobs: int,
    dask: str | None,
    dest: Path | None,
    allow_large: bool,
    children_rows: bool = True,
) -> None:
    """Refuse, before any work, a run estimated above the memory, disk or size limits."""
    if dask == "local":
        workers = jobs if jobs > 1 else os.cpu_count() or 1
    else:
        workers = 0 if dask else jobs  # a remote cluster's workers use their own memory
    found = resources.estimate(models, replications, workers, dest, children_rows)
    resources.check(found, allow_large)


def _where(jobs: int, dask: str | None) -> str:
    if dask:
        return f"Dask ({dask})"
    return f"{jobs} process{'es' if jobs > 1 else ''}"


def _latest_or_new_run_dir(name: str, resume: bool, command: str = "run") -> Path:
    """A new timestamped folder; with --resume and no --out, the folder of the last
    interrupted run of this command in results/."""
    if resume:
        staged = [p for p in Path("results").glob(".*.partial") if _staged_command(p) == command]
        if staged:
            last = max(staged, key=lambda p: p.stat().st_mtime)
            return last.with_name(last.name[1 : -len(".partial")])
    return default_run_dir(Path("results"), name)


def _staged_command(staged: Path) -> str | None:
    try:
        return json.loads((staged / "plan.json").read_text()).get("command")
    except (OSError, ValueError):
        return None


def _with_progress(
    total: int, work: Callable[[Callable[[int], None]], T], staged: Path | None = None
) -> T:
    """Run `work(on_done)` under a progress bar of `total` replications, with an ETA.

    Bad input found on the way exits 2; Ctrl-C exits 130; either way no results folder is
    written. An OS error (disk full, permission denied, read-only or busy file system) exits
    1 with one line naming the path and the reason: the input was fine, the machine was not.
    A resumable run keeps its completed work in `staged` for `--resume`.
    """
    columns = (
        TextColumn("replications"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err_console, transient=True) as progress:
            task = progress.add_task("run", total=total)
            return work(lambda n: progress.advance(task, n))
    except ScenarioError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: no results folder was written")
        _staged_hint(staged)
        raise typer.Exit(130) from None
    except WorkerLost as exc:
        err_console.print(f"[bold red]error[/]: {escape(str(exc))}", highlight=False)
        err_console.print("no results folder was written")
        _staged_hint(staged)
        raise typer.Exit(1) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        err_console.print(
            f"[bold red]error[/]: {escape(where + reason)}", highlight=False, soft_wrap=True
        )
        _staged_hint(staged)
        raise typer.Exit(1) from None


def _staged_hint(staged: Path | None) -> None:
    if staged is not None and staged.exists():
        err_console.print(
            f"the completed replications are kept in {escape(str(staged))}; run the same "
            "command with --resume to finish it",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
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
        raise _fail(exc) from None
    console.print(
        f"[bold]{len(models)} scenarios[/] (base: {escape(base.name)}), {reps} replications "
        f"each on common random numbers, seed {base_seed}"
    )
    result = _with_progress(
        reps * len(models),
        lambda done: compare_mod.compare_to_folder(
            models, scenarios, dest, reps, base_seed, jobs, force, done
        ),
    )
    terminal.print_comparison(console, result, headline)
    if report:
        _write_report(result.out)


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="The scenario the grid varies."),
    grid: Path = typer.Option(..., "--grid", "-g", help="Grid TOML: keys and their values."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    dask: Dask = None,
    resume: Resume = False,
    children: bool = typer.Option(
        False, "--children", help="Also keep every child's row (large: one row per child)."
    ),
    report: bool = typer.Option(
        False, "--report", help="Also draw the headline KPIs across the grid (PNG and SVG)."
    ),
    allow_large: AllowLarge = False,
) -> None:
    """Run every variant of a grid on common random numbers and write one tidy sweep.csv.

    Rows stream to Parquet partitioned by variant, so memory stays flat; an interrupted sweep
    is kept aside and `--resume` finishes it.
    """
    try:
        spec = load_grid(grid, scenario)
        base = spec.variants[0].scenario
        reps = replications or base.run.replications
        base_seed = base.run.seed if seed is None else seed
        dest = out or _latest_or_new_run_dir(f"sweep-{base.name}", resume, "sweep")
        check_destination(dest, force)
        first = compile_model(base)
        sized = [resources.variant_for_estimate(first, v.scenario) for v in spec.variants]
        check_size(sized, reps, jobs, dask, dest, allow_large, children_rows=children)
    except ScenarioError as exc:
        raise _fail(exc) from None
    console.print(
        f"[bold]{len(spec.variants)} variants[/] of {escape(base.name)} over "
        f"{escape(', '.join(spec.keys)) or 'named variants'}: {reps} replications each on common "
        f"random numbers, seed {base_seed}, {_where(jobs, dask)}",
        highlight=False,
    )
    result = _with_progress(
        reps * len(spec.variants),
        lambda done: sweep_to_folder(
            spec, dest, reps, base_seed, jobs, force, done, dask, resume, children
        ),
        staged=staging_dir(dest),
    )
    terminal.print_sweep(console, result)
    if report:
        _write_report(result.out)


@app.command("report")
def report_command(
    folder: Path = typer.Argument(
        ..., help="A folder written by `nd-sim run`, `nd-sim compare` or `nd-sim sweep`."
    ),
) -> None:
    """Write report.html (self-contained, prints on A4) and figures/ into a results folder
    (for a sweep folder: the headline KPIs across the grid, in figures/)."""
    _write_report(folder)


def _write_report(folder: Path) -> None:
    from nd_sim.report import write_report  # matplotlib is only needed here

    keys = _sweep_keys(folder)
    if keys is not None:  # a sweep's report is its figures across the grid
        try:
            paths = write_sweep_figures(folder, keys)
        except ScenarioError as exc:
            raise _fail(exc) from None
        console.print(f"figures: {escape(', '.join(str(p) for p in paths))}", highlight=False)
        return
    existed = (folder / "report.html").exists()
    try:
        with console.status("drawing the figures and writing the report"):
            path = write_report(folder)
    except ScenarioError as exc:
        raise _fail(exc) from None
    note = " (replacing the previous report, built from the same results)" if existed else ""
    console.print(f"report: [bold]{escape(str(path))}[/]{note}")


def _sweep_keys(folder: Path) -> list[str] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest.get("keys", []) if manifest.get("kind") == "sweep" else None


@app.command()
def families(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    waiting_list: Path = typer.Option(..., "--waiting-list", "-l", help="Today's list (CSV)."),
    as_of: str = typer.Option(..., "--as-of", help="The list's date, YYYY-MM-DD."),
    replications: Replications = None,
    seed: Seed = None,
    out: Out = None,
    jobs: Jobs = 1,
    force: Force = False,
    strict: bool = typer.Option(False, "--strict", help="Refuse the list if any row is bad."),
    previous: Path = typer.Option(
        None, "--previous", help="An earlier projections.csv, to show whose window moved."
    ),
    contact: str = typer.Option(
        None, "--contact", help="Phone number or email families should use (in every letter)."
    ),
    service_name: str = typer.Option(None, "--service-name", help="Signs the letters."),
    allow_large: AllowLarge = False,
) -> None:
    """Project when each child on today's list will be seen, and write letters for families."""
    from nd_sim.families.run import CONTACT_PLACEHOLDER, SERVICE_NAME, families_to_folder

    if contact is None:
        err_console.print(
            f"note: no --contact given; letters say {escape(CONTACT_PLACEHOLDER)} for a mail merge"
        )
    path = scenario or default_scenario()
    try:
        when = _parse_date(as_of)
        sc = load_scenario(path)
        reps = replications or sc.run.replications
        base_seed = sc.run.seed if seed is None else seed
        dest = out or default_run_dir(Path("results"), f"families-{sc.name}")
        check_destination(dest, force)
        unlisted = sc.model_copy(update={"starting_list": StartingList()})  # the list replaces it
        check_size([compile_model(unlisted)], reps, jobs, None, dest, allow_large, False)
        if previous is not None and not previous.exists():
            raise ScenarioError(str(previous), [Problem("--previous", str(previous), "must exist")])
        result = _with_progress(
            reps,
            lambda done: families_to_folder(
                sc,
                waiting_list,
                when,
                dest,
                reps,
                base_seed,
                jobs,
                force,
                strict,
                previous,
                done,
                contact or CONTACT_PLACEHOLDER,
                service_name or SERVICE_NAME,
            ),
        )
    except ScenarioError as exc:
        raise _fail(exc) from None
    terminal.print_families(console, result)


def _parse_date(text: str, option: str = "--as-of"):
    """A command-line date, refused (naming `option`) unless ISO and in the supported range."""
    import datetime as dt

    try:
        when = dt.date.fromisoformat(text.strip())
    except ValueError:
        when = None
    if when is None or not EARLIEST_DATE <= when <= LATEST_DATE:
        rule = f"must be a date YYYY-MM-DD from {EARLIEST_DATE} to {LATEST_DATE}"
        raise ScenarioError(option, [Problem(option, text, rule)])
    return when


from nd_sim import options_cli  # noqa: E402,F401  (registers `nd-sim options`)


@app.command()
def size(
    scenario: Path = typer.Argument(None, help="Scenario TOML (default: the shipped Lancashire)."),
    target: str = typer.Option(
        ..., "--target", "-t", help='e.g. "first_within_13w_pct >= 90" (see docs/sizing.md).'
    ),
    by: str = typer.Option(..., "--by", help="Date the target must hold by, YYYY-MM-DD."),
    lever: str = typer.Option(
        ...,
        "--lever",
        "-l",
        help='Professions "a,b" (extra WTE, fixed mix), outsourced_per_month, workshop_uptake '
        "or funding_gbp[:a,b].",
    ),
    each: bool = typer.Option(False, "--each", help="Size each listed profession on its own."),
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
        callback=bounded(0, MAX_GBP),
        help="Price of an outsourced assessment.",
    ),
    allow_large: AllowLarge = False,
) -> None:
    """Find the smallest lever value that meets a target by a date (on the simulation)."""
    from nd_sim.sizing import terminal as size_terminal
    from nd_sim.sizing.run import expected_replications, prepare, size_to_folder

    path = scenario or default_scenario()
    try:
        sc = load_scenario(path)
        request = prepare(
            sc, target, by, lever, each=each, cap=cap, step=step, lag_weeks=lag,
            ramp_weeks=ramp, price_gbp_each=price, area=area, confidence=confidence,
            replications=replications, seed=seed, jobs=jobs,
        )  # fmt: skip
        dest = out or default_run_dir(Path("results"), f"size-{sc.name}")
        check_destination(dest, force)
        runs = expected_replications(request)
        check_size([compile_model(sc)], runs, jobs, None, dest, allow_large, children_rows=False)
    except ScenarioError as exc:
        raise _fail(exc) from None
    size_terminal.print_request(console, request)
    try:
        result = _with_progress(
            expected_replications(request),
            lambda done: size_to_folder(request, dest, force, done),
        )
    except ScenarioError as exc:
        raise _fail(exc) from None
    size_terminal.print_size(console, result, request)
