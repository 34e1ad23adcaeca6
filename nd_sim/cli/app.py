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

from nd_sim.engine.compiled import needs_compiling
from nd_sim.errors import Problem, ScenarioError
from nd_sim.run import resources
from nd_sim.run.executors import WorkerLost
from nd_sim.run.folder import check_destination, default_run_dir, staging_dir
from nd_sim.run.settings import DEFAULT_CHILD_ROWS, RunSettings
from nd_sim.scenario.bounds import EARLIEST_DATE, LATEST_DATE
from nd_sim.scenario.models import RunDefaults

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
    return Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO


def fail(exc: ScenarioError) -> typer.Exit:
    message = escape(exc.describe())  # text in [brackets] is not rich markup
    err_console.print(f"[bold red]error[/]: {message}", highlight=False, soft_wrap=True)
    return typer.Exit(BAD_INPUT)


def run_settings(
    defaults: RunDefaults,
    name: str,
    command: str,
    replications: int | None,
    seed: int | None,
    out: Path | None,
    jobs: int,
    dask: str | None,
    resume: bool,
    force: bool,
    child_rows: int | None = DEFAULT_CHILD_ROWS,
    split_teams: bool = False,
    kpis_csv: bool = False,
) -> RunSettings:
    """The command line's run settings, with the scenario's defaults filled in and the
    destination checked (a new folder under results/, or the last interrupted one of this
    command with --resume)."""
    dest = out or latest_or_new_run_dir(name, resume, command)
    check_destination(dest, force)
    return RunSettings(
        replications=replications or defaults.replications,
        seed=defaults.seed if seed is None else seed,
        out=dest,
        jobs=jobs,
        dask=dask,
        resume=resume,
        force=force,
        child_rows=child_rows,
        split_teams=split_teams,
        kpis_csv=kpis_csv,
    )


def check_size(
    models: list,
    settings: RunSettings,
    allow_large: bool,
    children_rows: bool = True,
    replications: int | None = None,
) -> None:
    """Refuse, before any work, a run estimated above the memory, disk or size limits
    (`replications`: how many each model runs, when not the settings' own)."""
    jobs, dask = settings.jobs, settings.dask
    if dask == "local":
        workers = jobs if jobs > 1 else os.cpu_count() or 1
    else:
        workers = 0 if dask else jobs  # a remote cluster's workers use their own memory
    reps = replications or settings.replications
    rows = settings.child_row_replications(reps) if children_rows else 0
    found = resources.estimate(models, reps, workers, settings.out, rows)
    resources.check(found, allow_large)


def latest_or_new_run_dir(name: str, resume: bool, command: str = "run") -> Path:
    """A new timestamped folder; with --resume and no --out, the folder of the last
    interrupted run of this command in results/."""
    if resume:
        staged = [p for p in Path("results").glob(".*.partial") if staged_command(p) == command]
        if staged:
            last = max(staged, key=lambda p: p.stat().st_mtime)
            return last.with_name(last.name[1 : -len(".partial")])
    return default_run_dir(Path("results"), name)


def staged_command(staged: Path) -> str | None:
    try:
        return json.loads((staged / "plan.json").read_text()).get("command")
    except (OSError, ValueError):
        return None


def with_progress(
    total: int, work: Callable[[Callable[[int], None]], T], settings: RunSettings | None = None
) -> T:
    """Run `work(on_done)` under a progress bar of `total` replications, with an ETA.

    Bad input found on the way exits 2; Ctrl-C exits 130; either way no results folder is
    written. An OS error (disk full, permission denied, read-only or busy file system) exits
    1 with one line naming the path and the reason: the input was fine, the machine was not.
    A resumable run keeps its completed work in `staged` for `--resume`.
    """
    staged = staging_dir(settings.out) if settings is not None else None
    if needs_compiling():
        err_console.print("Preparing the simulation engine (first run only, about 30 s)…")
    columns = (
        TextColumn("replications"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        # 4 redraws a second, not rich's 10: the bar's process shares the cores with the workers
        with Progress(
            *columns, console=err_console, transient=True, refresh_per_second=4
        ) as progress:
            task = progress.add_task("run", total=total)
            return work(lambda n: progress.advance(task, n))
    except ScenarioError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: no results folder was written")
        staged_hint(staged)
        raise typer.Exit(130) from None
    except WorkerLost as exc:
        err_console.print(f"[bold red]error[/]: {escape(str(exc))}", highlight=False)
        err_console.print("no results folder was written")
        staged_hint(staged)
        raise typer.Exit(1) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        err_console.print(
            f"[bold red]error[/]: {escape(where + reason)}", highlight=False, soft_wrap=True
        )
        staged_hint(staged)
        raise typer.Exit(1) from None


def staged_hint(staged: Path | None) -> None:
    if staged is not None and staged.exists():
        err_console.print(
            f"the completed replications are kept in {escape(str(staged))}; run the same "
            "command with --resume to finish it",
            highlight=False,
            soft_wrap=True,
        )


def parse_date(text: str, option: str = "--as-of"):
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


def say_bands(scenario) -> None:
    """Say, before the run, what its intervals and bands will include."""
    from nd_sim.results.bands import band_words

    console.print(f"[dim]{escape(band_words(scenario))}[/]", highlight=False)
