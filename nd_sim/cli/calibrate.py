"""`nd-sim calibrate`: a scenario fitted to a service's own history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape

from nd_sim.cli.app import console, default_scenario, fail
from nd_sim.cli.params import Force
from nd_sim.errors import Problem, ScenarioError
from nd_sim.scenario import load_scenario


def calibrate(
    history: Path = typer.Option(
        ..., "--history", help="The history extract (CSV, docs/history.md)."
    ),
    as_of: str = typer.Option(
        ..., "--as-of", help="The date the scenario starts from, YYYY-MM-DD."
    ),
    template: Path = typer.Option(
        None, "--template", help="What the history cannot tell (default: the shipped Lancashire)."
    ),
    column_map: Path = typer.Option(None, "--map", help="Column names: ours = theirs (TOML)."),
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write."),
    force: Force = False,
) -> None:
    """Fit a scenario's rates to a service's history; write it, its list and the evidence."""
    from nd_sim.calibration.calibrate import calibrate as fit
    from nd_sim.calibration.calibrate import write_calibration
    from nd_sim.calibration.figure import calibration_figure
    from nd_sim.calibration.history import read_column_map, read_history
    from nd_sim.calibration.words import calibration_markdown
    from nd_sim.inputs.model import compile_model
    from nd_sim.run.folder import RunFolder

    try:
        day = _date(as_of)
        base = load_scenario(template or default_scenario())
        extract = read_history(history, base, day, read_column_map(column_map))
        result = fit(extract, base, day, history.name)
        with RunFolder(out, force) as folder:
            write_calibration(
                folder, result, extract.rejected, calibration_figure(result.monthly, result.weekly)
            )
            folder.write_text("calibration.md", calibration_markdown(result, extract, day))
        compile_model(load_scenario(out / "scenario.toml"))  # the written scenario validates
    except ScenarioError as exc:
        raise fail(exc) from None
    console.print(
        f"[green]calibrated[/]: {len(extract.rows):,} referrals used, {len(extract.rejected):,} "
        f"row problems set aside (rejected_rows.csv); {len(result.waiting_list):,} children on "
        f"the list at {day}.",
        highlight=False,
    )
    console.print(
        f"results: [bold]{escape(str(out))}[/] (scenario.toml, waiting_list.csv, fit.csv, "
        "calibration.md, calibration.png, rejected_rows.csv)"
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ScenarioError(
            "--as-of", [Problem("--as-of", text, "must be a date YYYY-MM-DD")]
        ) from None
